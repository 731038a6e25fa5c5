//! Example consumer: a Lambda subscribed to hookline's queue that reads each
//! message per the documented contract and logs it. Copy it as a start.
//!
//! Failed records are reported with `ReportBatchItemFailures`, so a bad
//! message is retried (then dead-lettered) without replaying the good ones.
//! How depends on the queue:
//!
//! - **standard queue**: every record is processed; only the records that
//!   failed are reported.
//! - **FIFO queue**: processing stops at the first failure, and that record
//!   and every later record of the batch are reported as failed. Lambda then
//!   returns them all to the queue, so a message group is never processed out
//!   of order. (Reporting only the failed record would let Lambda delete the
//!   later, successful records of its group before the failed one is retried.)
//!
//! The queue type comes from each record's `eventSourceARN`: SQS requires a
//! FIFO queue's name to end in `.fifo`, and Lambda puts the queue's ARN on
//! every record. The `MessageGroupId` system attribute is used only when a
//! record has no ARN (a hand-written test event): since SQS fair queues
//! (July 2025) standard queues may carry group ids too, so a group id alone
//! does not prove FIFO. Treating such a record as FIFO is the safe side: a
//! standard queue then only redelivers more, never out of order.
//!
//! A record without a `messageId` is reported with an empty identifier,
//! which Lambda treats as a failure of the whole batch: every record is
//! retried, which is safe for either queue type.

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use hookline::message::attribute;
use lambda_runtime::{LambdaEvent, service_fn};

/// One verified webhook event, as hookline enqueued it.
#[derive(Debug)]
struct WebhookEvent<'a> {
    source: &'a str,
    event_id: Option<&'a str>,
    received_at: &'a str,
    payload: serde_json::Value,
}

fn string_attribute<'a>(message: &'a SqsMessage, name: &str) -> Option<&'a str> {
    message
        .message_attributes
        .get(name)?
        .string_value
        .as_deref()
}

fn parse(message: &SqsMessage) -> Result<WebhookEvent<'_>, String> {
    let body = message.body.as_deref().ok_or("message without body")?;
    Ok(WebhookEvent {
        source: string_attribute(message, attribute::SOURCE).ok_or("missing source attribute")?,
        event_id: string_attribute(message, attribute::EVENT_ID),
        received_at: string_attribute(message, attribute::RECEIVED_AT).unwrap_or_default(),
        payload: payload(body)?,
    })
}

/// The body as a `serde_json::Value`. JSON that a `Value` cannot hold (a
/// lone surrogate escape, which Node's `JSON.stringify` writes, or a number
/// beyond `f64`) is still an event hookline verified: it reads as `Null`
/// here rather than failing into the dead-letter queue; read such bodies
/// with a parser that keeps them (`serde_json::value::RawValue`, say).
fn payload(body: &str) -> Result<serde_json::Value, String> {
    serde_json::from_str(body).or_else(|error| {
        if error.to_string().starts_with("recursion limit exceeded") {
            return Err(format!("body is not JSON: {error}"));
        }
        serde_json::from_str::<serde::de::IgnoredAny>(body)
            .map(|_| serde_json::Value::Null)
            .map_err(|_| format!("body is not JSON: {error}"))
    })
}

/// Which kind of queue a batch comes from; it decides what a failure means
/// for the records after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum QueueKind {
    Standard,
    Fifo,
}

impl QueueKind {
    /// See the module documentation: the record's `eventSourceARN`, else
    /// the presence of a `MessageGroupId` system attribute.
    fn of(message: &SqsMessage) -> Self {
        let fifo = match message.event_source_arn.as_deref() {
            Some(arn) => arn.ends_with(".fifo"),
            None => message.attributes.contains_key("MessageGroupId"),
        };
        if fifo { Self::Fifo } else { Self::Standard }
    }

    /// The kind of a whole batch. One event source mapping reads one queue,
    /// so every record agrees; should they not, FIFO is the safe answer.
    fn of_batch(records: &[SqsMessage]) -> Self {
        if records.iter().any(|m| Self::of(m) == Self::Fifo) {
            Self::Fifo
        } else {
            Self::Standard
        }
    }
}

/// Your processing goes here. Make it idempotent on `body_sha256` (or on
/// `event_id` where the scheme authenticates it: not ActiGraph's HMAC,
/// whose delivery id is unsigned): standard queues deliver at least once, and a FIFO batch
/// that stops at a failure has its later records delivered again.
fn process(message: &SqsMessage) -> Result<(), String> {
    let webhook = parse(message)?;
    let kind = webhook
        .payload
        .get("type")
        .or_else(|| webhook.payload.get("event"));
    tracing::info!(
        source = webhook.source,
        event_id = webhook.event_id,
        received_at = webhook.received_at,
        kind = %kind.unwrap_or(&serde_json::Value::Null),
        "webhook event"
    );
    Ok(())
}

fn failure(message: &SqsMessage) -> BatchItemFailure {
    let mut failure = BatchItemFailure::default();
    failure.item_identifier = message.message_id.clone().unwrap_or_default();
    failure
}

/// Runs `process` over a batch and says which records Lambda must return
/// to the queue: the failed ones (standard), or the first failed one and
/// everything after it (FIFO).
fn process_batch(
    records: &[SqsMessage],
    mut process: impl FnMut(&SqsMessage) -> Result<(), String>,
) -> SqsBatchResponse {
    let kind = QueueKind::of_batch(records);
    let mut response = SqsBatchResponse::default();
    for (index, message) in records.iter().enumerate() {
        let Err(error) = process(message) else {
            continue;
        };
        tracing::warn!(message_id = message.message_id.as_deref(), %error, "unprocessable message");
        match kind {
            QueueKind::Standard => response.batch_item_failures.push(failure(message)),
            QueueKind::Fifo => {
                let rest = &records[index..];
                if rest.len() > 1 {
                    tracing::info!(
                        returned = rest.len() - 1,
                        "FIFO batch stopped at a failure; later records go back to the queue unprocessed"
                    );
                }
                response
                    .batch_item_failures
                    .extend(rest.iter().map(failure));
                break;
            }
        }
    }
    response
}

async fn handle(event: LambdaEvent<SqsEvent>) -> Result<SqsBatchResponse, lambda_runtime::Error> {
    Ok(process_batch(&event.payload.records, process))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    hookline::logging::init();
    lambda_runtime::run(service_fn(handle)).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lambda_events::event::sqs::SqsMessageAttribute;

    const STANDARD_ARN: &str = "arn:aws:sqs:us-east-1:123456789012:hookline-EventsQueue-AbC";
    const FIFO_ARN: &str = "arn:aws:sqs:us-east-1:123456789012:hookline-events.fifo";

    fn message(id: &str, body: &str, attributes: &[(&str, &str)]) -> SqsMessage {
        let mut message = SqsMessage::default();
        message.message_id = Some(id.into());
        message.body = Some(body.into());
        for (name, value) in attributes {
            let mut attribute = SqsMessageAttribute::default();
            attribute.string_value = Some((*value).into());
            attribute.data_type = Some("String".into());
            message.message_attributes.insert((*name).into(), attribute);
        }
        message
    }

    fn good(id: &str) -> SqsMessage {
        message(id, r#"{"type":"user.created"}"#, &[("source", "billing")])
    }

    /// Not JSON: `process` refuses it.
    fn bad(id: &str) -> SqsMessage {
        message(id, "not json", &[("source", "billing")])
    }

    fn from(arn: Option<&str>, mut records: Vec<SqsMessage>) -> Vec<SqsMessage> {
        for record in &mut records {
            record.event_source_arn = arn.map(Into::into);
            record.event_source = Some("aws:sqs".into());
        }
        records
    }

    fn failed(response: &SqsBatchResponse) -> Vec<&str> {
        response
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.as_str())
            .collect()
    }

    async fn run(records: Vec<SqsMessage>) -> SqsBatchResponse {
        let mut event = SqsEvent::default();
        event.records = records;
        handle(LambdaEvent::new(event, lambda_runtime::Context::default()))
            .await
            .unwrap()
    }

    #[test]
    fn parses_a_message_per_the_contract() {
        let m = message(
            "m-1",
            r#"{"type":"user.created"}"#,
            &[
                ("source", "standard-webhooks"),
                ("event_id", "msg_1"),
                ("received_at", "2026-11-23T05:00:00.000Z"),
            ],
        );
        let event = parse(&m).unwrap();
        assert_eq!(event.source, "standard-webhooks");
        assert_eq!(event.event_id, Some("msg_1"));
        assert_eq!(event.payload["type"], "user.created");
    }

    #[test]
    fn queue_kind_comes_from_the_event_source_arn() {
        let standard = from(Some(STANDARD_ARN), vec![good("a")]);
        let fifo = from(Some(FIFO_ARN), vec![good("a")]);
        assert_eq!(QueueKind::of(&standard[0]), QueueKind::Standard);
        assert_eq!(QueueKind::of(&fifo[0]), QueueKind::Fifo);

        // A standard (fair) queue's message may carry a group id: the ARN decides.
        let mut fair = standard[0].clone();
        fair.attributes
            .insert("MessageGroupId".into(), "tenant-1".into());
        assert_eq!(QueueKind::of(&fair), QueueKind::Standard);

        // Without an ARN, a group id means FIFO (the safe side), none means standard.
        let mut bare = good("a");
        assert_eq!(QueueKind::of(&bare), QueueKind::Standard);
        bare.attributes
            .insert("MessageGroupId".into(), "billing".into());
        assert_eq!(QueueKind::of(&bare), QueueKind::Fifo);
    }

    #[tokio::test]
    async fn standard_batch_reports_only_the_failed_records() {
        let records = from(
            Some(STANDARD_ARN),
            vec![
                good("m-1"),
                bad("m-2"),
                good("m-3"),
                message("m-4", "{}", &[]),
                good("m-5"),
            ],
        );
        assert_eq!(failed(&run(records).await), ["m-2", "m-4"]);
    }

    #[tokio::test]
    async fn fifo_batch_stops_at_the_first_failure_and_returns_the_rest() {
        let records = from(
            Some(FIFO_ARN),
            vec![
                good("m-1"),
                good("m-2"),
                bad("m-3"),
                good("m-4"),
                bad("m-5"),
                good("m-6"),
            ],
        );
        assert_eq!(failed(&run(records).await), ["m-3", "m-4", "m-5", "m-6"]);
    }

    #[test]
    fn fifo_batch_processes_nothing_after_the_failure() {
        let records = from(
            Some(FIFO_ARN),
            vec![good("m-1"), bad("m-2"), good("m-3"), good("m-4")],
        );
        let mut seen = Vec::new();
        let response = process_batch(&records, |m| {
            seen.push(m.message_id.clone().unwrap());
            process(m)
        });
        assert_eq!(seen, ["m-1", "m-2"]);
        assert_eq!(failed(&response), ["m-2", "m-3", "m-4"]);
    }

    #[tokio::test]
    async fn fifo_batch_edges() {
        // First record fails: the whole batch goes back.
        let all = from(Some(FIFO_ARN), vec![bad("m-1"), good("m-2"), good("m-3")]);
        assert_eq!(failed(&run(all).await), ["m-1", "m-2", "m-3"]);
        // Last record fails: only it goes back.
        let last = from(Some(FIFO_ARN), vec![good("m-1"), good("m-2"), bad("m-3")]);
        assert_eq!(failed(&run(last).await), ["m-3"]);
        // No failure, and an empty batch: nothing goes back.
        let none = from(Some(FIFO_ARN), vec![good("m-1"), good("m-2")]);
        assert!(failed(&run(none).await).is_empty());
        assert!(failed(&run(Vec::new()).await).is_empty());
    }

    #[tokio::test]
    async fn standard_batch_with_every_record_failing_reports_each() {
        let records = from(Some(STANDARD_ARN), vec![bad("m-1"), bad("m-2"), bad("m-3")]);
        assert_eq!(failed(&run(records).await), ["m-1", "m-2", "m-3"]);
    }

    /// Lambda's SQS event as it arrives (field names and shapes from the
    /// Lambda developer guide's SQS examples), FIFO and standard.
    #[tokio::test]
    async fn lambda_sqs_events_as_json() {
        fn record(id: &str, body: &str, arn: &str, group: Option<&str>) -> serde_json::Value {
            let mut attributes = serde_json::json!({
                "ApproximateReceiveCount": "1",
                "SentTimestamp": "1764000000000",
                "SenderId": "AROAEXAMPLE:hookline",
                "ApproximateFirstReceiveTimestamp": "1764000000001"
            });
            if let Some(group) = group {
                attributes["MessageGroupId"] = group.into();
                attributes["MessageDeduplicationId"] = format!("dedup-{id}").into();
                attributes["SequenceNumber"] = "18849496460467696128".into();
            }
            serde_json::json!({
                "messageId": id,
                "receiptHandle": format!("handle-{id}"),
                "body": body,
                "attributes": attributes,
                "messageAttributes": {
                    "source": {"stringValue": "billing", "stringListValues": [], "binaryListValues": [], "dataType": "String"}
                },
                "md5OfBody": "0",
                "eventSource": "aws:sqs",
                "eventSourceARN": arn,
                "awsRegion": "us-east-1"
            })
        }
        let event = |arn: &str, group: Option<&str>| -> SqsEvent {
            serde_json::from_value(serde_json::json!({ "Records": [
                record("a", "{}", arn, group),
                record("b", "{", arn, group),
                record("c", "{}", arn, group),
            ]}))
            .unwrap()
        };

        let fifo = event(FIFO_ARN, Some("billing"));
        assert_eq!(failed(&run(fifo.records).await), ["b", "c"]);
        let standard = event(STANDARD_ARN, None);
        assert_eq!(failed(&run(standard.records).await), ["b"]);

        // The response serialises as Lambda expects it.
        let response = run(event(FIFO_ARN, Some("billing")).records).await;
        assert_eq!(
            serde_json::to_value(&response).unwrap(),
            serde_json::json!({"batchItemFailures": [{"itemIdentifier": "b"}, {"itemIdentifier": "c"}]})
        );
    }

    #[test]
    fn json_a_value_cannot_hold_is_still_processed() {
        for body in [r#"{"a":"\ud800"}"#, r#"{"a":1e400}"#] {
            assert!(
                parse(&message("m-1", body, &[("source", "bracken")])).is_ok(),
                "{body}"
            );
        }
        assert!(parse(&message("m-2", "not json", &[("source", "bracken")])).is_err());
    }

    #[test]
    fn the_deepest_body_the_receiver_accepts_parses_here() {
        let nested = |depth: usize| format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        let depth = hookline::handler::MAX_JSON_DEPTH;
        let deepest = message("m-1", &nested(depth), &[("source", "bracken")]);
        assert!(parse(&deepest).is_ok(), "depth {depth} parses");
        // One level more is what serde_json refuses, and the receiver too.
        let deeper = message("m-2", &nested(depth + 1), &[("source", "bracken")]);
        assert!(parse(&deeper).is_err());
    }
}
