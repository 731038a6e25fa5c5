//! Lambda event payloads for a request, in each shape AWS delivers HTTP:
//! API Gateway REST (v1), HTTP API (v2), Lambda Function URL and ALB.
//!
//! The `sign` tool writes these to files, `events/` holds them, and the tests
//! drive the function with them.

use crate::verify::Scheme;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value, json};

/// The secrets the files in `events/` are signed with (listed in
/// `events/README.md`); configure `cargo lambda watch` with the same to replay them.
pub fn sample_secret(scheme: Scheme) -> &'static str {
    match scheme {
        Scheme::OneCentre => "1centre-signing-secret",
        Scheme::ActiGraph => "B3`MlG4sJR.X^-%w=oG_UrNBEpszl?",
        Scheme::Basic => "actigraph:correct horse:battery",
        Scheme::Bearer => "bearer-token-0123456789",
        Scheme::Bracken => "12345",
        Scheme::StandardWebhooks => "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD",
        // Tokens come from an identity provider, not a shared secret.
        Scheme::OAuth2 => "",
    }
}

/// Which AWS service the event comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// API Gateway REST API, payload format 1.0 (with `multiValueHeaders`).
    RestV1,
    /// API Gateway HTTP API, payload format 2.0 (repeated headers comma-joined).
    HttpV2,
    /// Lambda Function URL (payload format 2.0, no stage).
    FunctionUrl,
    /// Application Load Balancer with multi-value headers enabled.
    Alb,
}

impl Shape {
    /// Every shape.
    pub const ALL: [Shape; 4] = [Shape::RestV1, Shape::HttpV2, Shape::FunctionUrl, Shape::Alb];

    /// Short name, used in file names.
    pub fn name(self) -> &'static str {
        match self {
            Shape::RestV1 => "rest-v1",
            Shape::HttpV2 => "http-v2",
            Shape::FunctionUrl => "function-url",
            Shape::Alb => "alb",
        }
    }
}

impl std::str::FromStr for Shape {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Shape::ALL
            .into_iter()
            .find(|shape| shape.name() == s)
            .ok_or_else(|| {
                format!("unknown shape {s}; expected rest-v1, http-v2, function-url or alb")
            })
    }
}

/// An HTTP request as a provider sends it.
#[derive(Debug, Clone)]
pub struct HttpRequest<'a> {
    /// `POST` for a delivery.
    pub method: &'a str,
    /// Path, e.g. `/webhook`.
    pub path: &'a str,
    /// Headers in order; a name may repeat.
    pub headers: Vec<(String, String)>,
    /// The exact body bytes.
    pub body: &'a [u8],
    /// Send the body base64-encoded (as AWS does for binary media types).
    pub base64: bool,
    /// The request id AWS assigns.
    pub request_id: &'a str,
}

/// The event `shape`'s service would hand Lambda for `request`.
pub fn event(shape: Shape, request: &HttpRequest<'_>) -> Value {
    let body = if request.base64 {
        STANDARD.encode(request.body)
    } else {
        String::from_utf8_lossy(request.body).into_owned()
    };
    let mut last = Map::new();
    let mut every: Map<String, Value> = Map::new();
    for (name, value) in &request.headers {
        last.insert(name.clone(), json!(value));
        match every.get_mut(name).and_then(Value::as_array_mut) {
            Some(values) => values.push(json!(value)),
            None => {
                every.insert(name.clone(), json!([value]));
            }
        }
    }
    match shape {
        Shape::RestV1 => json!({
            "resource": request.path,
            "path": request.path,
            "httpMethod": request.method,
            "headers": last,
            "multiValueHeaders": every,
            "queryStringParameters": null,
            "multiValueQueryStringParameters": null,
            "pathParameters": null,
            "stageVariables": null,
            "requestContext": {
                "accountId": "123456789012",
                "apiId": "hookline01",
                "resourceId": "abc123",
                "resourcePath": request.path,
                "httpMethod": request.method,
                "path": format!("/prod{}", request.path),
                "protocol": "HTTP/1.1",
                "stage": "prod",
                "requestId": request.request_id,
                "requestTimeEpoch": 1_700_000_000_000_i64,
                "identity": { "sourceIp": "203.0.113.10", "userAgent": "provider/1.0" }
            },
            "body": body,
            "isBase64Encoded": request.base64
        }),
        Shape::HttpV2 | Shape::FunctionUrl => {
            let joined = comma_joined(&request.headers);
            let (route, domain, stage) = if shape == Shape::HttpV2 {
                (
                    format!("{} {}", request.method, request.path),
                    "hookline01.execute-api.us-east-1.amazonaws.com",
                    "$default",
                )
            } else {
                (
                    "$default".to_owned(),
                    "hookline01.lambda-url.us-east-1.on.aws",
                    "$default",
                )
            };
            json!({
                "version": "2.0",
                "routeKey": route,
                "rawPath": request.path,
                "rawQueryString": "",
                "headers": joined,
                "requestContext": {
                    "accountId": "123456789012",
                    "apiId": "hookline01",
                    "domainName": domain,
                    "domainPrefix": "hookline01",
                    "http": {
                        "method": request.method,
                        "path": request.path,
                        "protocol": "HTTP/1.1",
                        "sourceIp": "203.0.113.10",
                        "userAgent": "provider/1.0"
                    },
                    "requestId": request.request_id,
                    "routeKey": route,
                    "stage": stage,
                    "time": "14/Nov/2023:22:13:20 +0000",
                    "timeEpoch": 1_700_000_000_000_i64
                },
                "body": body,
                "isBase64Encoded": request.base64
            })
        }
        Shape::Alb => json!({
            "requestContext": {
                "elb": { "targetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/hookline/0123456789abcdef" }
            },
            "httpMethod": request.method,
            "path": request.path,
            "multiValueQueryStringParameters": {},
            "multiValueHeaders": every,
            "body": body,
            "isBase64Encoded": request.base64
        }),
    }
}

/// HTTP API and Function URLs join repeated headers with commas.
fn comma_joined(headers: &[(String, String)]) -> Map<String, Value> {
    let mut joined: Map<String, Value> = Map::new();
    for (name, value) in headers {
        let name = name.to_ascii_lowercase();
        let merged = match joined.get(&name).and_then(Value::as_str) {
            Some(before) => format!("{before},{value}"),
            None => value.clone(),
        };
        joined.insert(name, json!(merged));
    }
    joined
}
