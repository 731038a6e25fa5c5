//! The receiver: request → source → (network, size, verify) → publish → reply.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use http::header::WWW_AUTHENTICATE;
use http::{HeaderValue, Method, StatusCode};
use time::OffsetDateTime;

use crate::config::{Config, QueueConfig};
use crate::config::{check_secret, warn_if_weak};
use crate::error::Failure;
use crate::jwks::{Denied, HttpFetcher, JwksCache};
use crate::message::{Envelope, OutboundMessage};
use crate::metrics::{self, MetricsConfig, Observation};
use crate::network::AllowList;
use crate::publish::{PublishError, Publisher};
use crate::request::{Body, Reply, Request};
use crate::route;
use crate::secret::{Secret, SecretRef, Secrets};
use crate::secret_store::{Entry, KeyStore, Refetch};
use crate::verify::oauth2::{self, Policy};
use crate::verify::{HANDSHAKE_HEADER, Rejection, Scheme, Verdict, Verifier, handshake};

/// Time kept back from the invocation's deadline for answering: a send
/// still running then is abandoned and answered 503, so the sender retries,
/// rather than Lambda timing out and the front door answering 500 or 502.
pub const DEADLINE_MARGIN: Duration = Duration::from_millis(500);

/// What a handled request came to.
enum Outcome {
    Enqueued {
        event_id: Option<String>,
        message_id: String,
    },
    Handshake(HeaderValue),
    Failed(Failure),
}

/// One configured source, ready to serve.
#[derive(Debug)]
struct Source {
    name: String,
    scheme: Scheme,
    keys: Keys,
    networks: AllowList,
    queue: QueueConfig,
    max_body_bytes: usize,
}

/// Where a source's verifier comes from.
#[derive(Debug)]
enum Keys {
    /// Every secret was known at init.
    Fixed(Verifier),
    /// Some come from a secret store: the verifier is rebuilt whenever the
    /// store's values change.
    Stored(Stored),
    /// OAuth2 access tokens, against the issuer's keys (one cache per
    /// issuer, shared by its sources, so its refetch limit holds).
    OAuth2 {
        cache: Arc<JwksCache>,
        policy: Policy,
    },
}

#[derive(Debug)]
struct Stored {
    /// Secrets known at init.
    local: Vec<Secret>,
    /// The source's references, as indices into the store.
    refs: Vec<usize>,
    tolerance: Duration,
    /// The last verifier built, with the generations it was built from.
    built: Mutex<Option<(Vec<u64>, Arc<Verifier>)>>,
}

impl Stored {
    /// The verifier for these entries, rebuilt only when a generation changed.
    /// Values that cannot be keys for the scheme are skipped (and logged);
    /// none left is the store's fault, not the sender's: keys unavailable.
    fn verifier(&self, scheme: Scheme, entries: &[Arc<Entry>]) -> Result<Arc<Verifier>, Failure> {
        let generations: Vec<u64> = entries.iter().map(|entry| entry.generation).collect();
        let mut built = self.built.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((seen, verifier)) = built.as_ref()
            && *seen == generations
        {
            return Ok(Arc::clone(verifier));
        }
        let usable = |value: &&Secret| {
            let ok = check_secret(value.expose()).is_ok()
                && Verifier::new(scheme, &Secrets::new([(*value).clone()]), self.tolerance).is_ok();
            if !ok {
                tracing::error!(
                    scheme = scheme.name(),
                    "a secret store value is not a usable key for this scheme; skipped"
                );
            }
            ok
        };
        let values: Vec<Secret> = self
            .local
            .iter()
            .chain(
                entries
                    .iter()
                    .flat_map(|entry| entry.values.iter())
                    .inspect(|value| {
                        warn_if_weak(scheme, value.expose(), "secret store");
                    }),
            )
            .filter(usable)
            .cloned()
            .collect();
        let verifier = Verifier::new(scheme, &Secrets::new(values), self.tolerance)
            .map(Arc::new)
            .map_err(|_| Failure::KeysUnavailable)?;
        *built = Some((generations, Arc::clone(&verifier)));
        Ok(verifier)
    }
}

/// Everything built at cold start, shared by reference with every request.
#[derive(Debug)]
pub struct Receiver<P> {
    sources: Vec<Source>,
    /// Source index by name; `None` when one source answers every path.
    routes: Option<HashMap<Box<str>, usize>>,
    publisher: P,
    /// Secret store values, for sources that reference a store.
    store: Option<Box<dyn KeyStore>>,
    /// How long a request waits for its source's store values.
    wait: Duration,
    metrics: MetricsConfig,
    /// Cleared by the first request this instance answers.
    cold: AtomicBool,
}

/// The `source` log and metrics label of a request that matched none.
const UNKNOWN_SOURCE: &str = "unknown";
/// The `source` label of an event that was not an HTTP request.
const NO_SOURCE: &str = "none";

impl<P: Publisher> Receiver<P> {
    /// Assembles the receiver from validated configuration and a publisher.
    /// Sources that reference a secret store answer 503 until one is given
    /// with [`Receiver::with_store`].
    pub fn new(config: Config, publisher: P) -> Self {
        let wait = config.secrets.wait;
        let mut next_ref = 0;
        let mut issuers: HashMap<(String, Option<String>), Arc<JwksCache>> = HashMap::new();
        let sources: Vec<Source> = config
            .sources
            .into_iter()
            .map(|source| {
                let keys = match (source.verifier, source.oauth2) {
                    (_, Some(settings)) => {
                        let key = (settings.issuer.clone(), settings.jwks_url.clone());
                        let cache = issuers.entry(key).or_insert_with(|| {
                            Arc::new(JwksCache::new(&settings, Arc::new(HttpFetcher::default())))
                        });
                        Keys::OAuth2 {
                            cache: Arc::clone(cache),
                            policy: settings.policy(),
                        }
                    }
                    (Some(verifier), None) => Keys::Fixed(verifier),
                    (None, None) => {
                        let mut local = Vec::new();
                        let mut refs = Vec::new();
                        for secret in source.secrets {
                            match secret {
                                SecretRef::Value(value) => local.push(value),
                                SecretRef::Store(_) => {
                                    refs.push(next_ref);
                                    next_ref += 1;
                                }
                                SecretRef::Env(_) => unreachable!("read at init"),
                            }
                        }
                        Keys::Stored(Stored {
                            local,
                            refs,
                            tolerance: source.tolerance,
                            built: Mutex::new(None),
                        })
                    }
                };
                Source {
                    name: source.name,
                    scheme: source.scheme,
                    keys,
                    networks: source.networks,
                    queue: source.queue,
                    max_body_bytes: source.max_body_bytes,
                }
            })
            .collect();
        let routes = config.routed.then(|| {
            sources
                .iter()
                .enumerate()
                .map(|(index, source)| (source.name.as_str().into(), index))
                .collect()
        });
        Self {
            sources,
            routes,
            publisher,
            store: None,
            wait,
            metrics: config.metrics,
            cold: AtomicBool::new(true),
        }
    }

    /// Starts fetching every OAuth2 issuer's keys (inside the runtime, at
    /// cold start); without it the first request starts the fetch.
    pub fn start_key_fetches(&self) {
        for source in &self.sources {
            if let Keys::OAuth2 { cache, .. } = &source.keys {
                cache.start();
            }
        }
    }

    /// Gives the receiver its secret store: reference `i` is the `i`th of
    /// [`Config::store_refs`](crate::config::Config::store_refs).
    pub fn with_store(mut self, store: Box<dyn KeyStore>) -> Self {
        self.store = Some(store);
        self
    }

    /// The publisher, for tests that inspect what was sent.
    pub fn publisher(&self) -> &P {
        &self.publisher
    }

    /// Answers one request. `now` is the clock reading used for timestamp
    /// windows and `received_at`.
    /// Takes the request whole so an accepted body moves onto the queue
    /// rather than being copied.
    pub async fn handle(&self, request: Request, now: SystemTime) -> Reply {
        let started = Instant::now();
        let body_size = request.body.as_ref().map_or(0, |body| body.len());
        let source = self.route(request.path.as_deref());
        let outcome = match self.accept(source, request, now).await {
            Ok(outcome) => outcome,
            Err(failure) => Outcome::Failed(failure),
        };
        let label = source.map_or(UNKNOWN_SOURCE, |source| source.name.as_str());
        let challenge = match (source, &outcome) {
            // RFC 6750: no error code when no token was sent.
            (Some(source), Outcome::Failed(Failure::Unauthorized(rejection)))
                if source.scheme == Scheme::OAuth2 =>
            {
                Some(oauth2::challenge(*rejection))
            }
            (source, _) => source.and_then(|source| source.scheme.challenge()),
        };
        let reply = reply(&outcome, challenge);
        self.record(label, &outcome, reply.status, body_size, started);
        reply
    }

    /// Answers a Lambda event that is not a well-formed HTTP request.
    pub fn malformed(&self) -> Reply {
        let outcome = Outcome::Failed(Failure::MalformedEvent);
        let reply = reply(&outcome, None);
        self.record(NO_SOURCE, &outcome, reply.status, 0, Instant::now());
        reply
    }

    /// The one log line and metrics document of a request, whatever its outcome.
    fn record(
        &self,
        source: &str,
        outcome: &Outcome,
        status: StatusCode,
        body_size: usize,
        started: Instant,
    ) {
        let latency = started.elapsed();
        log(source, outcome, status, body_size, latency);
        let outcome = match outcome {
            Outcome::Enqueued { .. } => metrics::Outcome::Enqueued,
            Outcome::Handshake(_) => metrics::Outcome::Handshake,
            Outcome::Failed(Failure::QueueUnavailable(_)) => metrics::Outcome::QueueUnavailable,
            Outcome::Failed(Failure::KeysUnavailable) => metrics::Outcome::KeysUnavailable,
            Outcome::Failed(failure) => metrics::Outcome::Rejected(failure.reason()),
        };
        self.metrics.emit(&Observation {
            source,
            outcome,
            latency,
            body_size,
            cold_start: self.cold.swap(false, Ordering::Relaxed),
        });
    }

    /// The source a path names; the only one when requests are not routed.
    fn route(&self, path: Option<&str>) -> Option<&Source> {
        match &self.routes {
            None => self.sources.first(),
            Some(routes) => {
                let name = route::source_name(path?)?;
                routes.get(name).map(|&index| &self.sources[index])
            }
        }
    }

    async fn accept(
        &self,
        source: Option<&Source>,
        request: Request,
        now: SystemTime,
    ) -> Result<Outcome, Failure> {
        if request.method != Method::POST {
            return Err(Failure::MethodNotAllowed);
        }
        let source = source.ok_or(Failure::NotFound)?;
        if !source.networks.allows(request.sender) {
            return Err(Failure::ForbiddenNetwork);
        }
        let body = request.body.map_err(|_| Failure::BodyEncoding)?;
        if body.len() > source.max_body_bytes {
            return Err(Failure::PayloadTooLarge);
        }
        let headers = &request.headers;
        if source.scheme.is_actigraph_family()
            && let Some(code) = handshake(headers)
        {
            return code
                .map(Outcome::Handshake)
                .map_err(|_| Failure::BadHandshake);
        }
        // Waiting for keys is bounded by the invocation's deadline too, so
        // the answer is a 503 rather than a Lambda timeout.
        let wait = time_left(request.deadline).map_or(self.wait, |left| left.min(self.wait));
        let accepted = match &source.keys {
            Keys::Fixed(verifier) => verifier.verify(headers, &body, now),
            // What no key could verify is refused without waiting for one.
            Keys::Stored(stored) => {
                match Verifier::precheck(source.scheme, stored.tolerance, headers, &body, now) {
                    Ok(()) => {
                        self.verify_stored(source.scheme, stored, headers, &body, now, wait)
                            .await?
                    }
                    Err(rejection) => Err(rejection),
                }
            }
            // Keys, then perhaps one refetch for a new `kid`: half each.
            Keys::OAuth2 { cache, policy } => {
                match cache.verify(headers, policy, now, wait / 2).await {
                    Ok(accepted) => Ok(accepted),
                    Err(Denied::Rejected(rejection)) => Err(rejection),
                    // No keys, and the issuer cannot be reached: undecided.
                    Err(Denied::Unavailable) => return Err(Failure::KeysUnavailable),
                }
            }
        }
        .map_err(Failure::from)?;
        // What the signature covers is what goes on the queue.
        let body = accepted.signed_text.map_or(body, Body::Bytes);
        let text = json_text(body).ok_or(Failure::NotJson)?;
        let envelope = Envelope {
            source: &source.name,
            event_id: accepted.event_id.as_deref(),
            id_trust: accepted.id_trust,
            received_at: rfc3339(now),
            request_id: request.request_id.as_deref().filter(|id| !id.is_empty()),
        };
        let message = OutboundMessage::build(text, &envelope, &source.queue)
            .map_err(|_| Failure::PayloadTooLarge)?;
        let message_id = within(request.deadline, self.publisher.publish(message))
            .await
            .map_err(Failure::QueueUnavailable)?;
        Ok(Outcome::Enqueued {
            event_id: accepted.event_id,
            message_id,
        })
    }
}

impl<P: Publisher> Receiver<P> {
    /// Verifies against a source's store values, waiting for them at most
    /// the configured bound. When no value matches, the store is asked once
    /// for newer ones (rate-limited there), so a secret rotated behind the
    /// cache is picked up without a failed delivery.
    async fn verify_stored(
        &self,
        scheme: Scheme,
        stored: &Stored,
        headers: &http::HeaderMap,
        body: &[u8],
        now: SystemTime,
        wait: Duration,
    ) -> Result<Verdict, Failure> {
        let store = self.store.as_deref().ok_or(Failure::KeysUnavailable)?;
        let deadline = Instant::now() + wait;
        let left = || deadline.saturating_duration_since(Instant::now());
        let mut entries = Vec::with_capacity(stored.refs.len());
        for &r in &stored.refs {
            let entry = store
                .get(r, left())
                .await
                .map_err(|_| Failure::KeysUnavailable)?;
            entries.push(entry);
        }
        let verdict = stored
            .verifier(scheme, &entries)?
            .verify(headers, body, now);
        if !matches!(
            verdict,
            Err(Rejection::SignatureMismatch | Rejection::CredentialsMismatch)
        ) {
            return Ok(verdict);
        }
        // No value matched: ask the store again. Only values it confirmed
        // make the mismatch a forgery; if it could not be read, the sender
        // may hold a rotated secret, so nothing is decided (503).
        let (mut newer, mut unconfirmed) = (false, false);
        for (entry, &r) in entries.iter_mut().zip(&stored.refs) {
            match store.refetch(r, entry.generation, left()).await {
                Refetch::Refreshed(fresh) => {
                    *entry = fresh;
                    newer = true;
                }
                Refetch::Unchanged => {}
                Refetch::Failed(_) => unconfirmed = true,
            }
        }
        let verdict = if newer {
            stored
                .verifier(scheme, &entries)?
                .verify(headers, body, now)
        } else {
            verdict
        };
        if unconfirmed
            && matches!(
                verdict,
                Err(Rejection::SignatureMismatch | Rejection::CredentialsMismatch)
            )
        {
            return Err(Failure::KeysUnavailable);
        }
        Ok(verdict)
    }
}

/// The time a request may still spend: up to [`DEADLINE_MARGIN`] before the
/// invocation's deadline, or half of what is left when that is less than
/// twice the margin. `None` without a deadline.
fn time_left(deadline: Option<Instant>) -> Option<Duration> {
    let remaining = deadline?.saturating_duration_since(Instant::now());
    Some(if remaining > DEADLINE_MARGIN * 2 {
        remaining - DEADLINE_MARGIN
    } else {
        remaining / 2
    })
}

/// Runs a send, abandoning it [`DEADLINE_MARGIN`] before the invocation's
/// deadline (or halfway there, when less than twice the margin is left).
/// The SDK's own timeout (`SQS_TIMEOUT_MS`) bounds it too.
async fn within(
    deadline: Option<Instant>,
    send: impl Future<Output = Result<String, PublishError>>,
) -> Result<String, PublishError> {
    let Some(left) = time_left(deadline) else {
        return send.await;
    };
    tokio::time::timeout(left, send)
        .await
        .unwrap_or_else(|_| Err(PublishError::Timeout("the invocation's deadline".into())))
}

/// The one log line of a request, whatever its outcome.
fn log(source: &str, outcome: &Outcome, status: StatusCode, body_size: usize, latency: Duration) {
    let status = status.as_u16();
    let latency_us = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
    match outcome {
        Outcome::Enqueued {
            event_id,
            message_id,
        } => tracing::info!(
            outcome = "enqueued",
            source,
            status,
            event_id = event_id.as_deref(),
            message_id = message_id.as_str(),
            body_size,
            latency_us,
            "request"
        ),
        Outcome::Handshake(_) => tracing::info!(
            outcome = "handshake",
            source,
            status,
            body_size,
            latency_us,
            "request"
        ),
        Outcome::Failed(Failure::QueueUnavailable(error)) => tracing::error!(
            outcome = "failed", source, reason = error.kind(), status, body_size, latency_us, error = %error, "request"
        ),
        Outcome::Failed(failure @ Failure::KeysUnavailable) => tracing::error!(
            outcome = "failed",
            source,
            reason = failure.reason(),
            status,
            body_size,
            latency_us,
            "request"
        ),
        Outcome::Failed(failure) => tracing::info!(
            outcome = "rejected",
            source,
            reason = failure.reason(),
            status,
            body_size,
            latency_us,
            "request"
        ),
    }
}

/// Deepest nesting accepted: the deepest `serde_json` reads with its default
/// recursion limit, so every accepted body parses in the example consumer.
pub use crate::js_json::MAX_DEPTH as MAX_JSON_DEPTH;

/// The body as JSON text, if it is UTF-8, one JSON value, and nested no
/// deeper than [`MAX_JSON_DEPTH`].
fn json_text(body: Body) -> Option<String> {
    let text = body.into_text()?;
    // Ignoring a value does not recurse in serde_json, so depth is checked apart.
    serde_json::from_str::<serde::de::IgnoredAny>(&text).ok()?;
    (nesting_depth(text.as_bytes()) <= MAX_JSON_DEPTH).then_some(text)
}

/// The deepest array/object nesting in valid JSON text.
fn nesting_depth(json: &[u8]) -> usize {
    let (mut depth, mut deepest, mut at) = (0usize, 0usize, 0usize);
    while let Some(&byte) = json.get(at) {
        at += 1;
        match byte {
            b'"' => at = string_end(json, at),
            b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// Just past the closing quote of the string whose contents start at `at`.
/// Strings are most of a typical body, so they are skipped with `memchr`
/// rather than byte by byte.
fn string_end(json: &[u8], mut at: usize) -> usize {
    while let Some(found) = json
        .get(at..)
        .and_then(|rest| memchr::memchr2(b'"', b'\\', rest))
    {
        at += found + 1;
        if json[at - 1] == b'"' {
            return at;
        }
        at += 1; // the escaped character
    }
    json.len()
}

/// RFC 3339 UTC with exactly three fraction digits, so that string order is
/// time order (`2026-11-23T19:52:08.580Z`).
fn rfc3339(now: SystemTime) -> String {
    let at = OffsetDateTime::from(now);
    let year = at.year();
    // Digits pushed directly: `format!` with seven padded fields was about
    // 3,000 instructions of every accepted request (callgrind).
    if !(0..=9999).contains(&year) {
        return format!(
            "{year:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
            u8::from(at.month()),
            at.day(),
            at.hour(),
            at.minute(),
            at.second(),
            at.millisecond()
        );
    }
    let mut out = String::with_capacity(24);
    for (value, width, end) in [
        (year.unsigned_abs(), 4, '-'),
        (u32::from(u8::from(at.month())), 2, '-'),
        (u32::from(at.day()), 2, 'T'),
        (u32::from(at.hour()), 2, ':'),
        (u32::from(at.minute()), 2, ':'),
        (u32::from(at.second()), 2, '.'),
        (u32::from(at.millisecond()), 3, 'Z'),
    ] {
        for place in (0..width).rev() {
            out.push(char::from(b'0' + (value / 10u32.pow(place) % 10) as u8));
        }
        out.push(end);
    }
    out
}

/// The body of a `200` for an enqueued event: `{"id":"<SQS message id>"}`.
#[derive(serde::Serialize)]
struct MessageId<'a> {
    id: &'a str,
}

fn reply(outcome: &Outcome, challenge: Option<&'static str>) -> Reply {
    match outcome {
        Outcome::Enqueued { message_id, .. } => Reply::new(
            StatusCode::OK,
            // Serialised directly: `json!(..).to_string()` built a map and went
            // through `fmt` (about 2,500 instructions per accepted request).
            serde_json::to_string(&MessageId { id: message_id })
                .expect("a struct of one string serialises"),
        ),
        Outcome::Handshake(code) => {
            let mut reply = Reply::new(StatusCode::OK, r#"{"validated":true}"#);
            reply.headers.insert(HANDSHAKE_HEADER, code.clone());
            reply
        }
        Outcome::Failed(failure) => {
            let mut reply = failure.reply();
            if let (Failure::Unauthorized(_), Some(challenge)) = (failure, challenge) {
                reply
                    .headers
                    .insert(WWW_AUTHENTICATE, HeaderValue::from_static(challenge));
            }
            reply
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Body, MAX_JSON_DEPTH, json_text, nesting_depth, rfc3339};
    use std::time::{Duration, UNIX_EPOCH};

    #[tokio::test]
    async fn a_send_is_abandoned_before_the_invocation_deadline() {
        use std::time::Instant;
        let pending = std::future::pending::<Result<String, crate::publish::PublishError>>;
        let started = Instant::now();
        let deadline = started + Duration::from_millis(1100);
        let answer = super::within(Some(deadline), pending()).await;
        assert!(matches!(
            answer,
            Err(crate::publish::PublishError::Timeout(_))
        ));
        let waited = started.elapsed();
        assert!(waited < Duration::from_millis(1100), "{waited:?}");
        // With little time left, half of it (checked on the bound itself: a
        // loaded machine may not wake the task within 100 ms of it).
        let at = Instant::now() + Duration::from_millis(200);
        let left = super::time_left(Some(at)).unwrap();
        let after = at.saturating_duration_since(Instant::now());
        assert!(
            left <= Duration::from_millis(100) && left * 2 + Duration::from_nanos(1) >= after,
            "{left:?} {after:?}"
        );
    }

    #[test]
    fn received_at_has_three_fraction_digits() {
        let at = |ms: u64| rfc3339(UNIX_EPOCH + Duration::from_millis(ms));
        assert_eq!(at(1_795_463_528_580), "2026-11-23T19:52:08.580Z");
        assert_eq!(at(1_795_463_540_000), "2026-11-23T19:52:20.000Z");
        assert_eq!(at(1_795_463_528_007), "2026-11-23T19:52:08.007Z");
        assert_eq!(at(0), "1970-01-01T00:00:00.000Z");
        // Sub-millisecond parts are cut, not rounded up into the next second.
        let late = UNIX_EPOCH + Duration::from_nanos(1_795_463_528_999_900_000);
        assert_eq!(rfc3339(late), "2026-11-23T19:52:08.999Z");
    }

    #[test]
    fn nesting_depth_skips_strings() {
        assert_eq!(nesting_depth(br#"{"a":[1,{"b":"[[[{{{\"]]"}]}"#), 3);
        assert_eq!(nesting_depth(b"1"), 0);
        assert_eq!(nesting_depth(br#"[["\\\\",["\\",["]\"[\\"]]]]"#), 4);
        assert_eq!(nesting_depth(br#"["unterminated \\"#), 1);
    }

    #[test]
    fn json_deeper_than_the_limit_is_refused() {
        let at = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        assert!(json_text(Body::Text(at(MAX_JSON_DEPTH))).is_some());
        assert!(json_text(Body::Text(at(MAX_JSON_DEPTH + 1))).is_none());
        assert!(json_text(Body::Text(at(100_000))).is_none());
    }

    #[test]
    fn lone_surrogate_escapes_are_valid_json() {
        // JSON's grammar allows them and Node's JSON.stringify writes them.
        assert!(json_text(Body::Bytes(br#"{"a":"\ud800x"}"#.to_vec())).is_some());
    }
}
