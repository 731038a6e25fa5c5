//! Node's `JSON.stringify(JSON.parse(text))`, byte for byte.
//!
//! Bracken signs what its Node sample computes, not the bytes it sends, so a
//! body with spaces, `1.0` or duplicate keys only verifies once it is
//! re-serialised the way V8 does it:
//! - object keys that are array indices (`"0"` … `"4294967294"`) come first,
//!   in ascending order, then the other keys in the order first seen;
//! - a repeated key keeps its first position and its last value;
//! - numbers are parsed to the nearest double and printed as JavaScript does
//!   (`1.0` → `1`, `1e21` → `1e+21`, non-finite → `null`, `-0` → `0`);
//! - strings are printed with JavaScript's escapes (lone surrogates as `\udxxx`).

use std::collections::HashMap;

/// Deeper documents are refused, as `serde_json` refuses them by default.
const MAX_DEPTH: usize = 128;

/// Re-serialises `body` as Node would, or `None` when `JSON.parse` would throw
/// (or the document is deeper than [`MAX_DEPTH`], or not UTF-8).
pub fn restringify(body: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(body).ok()?;
    let mut parser = Parser {
        text: text.as_bytes(),
        pos: 0,
        depth: 0,
    };
    parser.skip_whitespace();
    let value = parser.value()?;
    parser.skip_whitespace();
    if parser.pos != parser.text.len() {
        return None;
    }
    let mut out = Vec::with_capacity(body.len());
    value.write(&mut out);
    Some(out)
}

/// A parsed value; strings are held already quoted and escaped for output,
/// which is a one-to-one image of their UTF-16 code units.
enum Value {
    Literal(&'static [u8]),
    Number(f64),
    String(Vec<u8>),
    Array(Vec<Value>),
    Object(Vec<(Vec<u8>, Value)>),
}

impl Value {
    fn write(&self, out: &mut Vec<u8>) {
        match self {
            Value::Literal(text) => out.extend_from_slice(text),
            Value::Number(n) => write_number(*n, out),
            Value::String(quoted) => out.extend_from_slice(quoted),
            Value::Array(items) => {
                out.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    item.write(out);
                }
                out.push(b']');
            }
            Value::Object(entries) => {
                let mut indexed: Vec<(u32, &(Vec<u8>, Value))> = Vec::new();
                let mut named: Vec<&(Vec<u8>, Value)> = Vec::new();
                for entry in entries {
                    match array_index(&entry.0) {
                        Some(index) => indexed.push((index, entry)),
                        None => named.push(entry),
                    }
                }
                indexed.sort_unstable_by_key(|(index, _)| *index);
                out.push(b'{');
                let ordered = indexed.into_iter().map(|(_, entry)| entry).chain(named);
                for (i, (key, value)) in ordered.enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    out.extend_from_slice(key);
                    out.push(b':');
                    value.write(out);
                }
                out.push(b'}');
            }
        }
    }
}

/// The array index a quoted key names, if it is one: the canonical decimal
/// form of an integer below 2^32 - 1.
fn array_index(quoted: &[u8]) -> Option<u32> {
    let digits = &quoted[1..quoted.len() - 1];
    if digits.is_empty() || digits.len() > 10 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    if digits.len() > 1 && digits[0] == b'0' {
        return None;
    }
    let n: u64 = std::str::from_utf8(digits).ok()?.parse().ok()?;
    u32::try_from(n).ok().filter(|&n| n != u32::MAX)
}

fn write_number(n: f64, out: &mut Vec<u8>) {
    if !n.is_finite() {
        out.extend_from_slice(b"null");
    } else if n == 0.0 {
        out.push(b'0');
    } else {
        out.extend_from_slice(ryu_js::Buffer::new().format_finite(n).as_bytes());
    }
}

/// Appends one code point as JSON.stringify writes it inside a string.
fn push_escaped(c: u32, out: &mut Vec<u8>) {
    match c {
        0x22 => out.extend_from_slice(b"\\\""),
        0x5C => out.extend_from_slice(b"\\\\"),
        0x08 => out.extend_from_slice(b"\\b"),
        0x0C => out.extend_from_slice(b"\\f"),
        0x0A => out.extend_from_slice(b"\\n"),
        0x0D => out.extend_from_slice(b"\\r"),
        0x09 => out.extend_from_slice(b"\\t"),
        0x00..=0x1F | 0xD800..=0xDFFF => {
            out.extend_from_slice(format!("\\u{c:04x}").as_bytes());
        }
        _ => {
            let ch = char::from_u32(c).expect("surrogates handled above");
            out.extend_from_slice(ch.encode_utf8(&mut [0; 4]).as_bytes());
        }
    }
}

struct Parser<'a> {
    text: &'a [u8],
    pos: usize,
    depth: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.get(self.pos).copied()
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, byte: u8) -> bool {
        let hit = self.peek() == Some(byte);
        if hit {
            self.pos += 1;
        }
        hit
    }

    fn value(&mut self) -> Option<Value> {
        match self.peek()? {
            b'{' => self.nested(Self::object),
            b'[' => self.nested(Self::array),
            b'"' => self.string().map(Value::String),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            _ => self.number(),
        }
    }

    fn nested(&mut self, parse: fn(&mut Self) -> Option<Value>) -> Option<Value> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return None;
        }
        let value = parse(self);
        self.depth -= 1;
        value
    }

    fn literal(&mut self, word: &'static [u8]) -> Option<Value> {
        if self.text[self.pos..].starts_with(word) {
            self.pos += word.len();
            Some(Value::Literal(word))
        } else {
            None
        }
    }

    fn array(&mut self) -> Option<Value> {
        self.pos += 1; // '['
        let mut items = Vec::new();
        self.skip_whitespace();
        if self.eat(b']') {
            return Some(Value::Array(items));
        }
        loop {
            self.skip_whitespace();
            items.push(self.value()?);
            self.skip_whitespace();
            if self.eat(b']') {
                return Some(Value::Array(items));
            }
            if !self.eat(b',') {
                return None;
            }
        }
    }

    fn object(&mut self) -> Option<Value> {
        self.pos += 1; // '{'
        let mut entries: Vec<(Vec<u8>, Value)> = Vec::new();
        let mut seen: HashMap<Vec<u8>, usize> = HashMap::new();
        self.skip_whitespace();
        if self.eat(b'}') {
            return Some(Value::Object(entries));
        }
        loop {
            self.skip_whitespace();
            if self.peek() != Some(b'"') {
                return None;
            }
            let key = self.string()?;
            self.skip_whitespace();
            if !self.eat(b':') {
                return None;
            }
            self.skip_whitespace();
            let value = self.value()?;
            match seen.get(&key) {
                Some(&at) => entries[at].1 = value,
                None => {
                    seen.insert(key.clone(), entries.len());
                    entries.push((key, value));
                }
            }
            self.skip_whitespace();
            if self.eat(b'}') {
                return Some(Value::Object(entries));
            }
            if !self.eat(b',') {
                return None;
            }
        }
    }

    /// Parses a string and returns it quoted and escaped as JSON.stringify writes it.
    fn string(&mut self) -> Option<Vec<u8>> {
        self.pos += 1; // '"'
        let mut out = vec![b'"'];
        // A high surrogate from a `\u` escape, waiting for its low half.
        let mut pending: Option<u32> = None;
        loop {
            let byte = self.peek()?;
            if byte == b'\\' && self.text.get(self.pos + 1) == Some(&b'u') {
                self.pos += 2;
                let unit = self.hex4()?;
                pending = match (pending, unit) {
                    (Some(high), 0xDC00..=0xDFFF) => {
                        push_escaped(
                            0x10000 + ((high - 0xD800) << 10) + (unit - 0xDC00),
                            &mut out,
                        );
                        None
                    }
                    (held, _) => {
                        if let Some(high) = held {
                            push_escaped(high, &mut out);
                        }
                        if (0xD800..=0xDBFF).contains(&unit) {
                            Some(unit)
                        } else {
                            push_escaped(unit, &mut out);
                            None
                        }
                    }
                };
                continue;
            }
            if let Some(high) = pending.take() {
                push_escaped(high, &mut out);
            }
            match byte {
                b'"' => {
                    self.pos += 1;
                    out.push(b'"');
                    return Some(out);
                }
                b'\\' => {
                    let escaped = *self.text.get(self.pos + 1)?;
                    let c = match escaped {
                        b'"' => b'"',
                        b'\\' => b'\\',
                        b'/' => b'/',
                        b'b' => 0x08,
                        b'f' => 0x0C,
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        _ => return None,
                    };
                    push_escaped(u32::from(c), &mut out);
                    self.pos += 2;
                }
                0x00..=0x1F => return None,
                _ => {
                    // Copy the run of plain bytes (valid UTF-8, checked on entry).
                    let start = self.pos;
                    while let Some(b) = self.peek() {
                        if b == b'"' || b == b'\\' || b < 0x20 {
                            break;
                        }
                        self.pos += 1;
                    }
                    out.extend_from_slice(&self.text[start..self.pos]);
                }
            }
        }
    }

    fn hex4(&mut self) -> Option<u32> {
        let digits = self.text.get(self.pos..self.pos + 4)?;
        let text = std::str::from_utf8(digits).ok()?;
        if !digits.iter().all(u8::is_ascii_hexdigit) {
            return None;
        }
        self.pos += 4;
        u32::from_str_radix(text, 16).ok()
    }

    /// JSON's number grammar, exactly; the value is the nearest double.
    fn number(&mut self) -> Option<Value> {
        let start = self.pos;
        self.eat(b'-');
        match self.peek()? {
            b'0' => self.pos += 1,
            b'1'..=b'9' => self.digits(),
            _ => return None,
        }
        if self.eat(b'.') {
            if !self.peek()?.is_ascii_digit() {
                return None;
            }
            self.digits();
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if !self.peek()?.is_ascii_digit() {
                return None;
            }
            self.digits();
        }
        let text = std::str::from_utf8(&self.text[start..self.pos]).ok()?;
        text.parse().ok().map(Value::Number)
    }

    fn digits(&mut self) {
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
    }
}

#[cfg(test)]
mod tests;
