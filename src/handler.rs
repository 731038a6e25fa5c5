//! The receiver: request → (scheme, headers, body) → verify → publish → response.

use std::time::{Instant, SystemTime};

use http::header::{CONTENT_TYPE, WWW_AUTHENTICATE};
use http::{HeaderMap, HeaderValue, Method};
use lambda_http::{Body, Request, Response};
use time::OffsetDateTime;

use crate::config::{Config, QueueConfig};
use crate::error::Failure;
use crate::lambda_event::{RequestId, UndecodableBody};
use crate::message::{Envelope, MAX_MESSAGE_BYTES, OutboundMessage};
use crate::publish::Publisher;
use crate::verify::{HANDSHAKE_EVENT, HANDSHAKE_HEADER, Verifier};

/// Longest ActiGraph validation code echoed back.
const MAX_HANDSHAKE_LEN: usize = 256;

/// What a handled request came to.
enum Outcome {
    Enqueued {
        event_id: Option<String>,
        message_id: String,
    },
    Handshake(HeaderValue),
    Failed(Failure),
}

/// Everything built at cold start, shared by reference with every request.
#[derive(Debug)]
pub struct Receiver<P> {
    verifier: Verifier,
    queue: QueueConfig,
    publisher: P,
}

impl<P: Publisher> Receiver<P> {
    /// Assembles the receiver from validated configuration and a publisher.
    pub fn new(config: Config, publisher: P) -> Self {
        Self {
            verifier: config.verifier,
            queue: config.queue,
            publisher,
        }
    }

    /// The publisher, for tests that inspect what was sent.
    pub fn publisher(&self) -> &P {
        &self.publisher
    }

    /// Answers one request. `now` is the clock reading used for timestamp
    /// windows and `received_at`.
    /// Takes the request whole so an accepted body moves onto the queue
    /// rather than being copied.
    pub async fn handle(&self, request: Request, now: SystemTime) -> Response<Body> {
        let started = Instant::now();
        let body_size = request.body().len();
        let outcome = self.process(request, now).await;
        let response = respond(&outcome, self.verifier.scheme().challenge());
        let status = response.status().as_u16();
        let latency_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        match &outcome {
            Outcome::Enqueued {
                event_id,
                message_id,
            } => tracing::info!(
                outcome = "enqueued",
                status,
                event_id = event_id.as_deref(),
                message_id = message_id.as_str(),
                body_size,
                latency_us,
                "request"
            ),
            Outcome::Handshake(_) => tracing::info!(
                outcome = "handshake",
                status,
                body_size,
                latency_us,
                "request"
            ),
            Outcome::Failed(Failure::QueueUnavailable(error)) => tracing::error!(
                outcome = "failed", reason = error.kind(), status, body_size, latency_us, error = %error, "request"
            ),
            Outcome::Failed(failure) => tracing::info!(
                outcome = "rejected",
                reason = failure.reason(),
                status,
                body_size,
                latency_us,
                "request"
            ),
        }
        response
    }

    async fn process(&self, request: Request, now: SystemTime) -> Outcome {
        match self.accept(request, now).await {
            Ok(outcome) => outcome,
            Err(failure) => Outcome::Failed(failure),
        }
    }

    async fn accept(&self, request: Request, now: SystemTime) -> Result<Outcome, Failure> {
        if request.method() != Method::POST {
            return Err(Failure::MethodNotAllowed);
        }
        if request.extensions().get::<UndecodableBody>().is_some() {
            return Err(Failure::BodyEncoding);
        }
        let body: &[u8] = request.body();
        if body.len() > MAX_MESSAGE_BYTES {
            return Err(Failure::PayloadTooLarge);
        }
        let headers = request.headers();
        if self.verifier.scheme().is_actigraph_family()
            && let Some(code) = handshake(headers)
        {
            return code.map(Outcome::Handshake);
        }
        let accepted = self
            .verifier
            .verify(headers, body, now)
            .map_err(Failure::from)?;
        let (parts, body) = request.into_parts();
        // What the signature covers is what goes on the queue.
        let body = match accepted.signed_text {
            Some(text) => Body::Binary(text),
            None => body,
        };
        let text = json_text(body).ok_or(Failure::NotJson)?;
        let envelope = Envelope {
            source: self.verifier.scheme().name(),
            event_id: accepted.event_id.as_deref(),
            event_id_authenticated: accepted.event_id_authenticated,
            received_at: rfc3339(now),
            request_id: request_id(&parts.extensions),
        };
        let message = OutboundMessage::build(text, &envelope, &self.queue)
            .map_err(|_| Failure::PayloadTooLarge)?;
        let message_id = self
            .publisher
            .publish(message)
            .await
            .map_err(Failure::QueueUnavailable)?;
        Ok(Outcome::Enqueued {
            event_id: accepted.event_id,
            message_id,
        })
    }
}

/// An ActiGraph validation request, if this is one: the code to echo, or why
/// it cannot be echoed. Ordinary deliveries (no `validation` event) are `None`.
fn handshake(headers: &HeaderMap) -> Option<Result<HeaderValue, Failure>> {
    let mut events = headers.get_all(HANDSHAKE_EVENT).iter();
    let is_validation = events
        .next()?
        .as_bytes()
        .eq_ignore_ascii_case(b"validation")
        && events.next().is_none();
    if !is_validation {
        return None;
    }
    let mut codes = headers.get_all(HANDSHAKE_HEADER).iter();
    let code = match (codes.next(), codes.next()) {
        (Some(code), None) => code,
        _ => return Some(Err(Failure::BadHandshake)),
    };
    let bytes = code.as_bytes();
    let printable = bytes.iter().all(|b| (0x20..0x7f).contains(b));
    if bytes.is_empty() || bytes.len() > MAX_HANDSHAKE_LEN || !printable {
        return Some(Err(Failure::BadHandshake));
    }
    Some(Ok(code.clone()))
}

/// Deepest nesting accepted: the deepest `serde_json` reads with its default
/// recursion limit, so every accepted body parses in the example consumer.
pub use crate::js_json::MAX_DEPTH as MAX_JSON_DEPTH;

/// The body as JSON text, if it is UTF-8, one JSON value, and nested no
/// deeper than [`MAX_JSON_DEPTH`]. A text body is UTF-8 already.
fn json_text(body: Body) -> Option<String> {
    let text = match body {
        Body::Text(text) => text,
        Body::Binary(bytes) => String::from_utf8(bytes).ok()?,
        Body::Empty => return None,
        _ => String::from_utf8(body.to_vec()).ok()?,
    };
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
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        at.millisecond()
    )
}

/// The request id the entry layer attached (API Gateway's, else Lambda's).
fn request_id(extensions: &http::Extensions) -> Option<&str> {
    extensions
        .get::<RequestId>()
        .map(|id| id.0.as_str())
        .filter(|id| !id.is_empty())
}

fn respond(outcome: &Outcome, challenge: Option<&'static str>) -> Response<Body> {
    let json = |body: String| {
        let mut response = Response::new(Body::Text(body));
        response
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        response
    };
    match outcome {
        Outcome::Enqueued { message_id, .. } => {
            json(serde_json::json!({ "id": message_id }).to_string())
        }
        Outcome::Handshake(code) => {
            let mut response = json(r#"{"validated":true}"#.into());
            response
                .headers_mut()
                .insert(HANDSHAKE_HEADER, code.clone());
            response
        }
        Outcome::Failed(failure) => {
            let mut response = failure.response();
            if let (Failure::Unauthorized(_), Some(challenge)) = (failure, challenge) {
                response
                    .headers_mut()
                    .insert(WWW_AUTHENTICATE, HeaderValue::from_static(challenge));
            }
            response
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{MAX_JSON_DEPTH, json_text, nesting_depth, rfc3339};
    use lambda_http::Body;
    use std::time::{Duration, UNIX_EPOCH};

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
        assert!(json_text(Body::Binary(br#"{"a":"\ud800x"}"#.to_vec())).is_some());
    }
}
