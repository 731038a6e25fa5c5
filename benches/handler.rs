//! The in-process cost of one request: a Lambda event in, verification, the
//! SQS `SendMessage` input built, the Lambda response out. The SQS round trip
//! is replaced by a publisher that only builds the request.

use std::hint::black_box;
use std::time::{Duration, UNIX_EPOCH};

use aws_sdk_sqs::operation::send_message::SendMessageInput;
use criterion::{Criterion, criterion_group, criterion_main};
use hookline::lambda_event::{HttpEvent, respond_at};
use hookline::message::OutboundMessage;
use hookline::publish::{PublishError, Publisher};
use hookline::sample_event::{HttpRequest, Shape, event, sample_secret};
use hookline::sign::{Delivery, sign};
use hookline::{Config, Receiver, Scheme};
use lambda_runtime::{Context, LambdaEvent};

/// Builds the `SendMessage` input the SQS adapter would send, then stops.
struct BuildOnly;

impl Publisher for BuildOnly {
    async fn publish(&self, message: OutboundMessage) -> Result<String, PublishError> {
        let input = SendMessageInput::builder()
            .queue_url(&*message.queue_url)
            .set_message_attributes(Some(hookline::sqs::message_attributes(message.attributes)?))
            .message_body(message.body)
            .set_message_group_id(message.group_id)
            .set_message_deduplication_id(message.deduplication_id);
        black_box(input.build().unwrap());
        Ok("00000000-0000-0000-0000-000000000000".into())
    }
}

const NOW: i64 = 1_700_000_000;

fn body_4k(loose: bool) -> Vec<u8> {
    let (head, tail) = if loose {
        (&br#"{ "data": ""#[..], &b"\" }"[..])
    } else {
        (&br#"{"data":""#[..], &b"\"}"[..])
    };
    let mut body = head.to_vec();
    body.resize(4096 - tail.len(), b'a');
    body.extend_from_slice(tail);
    body
}

/// The event as `lambda_runtime` reads it from the Runtime API's response body.
fn runtime_reads(body: &[u8]) -> HttpEvent {
    serde_path_to_error::deserialize(&mut serde_json::Deserializer::from_slice(body)).unwrap()
}

fn request_cost(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let now = UNIX_EPOCH + Duration::from_secs(NOW as u64);
    let mut group = c.benchmark_group("handler/4KiB");
    let cases = Scheme::ALL
        .into_iter()
        .map(|s| (s, false, s.name().to_string()))
        .chain([(Scheme::Bracken, true, "bracken-reserialised".to_string())]);
    for (scheme, loose, name) in cases {
        let config = Config::from_lookup(|var| match var {
            "WEBHOOK_SCHEME" => Some(scheme.name().into()),
            "WEBHOOK_SECRET" => Some(sample_secret(scheme).into()),
            "QUEUE_URL" => Some("https://sqs.us-east-1.amazonaws.com/123456789012/q".into()),
            _ => None,
        })
        .unwrap();
        let receiver = Receiver::new(config, BuildOnly);
        let body = body_4k(loose);
        let delivery = Delivery {
            id: Some("msg_bench"),
            timestamp: NOW,
        };
        let headers = sign(scheme, sample_secret(scheme).as_bytes(), &body, &delivery)
            .unwrap()
            .into_iter()
            .map(|(n, v)| (n.to_string(), v))
            .collect();
        let request = HttpRequest {
            method: "POST",
            path: "/webhook",
            headers,
            body: &body,
            base64: false,
            request_id: "bench",
        };
        let payload = serde_json::to_string(&event(Shape::HttpV2, &request)).unwrap();
        let check = runtime_reads(payload.as_bytes());
        let answer = serde_json::to_value(runtime.block_on(respond_at(
            &receiver,
            LambdaEvent::new(check, Context::default()),
            now,
        )))
        .unwrap();
        assert_eq!(answer["statusCode"], 200, "{name}");

        group.bench_function(&name, |b| {
            b.iter(|| {
                let raw = runtime_reads(black_box(payload.as_bytes()));
                let response = runtime.block_on(respond_at(
                    &receiver,
                    LambdaEvent::new(raw, Context::default()),
                    now,
                ));
                black_box(serde_json::to_vec(&response).unwrap())
            })
        });
    }
    group.finish();
}

/// Picking the source: Standard Webhooks at `/webhooks/<name>` in a
/// deployment of 1 and of 50 sources (the one asked for configured last);
/// and one source with its metrics document off, to show what it costs.
fn routing_cost(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let now = UNIX_EPOCH + Duration::from_secs(NOW as u64);
    let scheme = Scheme::StandardWebhooks;
    let mut group = c.benchmark_group("sources/4KiB");
    for (count, metrics) in [(1usize, true), (50, true), (1, false)] {
        let sources: Vec<serde_json::Value> = (0..count)
            .map(|n| {
                serde_json::json!({
                    "name": format!("provider-{n:02}"),
                    "scheme": "standard-webhooks",
                    "secrets": ["env:SECRET"],
                    "allowed_networks": ["203.0.113.0/24"],
                })
            })
            .collect();
        let document = serde_json::json!({ "sources": sources }).to_string();
        let config = Config::from_lookup(|var| match var {
            "HOOKLINE_SOURCES" => Some(document.clone().into()),
            "SECRET" => Some(sample_secret(scheme).into()),
            "METRICS" if !metrics => Some("off".into()),
            "QUEUE_URL" => Some("https://sqs.us-east-1.amazonaws.com/123456789012/q".into()),
            _ => None,
        })
        .unwrap();
        let receiver = Receiver::new(config, BuildOnly);
        let body = body_4k(false);
        let delivery = Delivery {
            id: Some("msg_bench"),
            timestamp: NOW,
        };
        let headers = sign(scheme, sample_secret(scheme).as_bytes(), &body, &delivery)
            .unwrap()
            .into_iter()
            .map(|(n, v)| (n.to_string(), v))
            .collect();
        let path = format!("/webhooks/provider-{:02}", count - 1);
        let request = HttpRequest {
            method: "POST",
            path: &path,
            headers,
            body: &body,
            base64: false,
            request_id: "bench",
        };
        let payload = serde_json::to_string(&event(Shape::HttpV2, &request)).unwrap();
        let check = runtime_reads(payload.as_bytes());
        let answer = serde_json::to_value(runtime.block_on(respond_at(
            &receiver,
            LambdaEvent::new(check, Context::default()),
            now,
        )))
        .unwrap();
        assert_eq!(answer["statusCode"], 200, "{count} sources");
        let name = match (count, metrics) {
            (1, true) => "1-source".to_owned(),
            (1, false) => "1-source-metrics-off".to_owned(),
            _ => format!("{count}-sources"),
        };
        group.bench_function(name, |b| {
            b.iter(|| {
                let raw = runtime_reads(black_box(payload.as_bytes()));
                let response = runtime.block_on(respond_at(
                    &receiver,
                    LambdaEvent::new(raw, Context::default()),
                    now,
                ));
                black_box(serde_json::to_vec(&response).unwrap())
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2));
    targets = request_cost, routing_cost
}
criterion_main!(benches);
