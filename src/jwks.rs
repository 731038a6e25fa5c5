//! The identity provider's keys for `oauth2` sources: fetched off the init
//! path, cached, refreshed in the background, and refetched for an unknown
//! `kid` at most once per interval whatever the traffic.
//!
//! The network is behind [`JwksFetcher`]; [`HttpFetcher`] is the real one,
//! over the hyper + rustls (aws-lc-rs) stack the AWS SDK already links.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use http::HeaderMap;
use serde::Deserialize;
use tokio::sync::watch;

use crate::verify::oauth2::{self, KeySet, OAuth2Settings, Policy, TokenRejection, check_url};
use crate::verify::{Accepted, Rejection};

/// The response of one GET: its body and `Cache-Control: max-age`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    /// The response body, at most the fetcher's size cap.
    pub body: Vec<u8>,
    /// `max-age` from `Cache-Control`, if the response set one.
    pub max_age: Option<Duration>,
}

/// Why a GET gave no document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    /// The URL could not be requested (not an absolute http(s) URL).
    #[error("invalid url")]
    InvalidUrl,
    /// No connection (DNS, refused, TLS handshake, certificate).
    #[error("connect failed")]
    Connect,
    /// No complete response within the time allowed.
    #[error("timed out")]
    Timeout,
    /// A response other than 200 (redirects are not followed).
    #[error("http status {0}")]
    Status(u16),
    /// The body is larger than the size cap.
    #[error("response too large")]
    TooLarge,
    /// The connection failed while the response was read.
    #[error("read failed")]
    Read,
}

impl FetchError {
    /// A fixed label for logs.
    pub fn label(self) -> &'static str {
        match self {
            FetchError::InvalidUrl => "invalid_url",
            FetchError::Connect => "connect",
            FetchError::Timeout => "timeout",
            FetchError::Status(_) => "status",
            FetchError::TooLarge => "too_large",
            FetchError::Read => "read",
        }
    }
}

/// A future returned by [`JwksFetcher::get`].
pub type FetchFuture<'a> = Pin<Box<dyn Future<Output = Result<Fetched, FetchError>> + Send + 'a>>;

/// The port to the network: one bounded GET.
pub trait JwksFetcher: Send + Sync + 'static {
    /// GETs `url`, bounded in time and size by the implementation.
    fn get<'a>(&'a self, url: &'a str) -> FetchFuture<'a>;
}

/// No key set, and none could be fetched in the time allowed: the request
/// cannot be decided (503 with Retry-After, never 401).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("identity provider keys unavailable")]
pub struct Unavailable;

/// Timing of the cache; [`Tuning::default`] is what production uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tuning {
    /// Key set lifetime when the response sets no `max-age`.
    pub default_ttl: Duration,
    /// Bounds applied to `max-age`.
    pub min_ttl: Duration,
    /// See `min_ttl`.
    pub max_ttl: Duration,
    /// At most one refetch for unknown `kid`s per this interval.
    pub unknown_kid_interval: Duration,
    /// First wait after a failed fetch; doubles up to `retry_max`.
    pub retry_min: Duration,
    /// See `retry_min`.
    pub retry_max: Duration,
}

impl Default for Tuning {
    fn default() -> Self {
        Self {
            default_ttl: Duration::from_secs(3600),
            min_ttl: Duration::from_secs(300),
            max_ttl: Duration::from_secs(24 * 3600),
            unknown_kid_interval: Duration::from_secs(300),
            retry_min: Duration::from_secs(1),
            retry_max: Duration::from_secs(60),
        }
    }
}

/// Why the request was not accepted, for the HTTP layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denied {
    /// A refusal: 401 with the oauth2 challenge.
    Rejected(Rejection),
    /// The keys could not be had: 503 with Retry-After.
    Unavailable,
}

/// The key set of one issuer. Cheap to clone; share one per issuer and JWKS
/// URL so the refetch limit holds per issuer.
#[derive(Clone)]
pub struct JwksCache {
    inner: Arc<Inner>,
}

struct Inner {
    issuer: String,
    jwks_url: Option<String>,
    allow_http: bool,
    fetcher: Arc<dyn JwksFetcher>,
    tuning: Tuning,
    state: Mutex<State>,
    /// Bumped after every fetch attempt, successful or not, with `state`
    /// locked: a waiter that marks it seen under the same lock is woken by
    /// the end of a fetch that was under way then, or of a later one.
    attempts: watch::Sender<u64>,
}

#[derive(Default)]
struct State {
    keys: Option<Arc<KeySet>>,
    fresh_until: Option<Instant>,
    fetching: bool,
    /// The fetch under way is an unknown-`kid` refetch (not a refresh).
    kid_refetch: bool,
    /// The outcome of the last completed attempt.
    last_ok: bool,
    failures: u32,
    retry_at: Option<Instant>,
    last_kid_refetch: Option<Instant>,
    /// When the fetch under way, or the last one, began.
    fetch_started: Option<Instant>,
    /// When the fetch that brought `keys` began: the issuer's document is
    /// at least that recent.
    loaded_from: Option<Instant>,
    discovered: Option<String>,
}

impl std::fmt::Debug for JwksCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwksCache")
            .field("issuer", &self.inner.issuer)
            .finish_non_exhaustive()
    }
}

/// Why one fetch attempt failed; logged with its label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
enum RefreshError {
    #[error("fetch: {0}")]
    Fetch(FetchError),
    #[error("discovery document unreadable or without jwks_uri")]
    Discovery,
    #[error("discovery names another issuer")]
    IssuerMismatch,
    #[error("discovered jwks_uri is not an allowed URL")]
    JwksUrl,
    #[error("jwks: {0}")]
    Jwks(oauth2::JwksError),
    #[error("the fetch ended without an answer")]
    Aborted,
}

#[derive(Deserialize)]
struct Discovery {
    issuer: String,
    jwks_uri: String,
}

fn lock(state: &Mutex<State>) -> std::sync::MutexGuard<'_, State> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

impl JwksCache {
    /// A cache for `settings`' issuer; fetches nothing until [`start`](Self::start)
    /// or the first request.
    pub fn new(settings: &OAuth2Settings, fetcher: Arc<dyn JwksFetcher>) -> Self {
        Self::with_tuning(settings, fetcher, Tuning::default())
    }

    /// As [`new`](Self::new), with other timings (tests).
    pub fn with_tuning(
        settings: &OAuth2Settings,
        fetcher: Arc<dyn JwksFetcher>,
        tuning: Tuning,
    ) -> Self {
        let (attempts, _) = watch::channel(0);
        Self {
            inner: Arc::new(Inner {
                issuer: settings.issuer.clone(),
                jwks_url: settings.jwks_url.clone(),
                allow_http: settings.allow_http,
                fetcher,
                tuning,
                state: Mutex::new(State::default()),
                attempts,
            }),
        }
    }

    /// Starts the first fetch in the background and returns at once. Call
    /// from within the Tokio runtime (e.g. in `main` after config is read).
    pub fn start(&self) {
        let mut state = lock(&self.inner.state);
        if state.keys.is_none() && !state.fetching {
            self.inner.spawn_fetch(&mut state);
        }
    }

    /// The current key set, waiting at most `wait` for a first one. A stale
    /// set is returned at once while a refresh runs in the background.
    pub async fn keys(&self, wait: Duration) -> Result<Arc<KeySet>, Unavailable> {
        let deadline = tokio::time::Instant::now() + wait;
        let mut attempts = self.inner.attempts.subscribe();
        loop {
            let retry_at = {
                let mut state = lock(&self.inner.state);
                attempts.borrow_and_update();
                let now = Instant::now();
                let may_fetch = !state.fetching && state.retry_at.is_none_or(|at| now >= at);
                if let Some(keys) = state.keys.clone() {
                    if may_fetch && state.fresh_until.is_none_or(|until| now >= until) {
                        self.inner.spawn_fetch(&mut state);
                    }
                    return Ok(keys);
                }
                if may_fetch {
                    self.inner.spawn_fetch(&mut state);
                }
                // A fetch under way ends with a change on `attempts`; a
                // retry time already past would wake this loop at once,
                // and again, until the fetch ends.
                if state.fetching { None } else { state.retry_at }
            };
            // Wake on the next attempt's end, or when a retry becomes due.
            let wake = match retry_at {
                Some(at) => deadline.min(tokio::time::Instant::from_std(at)),
                None => deadline,
            };
            if tokio::time::timeout_at(wake, attempts.changed())
                .await
                .is_err()
                && tokio::time::Instant::now() >= deadline
            {
                return Err(Unavailable);
            }
        }
    }

    /// For a token whose `kid` is not in `used`, the key set it was checked
    /// against: a newer set in hand is returned to be checked first; else
    /// refetch, unless the keys in hand come from a fetch begun after the token
    /// `arrived`, or a refetch for an unknown `kid` already ran within the
    /// interval and the last fetch succeeded. A fetch under way that began
    /// before the token arrived (a refresh or a retry) is waited for, but does
    /// not count as the interval's refetch: its document may predate the key,
    /// so the caller asks again if the `kid` is still unknown. After a failed
    /// fetch the keys are not known to be current, so the token is not refused:
    /// refetches then follow the failure back-off instead of the interval.
    ///
    /// `Ok(Some(keys))`: keys to check the token against (refetched, newer than
    /// `used`, or the fetch waited for); `Ok(None)`: the keys are current or
    /// the refetch is rate-limited, nothing fetched (the token is refused);
    /// `Err(Unavailable)`: the fetch failed, is not yet due after a failure, or
    /// did not finish within `wait` (the request cannot be decided).
    pub async fn refetch_for_unknown_kid(
        &self,
        wait: Duration,
        used: &Arc<KeySet>,
        arrived: Instant,
    ) -> Result<Option<Arc<KeySet>>, Unavailable> {
        let mut attempts = self.inner.attempts.subscribe();
        {
            let mut state = lock(&self.inner.state);
            attempts.borrow_and_update();
            if let Some(keys) = &state.keys
                && !Arc::ptr_eq(keys, used)
            {
                // A set newer than the one checked: check it first, at no cost.
                return Ok(Some(Arc::clone(keys)));
            }
            if state.loaded_from.is_some_and(|from| from >= arrived) {
                // Fetched after the token arrived (whatever a later fetch
                // did): a refetch could find no key these do not have.
                return Ok(None);
            }
            let now = Instant::now();
            let limited = state
                .last_kid_refetch
                .is_some_and(|at| now < at + self.inner.tuning.unknown_kid_interval);
            if state.fetching {
                let began_before = state.fetch_started.is_some_and(|at| at < arrived);
                // A refresh begun before the token arrived is not waited for
                // by a token the interval's refetch already failed to find:
                // a slow issuer must not hold forged tokens. An unknown-`kid`
                // refetch is, and so is a fetch begun since the token came
                // (its answer holds any key the token can be signed with).
                if limited && state.last_ok && !state.kid_refetch && began_before {
                    return Ok(None);
                }
                // A fetch begun before the token arrived (a refresh, or a
                // retry) is waited for as it is, without spending the
                // interval's refetch.
                if !limited && !began_before {
                    state.kid_refetch = true;
                    state.last_kid_refetch = Some(now);
                }
            } else {
                if limited && state.last_ok {
                    return Ok(None);
                }
                if limited && state.retry_at.is_some_and(|at| now < at) {
                    return Err(Unavailable);
                }
                self.inner.spawn_fetch(&mut state);
                state.kid_refetch = true;
                if !limited {
                    state.last_kid_refetch = Some(now);
                }
            }
        }
        self.wait_for_fetch(attempts, wait).await
    }

    /// The keys of the fetch under way when `attempts` was last marked seen,
    /// once it ends; `Unavailable` if it fails or outlasts `wait`.
    async fn wait_for_fetch(
        &self,
        mut attempts: watch::Receiver<u64>,
        wait: Duration,
    ) -> Result<Option<Arc<KeySet>>, Unavailable> {
        match tokio::time::timeout(wait, attempts.changed()).await {
            Ok(Ok(())) => {
                let state = lock(&self.inner.state);
                match (&state.keys, state.last_ok) {
                    (Some(keys), true) => Ok(Some(keys.clone())),
                    _ => Err(Unavailable),
                }
            }
            _ => Err(Unavailable),
        }
    }

    /// Verifies the request's bearer token: key set from the cache, one
    /// rate-limited refetch for an unknown `kid`. Malformed tokens are
    /// refused before waiting for keys.
    pub async fn verify(
        &self,
        headers: &HeaderMap,
        policy: &Policy,
        now: SystemTime,
        wait: Duration,
    ) -> Result<Accepted, Denied> {
        oauth2::precheck(headers).map_err(Denied::Rejected)?;
        let arrived = Instant::now();
        let keys = self.keys(wait).await.map_err(|_| Denied::Unavailable)?;
        match oauth2::verify(headers, &keys, policy, now) {
            Ok(accepted) => Ok(accepted),
            Err(TokenRejection::Rejected(rejection)) => Err(Denied::Rejected(rejection)),
            Err(TokenRejection::UnknownKey) => {
                // A few looks within one wait: a newer set already in hand,
                // then a refresh begun before the token arrived, may each
                // come first; only the refetch costs a fetch.
                let deadline = Instant::now() + wait;
                let mut used = keys;
                for _ in 0..4 {
                    let left = deadline.saturating_duration_since(Instant::now());
                    match self.refetch_for_unknown_kid(left, &used, arrived).await {
                        Ok(Some(keys)) => match oauth2::verify(headers, &keys, policy, now) {
                            Ok(accepted) => return Ok(accepted),
                            Err(TokenRejection::Rejected(rejection)) => {
                                return Err(Denied::Rejected(rejection));
                            }
                            Err(TokenRejection::UnknownKey) => used = keys,
                        },
                        Ok(None) => return Err(Denied::Rejected(Rejection::InvalidToken)),
                        Err(Unavailable) => return Err(Denied::Unavailable),
                    }
                }
                Err(Denied::Rejected(Rejection::InvalidToken))
            }
        }
    }
}

impl Inner {
    /// Marks a fetch under way and runs it on the runtime; its end is
    /// published on `attempts`.
    fn spawn_fetch(self: &Arc<Self>, state: &mut State) {
        state.fetching = true;
        state.fetch_started = Some(Instant::now());
        let inner = Arc::clone(self);
        let finisher = Arc::clone(self);
        crate::task::spawn_finished(
            async move {
                let discovered = lock(&inner.state).discovered.clone();
                inner.fetch_once(discovered).await
            },
            move |result| finisher.finish(result.unwrap_or(Err(RefreshError::Aborted))),
        );
    }

    fn finish(&self, result: Result<(KeySet, Option<Duration>, Option<String>), RefreshError>) {
        let mut state = lock(&self.state);
        let now = Instant::now();
        state.fetching = false;
        state.kid_refetch = false;
        match result {
            Ok((keys, max_age, discovered)) => {
                let ttl = max_age.map_or(self.tuning.default_ttl, |age| {
                    age.clamp(self.tuning.min_ttl, self.tuning.max_ttl)
                });
                tracing::info!(
                    issuer = %self.issuer,
                    keys = keys.len(),
                    ttl_s = ttl.as_secs(),
                    "jwks loaded"
                );
                state.keys = Some(Arc::new(keys));
                state.loaded_from = state.fetch_started;
                state.fresh_until = Some(now + ttl);
                state.discovered = discovered;
                state.last_ok = true;
                state.failures = 0;
                state.retry_at = None;
            }
            Err(error) => {
                let backoff = self
                    .tuning
                    .retry_min
                    .saturating_mul(1 << state.failures.min(16))
                    .min(self.tuning.retry_max);
                tracing::warn!(
                    issuer = %self.issuer,
                    error = %error,
                    retry_in_ms = backoff.as_millis() as u64,
                    "jwks fetch failed"
                );
                state.last_ok = false;
                state.failures = state.failures.saturating_add(1);
                state.retry_at = Some(now + backoff);
                // Discover again next time: the issuer may have moved its keys.
                state.discovered = None;
            }
        }
        self.attempts.send_modify(|n| *n = n.wrapping_add(1));
        drop(state);
    }

    async fn fetch_once(
        &self,
        discovered: Option<String>,
    ) -> Result<(KeySet, Option<Duration>, Option<String>), RefreshError> {
        let url = match (&self.jwks_url, discovered) {
            (Some(url), _) => url.clone(),
            (None, Some(url)) => url,
            (None, None) => self.discover().await?,
        };
        let fetched = self.fetcher.get(&url).await.map_err(RefreshError::Fetch)?;
        let keys = KeySet::from_jwks(&fetched.body).map_err(RefreshError::Jwks)?;
        let discovered = self.jwks_url.is_none().then_some(url);
        Ok((keys, fetched.max_age, discovered))
    }

    /// OpenID Connect Discovery: `jwks_uri` from the issuer's configuration,
    /// which must name the configured issuer exactly.
    async fn discover(&self) -> Result<String, RefreshError> {
        let url = discovery_url(&self.issuer);
        let fetched = self.fetcher.get(&url).await.map_err(RefreshError::Fetch)?;
        let document: Discovery =
            serde_json::from_slice(&fetched.body).map_err(|_| RefreshError::Discovery)?;
        if document.issuer != self.issuer {
            return Err(RefreshError::IssuerMismatch);
        }
        check_url(&document.jwks_uri, self.allow_http).map_err(|_| RefreshError::JwksUrl)?;
        Ok(document.jwks_uri)
    }
}

/// `<issuer>/.well-known/openid-configuration`, without doubling a
/// trailing slash (OpenID Connect Discovery 1.0, section 4).
pub fn discovery_url(issuer: &str) -> String {
    format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    )
}

/// `max-age` from a `Cache-Control` value.
fn max_age(headers: &HeaderMap) -> Option<Duration> {
    headers
        .get_all(http::header::CACHE_CONTROL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|directive| {
            let (name, value) = directive.trim().split_once('=')?;
            name.eq_ignore_ascii_case("max-age")
                .then(|| value.trim_matches('"').parse::<u64>().ok())
                .flatten()
        })
        .map(Duration::from_secs)
        .next()
}

type Client = hyper_util::client::legacy::Client<
    hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>,
    http_body_util::Empty<bytes::Bytes>,
>;

/// GETs over hyper + rustls with aws-lc-rs and the system's root
/// certificates, as the AWS SDK does. Redirects are not followed.
pub struct HttpFetcher {
    connect_timeout: Duration,
    total_timeout: Duration,
    max_bytes: usize,
    /// Built on first use, in the background fetch: reading the root
    /// certificates is file I/O that has no place on the init path.
    client: OnceLock<Option<Client>>,
}

impl Default for HttpFetcher {
    fn default() -> Self {
        Self::new(Duration::from_secs(2), Duration::from_secs(5), 64 * 1024)
    }
}

impl HttpFetcher {
    /// A fetcher with these bounds on connecting, on the whole exchange,
    /// and on the body.
    pub fn new(connect_timeout: Duration, total_timeout: Duration, max_bytes: usize) -> Self {
        Self {
            connect_timeout,
            total_timeout,
            max_bytes,
            client: OnceLock::new(),
        }
    }

    fn client(&self) -> Option<&Client> {
        self.client
            .get_or_init(|| {
                let mut http = hyper_util::client::legacy::connect::HttpConnector::new();
                http.set_connect_timeout(Some(self.connect_timeout));
                http.enforce_http(false);
                let https = hyper_rustls::HttpsConnectorBuilder::new()
                    .with_provider_and_native_roots(rustls::crypto::aws_lc_rs::default_provider())
                    .inspect_err(|error| {
                        tracing::warn!(error = %error, "no root certificates for jwks fetches");
                    })
                    .ok()?
                    .https_or_http()
                    .enable_http1()
                    .wrap_connector(http);
                Some(
                    hyper_util::client::legacy::Client::builder(
                        hyper_util::rt::TokioExecutor::new(),
                    )
                    // Fetches are hours apart and Lambda freezes between
                    // invocations: a pooled connection would only go stale.
                    .pool_max_idle_per_host(0)
                    .build(https),
                )
            })
            .as_ref()
    }

    async fn fetch(&self, url: &str) -> Result<Fetched, FetchError> {
        use http_body_util::BodyExt;

        let uri: http::Uri = url.parse().map_err(|_| FetchError::InvalidUrl)?;
        if !matches!(uri.scheme_str(), Some("https" | "http")) {
            return Err(FetchError::InvalidUrl);
        }
        let request = http::Request::get(uri)
            .header(http::header::ACCEPT, "application/json")
            .header(http::header::USER_AGENT, "hookline")
            .body(http_body_util::Empty::new())
            .map_err(|_| FetchError::InvalidUrl)?;
        let client = self.client().ok_or(FetchError::Connect)?;
        let response = client.request(request).await.map_err(|error| {
            if error.is_connect() {
                FetchError::Connect
            } else {
                FetchError::Read
            }
        })?;
        if response.status() != http::StatusCode::OK {
            return Err(FetchError::Status(response.status().as_u16()));
        }
        let max_age = max_age(response.headers());
        let declared = response
            .headers()
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|len| len > self.max_bytes as u64) {
            return Err(FetchError::TooLarge);
        }
        let body = http_body_util::Limited::new(response.into_body(), self.max_bytes)
            .collect()
            .await
            .map_err(|error| {
                if error.is::<http_body_util::LengthLimitError>() {
                    FetchError::TooLarge
                } else {
                    FetchError::Read
                }
            })?
            .to_bytes()
            .to_vec();
        Ok(Fetched { body, max_age })
    }
}

impl JwksFetcher for HttpFetcher {
    fn get<'a>(&'a self, url: &'a str) -> FetchFuture<'a> {
        Box::pin(async move {
            tokio::time::timeout(self.total_timeout, self.fetch(url))
                .await
                .unwrap_or(Err(FetchError::Timeout))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    #[test]
    fn discovery_url_drops_a_trailing_slash() {
        assert_eq!(
            discovery_url("https://tenant.auth0.com/"),
            "https://tenant.auth0.com/.well-known/openid-configuration"
        );
        assert_eq!(
            discovery_url("https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC"),
            "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC/.well-known/openid-configuration"
        );
    }

    #[test]
    fn max_age_is_read_from_cache_control() {
        let mut headers = HeaderMap::new();
        assert_eq!(max_age(&headers), None);
        headers.insert(
            http::header::CACHE_CONTROL,
            HeaderValue::from_static("public, Max-Age=3600, must-revalidate"),
        );
        assert_eq!(max_age(&headers), Some(Duration::from_secs(3600)));
        headers.insert(
            http::header::CACHE_CONTROL,
            HeaderValue::from_static("no-cache, max-age=abc"),
        );
        assert_eq!(max_age(&headers), None);
    }
}
