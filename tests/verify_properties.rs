//! Properties over arbitrary input: verification never panics, a provider's
//! own signature always verifies, and any single-bit change is refused.

use std::time::{Duration, UNIX_EPOCH};

use hookline::sign::{Delivery, sign};
use hookline::{Scheme, Secrets, Verifier, js_json};
use http::{HeaderMap, HeaderName, HeaderValue};
use proptest::prelude::*;

const NOW: i64 = 1_700_000_000;

const SECRETS: [(Scheme, &str); 6] = [
    (Scheme::OneCentre, "secret_key"),
    (Scheme::ActiGraph, "B3`MlG4sJR.X^-%w=oG_UrNBEpszl?"),
    (Scheme::Basic, "user:pass:word"),
    (Scheme::Bearer, "token-abc"),
    (Scheme::Bracken, "12345"),
    (
        Scheme::StandardWebhooks,
        "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD",
    ),
];

fn verifier(scheme: Scheme, secret: &str) -> Verifier {
    Verifier::new(scheme, &Secrets::one(secret), Duration::from_secs(300)).unwrap()
}

fn header_map(pairs: &[(&str, Vec<u8>)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        if let Ok(value) = HeaderValue::from_bytes(value) {
            map.append(HeaderName::from_bytes(name.as_bytes()).unwrap(), value);
        }
    }
    map
}

fn verdict(scheme: Scheme, secret: &str, headers: &[(&'static str, String)], body: &[u8]) -> bool {
    let pairs: Vec<(&str, Vec<u8>)> = headers
        .iter()
        .map(|(n, v)| (*n, v.clone().into_bytes()))
        .collect();
    verifier(scheme, secret)
        .verify(
            &header_map(&pairs),
            body,
            UNIX_EPOCH + Duration::from_secs(NOW as u64),
        )
        .is_ok()
}

const NAMES: [&str; 12] = [
    "authorization",
    "x-hook-signature",
    "x-actigraph-signature",
    "x-actigraph-delivery",
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
    "svix-id",
    "svix-timestamp",
    "svix-signature",
    "content-type",
    "x-other",
];

fn header_strategy() -> impl Strategy<Value = Vec<(&'static str, Vec<u8>)>> {
    let value = prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..80),
        "[ -~]{0,80}".prop_map(String::into_bytes),
        "(v1|v2|V1),[A-Za-z0-9+/=]{0,48}( v1,[A-Za-z0-9+/=]{0,48}){0,3}"
            .prop_map(String::into_bytes),
        "(Basic|Bearer|HMACSHA256|basic) [A-Za-z0-9+/=:]{0,60}".prop_map(String::into_bytes),
        "-?[0-9]{0,21}".prop_map(String::into_bytes),
    ];
    proptest::collection::vec((proptest::sample::select(&NAMES[..]), value), 0..8)
}

/// Small JSON documents, compact or loose, for Bracken.
fn json_strategy() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("null".to_string()),
        Just("true".to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| format!("{f:e}")),
        "[a-z0-9 é😀\\\\\"]{0,8}".prop_map(|s| serde_json::to_string(&s).unwrap()),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4)
                .prop_map(|v| format!("[{}]", v.join(" , "))),
            proptest::collection::vec(("[a-c0-2]{1,2}", inner), 0..4).prop_map(|v| {
                let fields: Vec<String> = v
                    .into_iter()
                    .map(|(k, val)| format!("\"{k}\": {val}"))
                    .collect();
                format!("{{ {} }}", fields.join(","))
            }),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_requests_never_panic_and_never_verify(
        headers in header_strategy(),
        body in proptest::collection::vec(any::<u8>(), 0..256),
        now in any::<u64>(),
    ) {
        let map = header_map(&headers);
        for (scheme, secret) in SECRETS {
            let verdict = verifier(scheme, secret).verify(&map, &body, UNIX_EPOCH + Duration::from_secs(now % (1 << 40)));
            prop_assert!(verdict.is_err(), "{scheme:?} accepted random input");
        }
    }

    #[test]
    fn arbitrary_json_never_panics_the_reserialiser(text in "\\PC{0,64}") {
        let _ = js_json::restringify(text.as_bytes());
    }

    #[test]
    fn signed_bodies_verify_for_every_scheme(body in proptest::collection::vec(any::<u8>(), 0..512), id in "[a-zA-Z0-9_-]{1,32}") {
        for (scheme, secret) in SECRETS {
            let delivery = Delivery { id: Some(&id), timestamp: NOW };
            let headers = sign(scheme, secret.as_bytes(), &body, &delivery).unwrap();
            prop_assert!(verdict(scheme, secret, &headers, &body), "{scheme:?}");
        }
    }

    #[test]
    fn any_single_bit_flip_in_a_mac_scheme_is_refused(
        body in proptest::collection::vec(any::<u8>(), 1..256),
        id in "[a-zA-Z0-9_-]{1,32}",
        which in 0usize..4,
        bit in any::<proptest::sample::Index>(),
    ) {
        for (scheme, secret) in SECRETS {
            if matches!(scheme, Scheme::Basic | Scheme::Bearer | Scheme::Bracken) {
                continue;
            }
            let delivery = Delivery { id: Some(&id), timestamp: NOW };
            let mut headers = sign(scheme, secret.as_bytes(), &body, &delivery).unwrap();
            let mut body = body.clone();
            let sig_at = headers.len() - 1 - usize::from(scheme == Scheme::ActiGraph); // delivery id comes last
            match (which, scheme) {
                (0, _) => flip(&mut body, bit),
                (1, Scheme::StandardWebhooks) => flip_header(&mut headers[0].1, bit),
                (2, Scheme::StandardWebhooks) => flip_header(&mut headers[1].1, bit),
                _ => flip_header(&mut headers[sig_at].1, bit),
            }
            prop_assert!(!verdict(scheme, secret, &headers, &body), "{scheme:?} accepted a flipped bit");
        }
    }

    #[test]
    fn bracken_accepts_exactly_what_node_would(doc in json_strategy(), bit in any::<proptest::sample::Index>()) {
        let headers = sign(Scheme::Bracken, b"12345", doc.as_bytes(), &Delivery::default()).unwrap();
        prop_assert!(verdict(Scheme::Bracken, "12345", &headers, doc.as_bytes()));
        let mut flipped = doc.clone().into_bytes();
        flip(&mut flipped, bit);
        let same_for_node = js_json::restringify(&flipped).is_some()
            && js_json::restringify(&flipped) == js_json::restringify(doc.as_bytes());
        prop_assert_eq!(verdict(Scheme::Bracken, "12345", &headers, &flipped), same_for_node);
    }

    #[test]
    fn credentials_one_bit_off_are_refused(bit in any::<proptest::sample::Index>()) {
        for (scheme, secret) in [(Scheme::Basic, "user:pass:word"), (Scheme::Bearer, "token-abc")] {
            let mut wrong = secret.as_bytes().to_vec();
            flip(&mut wrong, bit);
            let Ok(headers) = sign(scheme, &wrong, b"{}", &Delivery::default()) else { continue };
            prop_assert!(!verdict(scheme, secret, &headers, b"{}"), "{scheme:?}");
        }
    }
}

fn flip(bytes: &mut [u8], bit: proptest::sample::Index) {
    let at = bit.index(bytes.len() * 8);
    bytes[at / 8] ^= 1 << (at % 8);
}

/// Flips a bit in a header value, keeping it a valid header and a different
/// value (a flip that would make it invalid, or only change the case of a
/// hex digit, flips the lowest bit of that byte instead).
fn flip_header(value: &mut String, bit: proptest::sample::Index) {
    let mut bytes = value.clone().into_bytes();
    let at = bit.index(bytes.len() * 8);
    let original = bytes[at / 8];
    bytes[at / 8] ^= 1 << (at % 8);
    if !(0x21..0x7f).contains(&bytes[at / 8]) || bytes[at / 8].eq_ignore_ascii_case(&original) {
        bytes[at / 8] ^= 1 << (at % 8);
        bytes[at / 8] ^= 1;
    }
    *value = String::from_utf8(bytes).unwrap();
}
