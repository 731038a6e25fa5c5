//! Log setup: what Lambda's advanced logging controls ask for, minus the
//! library log lines that would print a request.
//!
//! `lambda_runtime` logs every raw event (headers and body) at TRACE, and the
//! SDK's HTTP layers log what they send and receive (SQS message bodies,
//! secret values) below DEBUG. The operator's filter (`RUST_LOG` or
//! `AWS_LAMBDA_LOG_LEVEL`) is therefore combined with a fixed cap that no
//! directive can lift: an `EnvFilter` alone would not do, since a span
//! directive such as `[{requestId}]=trace` enables every target inside the
//! span, capped or not.

use tracing::Subscriber;
use tracing_subscriber::Layer;
use tracing_subscriber::filter::{EnvFilter, FilterExt, LevelFilter, Targets};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;

/// Targets that print request, message or secret payloads above this level,
/// and the level each is held to.
const PAYLOAD_TARGETS: [(&str, LevelFilter); 6] = [
    ("lambda_runtime::layers::api_response", LevelFilter::DEBUG),
    ("lambda_runtime::requests", LevelFilter::DEBUG),
    ("lambda_runtime_api_client", LevelFilter::DEBUG),
    ("aws_smithy_runtime", LevelFilter::DEBUG),
    ("aws_smithy_http", LevelFilter::DEBUG),
    ("aws_sigv4", LevelFilter::INFO),
];

/// The operator's filter for `requested` (a `RUST_LOG`-style string; INFO
/// when absent or unreadable).
pub fn filter(requested: Option<&str>) -> EnvFilter {
    EnvFilter::builder()
        .with_default_directive(LevelFilter::INFO.into())
        .parse_lossy(requested.unwrap_or_default())
}

/// The cap every log line passes as well as the operator's filter: this
/// crate at any level, other crates at most DEBUG, payload targets lower.
pub fn cap() -> Targets {
    Targets::new()
        .with_default(LevelFilter::DEBUG)
        .with_target("hookline", LevelFilter::TRACE)
        .with_targets(PAYLOAD_TARGETS)
}

/// The formatting layer, filtered by `requested` and by [`cap`], writing to
/// `writer`: JSON lines when `json`, else text.
pub fn layer<S, W>(
    requested: Option<&str>,
    json: bool,
    writer: W,
) -> Box<dyn Layer<S> + Send + Sync>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let filter = filter(requested).and(cap());
    // No colour codes: CloudWatch shows them as text.
    let format = tracing_subscriber::fmt::layer()
        .with_ansi(false)
        .with_target(false)
        .without_time()
        .with_writer(writer);
    if json {
        format.json().with_filter(filter).boxed()
    } else {
        format.with_filter(filter).boxed()
    }
}

/// Installs the global subscriber: JSON when `AWS_LAMBDA_LOG_FORMAT=JSON`,
/// level from `AWS_LAMBDA_LOG_LEVEL`, else `RUST_LOG`, else INFO.
pub fn init() {
    let requested = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .map(|level| level.to_ascii_lowercase())
        .or_else(|_| std::env::var("RUST_LOG"))
        .ok();
    let json = std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    tracing_subscriber::registry()
        .with(layer(requested.as_deref(), json, std::io::stdout))
        .init();
}

/// Log lines kept in memory, for tests that read what the receiver logged.
#[cfg(any(test, feature = "samples"))]
#[derive(Clone, Default)]
pub struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

#[cfg(any(test, feature = "samples"))]
impl Captured {
    /// Sends this thread's log lines here, through the receiver's own
    /// [`layer`] at `level` (JSON when `json`), until the guard drops.
    pub fn install(&self, level: &str, json: bool) -> tracing::subscriber::DefaultGuard {
        let writer = self.clone();
        let subscriber =
            tracing_subscriber::registry().with(layer(Some(level), json, move || writer.clone()));
        tracing::subscriber::set_default(subscriber)
    }

    /// Everything logged so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|e| e.into_inner())).into_owned()
    }
}

#[cfg(any(test, feature = "samples"))]
impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
