//! hookline: a webhook receiver for AWS Lambda.
//!
//! Verifies each request against the configured provider's signature scheme
//! on the exact bytes received, then puts verified JSON events on SQS and
//! answers 200 only once SQS has confirmed them.

pub mod aws;
pub mod config;
pub mod dlq;
pub mod error;
pub mod handler;
pub mod init_error;
pub mod js_json;
pub mod jwks;
pub mod lambda_event;
pub mod logging;
pub mod message;
pub mod metrics;
pub mod network;
pub mod publish;
pub mod request;
pub mod route;
#[cfg(feature = "samples")]
pub mod sample_event;
pub mod secret;
pub mod secret_store;
pub mod sign;
pub mod sqs;
pub mod task;
pub mod verify;

pub use config::Config;
pub use handler::Receiver;
pub use secret::{Secret, SecretRef, Secrets};
pub use verify::{Accepted, Rejection, Scheme, Verdict, Verifier};
