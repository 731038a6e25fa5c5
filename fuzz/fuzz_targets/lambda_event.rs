//! Arbitrary Lambda event payloads through the receiver's entry layer:
//! any JSON is read as an event (never an invocation error), never a panic,
//! always a well-formed HTTP answer, nothing enqueued.
#![no_main]

use std::sync::OnceLock;

use hookline::lambda_event::{HttpEvent, respond};
use hookline::message::OutboundMessage;
use hookline::publish::{PublishError, Publisher};
use hookline::{Config, Receiver};
use libfuzzer_sys::fuzz_target;

struct NoQueue;

impl Publisher for NoQueue {
    async fn publish(&self, _: OutboundMessage) -> Result<String, PublishError> {
        panic!("fuzz input was accepted and published");
    }
}

fn receiver() -> &'static Receiver<NoQueue> {
    static RECEIVER: OnceLock<Receiver<NoQueue>> = OnceLock::new();
    RECEIVER.get_or_init(|| {
        let config = Config::from_lookup(|name| match name {
            "WEBHOOK_SCHEME" => Some("standard-webhooks".into()),
            "WEBHOOK_SECRET" => Some("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD".into()),
            "QUEUE_URL" => Some("http://127.0.0.1:1/123456789012/q".into()),
            _ => None,
        })
        .unwrap();
        Receiver::new(config, NoQueue)
    })
}

fuzz_target!(|data: &[u8]| {
    // JSON that serde_json can read as a value (numbers beyond f64's range,
    // which no Lambda event holds, are refused by any typed read).
    if serde_json::from_slice::<serde_json::Value>(data).is_err() {
        return;
    }
    // As lambda_runtime reads it.
    let raw: HttpEvent =
        serde_path_to_error::deserialize(&mut serde_json::Deserializer::from_slice(data))
            .expect("valid JSON is always read as an event");
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let event = lambda_runtime::LambdaEvent::new(raw, lambda_runtime::Context::default());
    let answer = serde_json::to_value(runtime.block_on(respond(receiver(), event))).unwrap();
    let status = answer["statusCode"].as_u64().unwrap_or(0);
    assert!((200..600).contains(&status), "{answer}");
});
