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
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::Method;
use http::header::CONTENT_TYPE;
use lambda_http::{Body, LambdaEvent, Response, TransformResponse};

pub use http_event::HttpEvent;

use crate::handler::Receiver;
use crate::publish::Publisher;
use crate::request::{Body as RequestBody, Reply, Request, UndecodableBody};

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
    let deadline = deadline(context.deadline);
    let reply = match into_request(payload, context.request_id) {
        Some(mut request) => {
            request.deadline = deadline;
            receiver.handle(request, now).await
        }
        None => receiver.malformed(),
    };
    crate::secret_store::invocation_ended();
    let shaped = TransformResponse::<'static, Response<Body>, Infallible>::Response(
        origin,
        Box::pin(std::future::ready(into_response(reply))),
    );
    match shaped.await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

/// The invocation's deadline (milliseconds since the epoch in the runtime's
/// context) as an instant on this machine's monotonic clock. A deadline
/// already past on arrival (no Lambda sends one; a local emulator's clock
/// might) is ignored rather than failing every request.
fn deadline(epoch_ms: u64) -> Option<Instant> {
    let at = UNIX_EPOCH + Duration::from_millis(epoch_ms);
    let left = at.duration_since(SystemTime::now()).ok()?;
    (!left.is_zero()).then(|| Instant::now() + left)
}

/// The reply as `lambda_http`'s response, `Content-Type: application/json`.
pub fn into_response(reply: Reply) -> Response<Body> {
    let mut response = Response::new(Body::Text(reply.body.into_owned()));
    *response.status_mut() = reply.status;
    let headers = response.headers_mut();
    *headers = reply.headers;
    headers.insert(
        CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    response
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
    let sender = event.sender(&headers);
    let path = event.take_path();
    let body = match (event.body.take(), event.is_base64_encoded) {
        (None, _) => Ok(RequestBody::Text(String::new())),
        (Some(text), false) => Ok(RequestBody::Text(text)),
        (Some(text), true) => STANDARD
            .decode(text)
            .map(RequestBody::Bytes)
            .map_err(|_| UndecodableBody),
    };
    Some(Request {
        method,
        path,
        headers,
        body,
        request_id: Some(request_id),
        sender,
        deadline: None,
    })
}

#[cfg(test)]
mod tests;
