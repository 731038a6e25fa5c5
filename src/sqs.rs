//! The SQS adapter behind [`Publisher`]: the real `aws-sdk-sqs` client, with
//! explicit timeouts and retries so a sick queue costs a bounded wait.

use std::collections::HashMap;
use std::sync::Arc;

use aws_sdk_sqs::Client;
use aws_sdk_sqs::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sqs::types::MessageAttributeValue;

use crate::aws::Background;
use crate::config::QueueConfig;
use crate::message::OutboundMessage;
use crate::publish::{PublishError, Publisher};

/// Builds the SQS client once, at cold start, on the shared SDK
/// configuration ([`crate::aws::sdk_config`]). Makes no network call: the
/// region comes from the environment (always set on Lambda) or the queue URL,
/// and credentials are resolved on first use.
pub async fn client(queue: &QueueConfig) -> Client {
    let config = crate::aws::sdk_config(queue.timeout, Some(region_from_url(&queue.url))).await;
    Client::new(&config)
}

/// `sqs.<region>.amazonaws.com` names its region; anything else falls back to us-east-1.
pub fn region_from_url(url: &str) -> &str {
    url.split("://")
        .nth(1)
        .and_then(|rest| rest.strip_prefix("sqs."))
        .and_then(|rest| rest.split('.').next())
        .filter(|region| !region.is_empty() && !region.contains(['/', ':']))
        .unwrap_or("us-east-1")
}

/// Publishes each message to its source's queue.
#[derive(Debug, Clone)]
pub struct SqsPublisher {
    client: Arc<Background<Client>>,
}

impl SqsPublisher {
    /// Wraps a client built by [`client`].
    pub fn new(client: Client) -> Self {
        Self {
            client: Arc::new(Background::ready(client)),
        }
    }

    /// Starts building the client (as [`client`] does) on a thread of its own
    /// and returns at once: the first publish waits for it. At cold start this
    /// lets the SDK's setup overlap the runtime's start and first poll.
    pub fn start(queue: &QueueConfig) -> Self {
        let runtime = tokio::runtime::Handle::current();
        let owned = queue.clone();
        Self {
            client: Arc::new(Background::start(move || runtime.block_on(client(&owned)))),
        }
    }
}

impl Publisher for SqsPublisher {
    async fn publish(&self, message: OutboundMessage) -> Result<String, PublishError> {
        let output = self
            .client
            .get()
            .await
            .send_message()
            .queue_url(&*message.queue_url)
            .set_message_attributes(Some(message_attributes(message.attributes)?))
            .message_body(message.body)
            .set_message_group_id(message.group_id)
            .set_message_deduplication_id(message.deduplication_id)
            .send()
            .await
            .map_err(classify)?;
        output
            .message_id
            .ok_or_else(|| PublishError::Other("SQS answered without a message id".into()))
    }
}

/// The message's attributes as SQS `String` attributes (shared with the
/// in-process benchmark, so it measures this very code).
pub fn message_attributes(
    attributes: Vec<(&'static str, String)>,
) -> Result<HashMap<String, MessageAttributeValue>, PublishError> {
    attributes
        .into_iter()
        .map(|(name, value)| {
            MessageAttributeValue::builder()
                .data_type("String")
                .string_value(value)
                .build()
                .map(|value| (name.to_owned(), value))
                .map_err(|e| PublishError::Other(e.to_string()))
        })
        .collect()
}

fn classify<E, R>(error: SdkError<E, R>) -> PublishError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let detail = aws_sdk_sqs::error::DisplayErrorContext(&error).to_string();
    match &error {
        SdkError::TimeoutError(_) => PublishError::Timeout(detail),
        SdkError::DispatchFailure(failure) if failure.is_timeout() => PublishError::Timeout(detail),
        SdkError::DispatchFailure(failure) if failure.is_io() => PublishError::Unreachable(detail),
        SdkError::ServiceError(context) => {
            let code = context.err().code().unwrap_or_default();
            if code.contains("Throttl") || code == "RequestThrottled" || code == "SlowDown" {
                PublishError::Throttled(detail)
            } else if code.contains("AccessDenied")
                || code.contains("InvalidClientTokenId")
                || code.contains("SignatureDoesNotMatch")
            {
                PublishError::AccessDenied(detail)
            } else if code.contains("NonExistentQueue") || code.contains("QueueDoesNotExist") {
                PublishError::QueueMissing(detail)
            } else {
                PublishError::Other(detail)
            }
        }
        _ => PublishError::Other(detail),
    }
}

#[cfg(test)]
mod tests {
    use super::region_from_url;

    #[test]
    fn region_comes_from_the_queue_host() {
        assert_eq!(
            region_from_url("https://sqs.eu-west-2.amazonaws.com/1/q"),
            "eu-west-2"
        );
        assert_eq!(region_from_url("http://127.0.0.1:5000/1/q"), "us-east-1");
        assert_eq!(region_from_url("https://sqs./1/q"), "us-east-1");
    }
}
