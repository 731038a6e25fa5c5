//! The oauth2 token parser and verifier on arbitrary input: never a panic,
//! never an acceptance (no input can carry a signature by these keys).
//! Half the inputs are the raw `Authorization` value; the other half are
//! three slices (header JSON, claims JSON, signature) base64url-encoded into
//! a compact token, so the fuzzer reaches the JSON behind the base64.
#![no_main]

use std::sync::OnceLock;
use std::time::{Duration, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hookline::verify::oauth2::{self, KeySet, Policy};
use http::{HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;

fn keys() -> &'static KeySet {
    static KEYS: OnceLock<KeySet> = OnceLock::new();
    KEYS.get_or_init(|| KeySet::from_jwks(include_bytes!("../oauth2_jwks.json")).unwrap())
}

fn policy() -> Policy {
    Policy {
        issuer: "https://issuer.example".into(),
        audiences: vec!["api".into()],
        client_ids: vec!["client".into()],
        scopes: vec!["hookline/webhooks".into()],
        clock_skew: Duration::from_secs(60),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let value = if mode & 1 == 0 {
        rest.to_vec()
    } else {
        // [header len][claims len] header claims signature
        let [h, c, tail @ ..] = rest else { return };
        let h = usize::from(*h).min(tail.len());
        let c = usize::from(*c).min(tail.len() - h);
        let (header, tail) = tail.split_at(h);
        let (claims, signature) = tail.split_at(c);
        format!(
            "Bearer {}.{}.{}",
            URL_SAFE_NO_PAD.encode(header),
            URL_SAFE_NO_PAD.encode(claims),
            URL_SAFE_NO_PAD.encode(signature)
        )
        .into_bytes()
    };
    let Ok(value) = HeaderValue::from_bytes(&value) else { return };
    let mut headers = HeaderMap::new();
    headers.insert("authorization", value);
    let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let _ = oauth2::precheck(&headers);
    assert!(oauth2::verify(&headers, keys(), &policy(), now).is_err(), "accepted fuzz input");
});
