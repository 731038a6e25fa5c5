// Writes fuzz/node_pairs.json: [input, JSON.stringify(JSON.parse(input)) or null]
// for documents that stress Bracken's re-serialisation (number spellings,
// duplicate and array-index keys, escapes, surrogates, nesting), computed by
// Node itself. The `restringify_node` fuzz target and tests/node_stringify.rs
// replay these pairs and respell Node's outputs in ways JSON.parse cannot
// tell apart. Regenerate with: node fuzz/node-pairs.mjs
import { writeFileSync } from "node:fs";

let state = 0x2545f491n;
const next = () => {
  state ^= (state << 13n) & 0xffffffffffffffffn;
  state ^= state >> 7n;
  state ^= (state << 17n) & 0xffffffffffffffffn;
  return Number(state % 1000003n);
};
const below = (n) => next() % n;
const pick = (items) => items[below(items.length)];
const digits = (n) => Array.from({ length: n }, () => String(below(10))).join("");

const numbers = [
  "0", "-0", "-0.0", "0e0", "-0E+5", "1", "-1", "1.0", "1.5", "-1.50", "0.1", "100", "1e2",
  "1e21", "1e20", "1E+21", "1e-7", "1e-6", "0.000001", "0.0000001", "123e-20",
  "9007199254740991", "9007199254740992", "9007199254740993", "18446744073709551616",
  "1.7976931348623157e308", "1.7976931348623158e308", "1.7976931348623159e308", "1e309",
  "5e-324", "2.4703282292062327e-324", "2.4703282292062328e-324", "1e-400", "2.2250738585072014e-308",
  "2.2250738585072011e-308", "1e-306", "1e-307", "1e308", "0.1e310", "1e65536", "1e-65536",
  "1e65537", "1e99999999999", "-1e-99999999999", "0.30000000000000004", "123456789012345.6",
  "999999999999999.9", "999999999999999999999", "1000000000000000000000",
  "0." + "0".repeat(2000) + "5e2004", "5" + "0".repeat(1500) + "e-1500",
  "1." + "0".repeat(1200) + "1", digits(900) + "." + digits(900), "0." + digits(1000) + "e-300",
];
for (let i = 0; i < 300; i++) {
  const int = below(4) === 0 ? "0" : String(1 + below(9)) + digits(below(20));
  const frac = below(2) ? "" : "." + digits(1 + below(20));
  const exp = below(2) ? "" : pick(["e", "E"]) + pick(["", "+", "-"]) + String(below(700));
  numbers.push((below(3) === 0 ? "-" : "") + int + frac + exp);
}

const strings = [
  '""', '"a"', '"\\u00e9\\/"', '"\\ud83d\\ude00"', '"\\ud800"', '"\\udc00\\ud800x"',
  '"\\ud800\\ud800\\udc00"', '"\\u0001\\u001F\\b\\f\\n\\r\\t\\"\\\\"', '"\u2028\u007f"',
  '"\\u2028"', '"\ufffe\uffff"', '"😀é"', '"__proto__"', '"\\u0000"',
];
const keys = ['"a"', '"b"', '"0"', '"1"', '"2"', '"10"', '"01"', '"-1"', '"4294967294"',
  '"4294967295"', '"\\u0031"', '"__proto__"', '""', '"é"', '"\\u0061"'];

function value(depth) {
  const choice = depth > 5 ? below(3) : below(6);
  if (choice === 0) return pick(numbers);
  if (choice === 1) return pick(strings);
  if (choice === 2) return pick(["true", "false", "null"]);
  if (choice === 3 || choice === 4) {
    const n = below(6);
    const members = Array.from({ length: n }, () => `${pick(keys)}:${value(depth + 1)}`);
    return `{${members.join(",")}}`;
  }
  return `[${Array.from({ length: below(5) }, () => value(depth + 1)).join(",")}]`;
}

const inputs = [...numbers, ...strings];
for (let i = 0; i < 1500; i++) inputs.push(value(0));
inputs.push("[".repeat(127) + "]".repeat(127));
inputs.push(`{${Array.from({ length: 40 }, (_, i) => `"${39 - i}":${i},"k${i % 7}":${i}`).join(",")}}`);
for (const bad of ["", "{", "[1,]", "01", "1.", ".5", "-", "1e", "NaN", "{a:1}", '"\\x"', '"\\u12"']) {
  inputs.push(bad);
}

const pairs = inputs.map((input) => {
  try {
    return [input, JSON.stringify(JSON.parse(input))];
  } catch {
    return [input, null];
  }
});
writeFileSync(new URL("./node_pairs.json", import.meta.url), JSON.stringify(pairs) + "\n");
console.log(`fuzz/node_pairs.json: ${pairs.length} pairs (node ${process.version})`);
