//! hookline: a webhook receiver for AWS Lambda.
//!
//! Verifies each request against the configured provider's signature scheme
//! on the exact bytes received, then puts verified JSON events on SQS.

pub mod js_json;
pub mod secret;
pub mod sign;
pub mod verify;

pub use secret::{Secret, Secrets};
pub use verify::{Accepted, Rejection, Scheme, Verdict, Verifier};
