//! Known-answer vectors from the provider documents, plus the failure cases
//! that must never verify. Vectors for 1Centre and Bracken were computed with
//! Python's `hmac` and Node's `crypto` exactly as the seed samples do.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::{HeaderMap, HeaderValue};

use super::*;
use crate::secret::{Secret, Secrets};

fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.append(*name, HeaderValue::from_str(value).unwrap());
    }
    map
}

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

fn verifier(scheme: Scheme, secret: &str) -> Verifier {
    Verifier::new(scheme, &Secrets::one(secret), DEFAULT_TOLERANCE).unwrap()
}

fn check(v: &Verifier, pairs: &[(&'static str, &str)], body: &str) -> Verdict {
    v.verify(&headers(pairs), body.as_bytes(), at(1_700_000_000))
}

// ---------------------------------------------------------------- 1Centre

const ONECENTRE_BODY: &str =
    r#"{"company_name":"Acme Pty Ltd","event":"application.approved","id":81723}"#;
const ONECENTRE_SIG: &str = "7d0dc31af53c8a8dcbc42a0a65afe3654ceebd37";

#[test]
fn onecentre_known_answer() {
    let v = verifier(Scheme::OneCentre, "secret_key");
    assert_eq!(
        check(&v, &[("X-Hook-Signature", ONECENTRE_SIG)], ONECENTRE_BODY),
        Ok(Accepted::body_only())
    );
    let upper = ONECENTRE_SIG.to_uppercase();
    assert!(
        check(&v, &[("x-hook-signature", &upper)], ONECENTRE_BODY).is_ok(),
        "hex in either case"
    );
}

#[test]
fn onecentre_failures() {
    let v = verifier(Scheme::OneCentre, "secret_key");
    let h = "x-hook-signature";
    let short = &ONECENTRE_SIG[..38];
    let odd = &ONECENTRE_SIG[..39];
    let long = format!("{ONECENTRE_SIG}00");
    let cases: Vec<(Vec<(&'static str, &str)>, Rejection)> = vec![
        (vec![], Rejection::MissingHeader(h)),
        (vec![(h, "")], Rejection::MissingHeader(h)),
        (vec![(h, short)], Rejection::SignatureMismatch),
        (vec![(h, odd)], Rejection::MalformedHeader(h)),
        (vec![(h, &long)], Rejection::SignatureMismatch),
        (
            vec![(h, "sha1=7d0dc31af53c8a8dcbc42a0a65afe3654ceebd37")],
            Rejection::MalformedHeader(h),
        ),
        (
            vec![(h, ONECENTRE_SIG), (h, ONECENTRE_SIG)],
            Rejection::RepeatedHeader(h),
        ),
        (
            vec![(h, "7d0dc31af53c8a8dcbc42a0a 65afe3654ceebd37")],
            Rejection::MalformedHeader(h),
        ),
    ];
    for (pairs, want) in cases {
        assert_eq!(check(&v, &pairs, ONECENTRE_BODY), Err(want), "{pairs:?}");
    }
    assert_eq!(
        check(
            &v,
            &[(h, ONECENTRE_SIG)],
            &ONECENTRE_BODY.replace("81723", "81724")
        ),
        Err(Rejection::SignatureMismatch)
    );
    assert_eq!(
        check(
            &verifier(Scheme::OneCentre, "secret_kez"),
            &[(h, ONECENTRE_SIG)],
            ONECENTRE_BODY
        ),
        Err(Rejection::SignatureMismatch)
    );
    assert!(
        check(&v, &[(h, &format!("  {ONECENTRE_SIG}\t"))], ONECENTRE_BODY).is_ok(),
        "OWS is not part of the value"
    );
}

// ---------------------------------------------------------------- ActiGraph

const ACTIGRAPH_SECRET: &str = "B3`MlG4sJR.X^-%w=oG_UrNBEpszl?";
const ACTIGRAPH_SIG: &str = "Ri20SCicySZmIf2D4kCY5KWEJrsqI7W8sWXMADj1RaQ=";

#[test]
fn actigraph_worked_example() {
    let v = verifier(Scheme::ActiGraph, ACTIGRAPH_SECRET);
    assert_eq!(
        check(
            &v,
            &[("X-ActiGraph-Signature", ACTIGRAPH_SIG)],
            r#"{"Test":"Value"}"#
        ),
        Ok(Accepted::body_only())
    );
    assert_eq!(
        check(
            &v,
            &[
                ("X-ActiGraph-Signature", ACTIGRAPH_SIG),
                ("X-ActiGraph-Delivery", "d-123")
            ],
            r#"{"Test":"Value"}"#
        ),
        Ok(Accepted::with_id(Some("d-123".into()), IdTrust::Claimed)),
        "the HMAC does not cover the delivery id"
    );
}

#[test]
fn actigraph_failures() {
    let v = verifier(Scheme::ActiGraph, ACTIGRAPH_SECRET);
    let h = "x-actigraph-signature";
    let body = r#"{"Test":"Value"}"#;
    let unpadded = ACTIGRAPH_SIG.trim_end_matches('=');
    let urlsafe = "Ri20SCicySZmIf2D4kCY5KWEJrsqI7W8sWXMADj1RaQ="
        .replace('+', "-")
        .replace('/', "_");
    let truncated = STANDARD.encode(&STANDARD.decode(ACTIGRAPH_SIG).unwrap()[..31]);
    let extended = STANDARD.encode([STANDARD.decode(ACTIGRAPH_SIG).unwrap(), vec![0]].concat());
    for (value, want) in [
        (unpadded, Rejection::MalformedHeader(h)),
        (&truncated[..], Rejection::SignatureMismatch),
        (&extended[..], Rejection::SignatureMismatch),
        (
            "Ri20SCicySZmIf2D4kCY5KWEJrsqI7W8sWXMADj1RaQ",
            Rejection::MalformedHeader(h),
        ),
        (
            "sha256=Ri20SCicySZmIf2D4kCY5KWEJrsqI7W8sWXMADj1RaQ=",
            Rejection::MalformedHeader(h),
        ),
    ] {
        assert_eq!(check(&v, &[(h, value)], body), Err(want), "{value}");
    }
    // This signature has no '+' or '/', so the URL-safe form is identical and valid.
    assert!(check(&v, &[(h, &urlsafe)], body).is_ok());
    assert_eq!(
        check(&v, &[(h, ACTIGRAPH_SIG)], r#"{"Test":"Value2"}"#),
        Err(Rejection::SignatureMismatch)
    );
    assert_eq!(
        check(&v, &[(h, ACTIGRAPH_SIG)], r#"{"Test": "Value"}"#),
        Err(Rejection::SignatureMismatch)
    );
}

// ---------------------------------------------------------------- Basic / Bearer

fn basic(user_pass: &[u8]) -> String {
    format!("Basic {}", STANDARD.encode(user_pass))
}

#[test]
fn basic_credentials() {
    let v = verifier(Scheme::Basic, "actigraph:pa:ss word");
    let a = "authorization";
    assert!(check(&v, &[(a, &basic(b"actigraph:pa:ss word"))], "{}").is_ok());
    assert!(
        check(
            &v,
            &[(a, &basic(b"actigraph:pa:ss word").replace("Basic", "basic"))],
            "{}"
        )
        .is_ok()
    );
    for (value, want) in [
        (
            basic(b"actigraph:pa:ss wor"),
            Rejection::CredentialsMismatch,
        ),
        (
            basic(b"actigraph:pa:ss word "),
            Rejection::CredentialsMismatch,
        ),
        (
            basic(b"actigrap:pa:ss word"),
            Rejection::CredentialsMismatch,
        ),
        (basic(b":pa:ss word"), Rejection::CredentialsMismatch),
        (basic(b"actigraph:"), Rejection::CredentialsMismatch),
        (
            basic(b"actigraph\xff:pa:ss word"),
            Rejection::CredentialsMismatch,
        ),
        (basic(b"actigraph"), Rejection::MalformedHeader(a)),
        (
            basic(b"actigraph:pa:ss word").replace("Basic", "Bearer"),
            Rejection::MalformedHeader(a),
        ),
        ("Basic".into(), Rejection::MalformedHeader(a)),
        ("Basic !!!".into(), Rejection::MalformedHeader(a)),
        (
            basic(b"actigraph:pa:ss word").trim_end_matches('=').into(),
            Rejection::MalformedHeader(a),
        ),
    ] {
        assert_eq!(check(&v, &[(a, &value)], "{}"), Err(want), "{value}");
    }
    assert_eq!(check(&v, &[], "{}"), Err(Rejection::MissingHeader(a)));
}

#[test]
fn basic_secret_needs_a_colon_and_password() {
    for bad in ["nocolon", "user:"] {
        assert_eq!(
            Verifier::new(Scheme::Basic, &Secrets::one(bad), DEFAULT_TOLERANCE).err(),
            Some(KeyError::BasicFormat)
        );
    }
    assert!(
        Verifier::new(
            Scheme::Basic,
            &Secrets::one(":only-password"),
            DEFAULT_TOLERANCE
        )
        .is_ok()
    );
}

#[test]
fn bearer_token() {
    let v = verifier(Scheme::Bearer, "tok-123_ABC.xyz");
    let a = "authorization";
    assert!(check(&v, &[(a, "Bearer tok-123_ABC.xyz")], "{}").is_ok());
    assert!(check(&v, &[(a, "bearer tok-123_ABC.xyz")], "{}").is_ok());
    for (value, want) in [
        ("Bearer tok-123_ABC.xy", Rejection::CredentialsMismatch),
        ("Bearer tok-123_ABC.xyzz", Rejection::CredentialsMismatch),
        ("Bearer TOK-123_ABC.xyz", Rejection::CredentialsMismatch),
        (
            "Bearer tok-123_ABC.xyz extra",
            Rejection::CredentialsMismatch,
        ),
        ("Basic tok-123_ABC.xyz", Rejection::MalformedHeader(a)),
        ("Bearer", Rejection::MalformedHeader(a)),
        ("tok-123_ABC.xyz", Rejection::MalformedHeader(a)),
    ] {
        assert_eq!(check(&v, &[(a, value)], "{}"), Err(want), "{value}");
    }
}

// ---------------------------------------------------------------- Bracken

const BRACKEN_COMPACT: &str = r#"{"user_name":"Test-User","event":"User_Create"}"#;
const BRACKEN_COMPACT_SIG: &str = "HMACSHA256 PcwUD5o99sF1mAXcPDSSqUdT+6DNOqx8/AbnG+jBpCI=";
const BRACKEN_LOOSE: &str = r#"{ "b": 1.0, "2": "x", "a": [1e21, 1e-7, 12345678901234567890], "b": "\u00e9\ud83d\ude00", "1": null }"#;
const BRACKEN_LOOSE_SIG: &str = "HMACSHA256 oMVcmfmHcnYMBFMuowYpreUfpfZXMp3gseGl6lzbGJA=";

#[test]
fn bracken_known_answers() {
    let v = verifier(Scheme::Bracken, "12345");
    assert!(
        check(
            &v,
            &[("Authorization", BRACKEN_COMPACT_SIG)],
            BRACKEN_COMPACT
        )
        .is_ok()
    );
    assert!(
        check(&v, &[("Authorization", BRACKEN_LOOSE_SIG)], BRACKEN_LOOSE).is_ok(),
        "signed over Node's re-serialisation, not the bytes"
    );
}

#[test]
fn bracken_failures() {
    let v = verifier(Scheme::Bracken, "12345");
    let a = "authorization";
    let sig = BRACKEN_COMPACT_SIG;
    for (value, want) in [
        (
            sig.replace("HMACSHA256", "hmacsha256"),
            Rejection::MalformedHeader(a),
        ),
        (
            sig.replace("HMACSHA256 ", "HMACSHA256  "),
            Rejection::MalformedHeader(a),
        ),
        (
            sig.replace("HMACSHA256 ", "HMACSHA256"),
            Rejection::MalformedHeader(a),
        ),
        (
            sig.replace("HMACSHA256", "HMACSHA1"),
            Rejection::MalformedHeader(a),
        ),
        ("HMACSHA256".into(), Rejection::MalformedHeader(a)),
        (
            sig.trim_end_matches('=').into(),
            Rejection::MalformedHeader(a),
        ),
        (sig.replace("PcwU", "PcwV"), Rejection::SignatureMismatch),
    ] {
        assert_eq!(
            check(&v, &[(a, &value)], BRACKEN_COMPACT),
            Err(want),
            "{value}"
        );
    }
    assert_eq!(
        check(
            &v,
            &[(a, sig)],
            r#"{"user_name":"Test-User","event":"User_Delete"}"#
        ),
        Err(Rejection::SignatureMismatch)
    );
    assert_eq!(
        check(&v, &[(a, sig)], "not json"),
        Err(Rejection::SignatureMismatch)
    );
    assert_eq!(
        check(&v, &[(a, sig), (a, sig)], BRACKEN_COMPACT),
        Err(Rejection::RepeatedHeader(a))
    );
}

// ---------------------------------------------------------------- Standard Webhooks

struct SwVector {
    secret: &'static str,
    id: &'static str,
    ts: u64,
    body: &'static str,
    sig: &'static str,
}

const SW_VECTORS: [SwVector; 2] = [
    SwVector {
        secret: "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD",
        id: "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk",
        ts: 1649367553,
        body: r#"{"email":"test@example.com","username":"test_user"}"#,
        sig: "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=",
    },
    SwVector {
        secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        id: "msg_p5jXN8AQM9LWM0D4loKWxJek",
        ts: 1614265330,
        body: r#"{"test": 2432232314}"#,
        sig: "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    },
];

fn sw_check(v: &Verifier, vector: &SwVector, id: &str, ts: &str, sig: &str, now: u64) -> Verdict {
    v.verify(
        &headers(&[
            ("webhook-id", id),
            ("webhook-timestamp", ts),
            ("webhook-signature", sig),
        ]),
        vector.body.as_bytes(),
        at(now),
    )
}

#[test]
fn standard_webhooks_reference_vectors() {
    for vector in &SW_VECTORS {
        let v = verifier(Scheme::StandardWebhooks, vector.secret);
        let ts = vector.ts.to_string();
        assert_eq!(
            sw_check(&v, vector, vector.id, &ts, vector.sig, vector.ts),
            Ok(Accepted::with_id(Some(vector.id.into()), IdTrust::Signed))
        );
        // Svix names are aliases.
        let svix = headers(&[
            ("svix-id", vector.id),
            ("svix-timestamp", &ts),
            ("svix-signature", vector.sig),
        ]);
        assert!(
            v.verify(&svix, vector.body.as_bytes(), at(vector.ts))
                .is_ok()
        );
    }
}

#[test]
fn standard_webhooks_signature_lists() {
    let vector = &SW_VECTORS[0];
    let v = verifier(Scheme::StandardWebhooks, vector.secret);
    let ts = vector.ts.to_string();
    let other = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
    for list in [
        format!("{other} {}", vector.sig),
        format!("{} {other}", vector.sig),
        format!("v2,abc {}", vector.sig),
        format!("v1a,zzz  {} ", vector.sig),
        format!("v1,!!! {}", vector.sig),
    ] {
        assert!(
            sw_check(&v, vector, vector.id, &ts, &list, vector.ts).is_ok(),
            "{list}"
        );
    }
    let sig_b64 = &vector.sig[3..];
    let raw = STANDARD.decode(sig_b64).unwrap();
    let short = format!("v1,{}", STANDARD.encode(&raw[..31]));
    let long = format!("v1,{}", STANDARD.encode([raw.clone(), vec![0]].concat()));
    let s = "webhook-signature";
    for (list, want) in [
        ("v1,".to_string(), Rejection::MalformedHeader(s)),
        (format!("V1,{sig_b64}"), Rejection::MalformedHeader(s)),
        (format!("v2,{sig_b64}"), Rejection::MalformedHeader(s)),
        (sig_b64.to_string(), Rejection::MalformedHeader(s)),
        (
            format!("v1,{}", sig_b64.trim_end_matches('=')),
            Rejection::MalformedHeader(s),
        ),
        (format!("v1, {sig_b64}"), Rejection::MalformedHeader(s)),
        (short, Rejection::SignatureMismatch),
        (long, Rejection::SignatureMismatch),
        (other.to_string(), Rejection::SignatureMismatch),
        (
            format!("{},{}", vector.sig, other),
            Rejection::MalformedHeader(s),
        ),
    ] {
        assert_eq!(
            sw_check(&v, vector, vector.id, &ts, &list, vector.ts),
            Err(want),
            "{list}"
        );
    }
}

#[test]
fn standard_webhooks_timestamp_window() {
    let vector = &SW_VECTORS[0];
    let v = verifier(Scheme::StandardWebhooks, vector.secret);
    let ts = vector.ts.to_string();
    let ok = |now| sw_check(&v, vector, vector.id, &ts, vector.sig, now);
    assert!(ok(vector.ts + 300).is_ok());
    assert!(ok(vector.ts - 300).is_ok());
    assert_eq!(ok(vector.ts + 301), Err(Rejection::TimestampTooOld));
    assert_eq!(ok(vector.ts - 301), Err(Rejection::TimestampTooNew));
    // The window ends `tolerance` after the timestamp, not at the end of that
    // second: the event landed at or after its timestamp, and a FIFO queue
    // forgets its id 300 s after that, so a replay in the second's remainder
    // would land again.
    let headers = headers(&[
        ("webhook-id", vector.id),
        ("webhook-timestamp", &ts),
        ("webhook-signature", vector.sig),
    ]);
    let late = at(vector.ts + 300) + Duration::from_millis(500);
    assert_eq!(
        v.verify(&headers, vector.body.as_bytes(), late),
        Err(Rejection::TimestampTooOld)
    );
    // Spelled as the reference libraries read it (Python's float,
    // JavaScript's parseInt): signed over its whole seconds.
    for spelled in [
        "1649367553.0",
        "1649367553.999999",
        "1649367553.",
        "+1649367553",
        "+01649367553.5",
    ] {
        assert!(
            sw_check(&v, vector, vector.id, spelled, vector.sig, vector.ts).is_ok(),
            "{spelled}"
        );
    }
    let t = "webhook-timestamp";
    for bad in [
        "-1649367553",
        "1e9",
        "1.649367553e9",
        "99999999999999999999",
        "abc",
        "0x10",
        "+",
        "++1649367553",
        "+-1649367553",
        ".5",
        "1649367553.5.5",
        "1649367553.x",
        "1_649_367_553",
    ] {
        assert_eq!(
            sw_check(&v, vector, vector.id, bad, vector.sig, vector.ts),
            Err(Rejection::MalformedHeader(t)),
            "{bad}"
        );
    }
    let narrow = Verifier::new(
        Scheme::StandardWebhooks,
        &Secrets::one(vector.secret),
        Duration::from_secs(10),
    )
    .unwrap();
    assert_eq!(
        sw_check(&narrow, vector, vector.id, &ts, vector.sig, vector.ts + 11),
        Err(Rejection::TimestampTooOld)
    );
}

#[test]
fn standard_webhooks_headers() {
    let vector = &SW_VECTORS[0];
    let v = verifier(Scheme::StandardWebhooks, vector.secret);
    let ts = vector.ts.to_string();
    let body = vector.body.as_bytes();
    let now = at(vector.ts);
    let verify = |pairs: &[(&'static str, &str)]| v.verify(&headers(pairs), body, now);
    assert_eq!(
        verify(&[
            ("webhook-timestamp", &ts),
            ("webhook-signature", vector.sig)
        ]),
        Err(Rejection::MissingHeader("webhook-id"))
    );
    assert_eq!(
        verify(&[("webhook-id", vector.id), ("webhook-signature", vector.sig)]),
        Err(Rejection::MissingHeader("webhook-timestamp"))
    );
    assert_eq!(
        verify(&[("webhook-id", vector.id), ("webhook-timestamp", &ts)]),
        Err(Rejection::MissingHeader("webhook-signature"))
    );
    assert_eq!(
        verify(&[
            ("webhook-id", vector.id),
            ("webhook-id", vector.id),
            ("webhook-timestamp", &ts),
            ("webhook-signature", vector.sig)
        ]),
        Err(Rejection::RepeatedHeader("webhook-id"))
    );
    assert_eq!(
        verify(&[
            ("webhook-id", "msg.1"),
            ("webhook-timestamp", &ts),
            ("webhook-signature", vector.sig)
        ]),
        Err(Rejection::MalformedHeader("webhook-id"))
    );
    assert_eq!(
        verify(&[
            ("webhook-id", "msg_other"),
            ("webhook-timestamp", &ts),
            ("webhook-signature", vector.sig)
        ]),
        Err(Rejection::SignatureMismatch)
    );
    // No mixing of the two header families.
    assert_eq!(
        verify(&[
            ("svix-id", vector.id),
            ("webhook-timestamp", &ts),
            ("svix-signature", vector.sig)
        ]),
        Err(Rejection::MissingHeader("svix-timestamp"))
    );
}

#[test]
fn standard_webhooks_secret_forms() {
    assert_eq!(
        Verifier::new(
            Scheme::StandardWebhooks,
            &Secrets::one("whsec_!!!"),
            DEFAULT_TOLERANCE
        )
        .err(),
        Some(KeyError::WhsecBase64)
    );
    assert_eq!(
        Verifier::new(
            Scheme::StandardWebhooks,
            &Secrets::one("whsec_"),
            DEFAULT_TOLERANCE
        )
        .err(),
        Some(KeyError::WhsecBase64)
    );
    // A secret without the prefix is used as its bytes (the seed document's wording).
    let plain = Verifier::new(
        Scheme::StandardWebhooks,
        &Secrets::one("plain-secret"),
        DEFAULT_TOLERANCE,
    )
    .unwrap();
    let sig = STANDARD.encode(super::mac::Sha256Key::new(b"plain-secret").tag(&[b"id1.1000.{}"]));
    let h = headers(&[
        ("webhook-id", "id1"),
        ("webhook-timestamp", "1000"),
        ("webhook-signature", &format!("v1,{sig}")),
    ]);
    assert!(plain.verify(&h, b"{}", at(1000)).is_ok());

    // A `whsec_` secret with or without its padding (as the reference
    // libraries read it), but not with part of it.
    let key = [7u8; 31];
    let padded = STANDARD.encode(key);
    assert!(padded.ends_with("=="));
    let unpadded = padded.trim_end_matches('=');
    let tag = STANDARD.encode(super::mac::Sha256Key::new(&key).tag(&[b"id1.1000.{}"]));
    let h = headers(&[
        ("webhook-id", "id1"),
        ("webhook-timestamp", "1000"),
        ("webhook-signature", &format!("v1,{tag}")),
    ]);
    for secret in [format!("whsec_{padded}"), format!("whsec_{unpadded}")] {
        let v = Verifier::new(
            Scheme::StandardWebhooks,
            &Secrets::one(secret.as_str()),
            DEFAULT_TOLERANCE,
        )
        .unwrap();
        assert!(v.verify(&h, b"{}", at(1000)).is_ok(), "{secret}");
    }
    assert_eq!(
        Verifier::new(
            Scheme::StandardWebhooks,
            &Secrets::one(format!("whsec_{unpadded}=")),
            DEFAULT_TOLERANCE
        )
        .err(),
        Some(KeyError::WhsecBase64)
    );
    // Without the prefix, base64 or not, a secret is its bytes only (init
    // warns when it reads as base64: src/config.rs).
    let v = verifier(Scheme::StandardWebhooks, &padded);
    assert_eq!(
        v.verify(&h, b"{}", at(1000)),
        Err(Rejection::SignatureMismatch)
    );
}

#[test]
fn standard_webhooks_unprefixed_base64_is_recognised() {
    use super::standard_webhooks::looks_like_unprefixed_base64 as looks;
    assert!(looks(STANDARD.encode([1u8; 24]).as_bytes()));
    assert!(looks(STANDARD.encode([1u8; 32]).as_bytes()));
    assert!(looks(STANDARD.encode([1u8; 64]).as_bytes()));
    assert!(looks(
        STANDARD.encode([1u8; 32]).trim_end_matches('=').as_bytes()
    ));
    assert!(!looks(STANDARD.encode([1u8; 23]).as_bytes()));
    assert!(!looks(STANDARD.encode([1u8; 65]).as_bytes()));
    assert!(!looks(b"plain-secret-with-dashes-and-more-length"));
    assert!(!looks(hex::encode([0xabu8; 16]).as_bytes()));
    assert!(!looks(hex::encode([0xabu8; 32]).as_bytes()));
    assert!(!looks(SW_VECTORS[0].secret.as_bytes()));
    assert!(!looks(V1A_PUBLIC.as_bytes()));
    assert!(!looks(V1A_SIGNING.as_bytes()));
}

// ---------------------------------------------------------------- rotation and config

#[test]
fn any_configured_secret_verifies() {
    let secrets = Secrets::new([Secret::new("new-secret"), Secret::new("secret_key")]);
    let v = Verifier::new(Scheme::OneCentre, &secrets, DEFAULT_TOLERANCE).unwrap();
    assert!(check(&v, &[("x-hook-signature", ONECENTRE_SIG)], ONECENTRE_BODY).is_ok());
    let removed = verifier(Scheme::OneCentre, "new-secret");
    assert_eq!(
        check(
            &removed,
            &[("x-hook-signature", ONECENTRE_SIG)],
            ONECENTRE_BODY
        ),
        Err(Rejection::SignatureMismatch)
    );

    let sw = Secrets::new([
        Secret::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
        Secret::new(SW_VECTORS[0].secret),
    ]);
    let v = Verifier::new(Scheme::StandardWebhooks, &sw, DEFAULT_TOLERANCE).unwrap();
    let vector = &SW_VECTORS[0];
    assert!(
        sw_check(
            &v,
            vector,
            vector.id,
            &vector.ts.to_string(),
            vector.sig,
            vector.ts
        )
        .is_ok()
    );
}

#[test]
fn no_secret_is_an_init_error() {
    for scheme in Scheme::ALL {
        assert_eq!(
            Verifier::new(scheme, &Secrets::one(""), DEFAULT_TOLERANCE).err(),
            Some(KeyError::NoSecret)
        );
    }
}

#[test]
fn scheme_names_round_trip() {
    for scheme in Scheme::ALL {
        assert_eq!(scheme.name().parse::<Scheme>(), Ok(scheme));
    }
    assert!("OneCentre".parse::<Scheme>().is_err());
    assert!("svix".parse::<Scheme>().is_err());
}

#[test]
fn verifier_debug_hides_keys() {
    let shown = format!("{:?}", verifier(Scheme::Bearer, "tok-super-secret"));
    assert!(!shown.contains("tok-super"), "{shown}");
}

// ------------------------------------------------- Standard Webhooks v1a

/// Svix's own Ed25519 test vector: the same message as `SW_VECTORS[1]`.
const V1A_PUBLIC: &str = "whpk_1SiA4o9hyqTCpIqC5V9HUakiiaeACeqfZTInDBbOir4=";
const V1A_SIGNING: &str =
    "whsk_6Xb/dCcHpPea21PS1N9VY/NZW723CEc77N4rJCubMbfVKIDij2HKpMKkioLlX0dRqSKJp4AJ6p9lMicMFs6Kvg==";
const V1A_SIG: &str =
    "v1a,hnO3f9T8Ytu9HwrXslvumlUpqtNVqkhqw/enGzPCXe5BdqzCInXqYXFymVJaA7AZdpXwVLPo3mNl8EM+m7TBAg==";

#[test]
fn standard_webhooks_v1a_known_answer() {
    let vector = &SW_VECTORS[1];
    let ts = vector.ts.to_string();
    let v = verifier(Scheme::StandardWebhooks, V1A_PUBLIC);
    assert!(sw_check(&v, vector, vector.id, &ts, V1A_SIG, vector.ts).is_ok());
    // The key's padding may be left out, as a `whsec_` secret's may.
    let unpadded = verifier(Scheme::StandardWebhooks, V1A_PUBLIC.trim_end_matches('='));
    assert!(sw_check(&unpadded, vector, vector.id, &ts, V1A_SIG, vector.ts).is_ok());
    // The v1 tag of another key does not open a v1a-only source.
    assert_eq!(
        sw_check(&v, vector, vector.id, &ts, vector.sig, vector.ts),
        Err(Rejection::SignatureMismatch)
    );
    // Any change to the signed message fails.
    assert!(sw_check(&v, vector, "msg_other", &ts, V1A_SIG, vector.ts).is_err());
    let later = (vector.ts + 1).to_string();
    assert!(sw_check(&v, vector, vector.id, &later, V1A_SIG, vector.ts).is_err());
    // The provider side signs the same bytes.
    let signed = crate::sign::sign(
        Scheme::StandardWebhooks,
        V1A_SIGNING.as_bytes(),
        vector.body.as_bytes(),
        &crate::sign::Delivery {
            id: Some(vector.id),
            timestamp: vector.ts as i64,
        },
    )
    .unwrap();
    assert!(signed.contains(&("webhook-signature", V1A_SIG.to_owned())));
}

#[test]
fn standard_webhooks_mixed_lists_and_keys() {
    let vector = &SW_VECTORS[1];
    let ts = vector.ts.to_string();
    let both = Verifier::new(
        Scheme::StandardWebhooks,
        &Secrets::new([Secret::new(vector.secret), Secret::new(V1A_PUBLIC)]),
        DEFAULT_TOLERANCE,
    )
    .unwrap();
    let forged_v1 = "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    let forged_v1a = format!("v1a,{}", STANDARD.encode([7u8; 64]));
    for list in [
        format!("{} {V1A_SIG}", vector.sig),
        format!("{V1A_SIG} {}", vector.sig),
        format!("{forged_v1} {V1A_SIG}"),
        format!("{forged_v1a} {}", vector.sig),
        format!("v2,abc {V1A_SIG}"),
    ] {
        assert!(
            sw_check(&both, vector, vector.id, &ts, &list, vector.ts).is_ok(),
            "{list}"
        );
    }
    for list in [
        format!("{forged_v1} {forged_v1a}"),
        "v1a,not-base64".to_owned(),
        format!("v1a,{}", STANDARD.encode([1u8; 32])),
        // Nine entries: only the first eight of a version are looked at.
        format!("{} {V1A_SIG}", [forged_v1a.as_str(); 8].join(" ")),
    ] {
        assert!(
            sw_check(&both, vector, vector.id, &ts, &list, vector.ts).is_err(),
            "{list}"
        );
    }
}

#[test]
fn standard_webhooks_public_keys_are_checked_at_init() {
    for bad in [
        "whpk_",
        "whpk_not base64",
        "whpk_AAAA",
        // Padding is all or none.
        "whpk_1SiA4o9hyqTCpIqC5V9HUakiiaeACeqfZTInDBbOir4==",
        // The identity point: small order, weak.
        "whpk_AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
    ] {
        assert_eq!(
            Verifier::new(
                Scheme::StandardWebhooks,
                &Secrets::one(bad),
                DEFAULT_TOLERANCE
            )
            .unwrap_err(),
            KeyError::WhpkFormat,
            "{bad}"
        );
    }
}

// ---------------------------------------------------------------- Precheck

#[test]
fn precheck_decides_only_what_every_key_would() {
    let pre = |scheme, pairs: &[(&'static str, &str)], body: &str, now: u64| {
        Verifier::precheck(
            scheme,
            DEFAULT_TOLERANCE,
            &headers(pairs),
            body.as_bytes(),
            at(now),
        )
    };
    // Missing or malformed headers: refused, as with any key.
    assert_eq!(
        pre(Scheme::OneCentre, &[], "{}", 0),
        Err(Rejection::MissingHeader("x-hook-signature"))
    );
    assert_eq!(
        pre(
            Scheme::ActiGraph,
            &[("x-actigraph-signature", "%%")],
            "{}",
            0
        ),
        Err(Rejection::MalformedHeader("x-actigraph-signature"))
    );
    // A stale Standard Webhooks timestamp: refused at any key.
    let v = &SW_VECTORS[0];
    let ts = v.ts.to_string();
    let sw = [
        ("webhook-id", v.id),
        ("webhook-timestamp", ts.as_str()),
        ("webhook-signature", v.sig),
    ];
    assert_eq!(pre(Scheme::StandardWebhooks, &sw, v.body, v.ts), Ok(()));
    assert_eq!(
        pre(Scheme::StandardWebhooks, &sw, v.body, v.ts + 3600),
        Err(Rejection::TimestampTooOld)
    );
    // A Bracken body too large for the fallback may still match as sent:
    // only a key decides, and the precheck does no work on the body.
    let loose = format!("{{ \"p\": \"{}\" }}", "x".repeat(FALLBACK_MAX_BYTES));
    assert_eq!(
        pre(
            Scheme::Bracken,
            &[("authorization", BRACKEN_COMPACT_SIG)],
            &loose,
            0
        ),
        Ok(())
    );
    assert_eq!(
        pre(Scheme::Bearer, &[("authorization", "Bearer t")], "{}", 0),
        Ok(())
    );
    assert_eq!(pre(Scheme::OAuth2, &[], "{}", 0), Ok(()));
}
