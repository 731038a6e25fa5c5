//! What an unauthenticated Bracken request can cost: the worst 1 MiB bodies
//! found for the re-serialising fallback, each sent with a wrong signature so
//! the whole fallback runs (raw HMAC, Node re-serialisation, second HMAC)
//! before the 401. Bodies over `FALLBACK_MAX_BYTES` are not re-serialised
//! (413 after the raw HMAC), so each body is measured at that size and at
//! 1 MiB. For each: the median time of a verification, and how much
//! it adds to the process's peak RSS (measured in a fresh child process per
//! body: `VmHWM` after the call minus `VmRSS` before it, the peak having been
//! reset through `/proc/self/clear_refs`).
//!
//! `cargo bench --bench fallback` prints a Markdown table; `bench/run` puts it
//! in BENCHMARKS.md. Targets (issue 12): at most 10 ms and 4 MiB for any body.

use std::hint::black_box;
use std::time::{Duration, Instant, UNIX_EPOCH};

#[path = "../tests/common/halfway.rs"]
mod halfway;

use hookline::secret::Secrets;
use hookline::verify::{DEFAULT_TOLERANCE, Scheme, Verifier};
use http::{HeaderMap, HeaderValue};

const MIB: usize = 1024 * 1024;

/// `prefix` + `unit` repeated + `suffix`, with the unit repeated as often as
/// fits in `size` bytes.
fn fill(size: usize, prefix: &str, unit: &str, separator: &str, suffix: &str) -> Vec<u8> {
    let mut body = String::with_capacity(size);
    body.push_str(prefix);
    let mut first = true;
    while body.len() + separator.len() + unit.len() + suffix.len() <= size {
        if !first {
            body.push_str(separator);
        }
        first = false;
        body.push_str(unit);
    }
    body.push_str(suffix);
    body.into_bytes()
}

/// Distinct short keys: `"k<n>"` in base 62.
fn keyed(size: usize, prefix: &str, value: &str, numeric: bool, reverse: bool) -> Vec<u8> {
    const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let key = |mut n: usize| {
        if numeric {
            return n.to_string();
        }
        let mut key = Vec::new();
        loop {
            key.push(DIGITS[n % 62]);
            n /= 62;
            if n == 0 {
                break;
            }
        }
        String::from_utf8(key).unwrap()
    };
    let (limit, mut members) = (size, Vec::new());
    let mut size = 2;
    let mut n = 0;
    while size < limit - 64 {
        let member = format!("\"{prefix}{}\":{value}", key(n));
        size += member.len() + 1;
        members.push(member);
        n += 1;
    }
    if reverse {
        members.reverse();
    }
    format!("{{{}}}", members.join(",")).into_bytes()
}

/// `n` members `"a":0,"b":0,…`, braced as an object or not.
fn members(n: u8, braced: bool) -> String {
    let list: Vec<String> = (0..n)
        .map(|i| format!("\"{}\":0", char::from(b'a' + i)))
        .collect();
    if braced {
        format!("{{{}}}", list.join(","))
    } else {
        list.join(",")
    }
}

type Body = (&'static str, Box<dyn Fn(usize) -> Vec<u8>>);

/// Each body is built only when asked for, so the memory child holds one.
fn bodies() -> Vec<Body> {
    let nested = || format!("{}{}", "[".repeat(127), "]".repeat(127));
    vec![
        (
            "one long string",
            Box::new(move |size| fill(size, "\"", "a", "", "\"")),
        ),
        (
            "`\\u00e9` escapes in one string",
            Box::new(move |size| fill(size, "\"", "\\u00e9", "", "\"")),
        ),
        (
            "lone-surrogate escapes",
            Box::new(move |size| fill(size, "\"", "\\ud800", "", "\"")),
        ),
        (
            "empty arrays `[[],[],…]`",
            Box::new(move |size| fill(size, "[", "[]", ",", "]")),
        ),
        (
            "empty objects `[{},{},…]`",
            Box::new(move |size| fill(size, "[", "{}", ",", "]")),
        ),
        (
            "small objects `[{\"a\":0},…]`",
            Box::new(move |size| fill(size, "[", "{\"a\":0}", ",", "]")),
        ),
        (
            "objects of 17 members (each gets a key table)",
            Box::new(move |size| fill(size, "[", &members(17, true), ",", "]")),
        ),
        (
            "127-deep arrays, repeated",
            Box::new(move |size| fill(size, "[", &nested(), ",", "]")),
        ),
        (
            "one object, ~130 000 distinct keys",
            Box::new(move |size| keyed(size, "", "0", false, false)),
        ),
        (
            "one object, ~100 000 array-index keys, descending",
            Box::new(move |size| keyed(size, "", "0", true, true)),
        ),
        (
            "one object, one key repeated",
            Box::new(move |size| fill(size, "{", "\"a\":0", ",", "}")),
        ),
        (
            "one object, 17 keys repeated",
            Box::new(move |size| fill(size, "{", &members(17, false), ",", "}")),
        ),
        (
            "small integers `[1,1,…]`",
            Box::new(move |size| fill(size, "[", "1", ",", "]")),
        ),
        (
            "short decimals `[0.1,…]`",
            Box::new(move |size| fill(size, "[", "0.1", ",", "]")),
        ),
        (
            "17-digit decimals (nearest double computed)",
            Box::new(move |size| fill(size, "[", "1.2345678901234567", ",", "]")),
        ),
        (
            "20-digit numbers by a halfway point (big-number comparison)",
            Box::new(move |size| fill(size, "[", "1.0000000000000001110", ",", "]")),
        ),
        (
            "halfway points of doubles below 1e-270, cut to 20 digits (700 distinct)",
            Box::new(move |size| {
                // Each needs lexical's big-number comparison, at the
                // exponents where its numbers are largest: full 53-bit
                // mantissas (a fixed LCG), exponents -1074 to -900, the
                // cut left as it is or one unit up.
                let mut numbers = Vec::new();
                let mut state = 0x9E37_79B9_7F4A_7C15_u64;
                for e in (-1074..-900).step_by(1) {
                    for _ in 0..4 {
                        state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
                        let m = (1 << 52) | (state >> 12);
                        let (digits, exponent) = halfway::halfway(m, e);
                        let cut: u128 = digits[..20].parse().unwrap();
                        let cut = (cut + u128::from(state >> 63)).to_string();
                        numbers.push(format!("{}.{}e{}", &cut[..1], &cut[1..], exponent - 1));
                    }
                }
                let mut body = String::from("[");
                for number in numbers.iter().cycle() {
                    if body.len() + number.len() + 2 > size {
                        break;
                    }
                    if body.len() > 1 {
                        body.push(',');
                    }
                    body.push_str(number);
                }
                body.push(']');
                body.into_bytes()
            }),
        ),
        (
            "800-digit numbers just past a halfway point",
            Box::new(move |size| {
                // 1 + 2^-53 exactly (54 digits), then a 1 at the 800th.
                let unit = format!(
                    "1.00000000000000011102230246251565404236316680908203125{}1",
                    "0".repeat(745)
                );
                fill(size, "[", &unit, ",", "]")
            }),
        ),
        (
            "subnormal numbers `[5e-324,…]`",
            Box::new(move |size| fill(size, "[", "5e-324", ",", "]")),
        ),
        (
            "numbers that grow `[1e20,…]` (past the limit: 413)",
            Box::new(move |size| fill(size, "[", "1e20", ",", "]")),
        ),
        (
            "one number of 1 MiB digits",
            Box::new(move |size| fill(size, "", "1", "", "")),
        ),
        (
            "whitespace around small values",
            Box::new(move |size| fill(size, "[", " 1 ", ",", "]")),
        ),
        (
            "125 nested reordering objects around `[{\"1\":0,\"0\":0},…]`",
            Box::new(move |size| {
                let (open, close) = ("{\"0\":0,\"a\":".repeat(125), "}".repeat(125));
                let inner = size.saturating_sub(open.len() + close.len());
                let mut body = open.into_bytes();
                body.extend(fill(inner, "[", "{\"1\":0,\"0\":0}", ",", "]"));
                body.extend(close.into_bytes());
                body
            }),
        ),
    ]
}

fn verifier() -> Verifier {
    Verifier::new(Scheme::Bracken, &Secrets::one("12345"), DEFAULT_TOLERANCE).unwrap()
}

fn wrong_signature() -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(
        "authorization",
        HeaderValue::from_static("HMACSHA256 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="),
    );
    headers
}

fn status_line(field: &str) -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with(field)).unwrap();
    let kib: usize = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

/// In a child: the peak RSS one verification of body `index` at `size` adds.
fn measure_memory(index: usize, size: usize) {
    let (_, build) = bodies().swap_remove(index);
    let body = build(size);
    let (verifier, headers) = (verifier(), wrong_signature());
    // What building the body freed goes back to the system first, so it is
    // not there to be reused: the figure is what the verification needs.
    // SAFETY: malloc_trim only releases free memory of glibc's heap.
    unsafe { libc::malloc_trim(0) };
    std::fs::write("/proc/self/clear_refs", "5").expect("reset VmHWM");
    let before = status_line("VmRSS:");
    black_box(verifier.verify(&headers, black_box(&body), UNIX_EPOCH)).ok();
    let peak = status_line("VmHWM:");
    println!("{}", peak.saturating_sub(before));
}

/// Outcome, median time and peak RSS added for body `index` at `size`.
fn measure(index: usize, size: usize, quick: bool) -> String {
    let (_, build) = bodies().swap_remove(index);
    let body = build(size);
    assert!(body.len() <= size, "{} bytes", body.len());
    let (verifier, headers) = (verifier(), wrong_signature());
    let outcome = match verifier.verify(&headers, &body, UNIX_EPOCH) {
        Ok(_) => "accepted?!".to_owned(),
        Err(rejection) => format!("`{}`", rejection.label()),
    };
    let mut times: Vec<Duration> = (0..if quick { 3 } else { 21 })
        .map(|_| {
            let started = Instant::now();
            black_box(verifier.verify(&headers, black_box(&body), UNIX_EPOCH)).ok();
            started.elapsed()
        })
        .collect();
    times.sort_unstable();
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--memory-of", &index.to_string(), &size.to_string()])
        .output()
        .unwrap();
    let added: f64 = String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .unwrap();
    format!(
        "{outcome} | {:.2} ms | {:.2} MiB",
        times[times.len() / 2].as_secs_f64() * 1e3,
        added / MIB as f64
    )
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == "--memory-of") {
        measure_memory(args[at + 1].parse().unwrap(), args[at + 2].parse().unwrap());
        return;
    }
    let quick = std::env::var_os("HOOKLINE_BENCH_QUICK").is_some();
    let largest = hookline::verify::FALLBACK_MAX_BYTES;
    println!(
        "| body, wrong signature | {} KiB (the largest re-serialised): outcome | time | peak RSS added | 1 MiB: outcome | time | peak RSS added |",
        largest / 1024
    );
    println!("|---|---|---|---|---|---|---|");
    for (index, (name, _)) in bodies().iter().enumerate() {
        println!(
            "| {name} | {} | {} |",
            measure(index, largest, quick),
            measure(index, MIB, quick)
        );
    }
}
