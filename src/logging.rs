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
use tracing::level_filters::STATIC_MAX_LEVEL;
use tracing_subscriber::Layer;
use tracing_subscriber::filter::{Directive, EnvFilter, FilterExt, LevelFilter, Targets};
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
///
/// Each directive is read without the blanks around it (`info, hookline`):
/// `tracing-subscriber` trims a directive but slices the untrimmed text, so a
/// blank before one made a target that matches nothing, or a panic at cold
/// start when the rest was not ASCII.
pub fn filter(requested: Option<&str>) -> EnvFilter {
    let requested = trimmed(requested.unwrap_or_default());
    let builder = EnvFilter::builder().with_default_directive(LevelFilter::INFO.into());
    if STATIC_MAX_LEVEL >= LevelFilter::TRACE {
        return builder.parse_lossy(requested);
    }
    builder.parse_lossy(below_trace(&requested))
}

/// Each directive of `requested` without the blanks around it.
fn trimmed(requested: &str) -> String {
    requested
        .split(',')
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(",")
}

/// `requested` (directives already trimmed) with each directive that asks for TRACE asking for DEBUG
/// instead, and nothing else changed. Release builds compile every TRACE
/// call site out (`tracing`'s `release_max_level_debug`, which spares the
/// loader ~2,500 relocations at each cold start): [`cap`] holds other
/// crates to DEBUG anyway, and this crate logs nothing at TRACE. Without
/// this, `EnvFilter` would print a coloured, non-JSON warning to stderr at
/// every cold start whose filter asks for TRACE.
fn below_trace(requested: &str) -> String {
    requested
        .split(',')
        .map(|piece| directive_below_trace(piece).unwrap_or_else(|| piece.to_owned()))
        .collect::<Vec<_>>()
        .join(",")
}

/// One directive asking for TRACE, rewritten to ask for DEBUG; `None` for
/// any other piece, or one whose rewrite would read differently apart from
/// its level (then it is left as it was).
fn directive_below_trace(piece: &str) -> Option<String> {
    let directive: Directive = piece.parse().ok()?;
    let shown = directive.to_string();
    // Display ends with the level.
    let head = shown.strip_suffix("trace")?;
    // The level follows the last `=` after any `[span{fields}]`.
    let after_fields = piece.rfind(']').unwrap_or(0);
    let rewritten = match piece[after_fields..].rfind('=') {
        Some(at) => format!("{}debug", &piece[..after_fields + at + 1]),
        None if head.is_empty() => "debug".to_owned(),
        // A target or span without a level asks for everything.
        None => format!("{piece}=debug"),
    };
    let reread: Directive = rewritten.parse().ok()?;
    (reread.to_string() == format!("{head}debug")).then_some(rewritten)
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

#[cfg(test)]
mod tests {
    use super::{below_trace, trimmed};
    use tracing_subscriber::filter::{EnvFilter, LevelFilter};

    fn lossy(requested: &str) -> String {
        EnvFilter::builder()
            .with_default_directive(LevelFilter::INFO.into())
            .parse_lossy(requested)
            .to_string()
    }

    #[test]
    fn only_trace_levels_are_lowered_and_the_filter_reads_the_same_otherwise() {
        for (requested, expected) in [
            ("", ""),
            ("trace", "debug"),
            ("TRACE", "debug"),
            ("debug", "debug"),
            ("warn,hookline=trace", "warn,hookline=debug"),
            ("hyper", "hyper=debug"),
            ("hyper=5", "hyper=debug"),
            ("[{requestId}]=trace", "[{requestId}]=debug"),
            ("[{requestId}]", "[{requestId}]=debug"),
            (
                "[handler{requestId=abc}]=trace",
                "[handler{requestId=abc}]=debug",
            ),
            (
                "aws_smithy_runtime[send]=TRACE,info",
                "aws_smithy_runtime[send]=debug,info",
            ),
            ("off", "off"),
            (",,=,", ",,=,"),
            ("not a directive[,trace", "not a directive[,debug"),
            ("é,info", "é=debug,info"),
        ] {
            let lowered = below_trace(requested);
            assert_eq!(lowered, expected, "{requested:?}");
            // It reads as the original does, with DEBUG for TRACE (no
            // target here has "trace" in its name).
            assert_eq!(
                lossy(&lowered),
                lossy(requested).replace("trace", "debug"),
                "{requested:?}"
            );
        }
    }

    #[test]
    fn directives_are_read_without_the_blanks_around_them() {
        // Each of these made tracing-subscriber panic, or read a target
        // with a blank in it, once lowered below TRACE (attack review).
        for (requested, expected) in [
            (" é", "é=debug"),
            ("info, ñandú", "info,ñandú=debug"),
            ("\té", "é=debug"),
            ("\t5\u{a0},", "debug,"),
            ("info, hookline", "info,hookline=debug"),
            (", TRACE", ",debug"),
        ] {
            assert_eq!(below_trace(&trimmed(requested)), expected, "{requested:?}");
        }
        assert_eq!(
            super::filter(Some("info, hookline=debug")).to_string(),
            lossy("hookline=debug,info")
        );
    }
}
