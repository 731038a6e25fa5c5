//! Respellings of a text Node's `JSON.stringify` wrote that `JSON.parse`
//! reads back as the same value: whitespace between tokens, a key repeated
//! (with another value) just before its last occurrence, characters written
//! as `\u` escapes, numbers written with other digits and exponents. Node's
//! `JSON.stringify(JSON.parse(respelled))` is therefore the text itself, so
//! Bracken's re-serialiser must give it back exactly.
//!
//! Shared by the `restringify_node` fuzz target (choices from the fuzzer)
//! and `tests/node_stringify.rs` (choices from a seeded generator).

/// Where each choice comes from; once exhausted, every choice is 0 (no change).
pub struct Choices<'a>(pub &'a [u8]);

impl Choices<'_> {
    pub fn below(&mut self, n: usize) -> usize {
        match self.0.split_first() {
            Some((&byte, rest)) => {
                self.0 = rest;
                usize::from(byte) % n.max(1)
            }
            None => 0,
        }
    }
}

/// Deepest nesting a respelling may add a container at: the re-serialiser
/// refuses documents deeper than 127.
const MAX_JUNK_DEPTH: usize = 120;

/// A respelling of `canonical` (compact JSON as Node writes it).
pub fn respell(canonical: &str, choices: &mut Choices) -> String {
    let text = canonical.as_bytes();
    let mut out = String::with_capacity(canonical.len() * 2);
    let (mut at, mut depth) = (0, 0);
    while at < text.len() {
        whitespace(&mut out, choices);
        let start = at;
        match text[at] {
            b'"' => {
                at = string_end(text, at);
                let token = &canonical[start..at];
                if text.get(at) == Some(&b':') && choices.below(4) == 0 {
                    // A repeated key keeps its first place and its last value.
                    out.push_str(&respell_string(token, choices));
                    out.push(':');
                    out.push_str(junk(depth, choices));
                    out.push(',');
                    whitespace(&mut out, choices);
                }
                out.push_str(&respell_string(token, choices));
            }
            b'-' | b'0'..=b'9' => {
                while at < text.len()
                    && matches!(text[at], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
                {
                    at += 1;
                }
                out.push_str(&respell_number(&canonical[start..at], choices));
            }
            b't' | b'f' | b'n' => {
                while at < text.len() && text[at].is_ascii_lowercase() {
                    at += 1;
                }
                out.push_str(&canonical[start..at]);
            }
            byte => {
                match byte {
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => depth -= 1,
                    _ => {}
                }
                at += 1;
                out.push(char::from(byte));
            }
        }
    }
    whitespace(&mut out, choices);
    out
}

fn whitespace(out: &mut String, choices: &mut Choices) {
    for _ in 0..choices.below(3) {
        out.push([' ', '\t', '\n', '\r'][choices.below(4)]);
    }
}

/// A value to give a repeated key before its real one.
fn junk(depth: usize, choices: &mut Choices) -> &'static str {
    let values = [
        "0",
        "null",
        "\"earlier\"",
        "-1e999",
        "[1,{\"z\":2}]",
        "{\"a\":[]}",
    ];
    let usable = if depth < MAX_JUNK_DEPTH {
        values.len()
    } else {
        4
    };
    values[choices.below(usable)]
}

/// Just past the closing quote of the string opening at `at`.
fn string_end(text: &[u8], mut at: usize) -> usize {
    at += 1;
    while text[at] != b'"' {
        at += if text[at] == b'\\' { 2 } else { 1 };
    }
    at + 1
}

/// The same string with some characters written as escapes.
fn respell_string(token: &str, choices: &mut Choices) -> String {
    let inner = &token[1..token.len() - 1];
    let mut out = String::from("\"");
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            let escaped = chars.next().expect("canonical escapes are complete");
            match escaped {
                'u' => {
                    let hex: String = chars.by_ref().take(4).collect();
                    let hex = if choices.below(2) == 0 {
                        hex
                    } else {
                        hex.to_uppercase()
                    };
                    out.push_str("\\u");
                    out.push_str(&hex);
                }
                'b' | 'f' | 'n' | 'r' | 't' if choices.below(2) == 1 => {
                    let unit = match escaped {
                        'b' => 8,
                        'f' => 12,
                        'n' => 10,
                        'r' => 13,
                        _ => 9,
                    };
                    out.push_str(&format!("\\u{unit:04X}"));
                }
                other => {
                    out.push('\\');
                    out.push(other);
                }
            }
        } else if choices.below(4) == 0 {
            if c == '/' {
                out.push_str("\\/");
                continue;
            }
            for unit in c.encode_utf16(&mut [0; 2]) {
                if choices.below(2) == 0 {
                    out.push_str(&format!("\\u{unit:04x}"));
                } else {
                    out.push_str(&format!("\\u{unit:04X}"));
                }
            }
        } else {
            out.push(c);
        }
    }
    out.push('"');
    out
}

/// The same number (the same decimal value, so the same double) spelled
/// with other digits and exponents.
fn respell_number(token: &str, choices: &mut Choices) -> String {
    let (sign, unsigned) = match token.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", token),
    };
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(at) => (&unsigned[..at], unsigned[at + 1..].parse::<i64>().unwrap()),
        None => (unsigned, 0),
    };
    let (int, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all = format!("{int}{fraction}");
    let digits = all.trim_start_matches('0');
    let zeros = |n: usize| "0".repeat(n);
    if digits.is_empty() {
        return ["0", "-0", "0.000", "-0e-999", "0E+00", "-0.0e99999999999"][choices.below(6)]
            .into();
    }
    // The value is digits × 10^scale.
    let scale = exponent - fraction.len() as i64;
    let len = digits.len() as i64;
    match choices.below(4) {
        0 => token.to_owned(),
        1 => {
            let m = choices.below(5);
            format!("{sign}{digits}{}e{}", zeros(m), scale - m as i64)
        }
        2 => {
            let z = choices.below(5);
            format!("{sign}0.{}{digits}e{:+}", zeros(z), scale + z as i64 + len)
        }
        _ => {
            let (first, rest) = digits.split_at(1);
            let e = scale + len - 1;
            let e_sign = if e < 0 { "-" } else { "+" };
            format!(
                "{sign}{first}.{rest}{}E{e_sign}{:05}",
                zeros(1 + choices.below(3)),
                e.unsigned_abs()
            )
        }
    }
}
