//! Between Lambda's HTTP event payloads and [`Request`]/[`Response`].
//!
//! `lambda_http`'s own conversion panics on a body flagged base64 that is not
//! (so API Gateway would answer 502), and keeps only the last copy of a
//! repeated header in REST and ALB events. This layer decodes the body itself
//! and keeps every copy, so both become clear 4xx answers.

use std::convert::Infallible;
use std::time::SystemTime;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::HeaderMap;
use lambda_http::request::{LambdaRequest, RequestOrigin};
use lambda_http::{Body, LambdaEvent, Request, RequestExt, Response, TransformResponse};

use crate::error::Failure;
use crate::handler::Receiver;
use crate::publish::Publisher;

/// Marks a request whose body was flagged base64 but did not decode.
#[derive(Debug, Clone, Copy)]
pub struct UndecodableBody;

/// The event as Lambda delivers it, before it is read as an HTTP request.
pub type RawEvent = Box<serde_json::value::RawValue>;

/// Turns one Lambda event into a request, answers it, and shapes the answer
/// for the service that sent the event.
///
/// The answer is `lambda_http`'s own response type for that origin (API
/// Gateway v1 or v2, ALB, …), which it does not name publicly.
pub async fn respond<P: Publisher>(
    receiver: &Receiver<P>,
    event: LambdaEvent<RawEvent>,
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
    event: LambdaEvent<RawEvent>,
    now: SystemTime,
) -> impl serde::Serialize + Send + use<P> {
    let LambdaEvent { payload, context } = event;
    let (origin, response) = match parse_event(payload.get()) {
        Ok(request) => {
            let origin = request.request_origin();
            let request = into_request(request).with_lambda_context(context);
            (origin, receiver.handle(&request, now).await)
        }
        Err(_) => {
            tracing::info!(
                outcome = "rejected",
                reason = "malformed_event",
                status = 400u16,
                "request"
            );
            (
                guess_origin(payload.get()),
                Failure::MalformedEvent.response(),
            )
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

/// Reads the event as the type its origin sends. `lambda_http`'s own
/// deserialiser tries REST v1 first, which for an HTTP API or Function URL
/// event means parsing the whole event twice.
fn parse_event(payload: &str) -> Result<LambdaRequest, serde_json::Error> {
    let specific = match guess_origin(payload) {
        RequestOrigin::ApiGatewayV2 => {
            serde_json::from_str(payload).map(LambdaRequest::ApiGatewayV2)
        }
        RequestOrigin::Alb => serde_json::from_str(payload).map(LambdaRequest::Alb),
        _ => return serde_json::from_str(payload),
    };
    // VPC Lattice v2 also says "2.0": anything unexpected goes the general way.
    specific.or_else(|_| serde_json::from_str(payload))
}

/// Which service sent an event, from its `version` and `requestContext.elb`.
fn guess_origin(payload: &str) -> RequestOrigin {
    #[derive(serde::Deserialize)]
    struct Context {
        elb: Option<serde::de::IgnoredAny>,
    }
    #[derive(serde::Deserialize)]
    struct Probe {
        version: Option<String>,
        #[serde(rename = "requestContext")]
        request_context: Option<Context>,
    }
    match serde_json::from_str::<Probe>(payload) {
        Ok(Probe {
            version: Some(v), ..
        }) if v == "2.0" => RequestOrigin::ApiGatewayV2,
        Ok(Probe {
            request_context: Some(Context { elb: Some(_) }),
            ..
        }) => RequestOrigin::Alb,
        _ => RequestOrigin::ApiGatewayV1,
    }
}

/// Converts a payload with the body decoded here and repeated headers kept.
///
/// `lambda_http` builds a URI from the path, query, `Host` and
/// `X-Forwarded-Proto`, and panics when they do not form one. The receiver
/// serves a single route and never reads the URI, so those inputs are set
/// aside before conversion and the headers restored after it.
pub fn into_request(mut payload: LambdaRequest) -> Request {
    // REST (v1), WebSocket and ALB events name these fields alike, on different types.
    macro_rules! multi_value_event {
        ($event:expr) => {{
            let event = $event;
            let headers = every_copy(&event.multi_value_headers, &event.headers);
            event.path = None;
            event.query_string_parameters = Default::default();
            event.multi_value_query_string_parameters = Default::default();
            (event.headers, event.multi_value_headers) = Default::default();
            (
                take_base64(&mut event.body, &mut event.is_base64_encoded),
                Some(headers),
            )
        }};
    }
    let (decoded, headers) = match &mut payload {
        LambdaRequest::ApiGatewayV1(event) => {
            (
                event.request_context.domain_name,
                event.request_context.stage,
            ) = (None, None);
            multi_value_event!(event)
        }
        LambdaRequest::WebSocket(event) => {
            (
                event.request_context.domain_name,
                event.request_context.stage,
            ) = (None, None);
            multi_value_event!(event)
        }
        LambdaRequest::Alb(event) => multi_value_event!(event),
        LambdaRequest::ApiGatewayV2(event) => {
            let headers = std::mem::take(&mut event.headers);
            (event.raw_path, event.raw_query_string, event.cookies) = (None, None, None);
            (
                event.request_context.domain_name,
                event.request_context.stage,
            ) = (None, None);
            event.query_string_parameters = Default::default();
            (
                take_base64(&mut event.body, &mut event.is_base64_encoded),
                Some(headers),
            )
        }
        LambdaRequest::VpcLatticeV2(event) => {
            let headers = std::mem::take(&mut event.headers);
            event.path = None;
            event.query_string_parameters = Default::default();
            (
                take_base64(&mut event.body, &mut event.is_base64_encoded),
                Some(headers),
            )
        }
        _ => (None, None),
    };
    let mut request: Request = payload.into();
    if let Some(headers) = headers {
        *request.headers_mut() = headers;
    }
    match decoded {
        Some(Ok(bytes)) => *request.body_mut() = Body::Binary(bytes),
        Some(Err(())) => {
            request.extensions_mut().insert(UndecodableBody);
        }
        None => {}
    }
    request
}

/// Takes a base64 body out of the event (leaving nothing for `lambda_http` to
/// decode) and decodes it; `None` when the body is not base64-flagged.
fn take_base64(body: &mut Option<String>, flagged: &mut bool) -> Option<Result<Vec<u8>, ()>> {
    if !std::mem::take(flagged) {
        return None;
    }
    let text = body.take().unwrap_or_default();
    Some(STANDARD.decode(text).map_err(drop))
}

/// REST and ALB events carry every copy of a header in `multiValueHeaders`
/// and the last in `headers`; keep every copy.
fn every_copy(multi: &HeaderMap, single: &HeaderMap) -> HeaderMap {
    let mut merged = multi.clone();
    for name in single.keys() {
        if !merged.contains_key(name) {
            for value in single.get_all(name) {
                merged.append(name.clone(), value.clone());
            }
        }
    }
    merged
}
