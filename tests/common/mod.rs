//! Shared by the integration tests: configuration per scheme, signed
//! requests, and driving the function with real Lambda event payloads.
#![allow(dead_code)]

use std::collections::HashMap;
use std::ffi::OsString;
use std::sync::Mutex;

use hookline::lambda_event;
use hookline::message::OutboundMessage;
use hookline::publish::{PublishError, Publisher};
use hookline::sample_event::{HttpRequest, Shape, event};
use hookline::sign::{Delivery, sign};
use hookline::{Config, Receiver, Scheme};
use lambda_runtime::{Context, LambdaEvent};
use serde_json::Value;

/// The secret each scheme is configured with in tests (the samples' secrets).
pub fn secret_for(scheme: Scheme) -> &'static str {
    hookline::sample_event::sample_secret(scheme)
}

pub fn config(scheme: Scheme, queue_url: &str, extra: &[(&str, &str)]) -> Config {
    let mut vars: HashMap<String, OsString> = HashMap::new();
    vars.insert("WEBHOOK_SCHEME".into(), scheme.name().into());
    vars.insert("WEBHOOK_SECRET".into(), secret_for(scheme).into());
    vars.insert("QUEUE_URL".into(), queue_url.into());
    for (k, v) in extra {
        vars.insert((*k).into(), (*v).into());
    }
    Config::from_lookup(|name| vars.get(name).cloned()).expect("test configuration is valid")
}

pub fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// The headers the provider would send for `body`, plus content-type.
pub fn signed_headers(scheme: Scheme, body: &[u8], id: Option<&str>) -> Vec<(String, String)> {
    let delivery = Delivery {
        id,
        timestamp: now_secs(),
    };
    let mut headers: Vec<(String, String)> =
        sign(scheme, secret_for(scheme).as_bytes(), body, &delivery)
            .unwrap()
            .into_iter()
            .map(|(n, v)| (display_case(n), v))
            .collect();
    headers.push(("Content-Type".into(), "application/json".into()));
    headers
}

/// Providers send mixed-case names; the receiver must not care.
fn display_case(name: &str) -> String {
    name.split('-')
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join("-")
}

pub fn request<'a>(
    headers: Vec<(String, String)>,
    body: &'a [u8],
    base64: bool,
) -> HttpRequest<'a> {
    HttpRequest {
        method: "POST",
        path: "/webhook",
        headers,
        body,
        base64,
        request_id: "req-0001",
    }
}

/// What the function answered, read back from the serialised Lambda response.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Value,
    pub body: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<String> {
        let find = |map: &Value| {
            map.as_object()?
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| match v {
                    Value::Array(items) => items[0].as_str().unwrap_or_default().to_owned(),
                    other => other.as_str().unwrap_or_default().to_owned(),
                })
        };
        find(&self.headers["headers"]).or_else(|| find(&self.headers["multiValueHeaders"]))
    }
}

/// The Lambda invocation id tests run under (ALB events carry no gateway id).
pub const LAMBDA_REQUEST_ID: &str = "8476a536-e9f4-11e8-9739-2dfe598c3fcd";

/// The event as `lambda_runtime` reads it from the Runtime API's response body.
pub fn runtime_reads(payload: &Value) -> lambda_event::HttpEvent {
    let body = serde_json::to_vec(payload).unwrap();
    serde_path_to_error::deserialize(&mut serde_json::Deserializer::from_slice(&body)).unwrap()
}

/// Sends one event payload through the same path Lambda uses.
pub async fn invoke<P: Publisher>(receiver: &Receiver<P>, payload: &Value) -> Answer {
    let request = runtime_reads(payload);
    let mut context = Context::default();
    context.request_id = LAMBDA_REQUEST_ID.to_owned();
    let response = lambda_event::respond(receiver, LambdaEvent::new(request, context)).await;
    let response = serde_json::to_value(response).unwrap();
    let body = match (&response["body"], response["isBase64Encoded"].as_bool()) {
        (Value::String(text), Some(true)) => {
            use base64::Engine;
            String::from_utf8(
                base64::engine::general_purpose::STANDARD
                    .decode(text)
                    .unwrap(),
            )
            .unwrap()
        }
        (Value::String(text), _) => text.clone(),
        _ => String::new(),
    };
    Answer {
        status: response["statusCode"].as_u64().unwrap() as u16,
        headers: response.clone(),
        body,
    }
}

pub async fn send<P: Publisher>(
    receiver: &Receiver<P>,
    shape: Shape,
    request: &HttpRequest<'_>,
) -> Answer {
    invoke(receiver, &event(shape, request)).await
}

/// An in-process publisher for handler tests: records messages, or fails.
#[derive(Default)]
pub struct FakeQueue {
    pub sent: Mutex<Vec<OutboundMessage>>,
    pub failure: Mutex<Option<PublishError>>,
}

impl Publisher for FakeQueue {
    async fn publish(&self, message: OutboundMessage) -> Result<String, PublishError> {
        if let Some(error) = self.failure.lock().unwrap().clone() {
            return Err(error);
        }
        let mut sent = self.sent.lock().unwrap();
        sent.push(message);
        Ok(format!("msg-{}", sent.len()))
    }
}

impl FakeQueue {
    pub fn count(&self) -> usize {
        self.sent.lock().unwrap().len()
    }
}

pub mod fault_proxy;
pub mod function;
pub mod moto;
pub mod runtime;
pub mod store;
