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
    pub body: Result<Vec<u8>, UndecodableBody>,
    /// API Gateway's request id, else Lambda's invocation id.
    pub request_id: Option<String>,
    /// The sender's address as AWS recorded it for the connection.
    pub sender: Option<IpAddr>,
    /// When the invocation times out: a send to SQS must answer before it.
    pub deadline: Option<Instant>,
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
