//! The dead-letter queue tools against a real SQS-compatible server (moto):
//! peek consumes nothing; redrive keeps bodies, message attributes and FIFO
//! group and deduplication ids, honours --max and --dry-run, and a target
//! that fails in the middle loses nothing and duplicates nothing beyond
//! at-least-once (FIFO: nothing at all); a rerun completes the move.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use aws_sdk_sqs::Client;
use aws_sdk_sqs::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_sqs::primitives::Blob;
use aws_sdk_sqs::types::{
    Message, MessageAttributeValue, MessageSystemAttributeName, QueueAttributeName,
};
use common::fault_proxy::{Fault, FaultProxy};
use common::function::block_on;
use common::moto::Moto;
use hookline::dlq::{self, Progress, RedriveOptions, Summary};

fn client_at(endpoint: &str) -> Client {
    let config = aws_sdk_sqs::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "test"))
        .endpoint_url(endpoint)
        .build();
    Client::from_conf(config)
}

/// An events queue and its dead-letter queue (named `<name>-dlq`), wired
/// with a redrive policy as template.yaml wires them; returns (events, dlq).
fn queues(moto: &Moto, name: &str) -> (String, String) {
    block_on(async {
        let fifo = name.ends_with(".fifo");
        let dlq_name = if fifo {
            format!("{}-dlq.fifo", name.trim_end_matches(".fifo"))
        } else {
            format!("{name}-dlq")
        };
        let dlq = moto.create_queue(&dlq_name).await;
        let events = moto.create_queue(name).await;
        let client = moto.client().await;
        let arn = dlq::queue_arn(&client, &dlq).await.unwrap();
        client
            .set_queue_attributes()
            .queue_url(&events)
            .attributes(
                QueueAttributeName::RedrivePolicy,
                format!(r#"{{"deadLetterTargetArn":"{arn}","maxReceiveCount":"3"}}"#),
            )
            .send()
            .await
            .unwrap();
        (events, dlq)
    })
}

/// A message attribute: data type, string value, binary value.
type Attribute = (String, Option<String>, Option<Vec<u8>>);

/// What a message is, for comparisons: body, attributes, group, dedup id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Shape {
    body: String,
    attributes: BTreeMap<String, Attribute>,
    group: Option<String>,
    dedup: Option<String>,
}

fn shape(message: &Message) -> Shape {
    let system = |name| {
        message
            .attributes()
            .and_then(|a: &HashMap<MessageSystemAttributeName, String>| a.get(&name))
            .cloned()
    };
    Shape {
        body: message.body().unwrap().to_owned(),
        attributes: message
            .message_attributes()
            .into_iter()
            .flatten()
            .map(|(k, v)| {
                (
                    k.clone(),
                    (
                        v.data_type().to_owned(),
                        v.string_value().map(Into::into),
                        v.binary_value().map(|b| b.as_ref().to_vec()),
                    ),
                )
            })
            .collect(),
        group: system(MessageSystemAttributeName::MessageGroupId),
        dedup: system(MessageSystemAttributeName::MessageDeduplicationId),
    }
}

/// Parks `count` messages on the dead-letter queue, in two FIFO groups when
/// it is FIFO, each with string, number and binary attributes.
fn park(moto: &Moto, dlq: &str, count: usize) {
    let fifo = dlq.ends_with(".fifo");
    block_on(async {
        let client = moto.client().await;
        for n in 0..count {
            let string = |v: &str| {
                MessageAttributeValue::builder()
                    .data_type("String")
                    .string_value(v)
                    .build()
                    .unwrap()
            };
            let mut send = client
                .send_message()
                .queue_url(dlq)
                .message_body(format!(r#"{{"n":{n},"text":"caf\u00e9"}}"#))
                .message_attributes("source", string("billing"))
                .message_attributes("event_id", string(&format!("evt_{n:03}")))
                .message_attributes(
                    "attempt",
                    MessageAttributeValue::builder()
                        .data_type("Number")
                        .string_value(n.to_string())
                        .build()
                        .unwrap(),
                )
                .message_attributes(
                    "raw",
                    MessageAttributeValue::builder()
                        .data_type("Binary")
                        .binary_value(Blob::new(vec![0u8, 1, 2, n as u8]))
                        .build()
                        .unwrap(),
                );
            if fifo {
                send = send
                    .message_group_id(if n % 2 == 0 { "even" } else { "odd" })
                    .message_deduplication_id(format!("dedup-{n:03}"));
            }
            send.send().await.unwrap();
        }
    });
}

/// Every message on `queue` (received and deleted), in receive order.
fn drain(moto: &Moto, queue: &str) -> Vec<Message> {
    block_on(moto.drain(queue))
}

fn redrive(
    client: &Client,
    dlq: &str,
    target: &Client,
    target_url: &str,
    options: RedriveOptions,
) -> (Summary, Result<(), dlq::DlqError>, Vec<String>) {
    let mut steps = Vec::new();
    let (summary, result) = block_on(dlq::redrive_loop(
        client,
        dlq,
        target,
        target_url,
        options,
        |step| match step {
            Progress::Moved(m) | Progress::WouldMove(m) => steps.push(m.message_id.clone()),
            Progress::DeleteFailed(m, _) => steps.push(format!("delete failed: {}", m.message_id)),
        },
    ));
    (summary, result, steps)
}

const ALL: RedriveOptions = RedriveOptions {
    max: None,
    dry_run: false,
};

#[test]
fn peek_shows_attributes_and_consumes_nothing() {
    let moto = Moto::start();
    let (_, dlq) = queues(&moto, "peek");
    park(&moto, &dlq, 25);
    let client = block_on(moto.client());

    let shown = block_on(dlq::peek(&client, &dlq, 12, false)).unwrap();
    assert_eq!(shown.len(), 12);
    let first = &shown[0];
    assert!(first.body.is_none(), "no body without asking");
    assert_eq!(first.attributes["source"], "billing");
    assert_eq!(first.attributes["raw"], "<4 bytes>");
    assert_eq!(first.receive_count, Some(1), "the peek itself counts");
    assert!(first.sent_timestamp.is_some());
    assert!(first.body_size > 0);

    // Handed back at once: everything is visible again, bodies on request.
    let again = block_on(dlq::peek(&client, &dlq, 100, true)).unwrap();
    assert_eq!(again.len(), 25, "nothing consumed, nothing hidden");
    assert!(
        again
            .iter()
            .all(|m| m.body.as_deref().unwrap().contains("caf"))
    );
    assert_eq!(drain(&moto, &dlq).len(), 25);
}

#[test]
fn redrive_standard_queue_with_max_and_dry_run() {
    let moto = Moto::start();
    let (events, dlq) = queues(&moto, "std");
    park(&moto, &dlq, 23);
    let client = block_on(moto.client());
    assert_eq!(block_on(dlq::source_queue(&client, &dlq)).unwrap(), events);
    assert_eq!(
        block_on(dlq::peek(&client, &dlq, 100, false))
            .unwrap()
            .len(),
        23
    );

    let (summary, result, steps) = redrive(
        &client,
        &dlq,
        &client,
        &events,
        RedriveOptions {
            max: Some(5),
            dry_run: true,
        },
    );
    result.unwrap();
    assert_eq!(summary.moved, 5);
    assert_eq!(steps.len(), 5);
    let (summary, result, _) = redrive(
        &client,
        &dlq,
        &client,
        &events,
        RedriveOptions {
            max: None,
            dry_run: true,
        },
    );
    result.unwrap();
    assert_eq!(summary.moved, 23, "a dry run lists everything");
    assert!(drain(&moto, &events).is_empty(), "a dry run sends nothing");

    let (summary, result, _) = redrive(
        &client,
        &dlq,
        &client,
        &events,
        RedriveOptions {
            max: Some(7),
            dry_run: false,
        },
    );
    result.unwrap();
    assert_eq!(summary.moved, 7);
    let mut moved: Vec<Shape> = drain(&moto, &events).iter().map(shape).collect();
    assert_eq!(moved.len(), 7);

    let (summary, result, _) = redrive(&client, &dlq, &client, &events, ALL);
    result.unwrap();
    assert_eq!(summary.moved, 16);
    assert!(
        block_on(dlq::peek(&client, &dlq, 100, false))
            .unwrap()
            .is_empty()
    );
    moved.extend(drain(&moto, &events).iter().map(shape));
    moved.sort();

    // Exactly what was parked: bodies and every attribute, binary included.
    let fresh = Moto::start();
    let (_, reference) = queues(&fresh, "std");
    park(&fresh, &reference, 23);
    let mut want: Vec<Shape> = drain(&fresh, &reference).iter().map(shape).collect();
    want.sort();
    assert_eq!(moved, want);
}

#[test]
fn redrive_fifo_keeps_group_dedup_id_and_order() {
    let moto = Moto::start();
    let (events, dlq) = queues(&moto, "orders.fifo");
    park(&moto, &dlq, 14);
    let client = block_on(moto.client());

    let (summary, result, _) = redrive(&client, &dlq, &client, &events, ALL);
    result.unwrap();
    assert_eq!(summary.moved, 14);
    let moved: Vec<Shape> = drain(&moto, &events).iter().map(shape).collect();
    assert_eq!(moved.len(), 14);
    for group in ["even", "odd"] {
        let ns: Vec<usize> = moved
            .iter()
            .filter(|m| m.group.as_deref() == Some(group))
            .map(|m| {
                let n: usize = m.dedup.as_deref().unwrap()[6..].parse().unwrap();
                assert!(m.body.starts_with(&format!("{{\"n\":{n},")), "{m:?}");
                assert_eq!(
                    m.attributes["raw"].2.as_deref(),
                    Some(&[0u8, 1, 2, n as u8][..])
                );
                n
            })
            .collect();
        let mut sorted = ns.clone();
        sorted.sort();
        assert_eq!(ns, sorted, "group {group} keeps its order");
        assert_eq!(ns.len(), 7);
    }
}

/// The target fails in the middle: the first copies pass, then one is
/// stored but its answer lost, then the target is down. Returns the moved
/// shapes after the rerun and the first run's summary.
fn target_fails_midway(name: &str) -> (Vec<Shape>, Summary, u64) {
    let moto = Moto::start();
    let (events, dlq) = queues(&moto, name);
    park(&moto, &dlq, 20);
    let client = block_on(moto.client());
    let mut calls = 0;
    let proxy = FaultProxy::start(moto.endpoint(), move || {
        calls += 1;
        match calls {
            1..=5 => Fault::Pass,
            6 => Fault::LostResponse,
            _ => Fault::ServerError,
        }
    });
    let failing = client_at(&proxy.endpoint());
    let (first, result, _) = redrive(&client, &dlq, &failing, &events, ALL);
    let error = result.unwrap_err().to_string();
    assert!(error.starts_with("SendMessage"), "{error}");
    assert_eq!(first.moved, 5);
    assert!(first.left > 0);
    drop(proxy);

    // Nothing lost: every message is on one queue or the other, and the
    // ones not moved are visible again at once for the rerun.
    let (remaining, in_flight) = block_on(dlq::depth(&client, &dlq)).unwrap();
    assert_eq!(
        (remaining, in_flight),
        (15, 0),
        "only confirmed copies were deleted"
    );

    let (second, result, _) = redrive(&client, &dlq, &client, &events, ALL);
    result.unwrap();
    assert_eq!(second.moved, 15);
    assert_eq!(block_on(dlq::depth(&client, &dlq)).unwrap(), (0, 0));
    std::thread::sleep(Duration::from_millis(100));
    let moved: Vec<Shape> = drain(&moto, &events).iter().map(shape).collect();
    (moved, first, remaining)
}

fn count_by_body(moved: &[Shape]) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for m in moved {
        *counts.entry(m.body.clone()).or_default() += 1;
    }
    counts
}

#[test]
fn standard_target_failure_loses_nothing_and_rerun_completes() {
    let (moved, _, _) = target_fails_midway("flaky");
    let counts = count_by_body(&moved);
    assert_eq!(counts.len(), 20, "every parked message reached the target");
    // The copy whose answer was lost is sent again: at least once.
    assert_eq!(moved.len(), 21, "{counts:?}");
    assert_eq!(counts.values().filter(|&&c| c == 2).count(), 1);
}

#[test]
fn fifo_target_failure_loses_nothing_and_duplicates_nothing() {
    let (moved, _, _) = target_fails_midway("flaky.fifo");
    let counts = count_by_body(&moved);
    assert_eq!(counts.len(), 20, "every parked message reached the target");
    assert!(
        counts.values().all(|&c| c == 1),
        "the deduplication id drops the resent copy: {counts:?}"
    );
}
