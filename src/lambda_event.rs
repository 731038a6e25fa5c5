//! Between Lambda's HTTP event payloads and [`Request`]/[`Response`].
//!
//! The event is read by [`HttpEvent`] in the runtime's one pass over its
//! JSON, not by `lambda_http`'s conversion: that one reads each payload
//! shape in full (several times for some), panics on a body flagged base64
//! that is not and on a path or `Host` that does not form a URI (so API
//! Gateway would answer 502), and keeps only the last copy of a repeated
//! header in REST and ALB events. Here the body is decoded, every copy kept,
//! and anything malformed answered `400`.

mod http_event;

use std::convert::Infallible;
use std::time::SystemTime;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::Method;
use lambda_http::{Body, LambdaEvent, Request, Response, TransformResponse};

pub use http_event::HttpEvent;

use crate::error::Failure;
use crate::handler::Receiver;
use crate::publish::Publisher;

/// Marks a request whose body was flagged base64 but did not decode.
#[derive(Debug, Clone, Copy)]
pub struct UndecodableBody;

/// The request id carried into logs and message attributes: API Gateway's
/// where the event has one, else Lambda's invocation id.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// Turns one Lambda event into a request, answers it, and shapes the answer
/// for the service that sent the event.
///
/// The answer is `lambda_http`'s own response type for that origin (API
/// Gateway v1 or v2, ALB, …), which it does not name publicly.
pub async fn respond<P: Publisher>(
    receiver: &Receiver<P>,
    event: LambdaEvent<HttpEvent>,
) -> impl serde::Serialize + Send + use<P> {
    respond_at(receiver, event, SystemTime::now()).await
}

/// [`respond`] with the clock passed in, for replaying recorded events.
///
/// An event that is not a well-formed HTTP event (a header value no HTTP
/// request can carry, say) is answered `400` rather than failing the
/// invocation, which API Gateway would turn into a `502`.
pub async fn respond_at<P: Publisher>(
    receiver: &Receiver<P>,
    event: LambdaEvent<HttpEvent>,
    now: SystemTime,
) -> impl serde::Serialize + Send + use<P> {
    let LambdaEvent { payload, context } = event;
    let origin = payload.origin();
    let response = match into_request(payload, context.request_id) {
        Some(request) => receiver.handle(request, now).await,
        None => {
            tracing::info!(
                outcome = "rejected",
                reason = "malformed_event",
                status = 400u16,
                "request"
            );
            Failure::MalformedEvent.response()
        }
    };
    let shaped = TransformResponse::<'static, Response<Body>, Infallible>::Response(
        origin,
        Box::pin(std::future::ready(response)),
    );
    match shaped.await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

/// The HTTP request an event describes, or `None` if it is malformed.
/// `lambda_request_id` stands in for events without a gateway request id
/// (ALB's).
pub fn into_request(mut event: HttpEvent, lambda_request_id: String) -> Option<Request> {
    if event.malformed {
        return None;
    }
    let method = match event.method()? {
        // lambda_http's reading of an empty method.
        "" => Method::GET,
        method => Method::from_bytes(method.as_bytes()).ok()?,
    };
    let request_id = event.request_id().map_or(lambda_request_id, str::to_owned);
    let headers = event.take_headers();
    let (body, undecodable) = match (event.body.take(), event.is_base64_encoded) {
        (None, _) => (Body::Empty, false),
        (Some(text), false) => (Body::Text(text), false),
        (Some(text), true) => match STANDARD.decode(text) {
            Ok(bytes) => (Body::Binary(bytes), false),
            Err(_) => (Body::Empty, true),
        },
    };
    let mut request = Request::new(body);
    *request.method_mut() = method;
    *request.headers_mut() = headers;
    let extensions = request.extensions_mut();
    extensions.insert(RequestId(request_id));
    if undecodable {
        extensions.insert(UndecodableBody);
    }
    Some(request)
}

#[cfg(test)]
mod tests;
