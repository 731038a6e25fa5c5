//! Node's `JSON.stringify(JSON.parse(text))`, byte for byte, in one pass.
//!
//! Bracken signs what its Node sample computes, not the bytes it sends, so a
//! body with spaces, `1.0` or duplicate keys only verifies once it is
//! re-serialised the way V8 does it:
//! - object keys that are array indices (`"0"` … `"4294967294"`) come first,
//!   in ascending order, then the other keys in the order first seen;
//! - a repeated key keeps its first position and its last value;
//! - numbers are read to the nearest double, whatever their spelling (up to
//!   [`MAX_SIGNIFICANT_DIGITS`] significant digits, any exponent), and
//!   printed as JavaScript does (`1.0` → `1`, `1e21` → `1e+21`, beyond the
//!   doubles → `null`, `-0` → `0`);
//! - strings are printed with JavaScript's escapes (lone surrogates as `\udxxx`).
//!
//! This runs before any signature has matched, so its cost must stay a
//! small multiple of the body's size, whatever the body. The text is
//! written as it is read, never built into a tree, and what is already in
//! Node's form (most of any text) is copied in runs, not token by token.
//! Besides the output it keeps 8 bytes per member of each open object and,
//! for objects of more than a few members, a table of their keys. The keys
//! are hashed with foldhash under a seed drawn afresh for every text: no
//! list of keys collides under every seed, and a seed lives for one request,
//! so nothing observed of one can aim the next (see foldhash's notes on
//! HashDoS; SipHash cost three times as much here).

use std::hash::BuildHasher;

use foldhash::quality::RandomState;

use hashbrown::HashTable;
use lexical_parse_float::FromLexical;

/// Deepest nesting re-serialised: the deepest `serde_json` reads by default
/// (its limit of 128 counts the level that fails), so every accepted body
/// parses in a consumer using it. Node reads deeper; such bodies are refused.
pub const MAX_DEPTH: usize = 127;

/// Most significant digits (leading and trailing zeros aside) a number may
/// be spelled with. Every double's exact decimal value fits (767 digits at
/// most), as does each point halfway between two doubles, so whatever a
/// serialiser writes is read: a 64-bit or 128-bit integer, a .NET
/// `decimal`, a Python `Decimal`. The hardest to read are points halfway
/// between two of the smallest doubles, cut to 20 digits: lexical's
/// big-number comparison then costs 10 to 15 ns per byte, about 3 ms for a
/// 256 KiB body of them (`benches/fallback.rs`; longer cuts cost less per
/// byte). Longer spellings, which no serialiser writes, are refused.
pub const MAX_SIGNIFICANT_DIGITS: usize = 800;

/// Objects up to this many members find a repeated key by comparing
/// fingerprints with each; larger ones through a hash table.
const LINEAR_MEMBERS: usize = 32;

/// Why a text was not re-serialised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// `JSON.parse` would throw, the text is not UTF-8, or it nests deeper
    /// than [`MAX_DEPTH`].
    #[error("not a JSON text this re-serialiser accepts")]
    Invalid,
    /// The output would exceed the limit asked for.
    #[error("re-serialised text exceeds the limit")]
    TooLarge,
}

/// Re-serialises `body` as Node would, or `None` when `JSON.parse` would throw
/// (or the document is deeper than [`MAX_DEPTH`], or not UTF-8).
pub fn restringify(body: &[u8]) -> Option<Vec<u8>> {
    restringify_within(body, usize::MAX).ok()
}

/// [`restringify`], refusing with [`Refusal::TooLarge`] as soon as the output
/// passes `limit` bytes.
pub fn restringify_within(body: &[u8], limit: usize) -> Result<Vec<u8>, Refusal> {
    std::str::from_utf8(body).map_err(|_| Refusal::Invalid)?;
    let mut writer = Writer {
        text: body,
        pos: 0,
        run: 0,
        depth: 0,
        // Member offsets are u32 with two flag bits: keep them below 2^30.
        limit: limit.min(MAX_OFFSET),
        out: Vec::with_capacity(body.len().min(limit)),
        members: Vec::new(),
        seed: RandomState::default(),
        // Rewriting an object copies its text; objects nested in objects
        // that reorder are copied once per level. Past a few times the
        // input, the text is refused rather than costing depth × size.
        rewrite_budget: body.len().saturating_mul(REWRITE_FACTOR) + REWRITE_SLACK,
    };
    writer.skip_whitespace();
    writer.value()?;
    writer.skip_whitespace();
    if writer.pos != body.len() {
        return Err(Refusal::Invalid);
    }
    writer.flush();
    writer.within_limit()?;
    Ok(writer.out)
}

/// One occurrence of a key in an open object: where its quoted key starts
/// in the output (its value follows the colon and runs to the comma before
/// the next occurrence, or to the object's end), and a tag. A first
/// occurrence's tag is a hash of its key: a cheap fingerprint while the
/// object is small, its seeded hash once the object has a key table. A
/// repeated key is flagged [`REPEAT`] and its tag is the number of its first
/// occurrence.
#[derive(Clone, Copy)]
struct Member {
    key: u32,
    tag: u32,
}

/// `Member::key` flag: this occurrence repeats an earlier key.
const REPEAT: u32 = 1 << 31;
/// `Member::key` flag, set in the rewrite: `tag` now names the last
/// occurrence of this key, whose value it takes.
const LATER_VALUE: u32 = 1 << 30;
/// Output offsets stay below both flags.
const MAX_OFFSET: usize = (1 << 30) - 1;

impl Member {
    fn at(self) -> usize {
        (self.key & !(REPEAT | LATER_VALUE)) as usize
    }

    fn repeats(self) -> bool {
        self.key & REPEAT != 0
    }
}

/// A table hash from a member's 32-bit one: the table takes its bucket from
/// the low bits and a tag from the top seven, so both must vary.
fn table_hash(member: &Member) -> u64 {
    u64::from(member.tag).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// A small object's tag for a key: its length and edge bytes. Colliding
/// tags only cost a comparison, and a small object has few members.
fn fingerprint(quoted: &[u8]) -> u32 {
    let edge = |at: usize| u32::from(quoted[at]);
    (quoted.len() as u32) << 16 ^ edge(1) << 8 ^ edge(quoted.len() - 2)
}

/// An object being written.
struct OpenObject {
    /// Where its `{` is in the output.
    start: usize,
    /// Where its occurrences start in [`Writer::members`].
    first: usize,
    /// First occurrences (numbered from `first`) by key, once the object
    /// has more than [`LINEAR_MEMBERS`] occurrences.
    keys: Option<HashTable<u32>>,
    /// Its members are not in output order: it has an array-index key or a
    /// repeated key, and is rewritten when it closes.
    reorder: bool,
}

/// Reads the text and writes Node's form of it. The output is `out`
/// followed by `text[run..pos]`: input already in Node's form is not copied
/// until something must be written differently (or the end), so "the
/// output" below means both together, and offsets into it count both.
struct Writer<'a> {
    text: &'a [u8],
    pos: usize,
    /// Start of the input not yet copied to `out`, which is also output.
    run: usize,
    depth: usize,
    limit: usize,
    out: Vec<u8>,
    /// The key occurrences of every open object, innermost last.
    members: Vec<Member>,
    seed: RandomState,
    /// Bytes object rewrites may still copy.
    rewrite_budget: usize,
}

/// Object rewrites may copy this many times the input's length (plus
/// [`REWRITE_SLACK`]) in all: an ordinary body with reordered objects
/// copies each byte once or twice.
const REWRITE_FACTOR: usize = 4;
const REWRITE_SLACK: usize = 64 * 1024;

type Step = Result<(), Refusal>;

impl Writer<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.get(self.pos).copied()
    }

    /// The output's length so far.
    fn written(&self) -> usize {
        self.out.len() + (self.pos - self.run)
    }

    /// The output from offset `at`: in `out`, or in the pending run.
    fn output_from(&self, at: usize) -> &[u8] {
        match at.checked_sub(self.out.len()) {
            None => &self.out[at..],
            Some(into_run) => &self.text[self.run + into_run..self.pos],
        }
    }

    /// Copies the pending run, so that what comes next can differ from the input.
    fn flush(&mut self) {
        self.out.extend_from_slice(&self.text[self.run..self.pos]);
        self.run = self.pos;
    }

    /// Drops the input from the pending run's end to `pos`.
    fn skip_to(&mut self, pos: usize) {
        self.flush();
        self.pos = pos;
        self.run = pos;
    }

    /// Writes `text` in place of the input from the pending run's end to `pos`.
    fn replace(&mut self, pos: usize, text: &[u8]) {
        self.skip_to(pos);
        self.out.extend_from_slice(text);
    }

    fn skip_whitespace(&mut self) {
        let mut end = self.pos;
        while matches!(self.text.get(end), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            end += 1;
        }
        if end != self.pos {
            self.skip_to(end);
        }
    }

    fn eat(&mut self, byte: u8) -> bool {
        let hit = self.peek() == Some(byte);
        if hit {
            self.pos += 1;
        }
        hit
    }

    fn expect(&mut self, byte: u8) -> Step {
        if self.eat(byte) {
            Ok(())
        } else {
            Err(Refusal::Invalid)
        }
    }

    fn within_limit(&self) -> Step {
        if self.written() > self.limit {
            Err(Refusal::TooLarge)
        } else {
            Ok(())
        }
    }

    fn value(&mut self) -> Step {
        match self.peek() {
            Some(b'{') => self.nested(Self::object),
            Some(b'[') => self.nested(Self::array),
            Some(b'"') => self.string(),
            Some(b't') => self.literal(b"true"),
            Some(b'f') => self.literal(b"false"),
            Some(b'n') => self.literal(b"null"),
            Some(_) => self.number(),
            None => Err(Refusal::Invalid),
        }
    }

    fn nested(&mut self, container: fn(&mut Self) -> Step) -> Step {
        if self.depth == MAX_DEPTH {
            return Err(Refusal::Invalid);
        }
        self.depth += 1;
        container(self)?;
        self.depth -= 1;
        Ok(())
    }

    fn literal(&mut self, word: &'static [u8]) -> Step {
        if !self.text[self.pos..].starts_with(word) {
            return Err(Refusal::Invalid);
        }
        self.pos += word.len();
        Ok(())
    }

    #[inline(never)]
    fn array(&mut self) -> Step {
        self.pos += 1; // '['
        self.skip_whitespace();
        if self.eat(b']') {
            return Ok(());
        }
        loop {
            match self.peek() {
                Some(b'-' | b'0'..=b'9') => self.number()?,
                Some(b'"') => self.string()?,
                _ => self.value()?,
            }
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => {
                    self.skip_whitespace();
                    if self.eat(b']') {
                        return Ok(());
                    }
                    self.expect(b',')?;
                }
            }
            self.skip_whitespace();
        }
    }

    #[inline(never)]
    fn object(&mut self) -> Step {
        let mut object = OpenObject {
            start: self.written(),
            first: self.members.len(),
            keys: None,
            reorder: false,
        };
        self.pos += 1; // '{'
        self.skip_whitespace();
        if !self.eat(b'}') {
            loop {
                if self.peek() != Some(b'"') {
                    return Err(Refusal::Invalid);
                }
                let key = self.written();
                self.string()?;
                self.add_member(&mut object, key, self.written() - key);
                if !self.eat(b':') {
                    self.skip_whitespace();
                    self.expect(b':')?;
                }
                self.skip_whitespace();
                match self.peek() {
                    Some(b'-' | b'0'..=b'9') => self.number()?,
                    Some(b'"') => self.string()?,
                    _ => self.value()?,
                }
                match self.peek() {
                    Some(b',') => self.pos += 1,
                    Some(b'}') => {
                        self.pos += 1;
                        break;
                    }
                    _ => {
                        self.skip_whitespace();
                        if self.eat(b'}') {
                            break;
                        }
                        self.expect(b',')?;
                    }
                }
                self.skip_whitespace();
            }
        }
        if object.reorder {
            object.keys = None; // freed before the rewrite needs its memory
            self.rewrite(&object)?;
        }
        self.members.truncate(object.first);
        Ok(())
    }

    /// Records the occurrence of the key just written at offset `key`
    /// (`len` bytes with its quotes),
    /// noting whether an earlier member of the object has the same key.
    #[inline(never)]
    fn add_member(&mut self, object: &mut OpenObject, key: usize, len: usize) {
        if key < self.out.len() {
            // Part of the key was rewritten: have it all in one place.
            self.flush();
        }
        if self.members.len() == self.members.capacity() {
            // Room for every member the rest of the text could hold (each
            // takes at least four bytes), so the list is never copied to
            // grow; pages not yet written are not resident.
            self.members
                .reserve_exact((self.text.len() - self.pos) / 4 + 1);
        }
        let count = self.members.len() - object.first;
        if count == LINEAR_MEMBERS {
            object.keys = Some(self.key_table(object.first));
        }
        let quoted = &self.output_from(key)[..len];
        let tag = match object.keys {
            Some(_) => self.seed.hash_one(quoted) as u32,
            None => fingerprint(quoted),
        };
        let member = Member {
            key: key as u32,
            tag,
        };
        let members = &self.members[object.first..];
        let same = |m: &Member| {
            !m.repeats() && m.tag == tag && self.output_from(m.at()).starts_with(quoted)
        };
        let found = match &object.keys {
            None => members.iter().position(same),
            Some(table) => table
                .find(table_hash(&member), |&at| same(&members[at as usize]))
                .map(|&at| at as usize),
        };
        let index_key = found.is_none() && array_index(quoted).is_some();
        match found {
            Some(first) => {
                object.reorder = true;
                self.members.push(Member {
                    key: key as u32 | REPEAT,
                    tag: first as u32,
                });
            }
            None => {
                object.reorder |= index_key;
                self.members.push(member);
                let members = &self.members[object.first..];
                if let Some(table) = &mut object.keys {
                    let rehash = |&at: &u32| table_hash(&members[at as usize]);
                    table.insert_unique(table_hash(&member), count as u32, rehash);
                }
            }
        }
    }

    /// The key table of an object that has outgrown comparing each key: its
    /// first occurrences, now tagged with their seeded hashes.
    #[inline(never)]
    fn key_table(&mut self, first: usize) -> HashTable<u32> {
        let mut table = HashTable::with_capacity(LINEAR_MEMBERS * 2);
        for at in first..self.members.len() {
            let member = self.members[at];
            if member.repeats() {
                continue;
            }
            let hash = self.seed.hash_one(quoted_at(self.output_from(member.at())));
            self.members[at].tag = hash as u32;
            let members = &self.members[first..];
            table.insert_unique(
                table_hash(&members[at - first]),
                (at - first) as u32,
                |&at| table_hash(&members[at as usize]),
            );
        }
        table
    }

    /// Rewrites a closing object in JavaScript's order: array-index keys
    /// ascending, then the rest in first-seen order, each key in its first
    /// place with its last value.
    #[inline(never)]
    fn rewrite(&mut self, object: &OpenObject) -> Step {
        self.flush();
        let end = self.out.len() - 1; // before the '}'
        let span = end + 1 - object.start;
        self.rewrite_budget = self
            .rewrite_budget
            .checked_sub(span)
            .ok_or(Refusal::Invalid)?;
        let members = &mut self.members[object.first..];
        // Each first occurrence learns its last repetition, from the end.
        for at in (0..members.len()).rev() {
            let member = members[at];
            if member.repeats() {
                let first = &mut members[member.tag as usize];
                if first.key & LATER_VALUE == 0 {
                    first.key |= LATER_VALUE;
                    first.tag = at as u32;
                }
            }
        }
        let (members, out) = (&self.members[object.first..], &self.out);
        // The value of occurrence `at` whose quoted key is `key_len` bytes:
        // after the key and colon, up to the comma before the next
        // occurrence or the object's end.
        let value = |at: usize, key_len: usize| {
            let start = members[at].at() + key_len + 1;
            let stop = members.get(at + 1).map_or(end, |next| next.at() - 1);
            &out[start..stop]
        };
        // A member as written: its key (first place), colon, last value.
        let write = |text: &mut Vec<u8>, at: usize, key: &[u8]| {
            let member = members[at];
            text.push(b',');
            text.extend_from_slice(key);
            text.push(b':');
            if member.key & LATER_VALUE == 0 {
                text.extend_from_slice(value(at, key.len()));
            } else {
                let last = member.tag as usize;
                let last_key = quoted_at(&out[members[last].at()..]);
                text.extend_from_slice(value(last, last_key.len()));
            }
        };
        let firsts = || (0..members.len()).filter(|&at| !members[at].repeats());
        let index_of = |at: usize| array_index_at(&out[members[at].at()..]);
        // Array indices first, ascending; then the rest in first-seen order.
        let mut indexed: Vec<(u32, u32)> = firsts()
            .filter_map(|at| Some((index_of(at)?, at as u32)))
            .collect();
        indexed.sort_unstable();
        let mut text = Vec::with_capacity(end - object.start + 1);
        for &(_, at) in &indexed {
            let at = at as usize;
            write(&mut text, at, quoted_at(&out[members[at].at()..]));
        }
        for at in firsts().filter(|&at| index_of(at).is_none()) {
            write(&mut text, at, quoted_at(&out[members[at].at()..]));
        }
        // Every member was written after a comma: the first one's is the brace.
        if let Some(first) = text.first_mut() {
            *first = b'{';
        } else {
            text.push(b'{');
        }
        text.push(b'}');
        self.out.truncate(object.start);
        self.out.extend_from_slice(&text);
        Ok(())
    }

    /// Reads a string, writing it as `JSON.stringify` does: plain characters
    /// as they are, escapes in JavaScript's spelling.
    fn string(&mut self) -> Step {
        self.pos += 1; // '"'
        loop {
            // A run of plain characters (valid UTF-8, checked on entry).
            let rest = &self.text[self.pos..];
            let stop = quote_or_backslash(rest).ok_or(Refusal::Invalid)?;
            if rest[..stop].iter().any(|&b| b < 0x20) {
                return Err(Refusal::Invalid);
            }
            self.pos += stop;
            if self.eat(b'"') {
                return Ok(());
            }
            self.escape()?;
        }
    }

    /// Reads one escape (or a surrogate pair of `\u` escapes) at `pos`.
    #[inline(never)]
    fn escape(&mut self) -> Step {
        let start = self.pos;
        match self.text.get(start + 1) {
            // Already as JSON.stringify writes them.
            Some(b'"' | b'\\' | b'b' | b'f' | b'n' | b'r' | b't') => {
                self.pos += 2;
                Ok(())
            }
            Some(b'/') => {
                self.replace(start + 2, b"/");
                Ok(())
            }
            Some(b'u') => {
                let unit = self.hex4(start + 2)?;
                let mut end = start + 6;
                let mut c = unit;
                if (0xD800..=0xDBFF).contains(&unit)
                    && self.text.get(end..end + 2) == Some(b"\\u")
                    && let Ok(low @ 0xDC00..=0xDFFF) = self.hex4(end + 2)
                {
                    c = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
                    end += 6;
                }
                let mut spelled = [0u8; 6];
                let spelled = escaped(c, &mut spelled);
                if spelled == &self.text[start..end] {
                    self.pos = end;
                } else {
                    self.replace(end, spelled);
                }
                Ok(())
            }
            _ => Err(Refusal::Invalid),
        }
    }

    /// The code unit written as four hex digits at `at`.
    fn hex4(&self, at: usize) -> Result<u32, Refusal> {
        let digits = self.text.get(at..at + 4).ok_or(Refusal::Invalid)?;
        let mut unit = 0;
        for &digit in digits {
            let nibble = (digit as char).to_digit(16).ok_or(Refusal::Invalid)?;
            unit = unit << 4 | nibble;
        }
        Ok(unit)
    }

    /// Reads a number in JSON's grammar, exactly, and writes the double
    /// nearest to it as JavaScript prints it.
    #[inline(always)]
    fn number(&mut self) -> Step {
        // The common case first: an integer of up to fifteen digits, which
        // JavaScript prints as it is spelled.
        let text = self.text;
        let negative = text.get(self.pos) == Some(&b'-');
        let int_start = self.pos + usize::from(negative);
        let mut end = int_start;
        while end < text.len() && text[end].is_ascii_digit() {
            end += 1;
        }
        let digits = end - int_start;
        let plain = (1..=15).contains(&digits)
            && !matches!(text.get(end), Some(b'.' | b'e' | b'E'))
            && (text[int_start] != b'0' || (digits == 1 && !negative));
        if plain {
            self.pos = end;
            return Ok(());
        }
        self.number_in_full()
    }

    /// [`Self::number`] for every spelling JSON allows.
    #[inline(never)]
    fn number_in_full(&mut self) -> Step {
        let start = self.pos;
        let negative = self.eat(b'-');
        let int_start = self.pos;
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(Refusal::Invalid),
        }
        let int = &self.text[int_start..self.pos];
        let mut fraction: &[u8] = &[];
        if self.eat(b'.') {
            let at = self.pos;
            self.digits();
            fraction = &self.text[at..self.pos];
            if fraction.is_empty() {
                return Err(Refusal::Invalid);
            }
        }
        let mut exponent = None;
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            let sign = match self.peek() {
                Some(b'-') => -1,
                Some(b'+') => 1,
                _ => 0,
            };
            if sign != 0 {
                self.pos += 1;
            }
            let at = self.pos;
            self.digits();
            let digits = &self.text[at..self.pos];
            if digits.is_empty() {
                return Err(Refusal::Invalid);
            }
            exponent = Some(saturating_decimal(digits) * if sign < 0 { -1 } else { 1 });
        }
        let negative_zero = negative && int == b"0" && fraction.is_empty();
        if exponent.is_none() && !negative_zero && verbatim(int, fraction) {
            // Most numbers are already written as JavaScript writes them.
            return Ok(());
        }
        self.respell_number(start, negative, int_start, exponent.unwrap_or(0))
    }

    /// Writes the number read from `start` to `pos` as JavaScript prints it.
    #[inline(never)]
    fn respell_number(
        &mut self,
        start: usize,
        negative: bool,
        int_start: usize,
        exponent: i64,
    ) -> Step {
        let number = &self.text[int_start..self.pos];
        let mantissa_end = number
            .iter()
            .position(|&b| b == b'e' || b == b'E')
            .unwrap_or(number.len());
        let (int, fraction) = match number[..mantissa_end].iter().position(|&b| b == b'.') {
            Some(dot) => (&number[..dot], &number[dot + 1..mantissa_end]),
            None => (&number[..mantissa_end], &number[..0]),
        };
        let decimal = Decimal::new(negative, int, fraction, exponent);
        if decimal.len() > MAX_SIGNIFICANT_DIGITS {
            return Err(Refusal::Invalid);
        }
        let end = self.pos;
        self.pos = start;
        self.skip_to(end);
        decimal.write_js(&mut self.out);
        self.within_limit()
    }

    fn digits(&mut self) {
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
    }
}

/// How `JSON.stringify` writes code point `c` (a lone surrogate stands for
/// itself) inside a string: the character, or its escape.
fn escaped(c: u32, buffer: &mut [u8; 6]) -> &[u8] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let short = |byte: u8| -> [u8; 2] { [b'\\', byte] };
    let two = match c {
        0x22 => Some(short(b'"')),
        0x5C => Some(short(b'\\')),
        0x08 => Some(short(b'b')),
        0x0C => Some(short(b'f')),
        0x0A => Some(short(b'n')),
        0x0D => Some(short(b'r')),
        0x09 => Some(short(b't')),
        _ => None,
    };
    if let Some(two) = two {
        buffer[..2].copy_from_slice(&two);
        return &buffer[..2];
    }
    if c < 0x20 || (0xD800..=0xDFFF).contains(&c) {
        buffer[..2].copy_from_slice(b"\\u");
        for (at, shift) in [12, 8, 4, 0].into_iter().enumerate() {
            buffer[2 + at] = HEX[(c >> shift & 0xF) as usize];
        }
        return &buffer[..6];
    }
    let ch = char::from_u32(c).expect("surrogates handled above");
    let len = ch.encode_utf8(&mut buffer[..]).len();
    &buffer[..len]
}

/// Whether a number with no exponent is spelled as JavaScript prints it:
/// at most fifteen significant digits (so they are the shortest that name
/// its double), no trailing zero after the point, and no more than five
/// zeros between the point and the first digit (JavaScript switches to an
/// exponent below 10^-6). `-0` is handled by the caller.
fn verbatim(int: &[u8], fraction: &[u8]) -> bool {
    if fraction.is_empty() {
        return int.len() <= 15;
    }
    if fraction.last() == Some(&b'0') {
        return false;
    }
    if int == b"0" {
        let zeros = fraction.iter().take_while(|&&d| d == b'0').count();
        zeros <= 5 && fraction.len() - zeros <= 15
    } else {
        int.len() + fraction.len() <= 15
    }
}

/// The quoted string at the start of `output` (text written by [`Writer`],
/// quotes included). Its escapes never hide a bare `"`.
fn quoted_at(output: &[u8]) -> &[u8] {
    let mut end = 1;
    loop {
        end += quote_or_backslash(&output[end..]).expect("written strings are terminated");
        if output[end] == b'"' {
            return &output[..=end];
        }
        end += 2; // the escape and the character it escapes
    }
}

/// Where the first `"` or `\` in `bytes` is. Keys and most strings are
/// short, so the first bytes are looked at one by one before a vectorised
/// search, whose setup costs more than a short string.
fn quote_or_backslash(bytes: &[u8]) -> Option<usize> {
    let head = bytes.len().min(16);
    match bytes[..head].iter().position(|&b| b == b'"' || b == b'\\') {
        Some(at) => Some(at),
        None => memchr::memchr2(b'"', b'\\', &bytes[head..]).map(|at| head + at),
    }
}

/// Writes `n` (below 1000) in decimal at the start of `to`; returns the length.
fn write_decimal(n: u64, to: &mut [u8]) -> usize {
    let digits = [n / 100, n / 10 % 10, n % 10];
    let skip = if n >= 100 {
        0
    } else if n >= 10 {
        1
    } else {
        2
    };
    for (at, digit) in digits[skip..].iter().enumerate() {
        to[at] = b'0' + *digit as u8;
    }
    3 - skip
}

/// A decimal digit string's value, saturated far beyond any exponent that
/// matters (a body of a few MiB shifts the point by less than 2^23).
fn saturating_decimal(digits: &[u8]) -> i64 {
    digits
        .iter()
        .fold(0i64, |n, &d| (n * 10 + i64::from(d - b'0')).min(1 << 40))
}

/// A number as JSON spells it, reduced to `±0.D × 10^exponent` where `D` is
/// its significant digits (no leading or trailing zeros).
struct Decimal<'a> {
    negative: bool,
    /// The significant digits, in up to two pieces (either side of the point).
    digits: [&'a [u8]; 2],
    exponent: i64,
}

impl<'a> Decimal<'a> {
    fn new(negative: bool, int: &'a [u8], fraction: &'a [u8], exponent: i64) -> Self {
        let mut digits: [&[u8]; 2] = if int == b"0" {
            let zeros = fraction.iter().take_while(|&&d| d == b'0').count();
            [&fraction[zeros..], &[]]
        } else {
            [int, fraction]
        };
        let exponent = if int == b"0" {
            exponent - (fraction.len() - digits[0].len()) as i64
        } else {
            exponent + int.len() as i64
        };
        // Trailing zeros, from the fraction first, then the integer part.
        for piece in digits.iter_mut().rev() {
            let kept = piece
                .iter()
                .rposition(|&d| d != b'0')
                .map_or(0, |at| at + 1);
            let all_zero = kept == 0;
            *piece = &piece[..kept];
            if !all_zero {
                break;
            }
        }
        Self {
            negative,
            digits,
            exponent,
        }
    }

    fn len(&self) -> usize {
        self.digits[0].len() + self.digits[1].len()
    }

    fn each_digit(&self) -> impl Iterator<Item = u8> + '_ {
        self.digits.iter().flat_map(|piece| piece.iter().copied())
    }

    /// Writes what JavaScript prints for the double nearest to this number
    /// (of at most [`MAX_SIGNIFICANT_DIGITS`] digits).
    fn write_js(&self, out: &mut Vec<u8>) {
        let k = self.len();
        if k == 0 || self.exponent < -324 {
            // Below 10^-324 everything rounds to zero; -0 prints as 0.
            out.push(b'0');
        } else if self.exponent > 309 {
            // At or above 10^309 everything rounds to infinity.
            out.extend_from_slice(b"null");
        } else if k <= 15 && (-306..=308).contains(&self.exponent) {
            // Fifteen significant digits survive a trip through a normal
            // double, so these digits are the shortest that name it: print
            // them as Number.prototype.toString does, with no arithmetic.
            self.write_digits(out);
        } else {
            // The nearest double, read from `0.D e exponent` (at most
            // MAX_SIGNIFICANT_DIGITS digits and a three-digit exponent) by a
            // parser whose hard cases cost a few nanoseconds per digit.
            let mut spelled = [0u8; MAX_SIGNIFICANT_DIGITS + 8];
            spelled[..2].copy_from_slice(b"0.");
            let mut len = 2;
            for digit in self.each_digit() {
                spelled[len] = digit;
                len += 1;
            }
            spelled[len] = b'e';
            len += 1;
            if self.exponent < 0 {
                spelled[len] = b'-';
                len += 1;
            }
            len += write_decimal(self.exponent.unsigned_abs(), &mut spelled[len..]);
            let value = f64::from_lexical(&spelled[..len]).expect("a valid float spelling");
            if value.is_infinite() {
                out.extend_from_slice(b"null");
            } else if value == 0.0 {
                out.push(b'0');
            } else {
                let value = if self.negative { -value } else { value };
                out.extend_from_slice(ryu_js::Buffer::new().format_finite(value).as_bytes());
            }
        }
    }

    /// ECMAScript's Number::toString for the value `0.D × 10^n`, D being
    /// the shortest digits that name it.
    fn write_digits(&self, out: &mut Vec<u8>) {
        let (k, n) = (self.len() as i64, self.exponent);
        if self.negative {
            out.push(b'-');
        }
        let mut digits = self.each_digit();
        if k <= n && n <= 21 {
            out.extend(digits);
            out.resize(out.len() + (n - k) as usize, b'0');
        } else if 0 < n && n <= 21 {
            out.extend(digits.by_ref().take(n as usize));
            out.push(b'.');
            out.extend(digits);
        } else if -6 < n && n <= 0 {
            out.extend_from_slice(b"0.");
            out.resize(out.len() + (-n) as usize, b'0');
            out.extend(digits);
        } else {
            out.extend(digits.next());
            if k > 1 {
                out.push(b'.');
                out.extend(digits);
            }
            out.push(b'e');
            out.push(if n - 1 < 0 { b'-' } else { b'+' });
            let mut exponent = [0u8; 3];
            let len = write_decimal((n - 1).unsigned_abs(), &mut exponent);
            out.extend_from_slice(&exponent[..len]);
        }
    }
}

/// The array index named by the quoted key at the start of `output`, if
/// it is one (only its first dozen bytes are looked at).
fn array_index_at(output: &[u8]) -> Option<u32> {
    let end = output
        .iter()
        .take(12)
        .skip(1)
        .position(|&b| !b.is_ascii_digit())?
        + 1;
    if output[end] != b'"' {
        return None;
    }
    array_index(&output[..=end])
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
    let n = digits
        .iter()
        .fold(0u64, |n, &d| n * 10 + u64::from(d - b'0'));
    u32::try_from(n).ok().filter(|&n| n != u32::MAX)
}

#[cfg(test)]
mod tests;
