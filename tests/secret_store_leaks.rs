//! The secret store at TRACE through the receiver's own log filter, against
//! moto: no secret value in any line, and each failure logged with its
//! reference and kind. Alone in its process: a thread-local subscriber in a
//! binary whose other tests log concurrently can miss callsites.

mod common;

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_secretsmanager::primitives::Blob;
use common::moto::{Moto, free_port};
use common::store::{Store, parse, sdk};
use hookline::logging::Captured;
use hookline::secret_store::aws::AwsSecretSource;
use hookline::secret_store::{Refetch, SecretCache, Settings};

/// Every path of the store, logged at TRACE through the receiver's own
/// filter: no value may appear, and the failures are logged with their
/// reference and kind.
#[tokio::test]
async fn no_secret_value_in_any_log_line() {
    let captured = Captured::default();
    let _guard = captured.install("trace", true);

    let moto = Moto::start();
    let store = Store::new(&moto).await;
    let forbidden = [
        "leak-plain-1",
        "leak-plain-2",
        "leak-plain-3",
        "leak-json-1",
        "leak-json-other",
        "leak-binary-1",
        "leak-ssm-1",
        "leak-ssm-2",
    ];
    store.secret("leak/plain", "leak-plain-1").await;
    store
        .secret("leak/json", r#"{"k":"leak-json-1","o":"leak-json-other"}"#)
        .await;
    store
        .sm
        .create_secret()
        .name("leak/binary")
        .secret_binary(Blob::new("leak-binary-1"))
        .send()
        .await
        .unwrap();
    store.secret("leak/not-json", "leak-plain-3").await;
    store.parameter("/leak/ssm", "leak-ssm-1").await;

    let texts = [
        "secretsmanager:leak/plain",
        "secretsmanager:leak/json#k",
        "secretsmanager:leak/json#missing",
        "secretsmanager:leak/binary",
        "secretsmanager:leak/not-json#k",
        "secretsmanager:leak/missing",
        "ssm:/leak/ssm",
    ];
    let settings = Settings {
        mismatch_interval: Duration::from_millis(200),
        ..Settings::default()
    };
    let cache = Arc::new(SecretCache::new(
        AwsSecretSource::new(&sdk(&moto.endpoint()).await),
        texts.iter().map(|t| parse(t)).collect(),
        settings,
    ));
    cache.start();
    for r in 0..texts.len() {
        let _ = cache.get(r, Duration::from_secs(2)).await;
    }
    // A rotation picked up after a mismatch, and a changed parameter.
    store.rotate("leak/plain", "leak-plain-2").await;
    store.parameter("/leak/ssm", "leak-ssm-2").await;
    tokio::time::sleep(Duration::from_millis(250)).await;
    for r in [0, 6] {
        let seen = cache.get(r, Duration::from_secs(2)).await.unwrap();
        assert!(matches!(
            cache
                .refetch_after_mismatch(r, seen.generation, Duration::from_secs(2))
                .await,
            Refetch::Refreshed(_)
        ));
    }
    // Unreachable: a cache pointed at a closed port.
    let down = Arc::new(SecretCache::new(
        AwsSecretSource::new(&sdk(&format!("http://127.0.0.1:{}", free_port())).await),
        vec![parse("secretsmanager:leak/plain")],
        Settings::default(),
    ));
    let _ = down.get(0, Duration::from_millis(300)).await;

    let logs = captured.text();
    for needle in forbidden {
        assert!(!logs.contains(needle), "{needle:?} appears in the logs");
    }
    for (reference, kind) in [
        ("secretsmanager:leak/json#missing", "invalid_value"),
        ("secretsmanager:leak/binary", "invalid_value"),
        ("secretsmanager:leak/not-json#k", "invalid_value"),
        ("secretsmanager:leak/missing", "not_found"),
        ("secretsmanager:leak/plain", "unreachable"),
    ] {
        assert!(
            logs.lines().any(|line| line.contains("secret fetch failed")
                && line.contains(&format!("\"reference\":\"{reference}\""))
                && line.contains(&format!("\"kind\":\"{kind}\""))),
            "no failure line for {reference} ({kind}) in\n{logs}"
        );
    }
    assert!(logs.contains("secret loaded"), "{logs}");
}
