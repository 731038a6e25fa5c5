//! Every scheme's header parsing and verification on arbitrary headers and
//! bodies: never a panic, never an acceptance.
#![no_main]

use std::sync::OnceLock;
use std::time::{Duration, UNIX_EPOCH};

use hookline::sample_event::sample_secret;
use hookline::{Scheme, Secrets, Verifier};
use http::{HeaderMap, HeaderName, HeaderValue};
use libfuzzer_sys::fuzz_target;

const NAMES: [&str; 9] = [
    "authorization",
    "x-hook-signature",
    "x-actigraph-signature",
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
    "svix-id",
    "svix-timestamp",
    "svix-signature",
];

fn verifiers() -> &'static [Verifier] {
    static VERIFIERS: OnceLock<Vec<Verifier>> = OnceLock::new();
    VERIFIERS.get_or_init(|| {
        Scheme::ALL
            .iter()
            .map(|&s| Verifier::new(s, &Secrets::one(sample_secret(s)), Duration::from_secs(300)).unwrap())
            .collect()
    })
}

fuzz_target!(|data: &[u8]| {
    // Layout: [n headers] then per header [name index, len, value bytes], then the body.
    let mut headers = HeaderMap::new();
    let mut rest = data;
    let count = rest.first().copied().unwrap_or(0) % 8;
    rest = rest.get(1..).unwrap_or_default();
    for _ in 0..count {
        let [which, len, tail @ ..] = rest else { break };
        let len = usize::from(*len).min(tail.len());
        if let Ok(value) = HeaderValue::from_bytes(&tail[..len]) {
            headers.append(HeaderName::from_static(NAMES[usize::from(*which) % NAMES.len()]), value);
        }
        rest = &tail[len..];
    }
    let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    for verifier in verifiers() {
        assert!(verifier.verify(&headers, rest, now).is_err(), "{:?} accepted fuzz input", verifier.scheme());
    }
});
