//! Verification throughput per scheme at 1 KiB, 64 KiB and 1 MiB, with the
//! bare HMACs beside them for comparison with `openssl speed` (bench/run).

use std::hint::black_box;
use std::time::{Duration, UNIX_EPOCH};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use hmac::{Hmac, Mac};
use hookline::sample_event::sample_secret;
use hookline::sign::{Delivery, sign};
use hookline::verify::oauth2::{self, KeySet, Policy};
use hookline::{Scheme, Secrets, Verifier};
use http::{HeaderMap, HeaderName, HeaderValue};
use jsonwebtoken::Algorithm;

#[path = "../tests/oauth2/keys.rs"]
mod keys;

const NOW: i64 = 1_700_000_000;

/// A JSON document of exactly `size` bytes, compact (as providers send).
fn body(size: usize) -> Vec<u8> {
    let mut body = br#"{"data":""#.to_vec();
    body.resize(size - 2, b'a');
    body.extend_from_slice(b"\"}");
    body
}

/// The same document as a pretty-printing sender would write it, so Bracken
/// takes its re-serialisation path.
fn loose_body(size: usize) -> Vec<u8> {
    let mut body = br#"{ "data": ""#.to_vec();
    body.resize(size - 3, b'a');
    body.extend_from_slice(b"\" }");
    body
}

fn headers(scheme: Scheme, body: &[u8]) -> HeaderMap {
    let delivery = Delivery {
        id: Some("msg_bench"),
        timestamp: NOW,
    };
    sign(scheme, sample_secret(scheme).as_bytes(), body, &delivery)
        .unwrap()
        .into_iter()
        .map(|(name, value)| {
            (
                HeaderName::from_static(name),
                HeaderValue::from_str(&value).unwrap(),
            )
        })
        .collect()
}

fn verification(c: &mut Criterion) {
    let now = UNIX_EPOCH + Duration::from_secs(NOW as u64);
    let key_set = KeySet::from_jwks(keys::jwks().as_bytes()).unwrap();
    let policy = Policy {
        issuer: keys::ISSUER.into(),
        audiences: vec![keys::AUDIENCE.into()],
        client_ids: vec![keys::CLIENT_ID.into()],
        scopes: vec![keys::SCOPE.into()],
        clock_skew: Duration::from_secs(60),
    };
    for size in [1024, 64 * 1024, 1024 * 1024] {
        let mut group = c.benchmark_group(format!("verify/{size}"));
        group.throughput(Throughput::Bytes(size as u64));
        if size == 1024 * 1024 {
            group.sample_size(20);
        }
        let compact = body(size);
        for scheme in Scheme::ALL {
            let verifier = Verifier::new(
                scheme,
                &Secrets::one(sample_secret(scheme)),
                Duration::from_secs(300),
            )
            .unwrap();
            let signed = headers(scheme, &compact);
            assert!(verifier.verify(&signed, &compact, now).is_ok());
            group.bench_function(scheme.name(), |b| {
                b.iter(|| verifier.verify(black_box(&signed), black_box(&compact), now))
            });
        }
        // Past FALLBACK_MAX_BYTES a body that is not in Node's form is 413,
        // never re-serialised: benches/fallback measures that side.
        if size <= hookline::verify::FALLBACK_MAX_BYTES {
            let loose = loose_body(size);
            let bracken = Verifier::new(
                Scheme::Bracken,
                &Secrets::one("12345"),
                Duration::from_secs(300),
            )
            .unwrap();
            let signed = headers(Scheme::Bracken, &loose);
            assert!(bracken.verify(&signed, &loose, now).is_ok());
            group.bench_function("bracken-reserialised", |b| {
                b.iter(|| bracken.verify(black_box(&signed), black_box(&loose), now))
            });
        }

        // A bearer token does not cover the body: the same cost at every
        // size. Keys parsed once, as a warm instance holds them.
        for (name, alg, kid) in [
            ("oauth2-rs256", Algorithm::RS256, keys::RSA_KID),
            ("oauth2-es256", Algorithm::ES256, keys::EC_KID),
        ] {
            let token = keys::token(alg, Some(kid), &keys::claims(NOW as u64));
            let mut bearer = HeaderMap::new();
            bearer.insert(
                http::header::AUTHORIZATION,
                HeaderValue::from_str(&format!("Bearer {token}")).unwrap(),
            );
            assert!(oauth2::verify(&bearer, &key_set, &policy, now).is_ok());
            group.bench_function(name, |b| {
                b.iter(|| oauth2::verify(black_box(&bearer), &key_set, &policy, now))
            });
        }

        let sha1 = Hmac::<sha1::Sha1>::new_from_slice(b"key").unwrap();
        group.bench_function("hmac-sha1", |b| {
            b.iter(|| {
                let mut mac = sha1.clone();
                mac.update(black_box(&compact));
                mac.finalize()
            })
        });
        let sha256 = Hmac::<sha2::Sha256>::new_from_slice(b"key").unwrap();
        group.bench_function("hmac-sha256", |b| {
            b.iter(|| {
                let mut mac = sha256.clone();
                mac.update(black_box(&compact));
                mac.finalize()
            })
        });
        group.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2));
    targets = verification
}
criterion_main!(benches);
