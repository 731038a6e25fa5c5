//! What the handler reads and writes, free of any Lambda event type: the
//! entry layer (`lambda_event`) builds a [`Request`] from an event and turns
//! a [`Reply`] into the response shape its origin expects.

use std::borrow::Cow;
use std::net::IpAddr;
use std::time::Instant;

use http::{HeaderMap, Method, StatusCode};

/// One HTTP request as the receiver sees it.
#[derive(Debug)]
pub struct Request {
    /// The request method.
    pub method: Method,
    /// The path as the front door gives it (a stage prefix included), if any.
    pub path: Option<String>,
    /// Every header, every copy.
    pub headers: HeaderMap,
    /// The exact bytes sent, or [`UndecodableBody`] when the event flagged
    /// the body base64 and it was not.
    pub body: Result<Body, UndecodableBody>,
    /// API Gateway's request id, else Lambda's invocation id.
    pub request_id: Option<String>,
    /// The sender's address as AWS recorded it for the connection.
    pub sender: Option<IpAddr>,
    /// When the invocation times out: a send to SQS must answer before it.
    pub deadline: Option<Instant>,
}

/// The exact bytes sent, remembering whether they are already known to be
/// UTF-8: a body the event carried as a JSON string was checked when the
/// event was read, and is not checked a second time (4 KiB of UTF-8
/// validation was ~2,000 instructions of a ~300,000-instruction request).
/// Equality compares the variant as well as the bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// Bytes already known to be UTF-8 (the event carried them as a JSON
    /// string).
    Text(String),
    /// Bytes decoded from base64, or produced by a verifier: not yet known
    /// to be UTF-8.
    Bytes(Vec<u8>),
}

impl Body {
    /// The body as text, if it is UTF-8.
    pub fn into_text(self) -> Option<String> {
        match self {
            Body::Text(text) => Some(text),
            Body::Bytes(bytes) => String::from_utf8(bytes).ok(),
        }
    }
}

impl std::ops::Deref for Body {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            Body::Text(text) => text.as_bytes(),
            Body::Bytes(bytes) => bytes,
        }
    }
}

/// A body flagged base64 that did not decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UndecodableBody;

/// The answer: status, headers, and a JSON body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The status code.
    pub status: StatusCode,
    /// Headers beyond `Content-Type: application/json`, which every reply has.
    pub headers: HeaderMap,
    /// JSON text: static for every failure.
    pub body: Cow<'static, str>,
}

impl Reply {
    /// A reply with no extra headers.
    pub fn new(status: StatusCode, body: impl Into<Cow<'static, str>>) -> Self {
        Self {
            status,
            headers: HeaderMap::new(),
            body: body.into(),
        }
    }
}
