//! Every way a request can fail, each with its one status and static body.

use http::header::{ALLOW, RETRY_AFTER};
use http::{HeaderValue, StatusCode};

use crate::publish::PublishError;
use crate::request::Reply;
use crate::verify::Rejection;

/// A request the receiver did not accept. Client errors answer with a short
/// static body; only [`Failure::QueueUnavailable`] is a fault worth detail in logs.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// Only POST delivers webhooks.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// The Lambda event is not a well-formed HTTP event.
    #[error("malformed event")]
    MalformedEvent,
    /// No source serves this path. The same answer whatever the path, so
    /// no response tells which sources exist.
    #[error("not found")]
    NotFound,
    /// The sender's address is outside the source's allowed networks.
    #[error("sender not allowed")]
    ForbiddenNetwork,
    /// The event said the body was base64, and it was not.
    #[error("body is not valid base64")]
    BodyEncoding,
    /// The body cannot fit in one SQS message.
    #[error("payload too large")]
    PayloadTooLarge,
    /// An ActiGraph validation request whose code cannot be echoed.
    #[error("invalid validation handshake")]
    BadHandshake,
    /// Verification refused the request.
    #[error("unauthorized: {0}")]
    Unauthorized(Rejection),
    /// Verified, but the body is not UTF-8 JSON.
    #[error("body is not JSON")]
    NotJson,
    /// The queue did not confirm the message: the sender must retry.
    #[error("queue unavailable: {0}")]
    QueueUnavailable(PublishError),
    /// The source's keys (a secret store's values, an identity provider's
    /// keys) are not available: hookline cannot decide, the sender must retry.
    #[error("keys unavailable")]
    KeysUnavailable,
}

impl From<Rejection> for Failure {
    /// A rejection is a 401, but for a signed text too large to enqueue.
    fn from(rejection: Rejection) -> Self {
        match rejection {
            Rejection::TooLarge => Failure::PayloadTooLarge,
            rejection => Failure::Unauthorized(rejection),
        }
    }
}

impl Failure {
    /// The HTTP status for this failure.
    pub fn status(&self) -> StatusCode {
        match self {
            Failure::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Failure::NotFound => StatusCode::NOT_FOUND,
            Failure::ForbiddenNetwork => StatusCode::FORBIDDEN,
            Failure::MalformedEvent
            | Failure::BodyEncoding
            | Failure::BadHandshake
            | Failure::NotJson => StatusCode::BAD_REQUEST,
            Failure::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Failure::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Failure::QueueUnavailable(_) | Failure::KeysUnavailable => {
                StatusCode::SERVICE_UNAVAILABLE
            }
        }
    }

    /// The response body: static, and never more specific than the status
    /// (a 401 says nothing of why).
    pub fn body(&self) -> &'static str {
        match self {
            Failure::MethodNotAllowed => r#"{"error":"method_not_allowed"}"#,
            Failure::MalformedEvent => r#"{"error":"invalid_request"}"#,
            Failure::NotFound => r#"{"error":"not_found"}"#,
            Failure::ForbiddenNetwork => r#"{"error":"forbidden"}"#,
            Failure::BodyEncoding => r#"{"error":"invalid_body_encoding"}"#,
            Failure::PayloadTooLarge => r#"{"error":"payload_too_large"}"#,
            Failure::BadHandshake => r#"{"error":"invalid_handshake"}"#,
            Failure::Unauthorized(_) => r#"{"error":"unauthorized"}"#,
            Failure::NotJson => r#"{"error":"invalid_json"}"#,
            Failure::QueueUnavailable(_) => r#"{"error":"queue_unavailable"}"#,
            Failure::KeysUnavailable => r#"{"error":"temporarily_unavailable"}"#,
        }
    }

    /// A stable label for the log line's `reason` field.
    pub fn reason(&self) -> &'static str {
        match self {
            Failure::MethodNotAllowed => "method_not_allowed",
            Failure::MalformedEvent => "malformed_event",
            Failure::NotFound => "not_found",
            Failure::ForbiddenNetwork => "forbidden_network",
            Failure::BodyEncoding => "invalid_body_encoding",
            Failure::PayloadTooLarge => "payload_too_large",
            Failure::BadHandshake => "invalid_handshake",
            Failure::Unauthorized(rejection) => rejection.label(),
            Failure::NotJson => "invalid_json",
            Failure::QueueUnavailable(error) => error.kind(),
            Failure::KeysUnavailable => "keys_unavailable",
        }
    }

    /// The response for this failure: status, static JSON body, and the
    /// header the status calls for. `Unauthorized` gets its challenge from
    /// the handler, which knows the scheme.
    pub fn reply(&self) -> Reply {
        let mut reply = Reply::new(self.status(), self.body());
        match self {
            Failure::MethodNotAllowed => {
                reply
                    .headers
                    .insert(ALLOW, HeaderValue::from_static("POST"));
            }
            Failure::QueueUnavailable(_) | Failure::KeysUnavailable => {
                reply
                    .headers
                    .insert(RETRY_AFTER, HeaderValue::from_static("1"));
            }
            _ => {}
        }
        reply
    }
}
