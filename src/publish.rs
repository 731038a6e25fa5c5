//! The port accepted events leave through: SQS in production, an in-process
//! fake in handler unit tests.

use std::future::Future;

use crate::message::OutboundMessage;

/// Why a message is not on the queue. Every kind answers 503 so the sender retries.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PublishError {
    /// No answer within the configured bound.
    #[error("timed out: {0}")]
    Timeout(String),
    /// The connection could not be made or broke.
    #[error("unreachable: {0}")]
    Unreachable(String),
    /// SQS asked us to slow down.
    #[error("throttled: {0}")]
    Throttled(String),
    /// Credentials or policy do not allow sending.
    #[error("access denied: {0}")]
    AccessDenied(String),
    /// The queue does not exist.
    #[error("queue missing: {0}")]
    QueueMissing(String),
    /// Anything else SQS or the SDK reported.
    #[error("failed: {0}")]
    Other(String),
}

impl PublishError {
    /// A stable label for log fields and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            PublishError::Timeout(_) => "timeout",
            PublishError::Unreachable(_) => "unreachable",
            PublishError::Throttled(_) => "throttled",
            PublishError::AccessDenied(_) => "access_denied",
            PublishError::QueueMissing(_) => "queue_missing",
            PublishError::Other(_) => "other",
        }
    }
}

/// Puts one message on the queue and returns its message id once the queue
/// has confirmed it.
pub trait Publisher: Send + Sync {
    /// Sends `message`; `Ok` only after the queue has accepted it. Takes
    /// the message whole so the body moves into the request, not copied.
    fn publish(
        &self,
        message: OutboundMessage,
    ) -> impl Future<Output = Result<String, PublishError>> + Send;
}
