//! The `oauth2` scheme against tokens and keys minted by an independent
//! library (PyJWT with `cryptography`, `tests/oauth2/mint.py`), and the key
//! cache against a loopback issuer that counts what it serves: discovery,
//! rotation, the unknown-`kid` refetch limit under a flood, and an issuer
//! that is down when the function starts.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hookline::jwks::{
    Denied, FetchError, HttpFetcher, JwksCache, JwksFetcher, Tuning, Unavailable,
};
use hookline::verify::Rejection;
use hookline::verify::oauth2::{self, KeySet, OAuth2Settings, Policy, TokenRejection};
use http::{HeaderMap, HeaderValue};
use serde_json::Value;
use tiny_http::{Header, Response, Server};

const AUDIENCE: &str = "https://hookline.example/webhooks";
const CLIENT_ID: &str = "centrepoint-client";
const SCOPE: &str = "hookline/webhooks";
const WAIT: Duration = Duration::from_secs(3);

/// What mint.py wrote.
struct Minted {
    jwks: String,
    jwks_rotated: String,
    jwks_single: String,
    tokens: Vec<(String, String, String)>,
    rotated: String,
    single_no_kid: String,
}

fn python() -> PathBuf {
    common::moto::venv_bin("PYTHON", "python")
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn mint(issuer: &str, now: u64) -> Minted {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/oauth2/mint.py");
    let output = Command::new(python())
        .arg(script)
        .arg(issuer)
        .arg(now.to_string())
        .output()
        .expect("mint.py runs");
    assert!(
        output.status.success(),
        "mint.py failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let doc: Value = serde_json::from_slice(&output.stdout).unwrap();
    let text = |key: &str| doc[key].as_str().unwrap().to_string();
    Minted {
        jwks: doc["jwks"].to_string(),
        jwks_rotated: doc["jwks_rotated"].to_string(),
        jwks_single: doc["jwks_single"].to_string(),
        tokens: doc["tokens"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                let s = |k: &str| t[k].as_str().unwrap().to_string();
                (s("name"), s("token"), s("expect"))
            })
            .collect(),
        rotated: text("rotated"),
        single_no_kid: text("single_no_kid"),
    }
}

fn settings(issuer: &str) -> OAuth2Settings {
    OAuth2Settings {
        audiences: vec![AUDIENCE.into()],
        client_ids: vec![CLIENT_ID.into()],
        scopes: vec![SCOPE.into()],
        allow_http: true,
        ..OAuth2Settings::new(issuer)
    }
}

fn policy(issuer: &str) -> Policy {
    settings(issuer).policy()
}

fn bearer(token: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(
        "authorization",
        HeaderValue::from_str(&format!("Bearer {token}")).unwrap(),
    );
    headers
}

/// A well-formed token naming `kid`, signed by nobody.
fn with_kid(token: &str, kid: &str) -> String {
    let (_, rest) = token.split_once('.').unwrap();
    let header = URL_SAFE_NO_PAD.encode(format!(r#"{{"alg":"RS256","typ":"JWT","kid":"{kid}"}}"#));
    format!("{header}.{rest}")
}

/// A loopback issuer: OIDC discovery and a JWKS that can be swapped,
/// counting the requests for each.
struct Issuer {
    url: String,
    jwks: Arc<Mutex<String>>,
    /// `Cache-Control` sent with the JWKS.
    cache_control: Arc<Mutex<String>>,
    /// The `issuer` the discovery document claims (default: `url`).
    claimed_issuer: Arc<Mutex<Option<String>>>,
    discovery_hits: Arc<AtomicUsize>,
    jwks_hits: Arc<AtomicUsize>,
    server: Option<Arc<Server>>,
    worker: Option<JoinHandle<()>>,
}

impl Issuer {
    /// An issuer URL on a port nothing listens on yet.
    fn down(port: u16) -> Self {
        Self {
            url: format!("http://127.0.0.1:{port}"),
            jwks: Arc::default(),
            cache_control: Arc::new(Mutex::new("max-age=3600".into())),
            claimed_issuer: Arc::default(),
            discovery_hits: Arc::default(),
            jwks_hits: Arc::default(),
            server: None,
            worker: None,
        }
    }

    fn start() -> Self {
        // The port is free when picked; a test running beside this one may
        // take it before it is bound again, so pick another then.
        for _ in 0..20 {
            let mut issuer = Self::down(common::moto::free_port());
            if issuer.try_listen().is_ok() {
                return issuer;
            }
        }
        panic!("no free port for the issuer");
    }

    fn listen(&mut self) {
        self.try_listen().expect("issuer port is free");
    }

    fn try_listen(&mut self) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let addr = self.url.trim_start_matches("http://").to_string();
        let server = Arc::new(Server::http(addr)?);
        let (jwks, cache_control, claimed) = (
            self.jwks.clone(),
            self.cache_control.clone(),
            self.claimed_issuer.clone(),
        );
        let (discovery_hits, jwks_hits) = (self.discovery_hits.clone(), self.jwks_hits.clone());
        let url = self.url.clone();
        let handle = server.clone();
        self.worker = Some(std::thread::spawn(move || {
            while let Ok(request) = handle.recv() {
                let json = Header::from_bytes("Content-Type", "application/json").unwrap();
                let response = match request.url() {
                    "/.well-known/openid-configuration" => {
                        discovery_hits.fetch_add(1, Ordering::SeqCst);
                        let issuer = claimed.lock().unwrap().clone().unwrap_or(url.clone());
                        let body = serde_json::json!({
                            "issuer": issuer,
                            "jwks_uri": format!("{url}/jwks.json"),
                        });
                        Response::from_string(body.to_string()).with_header(json)
                    }
                    "/jwks.json" => {
                        jwks_hits.fetch_add(1, Ordering::SeqCst);
                        let cache = cache_control.lock().unwrap().clone();
                        Response::from_string(jwks.lock().unwrap().clone())
                            .with_header(json)
                            .with_header(Header::from_bytes("Cache-Control", cache).unwrap())
                    }
                    "/big.json" => Response::from_string("x".repeat(100 * 1024)),
                    _ => Response::from_string("not found").with_status_code(404),
                };
                let _ = request.respond(response);
            }
        }));
        self.server = Some(server);
        Ok(())
    }

    fn serve(&self, jwks: &str) {
        *self.jwks.lock().unwrap() = jwks.to_string();
    }

    fn jwks_hits(&self) -> usize {
        self.jwks_hits.load(Ordering::SeqCst)
    }

    fn discovery_hits(&self) -> usize {
        self.discovery_hits.load(Ordering::SeqCst)
    }
}

impl Drop for Issuer {
    fn drop(&mut self) {
        if let Some(server) = &self.server {
            server.unblock();
        }
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
}

fn cache(issuer: &str, tuning: Tuning) -> JwksCache {
    let fetcher: Arc<dyn JwksFetcher> = Arc::new(HttpFetcher::default());
    JwksCache::with_tuning(&settings(issuer), fetcher, tuning)
}

#[test]
fn every_minted_token_gets_its_verdict() {
    let issuer = "https://issuer.example/pool_1";
    let now = now_secs();
    let minted = mint(issuer, now);
    let keys = KeySet::from_jwks(minted.jwks.as_bytes()).expect("PyJWT's JWKS parses");
    // rsa-1, rsa-rs256, ec-256, ec-384, ed-1; the enc, oct and unknown entries skipped.
    assert_eq!(keys.len(), 5, "{keys:?}");
    let at = SystemTime::UNIX_EPOCH + Duration::from_secs(now);
    let policy = policy(issuer);
    let mut failures = Vec::new();
    for (name, token, expect) in &minted.tokens {
        let verdict = oauth2::verify(&bearer(token), &keys, &policy, at);
        let ok = matches!(
            (expect.as_str(), &verdict),
            ("ok", Ok(_))
                | (
                    "invalid",
                    Err(TokenRejection::Rejected(Rejection::InvalidToken))
                )
                | ("unknown_kid", Err(TokenRejection::UnknownKey))
        );
        if !ok {
            failures.push(format!("{name}: expected {expect}, got {verdict:?}"));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(minted.tokens.len() > 60);

    // No kid: accepted only when the issuer publishes exactly one key.
    let single = KeySet::from_jwks(minted.jwks_single.as_bytes()).unwrap();
    assert!(oauth2::verify(&bearer(&minted.single_no_kid), &single, &policy, at).is_ok());
    assert_eq!(
        oauth2::verify(&bearer(&minted.single_no_kid), &keys, &policy, at).unwrap_err(),
        TokenRejection::Rejected(Rejection::InvalidToken)
    );
    // The key set holds what the policy needs, not more: another issuer's
    // policy refuses the same valid token.
    let valid = &minted.tokens[0].1;
    assert!(oauth2::verify(&bearer(valid), &keys, &policy, at).is_ok());
    let other = Policy {
        issuer: "https://issuer.example/pool_2".into(),
        ..policy.clone()
    };
    assert!(oauth2::verify(&bearer(valid), &keys, &other, at).is_err());
    // Time moves: an hour and a skew later the token has expired.
    let later = at + Duration::from_secs(3600 + 61);
    assert!(oauth2::verify(&bearer(valid), &keys, &policy, later).is_err());
    // A skew of 0 refuses what 60 s allowed.
    let strict = Policy {
        clock_skew: Duration::ZERO,
        ..policy.clone()
    };
    let within_skew = minted
        .tokens
        .iter()
        .find(|t| t.0 == "valid exp passed within skew")
        .unwrap();
    assert!(oauth2::verify(&bearer(&within_skew.1), &keys, &strict, at).is_err());
}

#[test]
fn malformed_and_oversized_tokens_are_refused_without_panic() {
    let issuer = "https://issuer.example/pool_1";
    let now = now_secs();
    let minted = mint(issuer, now);
    let keys = KeySet::from_jwks(minted.jwks.as_bytes()).unwrap();
    let policy = policy(issuer);
    let at = SystemTime::UNIX_EPOCH + Duration::from_secs(now);
    let valid = minted.tokens[0].1.clone();
    let (h, rest) = valid.split_once('.').unwrap();
    let (p, s) = rest.split_once('.').unwrap();
    let huge_header = URL_SAFE_NO_PAD.encode(format!(
        r#"{{"alg":"RS256","kid":"rsa-1","pad":"{}"}}"#,
        "x".repeat(5000)
    ));
    let deep = URL_SAFE_NO_PAD.encode(format!(
        r#"{{"alg":"RS256","kid":"rsa-1","x":{}1{}}}"#,
        "[".repeat(3000),
        "]".repeat(3000)
    ));
    let cases: Vec<String> = vec![
        String::new(),
        ".".into(),
        "..".into(),
        "...".into(),
        format!("{h}.{p}"),
        format!("{h}.{p}.{s}.{s}"),
        format!("{h}.{p}.{s}."),
        format!("{h}..{s}"),
        format!("{h}.{p}.!!!"),
        format!("{h}.{p}.{s}=="),
        format!("{h}.{p}.{}", s.replace('-', "+").replace('_', "/")),
        format!("{}.{p}.{s}", &h[1..]),
        format!("{h}.{}.{s}", &p[..p.len() - 1]),
        format!("{huge_header}.{p}.{s}"),
        format!("{deep}.{p}.{s}"),
        format!("{h}.{}.{s}", "A".repeat(9000)),
        format!("{h}.{p}.{}", "A".repeat(2000)),
        format!("{}.{p}.{s}", URL_SAFE_NO_PAD.encode(b"\xff\xfe")),
        format!("{}.{p}.{s}", URL_SAFE_NO_PAD.encode(b"null")),
        format!(
            "{}.{p}.{s}",
            URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","kid":7}"#)
        ),
        format!(
            "{}.{p}.{s}",
            URL_SAFE_NO_PAD.encode(br#"{"alg":"rs256","kid":"rsa-1"}"#)
        ),
        format!("{}.{p}.{s}", URL_SAFE_NO_PAD.encode(br#"{"kid":"rsa-1"}"#)),
        format!(
            "{}.{p}.{s}",
            URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","alg":"HS256","kid":"rsa-1"}"#)
        ),
    ];
    for token in &cases {
        let verdict = oauth2::verify(&bearer(token), &keys, &policy, at);
        assert!(
            matches!(
                verdict,
                Err(TokenRejection::Rejected(
                    Rejection::InvalidToken
                        | Rejection::MissingHeader(_)
                        | Rejection::MalformedHeader(_)
                ))
            ),
            "{token:.80}: {verdict:?}"
        );
    }
    // Headers: repeated, other schemes, non-ASCII, over the bound.
    let mut repeated = bearer(&valid);
    repeated.append(
        "authorization",
        HeaderValue::from_str(&format!("Bearer {valid}")).unwrap(),
    );
    assert_eq!(
        oauth2::verify(&repeated, &keys, &policy, at).unwrap_err(),
        TokenRejection::Rejected(Rejection::RepeatedHeader("authorization"))
    );
    for value in [
        format!("Basic {valid}"),
        "Bearer".to_string(),
        format!("Bearer{valid}"),
        format!("Token {valid}"),
    ] {
        let mut headers = HeaderMap::new();
        headers.insert("authorization", HeaderValue::from_str(&value).unwrap());
        assert!(
            oauth2::verify(&headers, &keys, &policy, at).is_err(),
            "{value:.40}"
        );
    }
    let mut binary = HeaderMap::new();
    binary.insert(
        "authorization",
        HeaderValue::from_bytes(b"Bearer \xff.\xfe.\xfd").unwrap(),
    );
    assert!(oauth2::verify(&binary, &keys, &policy, at).is_err());
    let huge = format!("Bearer {}", "A".repeat(1 << 20));
    let mut headers = HeaderMap::new();
    headers.insert("authorization", HeaderValue::from_str(&huge).unwrap());
    let started = Instant::now();
    assert!(oauth2::verify(&headers, &keys, &policy, at).is_err());
    assert!(
        started.elapsed() < Duration::from_millis(50),
        "refused before any decoding"
    );
    // The scheme word is case-insensitive, as for `bearer`.
    let mut lower = HeaderMap::new();
    lower.insert(
        "authorization",
        HeaderValue::from_str(&format!("bearer {valid}")).unwrap(),
    );
    assert!(oauth2::verify(&lower, &keys, &policy, at).is_ok());
}

#[tokio::test]
async fn discovery_then_cached_keys_and_one_refetch_for_an_unknown_kid() {
    let issuer = Issuer::start();
    let minted = mint(&issuer.url, now_secs());
    issuer.serve(&minted.jwks);
    let cache = cache(&issuer.url, Tuning::default());
    let policy = policy(&issuer.url);
    cache.start();
    let now = SystemTime::now();
    for (name, token, expect) in &minted.tokens {
        let verdict = cache.verify(&bearer(token), &policy, now, WAIT).await;
        match expect.as_str() {
            "ok" => assert!(verdict.is_ok(), "{name}: {verdict:?}"),
            _ => assert_eq!(
                verdict.unwrap_err(),
                Denied::Rejected(Rejection::InvalidToken),
                "{name}"
            ),
        }
    }
    // One discovery, the first fetch, and one refetch for "kid unknown".
    assert_eq!(issuer.discovery_hits(), 1);
    assert_eq!(issuer.jwks_hits(), 2);
}

#[tokio::test]
async fn rotation_is_picked_up_by_one_refetch_and_a_flood_of_kids_fetches_nothing_more() {
    let issuer = Issuer::start();
    let minted = mint(&issuer.url, now_secs());
    issuer.serve(&minted.jwks);
    let cache = cache(&issuer.url, Tuning::default());
    let policy = policy(&issuer.url);
    let now = SystemTime::now();
    let valid = minted.tokens[0].1.clone();
    assert!(
        cache
            .verify(&bearer(&valid), &policy, now, WAIT)
            .await
            .is_ok()
    );
    assert_eq!(issuer.jwks_hits(), 1);

    // The issuer rotates: the new kid is accepted after exactly one refetch.
    issuer.serve(&minted.jwks_rotated);
    assert!(
        cache
            .verify(&bearer(&minted.rotated), &policy, now, WAIT)
            .await
            .is_ok()
    );
    assert_eq!(issuer.jwks_hits(), 2);
    assert!(
        cache
            .verify(&bearer(&minted.rotated), &policy, now, WAIT)
            .await
            .is_ok()
    );
    // rsa-1 is gone from the rotated set; the refetch budget is spent, so
    // its token is refused without another fetch.
    assert_eq!(
        cache
            .verify(&bearer(&valid), &policy, now, WAIT)
            .await
            .unwrap_err(),
        Denied::Rejected(Rejection::InvalidToken)
    );

    // A flood of random kids, concurrently: refused, and not one more fetch.
    let mut flood = tokio::task::JoinSet::new();
    for i in 0..500 {
        let (cache, policy, token) = (
            cache.clone(),
            policy.clone(),
            with_kid(&valid, &format!("flood-{i}")),
        );
        flood.spawn(async move { cache.verify(&bearer(&token), &policy, now, WAIT).await });
    }
    while let Some(verdict) = flood.join_next().await {
        assert_eq!(
            verdict.unwrap().unwrap_err(),
            Denied::Rejected(Rejection::InvalidToken)
        );
    }
    assert_eq!(issuer.jwks_hits(), 2);
    assert_eq!(issuer.discovery_hits(), 1);
}

#[tokio::test]
async fn a_flood_of_unknown_kids_on_a_fresh_cache_costs_one_refetch_per_interval() {
    let issuer = Issuer::start();
    let minted = mint(&issuer.url, now_secs());
    issuer.serve(&minted.jwks);
    let tuning = Tuning {
        unknown_kid_interval: Duration::from_millis(700),
        ..Tuning::default()
    };
    let cache = cache(&issuer.url, tuning);
    let policy = policy(&issuer.url);
    let valid = minted.tokens[0].1.clone();
    let started = Instant::now();
    let mut sent = 0;
    // Two seconds of random kids, 20 at a time: at most one refetch per
    // 700 ms, so at most 3 refetches after the first fetch.
    while started.elapsed() < Duration::from_secs(2) {
        let mut batch = tokio::task::JoinSet::new();
        for _ in 0..20 {
            sent += 1;
            let (cache, policy) = (cache.clone(), policy.clone());
            let token = with_kid(&valid, &format!("random-{sent}"));
            batch.spawn(async move {
                cache
                    .verify(&bearer(&token), &policy, SystemTime::now(), WAIT)
                    .await
            });
        }
        while let Some(verdict) = batch.join_next().await {
            assert_eq!(
                verdict.unwrap().unwrap_err(),
                Denied::Rejected(Rejection::InvalidToken)
            );
        }
    }
    let hits = issuer.jwks_hits();
    assert!(sent > 200, "{sent}");
    assert!((2..=4).contains(&hits), "{hits} fetches for {sent} tokens");
}

/// Keys served with `max-age=0` (the scripted issuer's) go stale after 200 ms.
fn stale_after_200ms() -> Tuning {
    Tuning {
        min_ttl: Duration::from_millis(200),
        ..Tuning::default()
    }
}

/// Retries after a failure within 50 to 200 ms.
fn fast_retry() -> Tuning {
    Tuning {
        retry_min: Duration::from_millis(50),
        retry_max: Duration::from_millis(200),
        ..Tuning::default()
    }
}

#[tokio::test]
async fn an_issuer_down_at_start_is_unavailable_then_serves_once_up() {
    let port = common::moto::free_port();
    let mut issuer = Issuer::down(port);
    let minted = mint(&issuer.url, now_secs());
    issuer.serve(&minted.jwks);
    let cache = cache(&issuer.url, fast_retry());
    let policy = policy(&issuer.url);
    cache.start();
    let valid = minted.tokens[0].1.clone();
    let wait = Duration::from_millis(300);
    assert_eq!(cache.keys(wait).await.unwrap_err(), Unavailable);
    let started = Instant::now();
    assert_eq!(
        cache
            .verify(&bearer(&valid), &policy, SystemTime::now(), wait)
            .await
            .unwrap_err(),
        Denied::Unavailable
    );
    assert!(
        started.elapsed() >= wait,
        "waited for keys before answering 503"
    );
    // Garbage is refused at once, keys or not.
    let started = Instant::now();
    assert_eq!(
        cache
            .verify(&bearer("not.a.token!"), &policy, SystemTime::now(), wait)
            .await
            .unwrap_err(),
        Denied::Rejected(Rejection::InvalidToken)
    );
    assert!(started.elapsed() < wait);

    issuer.listen();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match cache
            .verify(&bearer(&valid), &policy, SystemTime::now(), wait)
            .await
        {
            Ok(_) => break,
            Err(Denied::Unavailable) if Instant::now() < deadline => {}
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(issuer.jwks_hits(), 1);
    // The issuer goes down again: the cached keys keep serving.
    drop(issuer);
    assert!(
        cache
            .verify(&bearer(&valid), &policy, SystemTime::now(), wait)
            .await
            .is_ok()
    );
}

/// The issuer rotates its keys while it is unreachable: a token signed
/// with the new key cannot be checked, so it is undecided (503), never
/// refused as a forgery, and it is accepted once the issuer is back, without
/// waiting out the unknown-`kid` interval a failed refetch started.
#[tokio::test]
async fn a_failed_refetch_leaves_a_new_kid_undecided_and_accepted_once_the_issuer_is_back() {
    let port = common::moto::free_port();
    let mut issuer = Issuer::down(port);
    let minted = mint(&issuer.url, now_secs());
    issuer.serve(&minted.jwks);
    issuer.listen();
    let cache = cache(&issuer.url, fast_retry());
    let policy = policy(&issuer.url);
    let wait = Duration::from_millis(300);
    let verify = |token: String| {
        let (cache, policy) = (cache.clone(), policy.clone());
        async move {
            cache
                .verify(&bearer(&token), &policy, SystemTime::now(), wait)
                .await
        }
    };
    assert!(verify(minted.tokens[0].1.clone()).await.is_ok());

    drop(issuer);
    // The refetch fails; the retries before the back-off is due fetch
    // nothing; those after it fetch again. Each is 503, none 401.
    for _ in 0..3 {
        assert_eq!(
            verify(minted.rotated.clone()).await.unwrap_err(),
            Denied::Unavailable
        );
        assert_eq!(
            verify(minted.rotated.clone()).await.unwrap_err(),
            Denied::Unavailable
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }

    let mut issuer = Issuer::down(port);
    issuer.serve(&minted.jwks_rotated);
    issuer.listen();
    assert!(verify(minted.rotated.clone()).await.is_ok());
    assert_eq!(issuer.jwks_hits(), 1);
    // The keys are current again: an unknown kid within the interval is
    // refused without another fetch.
    let forged = with_kid(&minted.rotated, "not-published");
    assert_eq!(
        verify(forged).await.unwrap_err(),
        Denied::Rejected(Rejection::InvalidToken)
    );
    assert_eq!(issuer.jwks_hits(), 1);
}

/// An issuer in process, for orderings a loopback server cannot time: it
/// answers, fails at once, or hangs and then fails.
mod scripted {
    use super::*;
    use hookline::jwks::{FetchFuture, Fetched};

    pub const ISSUER: &str = "https://issuer.example";

    #[derive(Clone)]
    pub enum Mode {
        Serve(String),
        Fail,
        Hang(Duration),
        /// A bug in the fetch: the task panics.
        Panic,
        /// The document as it is when the request arrives, answered later.
        Slow(String, Duration),
    }

    pub struct Issuer {
        calls: AtomicUsize,
        mode: Mutex<Mode>,
    }

    impl Issuer {
        pub fn new(mode: Mode) -> Arc<Self> {
            Arc::new(Self {
                calls: AtomicUsize::new(0),
                mode: Mutex::new(mode),
            })
        }

        pub fn set(&self, mode: Mode) {
            *self.mode.lock().unwrap() = mode;
        }

        pub fn calls(&self) -> usize {
            self.calls.load(Ordering::SeqCst)
        }

        pub fn cache(self: &Arc<Self>, tuning: Tuning) -> JwksCache {
            let settings = OAuth2Settings {
                jwks_url: Some(format!("{ISSUER}/jwks.json")),
                ..settings(ISSUER)
            };
            JwksCache::with_tuning(&settings, self.clone(), tuning)
        }
    }

    impl JwksFetcher for Issuer {
        fn get<'a>(&'a self, _url: &'a str) -> FetchFuture<'a> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            let mode = self.mode.lock().unwrap().clone();
            Box::pin(async move {
                match mode {
                    // max-age=0: stale after the minimum lifetime.
                    Mode::Serve(body) => Ok(Fetched {
                        body: body.into_bytes(),
                        max_age: Some(Duration::ZERO),
                    }),
                    Mode::Fail => Err(FetchError::Connect),
                    Mode::Hang(time) => {
                        tokio::time::sleep(time).await;
                        Err(FetchError::Timeout)
                    }
                    Mode::Panic => panic!("a bug in the fetch"),
                    Mode::Slow(body, time) => {
                        tokio::time::sleep(time).await;
                        Ok(Fetched {
                            body: body.into_bytes(),
                            max_age: Some(Duration::ZERO),
                        })
                    }
                }
            })
        }
    }

    pub async fn verify(cache: &JwksCache, token: &str, wait: Duration) -> Result<(), Denied> {
        cache
            .verify(&bearer(token), &policy(ISSUER), SystemTime::now(), wait)
            .await
            .map(|_| ())
    }

    /// Tokens, the issuer serving their keys, and a cache with `tuning`
    /// that has accepted the first valid token.
    pub async fn loaded(tuning: Tuning, wait: Duration) -> (Minted, Arc<Issuer>, JwksCache) {
        let minted = mint(ISSUER, now_secs());
        let issuer = Issuer::new(Mode::Serve(minted.jwks.clone()));
        let cache = issuer.cache(tuning);
        verify(&cache, &minted.tokens[0].1, wait).await.unwrap();
        (minted, issuer, cache)
    }

    /// `token` is refused as a forgery.
    pub async fn refused(cache: &JwksCache, token: &str, wait: Duration) {
        assert_eq!(
            verify(cache, token, wait).await,
            Err(Denied::Rejected(Rejection::InvalidToken))
        );
    }
}

/// The interval's refetch found no such `kid`; then the keys go stale and
/// their refresh hangs: forged `kid`s are refused at once, not held for
/// the slow issuer and answered 503.
#[tokio::test]
async fn a_hung_refresh_does_not_hold_forged_kids() {
    use scripted::{Mode, loaded, refused, verify};
    let wait = Duration::from_millis(1000);
    let (minted, issuer, cache) = loaded(stale_after_200ms(), wait).await;
    let valid = minted.tokens[0].1.clone();
    refused(&cache, &with_kid(&valid, "spent"), wait).await;
    assert_eq!(issuer.calls(), 2);
    tokio::time::sleep(Duration::from_millis(250)).await;
    issuer.set(Mode::Hang(Duration::from_secs(5)));
    // The known kid serves from the stale keys and starts the refresh.
    verify(&cache, &valid, wait).await.unwrap();
    for i in 0..3 {
        let started = Instant::now();
        refused(&cache, &with_kid(&valid, &format!("forged-{i}")), wait).await;
        assert!(started.elapsed() < Duration::from_millis(500));
    }
    // One fetch more: the refresh, still hanging.
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert_eq!(issuer.calls(), 3);
}

/// Success, then a failed refresh of stale keys, then the issuer back with
/// rotated keys: each answer in turn, and the fetches each costs.
#[tokio::test]
async fn a_failed_refresh_then_recovery_decides_each_token_in_turn() {
    use scripted::{Mode, loaded, refused, verify};
    let wait = Duration::from_millis(500);
    let tuning = Tuning {
        min_ttl: Duration::from_millis(200),
        retry_min: Duration::from_millis(100),
        retry_max: Duration::from_millis(100),
        ..Tuning::default()
    };
    let (minted, issuer, cache) = loaded(tuning, wait).await;
    let valid = minted.tokens[0].1.clone();
    refused(&cache, &with_kid(&valid, "a"), wait).await;
    tokio::time::sleep(Duration::from_millis(250)).await;
    issuer.set(Mode::Fail);
    // Stale keys serve the known kid; their refresh fails.
    verify(&cache, &valid, wait).await.unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    let calls = issuer.calls();
    // A new kid within the back-off: undecided, and nothing fetched.
    assert_eq!(
        verify(&cache, &minted.rotated, wait).await,
        Err(Denied::Unavailable)
    );
    assert_eq!(issuer.calls(), calls);
    issuer.set(Mode::Serve(minted.jwks_rotated.clone()));
    tokio::time::sleep(Duration::from_millis(120)).await;
    verify(&cache, &minted.rotated, wait).await.unwrap();
    let calls = issuer.calls();
    refused(&cache, &with_kid(&valid, "b"), wait).await;
    assert_eq!(issuer.calls(), calls);
}

/// A forged `kid` that waits for the first keys is refused on them without
/// a refetch when that fetch began after it arrived; when it began before
/// (as `main` starts it), the token spends the interval's refetch. Later
/// forged `kid`s cost nothing more within the interval.
#[tokio::test]
async fn a_forged_kid_at_a_cold_start_costs_at_most_one_refetch() {
    use scripted::{Issuer, Mode, refused, verify};
    let wait = Duration::from_millis(1000);
    let minted = mint(scripted::ISSUER, now_secs());
    let valid = minted.tokens[0].1.clone();
    for started in [false, true] {
        let issuer = Issuer::new(Mode::Serve(minted.jwks.clone()));
        let cache = issuer.cache(Tuning::default());
        if started {
            cache.start();
        }
        refused(&cache, &with_kid(&valid, "forged-0"), wait).await;
        assert_eq!(issuer.calls(), 1 + usize::from(started));
        refused(&cache, &with_kid(&valid, "forged-1"), wait).await;
        refused(&cache, &with_kid(&valid, "forged-2"), wait).await;
        assert_eq!(issuer.calls(), 2, "started: {started}");
        verify(&cache, &valid, wait).await.unwrap();
        assert_eq!(issuer.calls(), 2, "started: {started}");
    }
}

/// A key the issuer publishes while a fetch is under way, and then signs
/// with, is not in that fetch's answer: a token arriving meanwhile is
/// decided by a refetch, not refused on the older document. At a cold
/// start, and while stale keys are refreshed.
#[tokio::test]
async fn a_key_published_during_a_fetch_is_found_by_a_refetch() {
    use scripted::{Issuer, Mode, loaded, refused, verify};
    let wait = Duration::from_millis(1000);
    let slow = Duration::from_millis(200);
    let minted = mint(scripted::ISSUER, now_secs());
    let publish = |issuer: &Issuer, minted: &Minted| {
        issuer.set(Mode::Serve(minted.jwks_rotated.clone()));
    };

    let issuer = Issuer::new(Mode::Slow(minted.jwks.clone(), slow));
    let cache = issuer.cache(Tuning::default());
    cache.start();
    tokio::time::sleep(Duration::from_millis(50)).await;
    publish(&issuer, &minted);
    verify(&cache, &minted.rotated, wait).await.unwrap();
    assert_eq!(issuer.calls(), 2);

    let (minted, issuer, cache) = loaded(stale_after_200ms(), wait).await;
    let valid = minted.tokens[0].1.clone();
    tokio::time::sleep(Duration::from_millis(250)).await;
    issuer.set(Mode::Slow(minted.jwks.clone(), slow));
    // Stale keys serve the known kid and start their refresh.
    verify(&cache, &valid, wait).await.unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    publish(&issuer, &minted);
    verify(&cache, &minted.rotated, wait).await.unwrap();
    assert_eq!(issuer.calls(), 3, "the refresh, then the refetch");
    // That was the interval's refetch: a forged kid costs nothing more.
    refused(&cache, &with_kid(&valid, "forged"), wait).await;
    assert_eq!(issuer.calls(), 3);
}

/// The interval's refetch is spent; the issuer publishes a key and the
/// keys go stale. The first token signed with it starts the refresh
/// itself: that refresh began after the token arrived, so the token waits
/// for it and is accepted, while a forged `kid` arriving meanwhile is
/// refused at once.
#[tokio::test]
async fn a_new_key_is_found_by_the_refresh_its_own_token_started() {
    use scripted::{Mode, loaded, refused, verify};
    let wait = Duration::from_millis(1000);
    let (minted, issuer, cache) = loaded(stale_after_200ms(), wait).await;
    let valid = minted.tokens[0].1.clone();
    refused(&cache, &with_kid(&valid, "forged-0"), wait).await;
    assert_eq!(issuer.calls(), 2);
    issuer.set(Mode::Slow(
        minted.jwks_rotated.clone(),
        Duration::from_millis(100),
    ));
    tokio::time::sleep(Duration::from_millis(250)).await;
    let genuine = tokio::spawn({
        let (cache, token) = (cache.clone(), minted.rotated.clone());
        async move { verify(&cache, &token, wait).await }
    });
    tokio::time::sleep(Duration::from_millis(20)).await;
    let started = Instant::now();
    refused(&cache, &with_kid(&valid, "forged-1"), wait).await;
    assert!(started.elapsed() < Duration::from_millis(50));
    genuine.await.unwrap().unwrap();
    assert_eq!(issuer.calls(), 3, "the refresh only");
}

/// A retry begun before a token arrived does not spend the interval's
/// refetch on it, even a retry an unknown `kid` started: the interval's
/// refetch failed, a forged `kid` starts the back-off retry (the old
/// document, slowly), the issuer publishes a key and signs with it, and
/// the interval ends. The genuine token waits for the retry, then gets its
/// refetch.
#[tokio::test]
async fn a_retry_begun_before_a_token_arrived_is_not_its_refetch() {
    use scripted::{Mode, loaded, verify};
    let wait = Duration::from_millis(2000);
    let tuning = Tuning {
        unknown_kid_interval: Duration::from_millis(400),
        retry_min: Duration::from_millis(50),
        retry_max: Duration::from_millis(50),
        ..Tuning::default()
    };
    let (minted, issuer, cache) = loaded(tuning, wait).await;
    let valid = minted.tokens[0].1.clone();
    issuer.set(Mode::Fail);
    let spent = Instant::now();
    assert_eq!(
        verify(&cache, &with_kid(&valid, "spent"), wait).await,
        Err(Denied::Unavailable)
    );
    tokio::time::sleep_until((spent + Duration::from_millis(300)).into()).await;
    issuer.set(Mode::Slow(minted.jwks.clone(), Duration::from_millis(300)));
    let forged = tokio::spawn({
        let (cache, token) = (cache.clone(), with_kid(&valid, "forged"));
        async move { verify(&cache, &token, wait).await }
    });
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(issuer.calls(), 3, "the retry is under way");
    issuer.set(Mode::Serve(minted.jwks_rotated.clone()));
    tokio::time::sleep_until((spent + Duration::from_millis(450)).into()).await;
    verify(&cache, &minted.rotated, wait).await.unwrap();
    assert_eq!(issuer.calls(), 4, "the retry, then the token's refetch");
    let _ = forged.await;
}

/// Keys newer than the set a token was checked against are checked before
/// anything else, even with the interval's refetch spent, at no cost.
#[tokio::test]
async fn newer_keys_in_hand_are_checked_whatever_the_limit() {
    use scripted::{Mode, loaded, refused};
    let wait = Duration::from_millis(1000);
    let (minted, issuer, cache) = loaded(stale_after_200ms(), wait).await;
    let valid = minted.tokens[0].1.clone();
    refused(&cache, &with_kid(&valid, "forged"), wait).await;
    issuer.set(Mode::Slow(
        minted.jwks_rotated.clone(),
        Duration::from_millis(100),
    ));
    tokio::time::sleep(Duration::from_millis(250)).await;
    // The stale set starts its refresh; a token arrives, is checked against
    // the stale set, and the refresh (begun before it) ends.
    cache.keys(wait).await.unwrap();
    tokio::time::sleep(Duration::from_millis(10)).await;
    let arrived = Instant::now();
    let used = cache.keys(wait).await.unwrap();
    tokio::time::sleep(Duration::from_millis(150)).await;
    let calls = issuer.calls();
    let newer = cache
        .refetch_for_unknown_kid(wait, &used, arrived)
        .await
        .unwrap()
        .expect("the refreshed set");
    assert!(!Arc::ptr_eq(&newer, &used));
    assert_eq!(issuer.calls(), calls);
}

/// Starting a fetch on a runtime already gone neither hangs nor deadlocks
/// (the task is dropped inside `spawn`, while the cache's lock is held).
#[test]
fn a_fetch_started_on_a_runtime_already_gone_does_not_deadlock() {
    use scripted::{Issuer, Mode};
    let issuer = Issuer::new(Mode::Fail);
    let cache = issuer.cache(Tuning::default());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let handle = runtime.handle().clone();
    drop(runtime);
    let (done, returned) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _inside = handle.enter();
        cache.start();
        let _ = done.send(());
    });
    assert!(returned.recv_timeout(Duration::from_secs(5)).is_ok());
}

/// A token checked against stale keys whose refresh ended since it arrived
/// is checked against the refreshed keys, with no fetch of its own.
#[tokio::test]
async fn keys_refreshed_since_a_token_arrived_are_used_without_a_refetch() {
    use scripted::{Mode, loaded};
    let wait = Duration::from_millis(1000);
    let (minted, issuer, cache) = loaded(stale_after_200ms(), wait).await;
    tokio::time::sleep(Duration::from_millis(250)).await;
    issuer.set(Mode::Serve(minted.jwks_rotated.clone()));
    let arrived = Instant::now();
    // Stale keys at once; their refresh starts and ends before the token's
    // unknown `kid` asks for a refetch.
    let used = cache.keys(wait).await.unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(issuer.calls(), 2);
    let newer = cache
        .refetch_for_unknown_kid(wait, &used, arrived)
        .await
        .unwrap()
        .expect("the refreshed keys");
    assert!(!Arc::ptr_eq(&newer, &used));
    assert_eq!(issuer.calls(), 2);
    // Asked again with those keys: refused, still without a fetch.
    assert!(
        cache
            .refetch_for_unknown_kid(wait, &newer, arrived)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(issuer.calls(), 2);
}

/// A fetch that panics counts as a failed one: the cache answers 503 while
/// it backs off, then fetches again, instead of waiting for that fetch's
/// end for the rest of the instance's life.
#[tokio::test]
async fn a_panicking_fetch_is_a_failed_one() {
    use scripted::{Issuer, Mode, verify};
    let wait = Duration::from_millis(200);
    let minted = mint(scripted::ISSUER, now_secs());
    let valid = minted.tokens[0].1.clone();
    let issuer = Issuer::new(Mode::Panic);
    let cache = issuer.cache(Tuning {
        retry_min: Duration::from_millis(300),
        ..Tuning::default()
    });
    assert_eq!(verify(&cache, &valid, wait).await, Err(Denied::Unavailable));
    assert_eq!(issuer.calls(), 1);
    issuer.set(Mode::Serve(minted.jwks.clone()));
    tokio::time::sleep(Duration::from_millis(150)).await;
    verify(&cache, &valid, wait).await.unwrap();
    assert_eq!(issuer.calls(), 2);
}

/// A request waiting for the first keys while a retry hangs sleeps until
/// the retry ends, not spinning: this thread's CPU time, not the wait, is
/// measured.
#[tokio::test]
async fn waiting_for_a_retry_under_way_costs_no_cpu() {
    use scripted::{Issuer, Mode};
    fn thread_cpu() -> Duration {
        let mut time = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: a valid clock id and a pointer to a timespec we own.
        assert_eq!(
            unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut time) },
            0
        );
        Duration::new(time.tv_sec as u64, time.tv_nsec as u32)
    }
    let issuer = Issuer::new(Mode::Fail);
    let cache = issuer.cache(Tuning {
        retry_min: Duration::from_millis(20),
        ..Tuning::default()
    });
    let before = thread_cpu();
    let waiting = tokio::spawn({
        let cache = cache.clone();
        async move { cache.keys(Duration::from_millis(500)).await }
    });
    // The first fetch fails; the retry, due 20 ms later, hangs past the wait.
    tokio::time::sleep(Duration::from_millis(5)).await;
    issuer.set(Mode::Hang(Duration::from_millis(600)));
    assert_eq!(waiting.await.unwrap().unwrap_err(), Unavailable);
    assert_eq!(issuer.calls(), 2);
    let spent = thread_cpu() - before;
    assert!(spent < Duration::from_millis(100), "{spent:?} of CPU");
}

/// After a failure, a burst of unknown kids once the back-off is due costs
/// one fetch, which every request waits for.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_kids_after_a_failure_costs_one_fetch() {
    use scripted::{Mode, loaded, verify};
    let wait = Duration::from_millis(500);
    let tuning = Tuning {
        retry_min: Duration::from_millis(50),
        retry_max: Duration::from_millis(50),
        ..Tuning::default()
    };
    let (minted, issuer, cache) = loaded(tuning, wait).await;
    let valid = minted.tokens[0].1.clone();
    issuer.set(Mode::Fail);
    assert_eq!(
        verify(&cache, &with_kid(&valid, "x"), wait).await,
        Err(Denied::Unavailable)
    );
    assert_eq!(issuer.calls(), 2);
    tokio::time::sleep(Duration::from_millis(60)).await;
    issuer.set(Mode::Hang(Duration::from_millis(100)));
    let mut burst = tokio::task::JoinSet::new();
    for i in 0..200 {
        let cache = cache.clone();
        let token = with_kid(&valid, &format!("c{i}"));
        burst.spawn(async move { verify(&cache, &token, wait).await });
    }
    while let Some(verdict) = burst.join_next().await {
        assert_eq!(verdict.unwrap(), Err(Denied::Unavailable));
    }
    assert_eq!(issuer.calls(), 3);
}

#[tokio::test]
async fn stale_keys_serve_while_a_refresh_runs_and_max_age_is_bounded() {
    let issuer = Issuer::start();
    let minted = mint(&issuer.url, now_secs());
    issuer.serve(&minted.jwks);
    *issuer.cache_control.lock().unwrap() = "public, max-age=0".into();
    let tuning = Tuning {
        min_ttl: Duration::from_millis(300),
        ..Tuning::default()
    };
    let cache = cache(&issuer.url, tuning);
    let first = cache.keys(WAIT).await.unwrap();
    assert_eq!(issuer.jwks_hits(), 1);
    // max-age=0 is raised to the minimum: fresh for 300 ms, no refetch.
    for _ in 0..20 {
        let _ = cache.keys(WAIT).await.unwrap();
    }
    assert_eq!(issuer.jwks_hits(), 1);
    tokio::time::sleep(Duration::from_millis(350)).await;
    issuer.serve(&minted.jwks_rotated);
    // Stale: served at once, refreshed in the background.
    let stale = cache.keys(Duration::ZERO).await.unwrap();
    assert!(Arc::ptr_eq(&first, &stale));
    let deadline = Instant::now() + WAIT;
    while !cache.keys(WAIT).await.unwrap().contains_kid("rsa-2") {
        assert!(Instant::now() < deadline, "refresh did not land");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(issuer.jwks_hits(), 2);
}

#[tokio::test]
async fn discovery_must_name_the_configured_issuer() {
    let issuer = Issuer::start();
    let minted = mint(&issuer.url, now_secs());
    issuer.serve(&minted.jwks);
    *issuer.claimed_issuer.lock().unwrap() = Some("https://evil.example".into());
    let cache = cache(&issuer.url, Tuning::default());
    assert_eq!(
        cache.keys(Duration::from_millis(500)).await.unwrap_err(),
        Unavailable
    );
    assert!(issuer.discovery_hits() >= 1);
    assert_eq!(
        issuer.jwks_hits(),
        0,
        "no keys from a document for another issuer"
    );
}

#[tokio::test]
async fn an_explicit_jwks_url_skips_discovery() {
    let issuer = Issuer::start();
    let minted = mint(&issuer.url, now_secs());
    issuer.serve(&minted.jwks);
    let settings = OAuth2Settings {
        jwks_url: Some(format!("{}/jwks.json", issuer.url)),
        ..settings(&issuer.url)
    };
    let cache = JwksCache::new(&settings, Arc::new(HttpFetcher::default()));
    assert_eq!(cache.keys(WAIT).await.unwrap().len(), 5);
    assert_eq!(issuer.discovery_hits(), 0);
    assert_eq!(issuer.jwks_hits(), 1);
}

#[tokio::test]
async fn the_http_fetcher_is_bounded() {
    let issuer = Issuer::start();
    issuer.serve("{}");
    let fetcher = HttpFetcher::default();
    assert_eq!(
        fetcher
            .get(&format!("{}/big.json", issuer.url))
            .await
            .unwrap_err(),
        FetchError::TooLarge
    );
    assert_eq!(
        fetcher
            .get(&format!("{}/missing", issuer.url))
            .await
            .unwrap_err(),
        FetchError::Status(404)
    );
    let fetched = fetcher
        .get(&format!("{}/jwks.json", issuer.url))
        .await
        .unwrap();
    assert_eq!(fetched.body, b"{}");
    assert_eq!(fetched.max_age, Some(Duration::from_secs(3600)));
    assert_eq!(
        fetcher.get("ftp://127.0.0.1/x").await.unwrap_err(),
        FetchError::InvalidUrl
    );
    let closed = common::moto::free_port();
    assert_eq!(
        fetcher
            .get(&format!("http://127.0.0.1:{closed}/"))
            .await
            .unwrap_err(),
        FetchError::Connect
    );
    // A server that accepts and never answers.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/jwks.json", silent.local_addr().unwrap());
    let fetcher = HttpFetcher::new(Duration::from_millis(200), Duration::from_millis(300), 1024);
    let started = Instant::now();
    assert_eq!(fetcher.get(&url).await.unwrap_err(), FetchError::Timeout);
    assert!(started.elapsed() < Duration::from_secs(2));
    drop(silent);
}

mod common;

/// The real binary with an `oauth2` source: every minted token gets its
/// status, refusals carry the Bearer challenge, the ActiGraph handshake
/// works, accepted events reach the queue, and an issuer that is down
/// when the function starts makes requests 503, not 401.
#[test]
fn the_function_serves_an_oauth2_source() {
    use common::function::{Function, block_on};
    use common::moto::Moto;
    use hookline::sample_event::{HttpRequest, Shape, event};

    let moto = Moto::start();
    let queue = block_on(moto.create_queue("hooks-oauth2"));
    let port = common::moto::free_port();
    let mut issuer = Issuer::down(port);
    let minted = mint(&issuer.url, now_secs());
    let sources = serde_json::json!({"sources": [{
        "name": "centrepoint", "scheme": "oauth2", "issuer": issuer.url,
        "audiences": [AUDIENCE], "client_ids": [CLIENT_ID], "scopes": [SCOPE],
        "allow_http": true,
    }]})
    .to_string();
    let mut function = Function::start(
        hookline::Scheme::OneCentre,
        &queue,
        &moto.endpoint(),
        &[
            ("WEBHOOK_SCHEME", ""),
            ("WEBHOOK_SECRET", ""),
            ("HOOKLINE_SOURCES", &sources),
            ("SECRETS_WAIT_MS", "500"),
        ],
    );
    let body: &[u8] = br#"{"event":"oauth2"}"#;
    let mut send = |headers: Vec<(String, String)>| {
        let request = HttpRequest {
            path: "/webhooks/centrepoint",
            ..common::request(headers, body, false)
        };
        let (status, response) = function.send_event(&event(Shape::HttpV2, &request));
        let challenge = response["headers"]["www-authenticate"]
            .as_str()
            .map(str::to_owned);
        (status, challenge)
    };
    let auth = |token: &str| vec![("Authorization".to_owned(), format!("Bearer {token}"))];
    let valid = minted
        .tokens
        .iter()
        .find(|(_, _, expect)| expect == "ok")
        .unwrap()
        .1
        .clone();
    // The issuer is down: undecidable, so 503 for the provider to retry.
    assert_eq!(send(auth(&valid)).0, 503);
    issuer.serve(&minted.jwks);
    issuer.listen();
    let deadline = Instant::now() + Duration::from_secs(20);
    while send(auth(&valid)).0 != 200 {
        assert!(Instant::now() < deadline, "keys never arrived");
        std::thread::sleep(Duration::from_millis(200));
    }
    let mut accepted = 1;
    for (name, token, expect) in &minted.tokens {
        let (status, challenge) = send(auth(token));
        match expect.as_str() {
            "ok" => {
                assert_eq!(status, 200, "{name}");
                accepted += 1;
            }
            _ => {
                assert_eq!(status, 401, "{name}");
                assert!(
                    challenge
                        .as_deref()
                        .is_some_and(|c| c.starts_with("Bearer realm=")),
                    "{name}: {challenge:?}"
                );
            }
        }
    }
    let (status, challenge) = send(vec![]);
    assert_eq!(status, 401);
    assert_eq!(challenge.as_deref(), Some("Bearer realm=\"hookline\""));
    // The validation handshake, as for bearer.
    let handshake = vec![
        ("X-ActiGraph-Event".to_owned(), "validation".to_owned()),
        ("X-ActiGraph-Hook-Secret".to_owned(), "code-123".to_owned()),
    ];
    assert_eq!(send(handshake).0, 200);
    assert_eq!(block_on(moto.drain(&queue)).len(), accepted);
}
