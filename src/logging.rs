//! Log setup: what Lambda's advanced logging controls ask for, minus the
//! library log lines that would print a request.
//!
//! `lambda_runtime` logs every raw event (headers and body) at TRACE; with
//! `RUST_LOG=trace` that would put signatures and bodies in CloudWatch. Those
//! targets are capped whatever level is asked for.

use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::LevelFilter;

/// Targets that print request or message payloads below this level.
const PAYLOAD_TARGETS: [&str; 5] = [
    "lambda_runtime::layers::api_response=debug",
    "lambda_runtime_api_client=debug",
    "aws_smithy_runtime=debug",
    "aws_smithy_http=debug",
    "aws_sigv4=info",
];

/// The filter for `requested` (a `RUST_LOG`-style string), with payload targets capped.
pub fn filter(requested: Option<&str>) -> EnvFilter {
    let mut filter = EnvFilter::builder()
        .with_default_directive(LevelFilter::INFO.into())
        .parse_lossy(requested.unwrap_or_default());
    for directive in PAYLOAD_TARGETS {
        filter = filter.add_directive(directive.parse().expect("static directive"));
    }
    filter
}

/// Installs the global subscriber: JSON when `AWS_LAMBDA_LOG_FORMAT=JSON`,
/// level from `AWS_LAMBDA_LOG_LEVEL`, else `RUST_LOG`, else INFO.
pub fn init() {
    let requested = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .map(|level| level.to_ascii_lowercase())
        .or_else(|_| std::env::var("RUST_LOG"))
        .ok();
    let json = std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    let builder = tracing_subscriber::fmt()
        .with_target(false)
        .without_time()
        .with_env_filter(filter(requested.as_deref()));
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}
