//! The secret store against a real Secrets Manager and SSM (moto): each
//! reference form, rotation, the rate-limited refetch after a mismatch, an
//! outage at cold start and later, and faults (the log test is
//! `tests/secret_store_leaks.rs`: alone in its process, so its subscriber
//! sees every callsite).

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region};
use aws_sdk_secretsmanager::config::Credentials;
use aws_sdk_secretsmanager::primitives::Blob;
use common::fault_proxy::{Fault, FaultProxy};
use common::moto::{Moto, free_port};
use common::store::{Store, parse, sdk};
use hookline::secret_store::aws::AwsSecretSource;
use hookline::secret_store::{FetchErrorKind, Refetch, SecretCache, SecretSource, Settings};

fn strings(values: &[hookline::Secret]) -> Vec<String> {
    values
        .iter()
        .map(|v| String::from_utf8(v.expose().to_vec()).unwrap())
        .collect()
}

async fn fetch(source: &AwsSecretSource, text: &str) -> Vec<String> {
    strings(&source.fetch(&parse(text)).await.expect(text))
}

async fn fetch_error(source: &AwsSecretSource, text: &str) -> FetchErrorKind {
    source.fetch(&parse(text)).await.unwrap_err().kind()
}

#[tokio::test]
async fn each_reference_form_reads_its_value() {
    let moto = Moto::start();
    let store = Store::new(&moto).await;
    let arn = store.secret("prod/plain", "plain-value-1").await;
    store
        .secret(
            "prod/json",
            r#"{"signing":"json-value-1","other":"x","n":7}"#,
        )
        .await;
    store.parameter("/hookline/bracken", "ssm-value-1").await;
    let source = AwsSecretSource::new(&sdk(&moto.endpoint()).await);

    assert_eq!(
        fetch(&source, "secretsmanager:prod/plain").await,
        ["plain-value-1"]
    );
    assert_eq!(
        fetch(&source, &format!("secretsmanager:{arn}")).await,
        ["plain-value-1"]
    );
    assert_eq!(
        fetch(&source, "secretsmanager:prod/json#signing").await,
        ["json-value-1"]
    );
    assert_eq!(
        fetch(&source, "ssm:/hookline/bracken").await,
        ["ssm-value-1"]
    );

    // Through the cache, as the handler reads them.
    let refs = [
        "secretsmanager:prod/plain",
        &format!("secretsmanager:{arn}"),
        "secretsmanager:prod/json#signing",
        "ssm:/hookline/bracken",
    ]
    .map(parse)
    .to_vec();
    let cache = Arc::new(SecretCache::new(source, refs, Settings::default()));
    cache.start();
    for (r, want) in [
        "plain-value-1",
        "plain-value-1",
        "json-value-1",
        "ssm-value-1",
    ]
    .into_iter()
    .enumerate()
    {
        let entry = cache.get(r, Duration::from_secs(2)).await.unwrap();
        assert_eq!(strings(&entry.values), [want]);
    }
}

#[tokio::test]
async fn unusable_secrets_fail_with_a_kind() {
    let moto = Moto::start();
    let store = Store::new(&moto).await;
    store
        .secret("prod/json", r#"{"signing":"json-value-1","n":7}"#)
        .await;
    store
        .sm
        .create_secret()
        .name("prod/binary")
        .secret_binary(Blob::new("binary-value-1"))
        .send()
        .await
        .unwrap();
    let source = AwsSecretSource::new(&sdk(&moto.endpoint()).await);
    for (text, kind) in [
        ("secretsmanager:prod/missing", FetchErrorKind::NotFound),
        (
            "secretsmanager:prod/json#missing",
            FetchErrorKind::InvalidValue,
        ),
        ("secretsmanager:prod/json#n", FetchErrorKind::InvalidValue),
        ("secretsmanager:prod/binary", FetchErrorKind::InvalidValue),
        ("ssm:/hookline/missing", FetchErrorKind::NotFound),
    ] {
        assert_eq!(fetch_error(&source, text).await, kind, "{text}");
    }

    // A permanent failure answers a waiting request at once, not at the bound.
    let cache = Arc::new(SecretCache::new(
        source,
        vec![parse("secretsmanager:prod/missing")],
        Settings::default(),
    ));
    let started = Instant::now();
    let unavailable = cache.get(0, Duration::from_secs(5)).await.unwrap_err();
    assert_eq!(unavailable.last_error, Some(FetchErrorKind::NotFound));
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn rotation_keeps_current_and_previous_then_drops_the_oldest() {
    let moto = Moto::start();
    let store = Store::new(&moto).await;
    store.secret("prod/rotated", "value-1").await;
    store.secret("prod/rotated-json", r#"{"k":"json-1"}"#).await;
    let source = AwsSecretSource::new(&sdk(&moto.endpoint()).await);
    let plain = "secretsmanager:prod/rotated";
    let json = "secretsmanager:prod/rotated-json#k";
    assert_eq!(fetch(&source, plain).await, ["value-1"]);

    store.rotate("prod/rotated", "value-2").await;
    store.rotate("prod/rotated-json", r#"{"k":"json-2"}"#).await;
    assert_eq!(fetch(&source, plain).await, ["value-2", "value-1"]);
    assert_eq!(fetch(&source, json).await, ["json-2", "json-1"]);

    store.rotate("prod/rotated", "value-3").await;
    // An old version without the key is no secret, and no failure either.
    store
        .rotate("prod/rotated-json", r#"{"renamed":"json-3"}"#)
        .await;
    store.rotate("prod/rotated-json", r#"{"k":"json-4"}"#).await;
    assert_eq!(fetch(&source, plain).await, ["value-3", "value-2"]);
    assert_eq!(fetch(&source, json).await, ["json-4"]);
}

#[tokio::test]
async fn a_value_changed_behind_the_cache_is_refetched_once_per_interval() {
    let moto = Moto::start();
    let store = Store::new(&moto).await;
    store.secret("prod/behind", "value-1").await;
    let settings = Settings {
        mismatch_interval: Duration::from_secs(1),
        ..Settings::default()
    };
    let cache = Arc::new(SecretCache::new(
        AwsSecretSource::new(&sdk(&moto.endpoint()).await),
        vec![parse("secretsmanager:prod/behind")],
        settings,
    ));
    cache.start();
    let wait = Duration::from_secs(2);
    let first = cache.get(0, wait).await.unwrap();
    assert_eq!(strings(&first.values), ["value-1"]);

    store.rotate("prod/behind", "value-2").await;
    assert!(
        cache
            .refetch_after_mismatch(0, first.generation, wait)
            .await
            == Refetch::Unchanged,
        "the value is younger than the interval"
    );
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let Refetch::Refreshed(second) = cache
        .refetch_after_mismatch(0, first.generation, wait)
        .await
    else {
        panic!("not picked up")
    };
    assert_eq!(strings(&second.values), ["value-2", "value-1"]);

    store.rotate("prod/behind", "value-3").await;
    for _ in 0..20 {
        assert!(
            cache
                .refetch_after_mismatch(0, second.generation, wait)
                .await
                == Refetch::Unchanged,
            "at most one refetch per interval"
        );
    }
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let Refetch::Refreshed(third) = cache
        .refetch_after_mismatch(0, second.generation, wait)
        .await
    else {
        panic!("not picked up")
    };
    assert_eq!(strings(&third.values), ["value-3", "value-2"]);
    assert_eq!(third.generation, first.generation + 2);
}

#[tokio::test]
async fn unreachable_at_cold_start_then_reachable() {
    let port = free_port();
    let endpoint = format!("http://127.0.0.1:{port}");
    let settings = Settings {
        ttl: Duration::from_secs(1),
        ..Settings::default()
    };
    let cache = Arc::new(SecretCache::new(
        AwsSecretSource::new(&sdk(&endpoint).await),
        vec![parse("secretsmanager:prod/late")],
        settings,
    ));
    cache.start();
    let started = Instant::now();
    let unavailable = cache.get(0, Duration::from_millis(500)).await.unwrap_err();
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(500) && elapsed < Duration::from_millis(1500),
        "{elapsed:?}"
    );
    assert_eq!(unavailable.last_error, Some(FetchErrorKind::Unreachable));

    // Secrets Manager comes back: the background retry finds the value
    // without a request asking for it.
    let mut moto = Moto::start_on(port);
    Store::new(&moto)
        .await
        .secret("prod/late", "late-value")
        .await;
    tokio::time::sleep(Duration::from_secs(6)).await;
    let entry = cache
        .get(0, Duration::ZERO)
        .await
        .expect("fetched by the retry");
    assert_eq!(strings(&entry.values), ["late-value"]);

    // It goes away again, into a store that takes requests and never
    // answers (a refresh waits out its 1.5 s attempt timeout): the last good
    // value keeps being served at once.
    moto.stop();
    let silent = std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for connection in silent.incoming().flatten() {
            held.push(connection);
        }
    });
    tokio::time::sleep(Duration::from_millis(1100)).await;
    for _ in 0..3 {
        let started = Instant::now();
        let entry = cache.get(0, Duration::from_secs(2)).await.unwrap();
        assert_eq!(strings(&entry.values), ["late-value"]);
        // Well under the 2 s bound a request would otherwise wait out.
        assert!(started.elapsed() < Duration::from_secs(1));
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

#[tokio::test]
async fn store_faults_map_to_kinds() {
    let moto = Moto::start();
    let store = Store::new(&moto).await;
    store.secret("prod/faulty", "faulty-value").await;
    store.parameter("/hookline/faulty", "faulty-ssm").await;
    for (fault, kind) in [
        (Fault::Throttle, FetchErrorKind::Throttled),
        (Fault::AccessDenied, FetchErrorKind::AccessDenied),
        (Fault::ServerError, FetchErrorKind::Other),
        (
            Fault::Delay(Duration::from_millis(1700)),
            FetchErrorKind::Timeout,
        ),
    ] {
        let proxy = FaultProxy::start(moto.endpoint(), move || fault);
        let source = AwsSecretSource::new(&sdk(&proxy.endpoint()).await);
        for text in ["secretsmanager:prod/faulty", "ssm:/hookline/faulty"] {
            let started = Instant::now();
            let error = source.fetch(&parse(text)).await.unwrap_err();
            assert_eq!(error.kind(), kind, "{fault:?} {text}: {error}");
            assert!(started.elapsed() < Duration::from_secs(6), "{fault:?}");
        }
    }
    let proxy = FaultProxy::start(moto.endpoint(), || Fault::Pass);
    let source = AwsSecretSource::new(&sdk(&proxy.endpoint()).await);
    assert_eq!(
        fetch(&source, "secretsmanager:prod/faulty").await,
        ["faulty-value"]
    );
    assert_eq!(fetch(&source, "ssm:/hookline/faulty").await, ["faulty-ssm"]);
}

/// `AWS_ENDPOINT_URL_SECRETS_MANAGER` and `AWS_ENDPOINT_URL_SSM` reach the
/// clients through an `SdkConfig` loaded as `main` loads it. The other tests
/// set their endpoint on the loader, which takes precedence, so setting these
/// variables cannot redirect them.
#[tokio::test]
async fn service_endpoint_variables_are_honoured() {
    let moto = Moto::start();
    let store = Store::new(&moto).await;
    store.secret("prod/env", "env-sm-value").await;
    store.parameter("/hookline/env", "env-ssm-value").await;
    // SAFETY: no other test reads these variables (see above), and std's
    // environment lock serialises the SDK's reads with this write.
    unsafe {
        std::env::set_var("AWS_ENDPOINT_URL_SECRETS_MANAGER", moto.endpoint());
        std::env::set_var("AWS_ENDPOINT_URL_SSM", moto.endpoint());
    }
    let sdk = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "test"))
        .load()
        .await;
    let source = AwsSecretSource::new(&sdk);
    assert_eq!(
        fetch(&source, "secretsmanager:prod/env").await,
        ["env-sm-value"]
    );
    assert_eq!(fetch(&source, "ssm:/hookline/env").await, ["env-ssm-value"]);
}
