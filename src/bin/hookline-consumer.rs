//! Example consumer: a Lambda subscribed to hookline's queue that reads each
//! message per the documented contract and logs it. Copy it as a start.
//!
//! Failed records are reported individually (`ReportBatchItemFailures`), so
//! one bad message is retried (then dead-lettered) without replaying the batch.

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
        payload: serde_json::from_str(body).map_err(|e| format!("body is not JSON: {e}"))?,
    })
}

async fn handle(event: LambdaEvent<SqsEvent>) -> Result<SqsBatchResponse, lambda_runtime::Error> {
    let mut response = SqsBatchResponse::default();
    for message in &event.payload.records {
        match parse(message) {
            Ok(webhook) => {
                // Replace with your own processing; make it idempotent on
                // `event_id` (standard queues deliver at least once).
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
            }
            Err(error) => {
                tracing::warn!(message_id = message.message_id.as_deref(), %error, "unprocessable message");
                let mut failure = BatchItemFailure::default();
                failure.item_identifier = message.message_id.clone().unwrap_or_default();
                response.batch_item_failures.push(failure);
            }
        }
    }
    Ok(response)
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

    fn message(body: &str, attributes: &[(&str, &str)]) -> SqsMessage {
        let mut message = SqsMessage::default();
        message.message_id = Some("m-1".into());
        message.body = Some(body.into());
        for (name, value) in attributes {
            let mut attribute = SqsMessageAttribute::default();
            attribute.string_value = Some((*value).into());
            attribute.data_type = Some("String".into());
            message.message_attributes.insert((*name).into(), attribute);
        }
        message
    }

    #[test]
    fn parses_a_message_per_the_contract() {
        let m = message(
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

    #[tokio::test]
    async fn unprocessable_messages_are_reported_one_by_one() {
        let mut event = SqsEvent::default();
        event.records = vec![
            message("{}", &[("source", "onecentre")]),
            message("not json", &[("source", "onecentre")]),
            message("{}", &[]),
        ];
        event.records[1].message_id = Some("m-2".into());
        event.records[2].message_id = Some("m-3".into());
        let response = handle(LambdaEvent::new(event, lambda_runtime::Context::default()))
            .await
            .unwrap();
        let failed: Vec<_> = response
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.as_str())
            .collect();
        assert_eq!(failed, ["m-2", "m-3"]);
    }

    #[test]
    fn the_deepest_body_the_receiver_accepts_parses_here() {
        let nested = |depth: usize| format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        let depth = hookline::handler::MAX_JSON_DEPTH;
        let deepest = message(&nested(depth), &[("source", "bracken")]);
        assert!(parse(&deepest).is_ok(), "depth {depth} parses");
        // One level more is what serde_json refuses, and the receiver too.
        let deeper = message(&nested(depth + 1), &[("source", "bracken")]);
        assert!(parse(&deeper).is_err());
    }
}
