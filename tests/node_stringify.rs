//! Differential test: `js_json::restringify` against Node's own
//! `JSON.stringify(JSON.parse(text))` on thousands of generated documents.
//! Node is on every machine this project builds on; the test fails without it.

use std::io::Write;
use std::process::{Command, Stdio};

use hookline::js_json::restringify;

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

    let mut child = Command::new("node")
        .args(["-e", NODE_SCRIPT])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("node must be installed (it is on every machine this project targets)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(serde_json::to_string(&docs).unwrap().as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "node failed");
    let expected: Vec<Option<String>> = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(expected.len(), docs.len());

    let mut rejected = 0;
    for (doc, want) in docs.iter().zip(&expected) {
        let got = restringify(doc.as_bytes()).map(|b| String::from_utf8(b).unwrap());
        assert_eq!(&got, want, "document: {doc:?}");
        rejected += usize::from(want.is_none());
    }
    // The generator must exercise both sides.
    assert!(rejected > 100 && rejected < 1500, "rejected {rejected}");
}
