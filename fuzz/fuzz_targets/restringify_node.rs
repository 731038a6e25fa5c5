//! Differential: Bracken's re-serialiser against Node, through pairs Node
//! computed (`fuzz/node_pairs.json`, written by `fuzz/node-pairs.mjs`). The
//! fuzzer picks a pair and respells Node's output in ways `JSON.parse` reads
//! as the same value (`fuzz/respell.rs`); the re-serialiser must give Node's
//! output back, never something else and never a refusal.
#![no_main]

use std::sync::LazyLock;

use hookline::js_json::restringify;
use libfuzzer_sys::fuzz_target;

#[path = "../respell.rs"]
mod respell;

static PAIRS: LazyLock<Vec<(String, Option<String>)>> = LazyLock::new(|| {
    serde_json::from_str(include_str!("../node_pairs.json")).expect("node_pairs.json")
});

fuzz_target!(|data: &[u8]| {
    let mut choices = respell::Choices(data);
    let index = choices.below(256) * 256 + choices.below(256);
    let (input, node) = &PAIRS[index % PAIRS.len()];
    let got = restringify(input.as_bytes());
    assert_eq!(got.as_deref(), node.as_deref().map(str::as_bytes), "{input:?}");
    if let Some(node) = node {
        let respelled = respell::respell(node, &mut choices);
        let got = restringify(respelled.as_bytes()).map(|out| String::from_utf8(out).unwrap());
        assert_eq!(got.as_deref(), Some(node.as_str()), "respelled: {respelled:?}");
    }
});
