//! Differential test: `js_json::restringify` against Node's own
//! `JSON.stringify(JSON.parse(text))` on thousands of generated documents.
//! Node is on every machine this project builds on; the test fails without it.

use std::io::Write;
use std::process::{Command, Stdio};

use hookline::js_json::restringify;

#[path = "common/halfway.rs"]
mod halfway;
#[path = "../fuzz/respell.rs"]
mod respell;

/// A small deterministic generator (xorshift), so failures reproduce.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
    fn ws(&mut self) -> &'static str {
        ["", "", "", " ", "\n  ", "\t", "\r\n"][self.below(7)]
    }

    fn number(&mut self) -> String {
        const EDGES: &[&str] = &[
            "0",
            "-0",
            "0.0",
            "1.0",
            "-1.50",
            "1e21",
            "1e20",
            "1E+21",
            "1e-7",
            "1e-6",
            "0.000001",
            "123e-20",
            "9007199254740991",
            "9007199254740993",
            "18446744073709551616",
            "12345678901234567890",
            "1.7976931348623157e308",
            "1.7976931348623159e308",
            "1e309",
            "-1e309",
            "5e-324",
            "2e-324",
            "4.9406564584124654e-324",
            "2.2250738585072014e-308",
            "0.1",
            "0.30000000000000004",
            "100",
            "1e2",
            "123456789.123456789",
            "-9.999999999999999e22",
            "1e-400",
            "0.5e1",
            "3.14159265358979323846",
        ];
        match self.below(4) {
            0 => EDGES[self.below(EDGES.len())].to_string(),
            1 => (self.next() as i64 >> self.below(60)).to_string(),
            2 => format!("{}e{}", self.next() % 100_000, self.below(640) as i64 - 330),
            _ => format!("{:e}", f64::from_bits(self.next()))
                .replace("NaN", "1")
                .replace("inf", "1"),
        }
    }

    fn string(&mut self) -> String {
        const PIECES: &[&str] = &[
            "a",
            "Z",
            " ",
            "é",
            "😀",
            "\u{2028}",
            "\u{7f}",
            "\u{fffe}",
            "\\\"",
            "\\\\",
            "\\/",
            "\\b",
            "\\f",
            "\\n",
            "\\r",
            "\\t",
            "\\u0000",
            "\\u001f",
            "\\u0020",
            "\\u00e9",
            "\\u00E9",
            "\\ud83d\\ude00",
            "\\ud800",
            "\\udfff",
            "\\udc00\\ud800",
            "\\ud800\\ud800\\udc00",
            "\\u2028",
            "\\uffff",
            "\\u0041",
            "0",
            "1",
            "__proto__",
        ];
        let n = self.below(5);
        let body: String = (0..n).map(|_| self.pick(PIECES)).collect();
        format!("\"{body}\"")
    }

    fn key(&mut self) -> String {
        const KEYS: &[&str] = &[
            "\"a\"",
            "\"b\"",
            "\"0\"",
            "\"1\"",
            "\"2\"",
            "\"10\"",
            "\"01\"",
            "\"-1\"",
            "\"1.5\"",
            "\"4294967294\"",
            "\"4294967295\"",
            "\"4294967296\"",
            "\"\\u0031\"",
            "\"__proto__\"",
            "\"\"",
            "\"é\"",
            "\"constructor\"",
        ];
        if self.below(4) == 0 {
            self.string()
        } else {
            self.pick(KEYS).to_string()
        }
    }

    fn value(&mut self, depth: usize) -> String {
        let choice = if depth > 4 {
            self.below(4)
        } else {
            self.below(7)
        };
        match choice {
            0 => self.number(),
            1 => self.string(),
            2 => self.pick(&["true", "false", "null"]).to_string(),
            3 => self.number(),
            4 | 5 => {
                let n = self.below(6);
                let fields: Vec<String> = (0..n)
                    .map(|_| {
                        let (a, b, c, d) = (self.ws(), self.ws(), self.ws(), self.ws());
                        format!("{a}{}{b}:{c}{}{d}", self.key(), self.value(depth + 1))
                    })
                    .collect();
                format!("{{{}}}", fields.join(","))
            }
            _ => {
                let n = self.below(5);
                let items: Vec<String> = (0..n)
                    .map(|_| format!("{}{}{}", self.ws(), self.value(depth + 1), self.ws()))
                    .collect();
                format!("[{}]", items.join(","))
            }
        }
    }

    /// Sometimes breaks a document, so both sides must agree on rejecting it.
    fn maybe_break(&mut self, doc: String) -> String {
        match self.below(12) {
            0 => format!("{doc},"),
            1 => doc.replacen(':', "", 1),
            2 => format!("\u{feff}{doc}"),
            3 => doc.replacen("\"", "'", 1),
            _ => doc,
        }
    }
}

const NODE_SCRIPT: &str = r#"
const docs = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const out = docs.map(d => { try { return JSON.stringify(JSON.parse(d)); } catch (e) { return null; } });
process.stdout.write(JSON.stringify(out));
"#;

/// What Node's `JSON.stringify(JSON.parse(doc))` gives for each document
/// (`None` where `JSON.parse` throws).
fn node_restringify(docs: &[String]) -> Vec<Option<String>> {
    let mut child = Command::new("node")
        .args(["-e", NODE_SCRIPT])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("node must be installed (it is on every machine this project targets)");
    let input = serde_json::to_string(docs).unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()).unwrap());
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(output.status.success(), "node failed");
    let expected: Vec<Option<String>> = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(expected.len(), docs.len());
    expected
}

/// Whether `doc` spells a number with more significant digits than the
/// re-serialiser reads (it refuses those rather than risk their cost).
fn has_long_number(doc: &str) -> bool {
    let bytes = doc.as_bytes();
    let mut at = 0;
    while at < bytes.len() {
        match bytes[at] {
            b'"' => {
                at += 1;
                while at < bytes.len() && bytes[at] != b'"' {
                    at += if bytes[at] == b'\\' { 2 } else { 1 };
                }
                at += 1;
            }
            b'-' | b'0'..=b'9' => {
                let start = at;
                while at < bytes.len()
                    && matches!(bytes[at], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
                {
                    at += 1;
                }
                let token = &doc[start..at];
                let mantissa = token.split(['e', 'E']).next().unwrap();
                let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
                let significant = digits.trim_start_matches('0').trim_end_matches('0');
                if significant.len() > hookline::js_json::MAX_SIGNIFICANT_DIGITS {
                    return true;
                }
            }
            _ => at += 1,
        }
    }
    false
}

/// Asserts the re-serialiser gives Node's answer for every document, or
/// refuses it where the refusal is documented (a number of more than
/// `MAX_SIGNIFICANT_DIGITS` significant digits). Returns how many Node
/// rejected and how many the re-serialiser refused that Node read.
fn assert_matches_node(docs: &[String]) -> (usize, usize) {
    let expected = node_restringify(docs);
    let (mut rejected, mut refused) = (0, 0);
    for (doc, want) in docs.iter().zip(&expected) {
        let got = restringify(doc.as_bytes()).map(|b| String::from_utf8(b).unwrap());
        let shown: String = doc.chars().take(200).collect();
        if got.is_none() && want.is_some() && has_long_number(doc) {
            refused += 1;
            continue;
        }
        assert_eq!(
            got.as_deref().map(str::len),
            want.as_deref().map(str::len),
            "document ({} bytes): {shown:?}",
            doc.len()
        );
        assert_eq!(&got, want, "document ({} bytes): {shown:?}", doc.len());
        rejected += usize::from(want.is_none());
    }
    (rejected, refused)
}

#[test]
fn restringify_matches_node_on_generated_documents() {
    let mut generator = Gen(0x9E37_79B9_7F4A_7C15);
    let docs: Vec<String> = (0..4000)
        .map(|_| {
            let (a, b) = (generator.ws(), generator.ws());
            let doc = format!("{a}{}{b}", generator.value(0));
            generator.maybe_break(doc)
        })
        .collect();
    let (rejected, _) = assert_matches_node(&docs);
    // The generator must exercise both sides.
    assert!(rejected > 100 && rejected < 1500, "rejected {rejected}");
}

/// Spellings of numbers that no serialiser writes but JSON's grammar allows:
/// each must read as Node reads it (a signature over `{"amount":0}` must not
/// verify a body every consumer reads as 5000).
fn hard_numbers() -> Vec<String> {
    let mut numbers: Vec<String> = vec![
        format!("0.{}5e655364", "0".repeat(655_360)),
        format!("5{}e-655364", "0".repeat(655_363)),
        format!("1{}", "0".repeat(120_000)),
        format!("-1{}e-120000", "0".repeat(120_000)),
        format!("0.{}1", "0".repeat(100_000)),
        format!("0.{}1e100324", "0".repeat(100_000)),
        format!("{}.{}", "9".repeat(60_000), "9".repeat(60_000)),
        format!("1.{}", "0".repeat(200_000)),
        format!("1.{}1", "0".repeat(200_000)),
        format!("{}e-100000", "1".repeat(100_001)),
        format!("2.{}e-308", "2250738585072014".repeat(60)),
        "9007199254740993".into(),
        "9007199254740992.5".into(),
        "9007199254740993.0000000000000000000000000000001".into(),
        "0.1e1".into(),
        "100e-2".into(),
        "1e65536".into(),
        "1e65537".into(),
        "1e-65536".into(),
        "1e-65537".into(),
        "1e99999999999999999999999".into(),
        "1e-99999999999999999999999".into(),
        "0e99999999999999999999999".into(),
        "123456789012345678901234567890e-30".into(),
        "0.000001".into(),
        "0.0000001".into(),
        "0.00000123".into(),
        "123456789012345.6".into(),
        "12345678901234.56".into(),
        "999999999999999.9".into(),
        "999999999999999999999".into(),
        "1000000000000000000000".into(),
        "1.7976931348623157e308".into(),
        "1.7976931348623158e308".into(),
        "1.7976931348623159e308".into(),
        "17976931348623157e292".into(),
        "2.4703282292062327e-324".into(),
        "2.4703282292062328e-324".into(),
        "4.9406564584124654e-324".into(),
        "2.2250738585072011e-308".into(),
        "2.2250738585072012e-308".into(),
        "1e-306".into(),
        "1e-307".into(),
        "9.99999999999999e-307".into(),
        "1e308".into(),
        "1e309".into(),
        "0.1e310".into(),
        "0.01e311".into(),
        "10e308".into(),
        "1e-323".into(),
        "1e-324".into(),
        "1e-325".into(),
        "10e-325".into(),
        "0.1e-323".into(),
    ];
    for exponent in [
        -330, -325, -324, -323, -308, -307, -306, 306, 307, 308, 309, 310,
    ] {
        for mantissa in ["1", "4.9", "2.47", "1.8", "9.9999999999999999", "0.0001"] {
            numbers.push(format!("{mantissa}e{exponent}"));
        }
    }
    for zero in [
        "-0",
        "-0.0",
        "-0e0",
        "-0E+5",
        "-0.000e-99999",
        "0.0",
        "0e-0",
        "-0.00000000000000000000000000000000000000000000000000000000001e-400",
    ] {
        numbers.push(zero.into());
    }
    // What serialisers other than Node write: 64- and 128-bit integers,
    // .NET decimals, Python Decimals of doubles (up to 767 digits).
    for long in [
        "18446744073709551615",
        "-9223372036854775809",
        "170141183460469231731687303715884105727",
        "79228162514264337593543950335",
        "3.3333333333333333333333333333",
        "0.1000000000000000055511151231257827021181583404541015625",
        "1.00000000000000011102230246251565404236316680908203125",
    ] {
        numbers.push(long.into());
    }
    // Halfway points of normal, subnormal and large doubles, cut at many
    // lengths up to their full expansion, and just past it.
    for (m, e) in [
        ((1 << 52) + 12345, -52),
        (1, -1074),
        (12345, -1074),
        ((1 << 52) - 1, -1074),
        ((1 << 52) + 777, 944),
        ((1 << 53) - 1, 971),
        (1 << 52, -1022),
    ] {
        let (digits, exponent) = halfway::halfway(m, e);
        let mut lengths = vec![16, 17, 18, 19, 20, 21, 30, 40, 100, 400, 700, 800];
        lengths.extend([digits.len() - 1, digits.len()]);
        for len in lengths.into_iter().filter(|&len| len <= digits.len()) {
            let cut = &digits[..len];
            numbers.push(format!("0.{cut}e{exponent}"));
            numbers.push(format!("-{}.{}e{}", &cut[..1], &cut[1..], exponent - 1));
        }
        numbers.push(format!("0.{digits}1e{exponent}"));
        numbers.push(format!("0.{digits}0001e{exponent}"));
    }
    let mut generator = Gen(0xD1B5_4A32_D192_ED03);
    for _ in 0..300 {
        // Long mantissas at any exponent.
        let digits: String = (0..16 + generator.below(800))
            .map(|_| char::from(b'1' + generator.below(9) as u8))
            .collect();
        let exponent = generator.below(700) as i64 - 350;
        numbers.push(format!("{}.{}e{exponent}", &digits[..1], &digits[1..]));
    }
    for _ in 0..2000 {
        // Mostly within the digits the re-serialiser reads, some beyond.
        let int_digits = 1 + generator.below(14);
        let mut int: String = (0..int_digits)
            .map(|_| char::from(b'0' + generator.below(10) as u8))
            .collect();
        if int.starts_with('0') {
            int = "0".into();
        }
        let fraction: String = (0..generator.below(12))
            .map(|_| char::from(b'0' + generator.below(10) as u8))
            .collect();
        let exponent = generator.below(700) as i64 - 350;
        let sign = if generator.below(2) == 0 { "-" } else { "" };
        let dot = if fraction.is_empty() {
            String::new()
        } else {
            format!(".{fraction}")
        };
        numbers.push(format!("{sign}{int}{dot}e{exponent}"));
        numbers.push(format!("{sign}{int}{dot}"));
    }
    numbers
}

#[test]
fn numbers_read_as_node_reads_them_in_every_spelling() {
    let numbers = hard_numbers();
    let mut docs: Vec<String> = numbers.clone();
    docs.extend(
        numbers
            .iter()
            .take(60)
            .map(|n| format!("{{\"amount\": {n}, \"to\": \"alice\"}}")),
    );
    docs.push(format!("[{}]", numbers.join(",")));
    let (rejected, refused) = assert_matches_node(&docs);
    assert_eq!(rejected, 0);
    // Most are read; the long spellings are refused, never misread.
    assert!(
        refused > 5 && refused * 4 < docs.len(),
        "refused {refused} of {}",
        docs.len()
    );
}

/// The pairs Node computed for the differential fuzz target replay here, and
/// so do respellings of Node's outputs: Node reads each respelling back as
/// its output (which checks the respeller the fuzz target relies on), and
/// so must the re-serialiser.
#[test]
fn node_pairs_and_respellings_of_their_outputs() {
    let pairs: Vec<(String, Option<String>)> =
        serde_json::from_str(include_str!("../fuzz/node_pairs.json")).unwrap();
    let mut generator = Gen(0xA076_1D64_78BD_642F);
    let mut respelled = Vec::new();
    let mut canonical = Vec::new();
    for (input, node) in &pairs {
        let got = restringify(input.as_bytes()).map(|out| String::from_utf8(out).unwrap());
        if got.is_some() || !has_long_number(input) {
            assert_eq!(&got, node, "{input:?}");
        }
        let Some(node) = node else { continue };
        for _ in 0..4 {
            let choices: Vec<u8> = (0..512).map(|_| generator.next() as u8).collect();
            respelled.push(respell::respell(node, &mut respell::Choices(&choices)));
            canonical.push(Some(node.clone()));
        }
    }
    assert_eq!(
        node_restringify(&respelled),
        canonical,
        "Node reads every respelling as its output"
    );
    let differs = respelled
        .iter()
        .zip(&canonical)
        .filter(|(r, c)| Some(r.as_str()) != c.as_deref())
        .count();
    assert!(
        differs * 2 > respelled.len(),
        "most respellings differ from the text ({differs})"
    );
    assert_eq!(assert_matches_node(&respelled).0, 0);
}
