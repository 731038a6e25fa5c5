//! The Bracken re-serialiser on arbitrary bytes: never a panic; its output is
//! a fixed point (Node's JSON.stringify of its own output is itself) and JSON.
#![no_main]

use hookline::js_json::restringify;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(out) = restringify(data) {
        assert_eq!(restringify(&out).as_deref(), Some(&out[..]), "not a fixed point");
        assert!(serde_json::from_slice::<serde_json::Value>(&out).is_ok() || out.windows(2).any(|w| w == b"\\u"));
    }
});
