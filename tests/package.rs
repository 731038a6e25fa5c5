//! The package that ships: the `bootstrap` files `sam build` produced, run as
//! Lambda runs them (against the Runtime API stand-in), the receiver publishing
//! to a real SQS-compatible server (moto).
//!
//! `.ci/run` runs these after `sam build`, naming the binaries:
//!
//! ```sh
//! HOOKLINE_PACKAGE_BIN=.aws-sam/build/ReceiverFunction/bootstrap \
//! HOOKLINE_CONSUMER_PACKAGE_BIN=.aws-sam/build/ConsumerFunction/bootstrap \
//!   cargo test --test package -- --ignored
//! ```
//!
//! They are `#[ignore]`d so that a plain `cargo test` (which has no package
//! to test) lists them as ignored rather than passing vacuously; run with
//! `--ignored` and a variable unset, they fail, naming the variable.

mod common;

use std::io::Read;
use std::path::PathBuf;

use common::function::{Function, block_on};
use common::moto::Moto;
use common::runtime::{Invocation, RuntimeApi};
use common::{secret_for, signed_headers};
use hookline::Scheme;
use hookline::sample_event::Shape;
use serde_json::{Value, json};

fn package_binary(variable: &str) -> PathBuf {
    let path = std::env::var_os(variable).unwrap_or_else(|| {
        panic!("{variable} must name a packaged bootstrap (.ci/run sets it after sam build)")
    });
    let path = PathBuf::from(path);
    assert!(
        path.is_file(),
        "{variable}={} is not a file",
        path.display()
    );
    path
}

fn attribute(message: &aws_sdk_sqs::types::Message, name: &str) -> Option<String> {
    message
        .message_attributes()?
        .get(name)?
        .string_value()
        .map(str::to_owned)
}

#[test]
#[ignore = "run by .ci/run after sam build (needs HOOKLINE_PACKAGE_BIN)"]
fn packaged_receiver_answers_200_and_the_event_is_on_the_queue() {
    let binary = package_binary("HOOKLINE_PACKAGE_BIN");
    let moto = Moto::start();
    let queue = block_on(moto.create_queue("package-events"));
    let scheme = Scheme::StandardWebhooks;
    let mut function = Function::start_binary(&binary, scheme, &queue, &moto.endpoint(), &[]);

    // What the template's HTTP API route delivers, signed as the provider would.
    let body = "{\"type\":\"invoice.paid\",\"amount\":1200,\"note\":\"caf\u{e9} \\u2603\"}\n";
    let headers = signed_headers(scheme, body.as_bytes(), Some("msg_package_1"));
    let (status, response) = function.send(Shape::HttpV2, headers, body.as_bytes());
    assert_eq!(status, 200, "{response}\n{}", function.logs());

    let messages = block_on(moto.drain(&queue));
    assert_eq!(messages.len(), 1, "{}", function.logs());
    let message = &messages[0];
    assert_eq!(
        message.body().unwrap().as_bytes(),
        body.as_bytes(),
        "body byte for byte"
    );
    let reply: Value = serde_json::from_str(response["body"].as_str().unwrap()).unwrap();
    assert_eq!(reply["id"].as_str(), message.message_id());
    assert_eq!(attribute(message, "source").as_deref(), Some(scheme.name()));
    assert_eq!(
        attribute(message, "event_id").as_deref(),
        Some("msg_package_1")
    );
    use sha2::Digest;
    assert_eq!(
        attribute(message, "body_sha256"),
        Some(hex::encode(sha2::Sha256::digest(body)))
    );

    let logs = function.logs();
    assert!(logs.contains("\"outcome\":\"enqueued\""), "{logs}");
    assert!(!logs.contains(secret_for(scheme)), "secret in logs");
}

#[test]
#[ignore = "run by .ci/run after sam build (needs HOOKLINE_CONSUMER_PACKAGE_BIN)"]
fn packaged_consumer_reads_a_batch_and_reports_the_bad_record() {
    let binary = package_binary("HOOKLINE_CONSUMER_PACKAGE_BIN");
    let mut runtime = RuntimeApi::start();
    let mut child = runtime.spawn(&binary, &[("AWS_REGION", "us-east-1".into())]);

    let record = |id: &str, body: &str| {
        json!({
            "messageId": id,
            "receiptHandle": format!("handle-{id}"),
            "body": body,
            "attributes": {"ApproximateReceiveCount": "1"},
            "messageAttributes": {
                "source": {"stringValue": "standard-webhooks", "dataType": "String"},
                "event_id": {"stringValue": format!("evt-{id}"), "dataType": "String"},
                "received_at": {"stringValue": "2026-11-23T05:00:00.000Z", "dataType": "String"},
            },
            "md5OfBody": "",
            "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:hookline-events",
            "awsRegion": "us-east-1",
        })
    };
    let event = json!({"Records": [
        record("m-1", r#"{"type":"invoice.paid"}"#),
        record("m-2", "not json"),
    ]});
    let readers: Vec<_> = [
        Box::new(child.stdout.take().unwrap()) as Box<dyn Read + Send>,
        Box::new(child.stderr.take().unwrap()),
    ]
    .into_iter()
    .map(|mut stream| {
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stream.read_to_string(&mut text);
            text
        })
    })
    .collect();
    let answer = runtime.invoke(&event);
    let _ = child.kill();
    let _ = child.wait();
    let logs: String = readers.into_iter().map(|r| r.join().unwrap()).collect();
    assert!(logs.contains("webhook event"), "{logs}");
    assert!(logs.contains("evt-m-1"), "{logs}");
    match answer {
        Invocation::Response(response) => assert_eq!(
            response,
            json!({"batchItemFailures": [{"itemIdentifier": "m-2"}]})
        ),
        Invocation::Error(error) => panic!("invocation error: {error}"),
    }
}
