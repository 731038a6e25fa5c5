//! The dead-letter queue, for operators: see what is parked there, and move
//! it back to the queue it came from.
//!
//! Redrive either asks SQS to do it (`StartMessageMoveTask`: all messages,
//! back to their source queues, attributes and FIFO ids kept by SQS) or
//! runs a receive / send / delete loop here, which can stop after `max`
//! messages and rehearse (`dry_run`). The loop deletes a parked message only
//! once the target queue has confirmed its copy, and stops at the first
//! send that fails: nothing is lost, and a copy whose confirmation was lost
//! is sent again by the next run (a duplicate on a standard queue, as SQS's
//! at-least-once delivery allows; dropped by a FIFO queue, since the copy
//! keeps its deduplication id, within SQS's 5-minute window).

use std::collections::{BTreeMap, HashMap, HashSet};

use aws_sdk_sqs::Client;
use aws_sdk_sqs::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_sqs::types::{
    ChangeMessageVisibilityBatchRequestEntry, Message, MessageAttributeValue,
    MessageSystemAttributeName, QueueAttributeName,
};

/// How long a message received by `peek` or the loop stays hidden from
/// other readers before it is handed back (peek, dry run) or deleted.
pub const HOLD_SECONDS: i32 = 60;

/// A failed SQS call, named by what it was for.
#[derive(Debug, thiserror::Error)]
pub enum DlqError {
    #[error("{action}: {detail}")]
    Sqs {
        action: &'static str,
        detail: String,
    },
    #[error("{0}")]
    Usage(String),
}

/// SQS's error code and message when it sent one, else the SDK's account
/// of the failure (timeout, connection, unreadable answer).
fn sqs<E, R>(action: &'static str) -> impl FnOnce(SdkError<E, R>) -> DlqError
where
    E: std::error::Error + ProvideErrorMetadata + 'static,
    R: std::fmt::Debug,
{
    move |error| {
        let detail = match (error.code(), error.message()) {
            (Some(code), Some(message)) => format!("{code}: {message}"),
            (Some(code), None) => code.to_owned(),
            _ => match &error {
                SdkError::ServiceError(_) => "unreadable answer from the service".to_owned(),
                _ => DisplayErrorContext(&error).to_string(),
            },
        };
        DlqError::Sqs { action, detail }
    }
}

/// One parked message as `peek` shows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Parked {
    pub message_id: String,
    pub body_size: usize,
    /// Only when asked for: bodies are customer data.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// Message attributes: string and number values as they are, binary ones as `<N bytes>`.
    pub attributes: BTreeMap<String, String>,
    /// How often the message has been received, this peek included.
    pub receive_count: Option<u64>,
    /// When it was first sent (to the source queue), Unix milliseconds.
    pub sent_timestamp: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deduplication_id: Option<String>,
    /// The queue SQS moved it from, when SQS says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dead_letter_source: Option<String>,
}

fn system(message: &Message, name: MessageSystemAttributeName) -> Option<&str> {
    message
        .attributes()
        .and_then(|a| a.get(&name))
        .map(String::as_str)
}

impl Parked {
    fn from_message(message: &Message, with_body: bool) -> Self {
        let body = message.body().unwrap_or_default();
        let attributes = message
            .message_attributes()
            .into_iter()
            .flatten()
            .map(|(name, value)| {
                let shown = match (value.string_value(), value.binary_value()) {
                    (Some(text), _) => text.to_owned(),
                    (None, Some(blob)) => format!("<{} bytes>", blob.as_ref().len()),
                    (None, None) => String::new(),
                };
                (name.clone(), shown)
            })
            .collect();
        let number = |name| system(message, name).and_then(|v| v.parse().ok());
        Self {
            message_id: message.message_id().unwrap_or_default().to_owned(),
            body_size: body.len(),
            body: with_body.then(|| body.to_owned()),
            attributes,
            receive_count: number(MessageSystemAttributeName::ApproximateReceiveCount),
            sent_timestamp: number(MessageSystemAttributeName::SentTimestamp),
            group_id: system(message, MessageSystemAttributeName::MessageGroupId).map(Into::into),
            deduplication_id: system(message, MessageSystemAttributeName::MessageDeduplicationId)
                .map(Into::into),
            dead_letter_source: system(
                message,
                MessageSystemAttributeName::DeadLetterQueueSourceArn,
            )
            .map(Into::into),
        }
    }
}

/// Receives up to `count` messages (at most 10), holding them `hold` seconds.
async fn receive(
    client: &Client,
    queue_url: &str,
    count: usize,
    hold: i32,
    wait: i32,
) -> Result<Vec<Message>, DlqError> {
    Ok(client
        .receive_message()
        .queue_url(queue_url)
        .max_number_of_messages(count.clamp(1, 10) as i32)
        .visibility_timeout(hold)
        .wait_time_seconds(wait)
        .message_attribute_names("All")
        .message_system_attribute_names(MessageSystemAttributeName::All)
        .send()
        .await
        .map_err(sqs("ReceiveMessage"))?
        .messages
        .unwrap_or_default())
}

/// Makes `messages` visible again at once (best effort: if this fails they
/// reappear when their hold ends anyway).
async fn release(client: &Client, queue_url: &str, messages: &[Message]) {
    for chunk in messages.chunks(10) {
        let entries: Vec<_> = chunk
            .iter()
            .enumerate()
            .filter_map(|(n, m)| {
                ChangeMessageVisibilityBatchRequestEntry::builder()
                    .id(n.to_string())
                    .receipt_handle(m.receipt_handle()?)
                    .visibility_timeout(0)
                    .build()
                    .ok()
            })
            .collect();
        let _ = client
            .change_message_visibility_batch()
            .queue_url(queue_url)
            .set_entries(Some(entries))
            .send()
            .await;
    }
}

/// Up to `max` parked messages, without consuming them: each is received
/// (which adds one to its receive count, and briefly hides it from other
/// readers) and handed back at once. On a FIFO queue SQS hands out nothing
/// more of a message group while some of its messages are held, so this
/// sees at most the first 10 of each group, possibly fewer.
pub async fn peek(
    client: &Client,
    queue_url: &str,
    max: usize,
    with_bodies: bool,
) -> Result<Vec<Parked>, DlqError> {
    let mut seen = HashSet::new();
    let mut held = Vec::new();
    let mut parked = Vec::new();
    let result = async {
        while parked.len() < max {
            let batch = receive(client, queue_url, max - parked.len(), HOLD_SECONDS, 0).await?;
            if batch.is_empty() {
                break;
            }
            for message in batch {
                if seen.insert(message.message_id().unwrap_or_default().to_owned()) {
                    parked.push(Parked::from_message(&message, with_bodies));
                }
                held.push(message);
            }
        }
        Ok::<_, DlqError>(())
    }
    .await;
    release(client, queue_url, &held).await;
    result.map(|()| parked)
}

/// The queue's ARN.
pub async fn queue_arn(client: &Client, queue_url: &str) -> Result<String, DlqError> {
    client
        .get_queue_attributes()
        .queue_url(queue_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(sqs("GetQueueAttributes"))?
        .attributes
        .and_then(|mut a| a.remove(&QueueAttributeName::QueueArn))
        .ok_or_else(|| DlqError::Usage(format!("{queue_url} has no QueueArn")))
}

/// The queue's approximate depth: (visible, in flight).
pub async fn depth(client: &Client, queue_url: &str) -> Result<(u64, u64), DlqError> {
    let attributes = client
        .get_queue_attributes()
        .queue_url(queue_url)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
        .send()
        .await
        .map_err(sqs("GetQueueAttributes"))?
        .attributes
        .unwrap_or_default();
    let number = |name| {
        attributes
            .get(&name)
            .and_then(|v: &String| v.parse().ok())
            .unwrap_or(0)
    };
    Ok((
        number(QueueAttributeName::ApproximateNumberOfMessages),
        number(QueueAttributeName::ApproximateNumberOfMessagesNotVisible),
    ))
}

/// The one queue that uses `dlq_url` as its dead-letter queue.
pub async fn source_queue(client: &Client, dlq_url: &str) -> Result<String, DlqError> {
    let sources = client
        .list_dead_letter_source_queues()
        .queue_url(dlq_url)
        .send()
        .await
        .map_err(sqs("ListDeadLetterSourceQueues"))?
        .queue_urls;
    match sources.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(DlqError::Usage(format!(
            "no queue has {dlq_url} as its dead-letter queue: name the target with --to"
        ))),
        many => Err(DlqError::Usage(format!(
            "{} queues use {dlq_url} as their dead-letter queue ({}): name the target with --to",
            many.len(),
            many.join(", ")
        ))),
    }
}

/// Redrive settings for the loop.
#[derive(Debug, Clone, Copy)]
pub struct RedriveOptions {
    /// Stop after this many messages.
    pub max: Option<usize>,
    /// Receive and report, but send and delete nothing.
    pub dry_run: bool,
}

/// What a redrive did.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    /// Copied to the target and deleted from the dead-letter queue (dry run: would be).
    pub moved: usize,
    /// Copied, but still on the dead-letter queue because the delete failed:
    /// the next run sends them again.
    pub copied_not_deleted: usize,
    /// Handed back untouched after the run stopped at a failure.
    pub left: usize,
}

/// One step of the loop, for progress output.
#[derive(Debug)]
pub enum Progress<'a> {
    Moved(&'a Parked),
    WouldMove(&'a Parked),
    DeleteFailed(&'a Parked, &'a DlqError),
}

/// Moves messages from `dlq_url` (read through `client`) to `target_url`
/// (written through `target`, which may be another account's or Region's
/// client, or the same) one at a time, in the
/// order SQS hands them out (for FIFO queues, each group's order): body,
/// message attributes, and for FIFO queues the group and deduplication ids.
/// Stops at the first failed send, with the summary so far and the error.
pub async fn redrive_loop(
    client: &Client,
    dlq_url: &str,
    target: &Client,
    target_url: &str,
    options: RedriveOptions,
    mut progress: impl FnMut(Progress),
) -> (Summary, Result<(), DlqError>) {
    let mut summary = Summary::default();
    if dlq_url == target_url {
        return (
            summary,
            Err(DlqError::Usage(
                "the target is the dead-letter queue itself".into(),
            )),
        );
    }
    let limit = options.max.unwrap_or(usize::MAX);
    let mut seen = HashSet::new();
    let mut rehearsed = Vec::new();
    let result = async {
        while summary.moved < limit {
            let batch = receive(client, dlq_url, limit - summary.moved, HOLD_SECONDS, 1).await?;
            if batch.is_empty() {
                return Ok(());
            }
            let mut fresh = 0;
            for (n, message) in batch.iter().enumerate() {
                let parked = Parked::from_message(message, false);
                if options.dry_run {
                    if seen.insert(parked.message_id.clone()) && summary.moved < limit {
                        fresh += 1;
                        summary.moved += 1;
                        progress(Progress::WouldMove(&parked));
                    }
                    continue;
                }
                if let Err(error) = copy(target, target_url, message).await {
                    summary.left += batch.len() - n;
                    release(client, dlq_url, &batch[n..]).await;
                    return Err(error);
                }
                let deleted = client
                    .delete_message()
                    .queue_url(dlq_url)
                    .receipt_handle(message.receipt_handle().unwrap_or_default())
                    .send()
                    .await
                    .map_err(sqs("DeleteMessage"));
                match deleted {
                    Ok(_) => {
                        summary.moved += 1;
                        progress(Progress::Moved(&parked));
                    }
                    Err(error) => {
                        summary.copied_not_deleted += 1;
                        progress(Progress::DeleteFailed(&parked, &error));
                    }
                }
            }
            if options.dry_run {
                rehearsed.extend(batch);
                if fresh == 0 {
                    return Ok(());
                }
            }
        }
        Ok(())
    }
    .await;
    release(client, dlq_url, &rehearsed).await;
    (summary, result)
}

/// Sends one parked message's copy to `target_url`.
async fn copy(client: &Client, target_url: &str, message: &Message) -> Result<(), DlqError> {
    let attributes: Option<HashMap<String, MessageAttributeValue>> =
        message.message_attributes.clone().filter(|a| !a.is_empty());
    client
        .send_message()
        .queue_url(target_url)
        .message_body(message.body().unwrap_or_default())
        .set_message_attributes(attributes)
        .set_message_group_id(
            system(message, MessageSystemAttributeName::MessageGroupId).map(Into::into),
        )
        .set_message_deduplication_id(
            system(message, MessageSystemAttributeName::MessageDeduplicationId).map(Into::into),
        )
        .send()
        .await
        .map_err(sqs("SendMessage"))?;
    Ok(())
}

/// Starts SQS's own move task from the dead-letter queue to `destination_arn`
/// (default: each message's source queue); returns the task handle.
pub async fn start_move_task(
    client: &Client,
    dlq_arn: &str,
    destination_arn: Option<&str>,
    per_second: Option<i32>,
) -> Result<String, DlqError> {
    client
        .start_message_move_task()
        .source_arn(dlq_arn)
        .set_destination_arn(destination_arn.map(Into::into))
        .set_max_number_of_messages_per_second(per_second)
        .send()
        .await
        .map_err(sqs("StartMessageMoveTask"))?
        .task_handle
        .ok_or_else(|| DlqError::Usage("StartMessageMoveTask returned no task handle".into()))
}

/// The state of the newest move task from `dlq_arn`: (status, moved, to move, failure reason).
pub async fn move_task_status(
    client: &Client,
    dlq_arn: &str,
) -> Result<Option<(String, i64, Option<i64>, Option<String>)>, DlqError> {
    let output = client
        .list_message_move_tasks()
        .source_arn(dlq_arn)
        .max_results(1)
        .send()
        .await
        .map_err(sqs("ListMessageMoveTasks"))?;
    Ok(output.results().first().map(|task| {
        (
            task.status().unwrap_or("UNKNOWN").to_owned(),
            task.approximate_number_of_messages_moved(),
            task.approximate_number_of_messages_to_move(),
            task.failure_reason().map(Into::into),
        )
    }))
}
