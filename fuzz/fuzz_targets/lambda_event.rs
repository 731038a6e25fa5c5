//! Arbitrary Lambda event payloads through the receiver's entry layer:
//! never a panic, always a well-formed HTTP answer, nothing enqueued.
#![no_main]

use std::sync::OnceLock;

use hookline::lambda_event::{RawEvent, respond};
use hookline::message::OutboundMessage;
use hookline::publish::{PublishError, Publisher};
use hookline::{Config, Receiver};
use libfuzzer_sys::fuzz_target;

struct NoQueue;

impl Publisher for NoQueue {
    async fn publish(&self, _: &OutboundMessage) -> Result<String, PublishError> {
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
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(raw) = serde_json::from_str::<RawEvent>(text) else { return };
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let event = lambda_runtime::LambdaEvent::new(raw, lambda_runtime::Context::default());
    let answer = serde_json::to_value(runtime.block_on(respond(receiver(), event))).unwrap();
    let status = answer["statusCode"].as_u64().unwrap_or(0);
    assert!((200..600).contains(&status), "{answer}");
});
