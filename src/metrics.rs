//! Per-request metrics as one CloudWatch Embedded Metric Format (EMF)
//! document on stdout: CloudWatch Logs extracts them, so publishing costs
//! no API call and no latency.
//!
//! One document per request. Its `_aws.CloudWatchMetrics` holds one
//! directive publishing every metric under the dimension sets `[service]`
//! and `[service, source]`; a rejected request adds a second directive
//! publishing `Rejected` alone under `[service, source, reason]` (a
//! directive's dimension sets apply to all its metrics, and the reason must
//! not multiply the other metrics). Counts are written for every outcome,
//! zero or one, so that sums, averages and alarms see every request.
//!
//! The document is written by hand into one `String`: everything but the
//! timestamp, the source, the reason and the values is fixed at init.
//!
//! The line carries no `"level"`: with Lambda's JSON log format a line
//! without one is an INFO line, kept when the function's application log
//! level is INFO or finer (as `template.yaml` sets it) and dropped at WARN
//! and above. Claiming a higher level would hide metrics among errors.

use std::ffi::OsString;
use std::fmt::Write as _;
use std::io::Write as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Default CloudWatch namespace and `service` dimension.
pub const DEFAULT_NAMESPACE: &str = "hookline";
/// Default `service` dimension value.
pub const DEFAULT_SERVICE: &str = "hookline";

/// The `reason` labels `Rejected` may carry (the contract's fixed set).
pub const REASONS: [&str; 16] = [
    "method_not_allowed",
    "not_found",
    "forbidden_network",
    "payload_too_large",
    "invalid_body_encoding",
    "malformed_event",
    "invalid_handshake",
    "missing_header",
    "repeated_header",
    "malformed_header",
    "signature_mismatch",
    "credentials_mismatch",
    "timestamp_too_old",
    "timestamp_too_new",
    "invalid_token",
    "invalid_json",
];

/// Metric names and units, in document order (names fixed by the contract).
pub const METRICS: [(&str, &str); 9] = [
    ("Requests", "Count"),
    ("Enqueued", "Count"),
    ("Rejected", "Count"),
    ("QueueUnavailable", "Count"),
    ("KeysUnavailable", "Count"),
    ("Handshakes", "Count"),
    ("ColdStart", "Count"),
    ("Latency", "Milliseconds"),
    ("BodySize", "Bytes"),
];

/// How one request ended, as the metrics count it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// SQS confirmed the message (200).
    Enqueued,
    /// A validation handshake was answered (200, nothing enqueued).
    Handshake,
    /// Refused; the reason is one of [`REASONS`].
    Rejected(&'static str),
    /// SQS did not confirm (503).
    QueueUnavailable,
    /// A secret store or identity provider could not supply keys (503).
    KeysUnavailable,
}

/// What one request contributes to the metrics.
#[derive(Debug, Clone, Copy)]
pub struct Observation<'a> {
    /// The source name (`unknown` for an unmatched route, `none` for a malformed event).
    pub source: &'a str,
    pub outcome: Outcome,
    /// From the event's arrival to the answer.
    pub latency: Duration,
    /// Request body size in bytes, as received.
    pub body_size: usize,
    /// True for the first request of this execution environment.
    pub cold_start: bool,
}

/// Metrics settings, read at init: `METRICS`, `METRICS_NAMESPACE`, `METRICS_SERVICE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricsConfig {
    pub enabled: bool,
    pub namespace: String,
    pub service: String,
    /// `"CloudWatchMetrics":[…]},"service":"…"` for every outcome but Rejected.
    plain: String,
    /// The same with the `[service, source, reason]` directive for `Rejected`.
    rejected: String,
}

impl MetricsConfig {
    /// Metrics on, default namespace and service.
    pub fn new(enabled: bool, namespace: &str, service: &str) -> Self {
        let directive = |dimensions: &str, metrics: &[(&str, &str)]| {
            let mut out = String::from("{\"Namespace\":");
            push_json_str(&mut out, namespace);
            out.push_str(",\"Dimensions\":");
            out.push_str(dimensions);
            out.push_str(",\"Metrics\":[");
            for (n, (name, unit)) in metrics.iter().enumerate() {
                if n > 0 {
                    out.push(',');
                }
                let _ = write!(out, "{{\"Name\":\"{name}\",\"Unit\":\"{unit}\"}}");
            }
            out.push_str("]}");
            out
        };
        let all = directive(r#"[["service"],["service","source"]]"#, &METRICS);
        let by_reason = directive(
            r#"[["service","source","reason"]]"#,
            &[("Rejected", "Count")],
        );
        let mut service_member = String::from("]},\"service\":");
        push_json_str(&mut service_member, service);
        Self {
            enabled,
            namespace: namespace.to_owned(),
            service: service.to_owned(),
            plain: format!(",\"CloudWatchMetrics\":[{all}{service_member}"),
            rejected: format!(",\"CloudWatchMetrics\":[{all},{by_reason}{service_member}"),
        }
    }

    /// Reads the settings through `lookup` (the environment in production).
    /// An error names the variable and says what is wrong.
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<OsString>,
    ) -> Result<Self, (&'static str, String)> {
        let text = |var: &'static str| -> Result<Option<String>, (&'static str, String)> {
            match lookup(var) {
                None => Ok(None),
                Some(value) if value.is_empty() => Ok(None),
                Some(value) => value
                    .into_string()
                    .map(Some)
                    .map_err(|_| (var, "not valid UTF-8".to_owned())),
            }
        };
        let enabled = match text("METRICS")? {
            None => true,
            Some(value) if value.eq_ignore_ascii_case("on") => true,
            Some(value) if value.eq_ignore_ascii_case("off") => false,
            Some(_) => return Err(("METRICS", "expected `on` or `off`".to_owned())),
        };
        let namespace = text("METRICS_NAMESPACE")?.unwrap_or_else(|| DEFAULT_NAMESPACE.into());
        check_namespace(&namespace).map_err(|reason| ("METRICS_NAMESPACE", reason.to_owned()))?;
        let service = text("METRICS_SERVICE")?.unwrap_or_else(|| DEFAULT_SERVICE.into());
        check_dimension_value(&service).map_err(|reason| ("METRICS_SERVICE", reason.to_owned()))?;
        Ok(Self::new(enabled, &namespace, &service))
    }

    /// The EMF document for one request, on one line without its newline;
    /// `None` when metrics are off.
    pub fn document(&self, obs: &Observation, timestamp_ms: u64) -> Option<String> {
        if !self.enabled {
            return None;
        }
        let mut out = String::with_capacity(self.rejected.len() + 320);
        self.write_document(&mut out, obs, timestamp_ms);
        Some(out)
    }

    /// Writes the document for `obs`, stamped now, to stdout: one locked
    /// write of the whole line, so it never interleaves with a log line.
    pub fn emit(&self, obs: &Observation) {
        if !self.enabled {
            return;
        }
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        let mut line = String::with_capacity(self.rejected.len() + 320);
        self.write_document(&mut line, obs, now);
        line.push('\n');
        let _ = std::io::stdout().lock().write_all(line.as_bytes());
    }

    fn write_document(&self, out: &mut String, obs: &Observation, timestamp_ms: u64) {
        let reason = match obs.outcome {
            Outcome::Rejected(reason) => Some(reason),
            _ => None,
        };
        // Pushed piece by piece (`itoa` for the numbers) rather than through
        // `write!`: the whole document is about 1,300 instructions and one
        // `write` per request (callgrind, bench/REQUEST.md).
        let mut digits = itoa::Buffer::new();
        out.push_str("{\"_aws\":{\"Timestamp\":");
        out.push_str(digits.format(timestamp_ms));
        out.push_str(if reason.is_some() {
            &self.rejected
        } else {
            &self.plain
        });
        out.push_str(",\"source\":");
        push_json_str(out, obs.source);
        if let Some(reason) = reason {
            out.push_str(",\"reason\":");
            push_json_str(out, reason);
        }
        let one = |hit: bool| if hit { "1" } else { "0" };
        let o = obs.outcome;
        for (name, hit) in [
            (",\"Requests\":1,\"Enqueued\":", o == Outcome::Enqueued),
            (",\"Rejected\":", reason.is_some()),
            (",\"QueueUnavailable\":", o == Outcome::QueueUnavailable),
            (",\"KeysUnavailable\":", o == Outcome::KeysUnavailable),
            (",\"Handshakes\":", o == Outcome::Handshake),
            (",\"ColdStart\":", obs.cold_start),
        ] {
            out.push_str(name);
            out.push_str(one(hit));
        }
        let micros = obs.latency.as_micros();
        out.push_str(",\"Latency\":");
        out.push_str(digits.format(micros / 1000));
        let fraction = (micros % 1000) as u16;
        out.push('.');
        out.push_str(&digits.format(1000 + fraction)[1..]);
        out.push_str(",\"BodySize\":");
        out.push_str(digits.format(obs.body_size));
        out.push('}');
    }
}

impl Default for MetricsConfig {
    fn default() -> Self {
        Self::new(true, DEFAULT_NAMESPACE, DEFAULT_SERVICE)
    }
}

/// CloudWatch's namespace rules: 1–255 of `0-9A-Za-z . - _ / # :` and
/// space, not only spaces, and not under the reserved `AWS/` prefix.
fn check_namespace(namespace: &str) -> Result<(), &'static str> {
    if namespace.is_empty() || namespace.len() > 255 {
        return Err("expected 1 to 255 characters");
    }
    if !namespace
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b".-_/#: ".contains(&b))
    {
        return Err("allowed characters are A-Z a-z 0-9 . - _ / # : and space");
    }
    if namespace.trim().is_empty() {
        return Err("must contain a non-space character");
    }
    if namespace.starts_with("AWS/") {
        return Err("the AWS/ prefix is reserved for AWS services");
    }
    Ok(())
}

/// CloudWatch's dimension value rules: 1–1024 characters, not only
/// whitespace; control characters are refused as well.
fn check_dimension_value(value: &str) -> Result<(), &'static str> {
    if value.is_empty() || value.chars().count() > 1024 {
        return Err("expected 1 to 1024 characters");
    }
    if value.chars().any(char::is_control) {
        return Err("control characters are not allowed");
    }
    if value.trim().is_empty() {
        return Err("must contain a non-whitespace character");
    }
    Ok(())
}

/// Appends `value` as a JSON string; only text that needs escaping goes
/// through `serde_json`.
fn push_json_str(out: &mut String, value: &str) {
    if value.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.push('"');
        out.push_str(value);
        out.push('"');
    } else {
        // Serialising a &str cannot fail.
        out.push_str(&serde_json::to_string(value).unwrap_or_default());
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use serde_json::{Value, json};

    use super::*;

    fn obs(source: &str, outcome: Outcome) -> Observation<'_> {
        Observation {
            source,
            outcome,
            latency: Duration::from_micros(12_345),
            body_size: 2048,
            cold_start: false,
        }
    }

    /// The specification's structure and limits, checked by hand: the
    /// schema's required members and types, at most 30 keys per dimension
    /// set and 100 metrics per directive, every reference a root member of
    /// the right type, units among CloudWatch's.
    fn check_emf(doc: &Value) {
        const UNITS: [&str; 27] = [
            "Seconds",
            "Microseconds",
            "Milliseconds",
            "Bytes",
            "Kilobytes",
            "Megabytes",
            "Gigabytes",
            "Terabytes",
            "Bits",
            "Kilobits",
            "Megabits",
            "Gigabits",
            "Terabits",
            "Percent",
            "Count",
            "Bytes/Second",
            "Kilobytes/Second",
            "Megabytes/Second",
            "Gigabytes/Second",
            "Terabytes/Second",
            "Bits/Second",
            "Kilobits/Second",
            "Megabits/Second",
            "Gigabits/Second",
            "Terabits/Second",
            "Count/Second",
            "None",
        ];
        let root = doc.as_object().expect("root is an object");
        let aws = root["_aws"].as_object().expect("_aws is an object");
        assert!(aws["Timestamp"].is_u64(), "Timestamp is an integer");
        let directives = aws["CloudWatchMetrics"].as_array().expect("array");
        assert!(!directives.is_empty());
        for directive in directives {
            let directive = directive.as_object().unwrap();
            let namespace = directive["Namespace"].as_str().unwrap();
            assert!((1..=255).contains(&namespace.len()));
            let sets = directive["Dimensions"].as_array().unwrap();
            assert!(!sets.is_empty(), "Dimensions minItems 1");
            for set in sets {
                let set = set.as_array().unwrap();
                assert!(set.len() <= 30, "at most 30 dimension keys");
                for key in set {
                    let key = key.as_str().unwrap();
                    assert!((1..=255).contains(&key.len()));
                    assert!(root[key].is_string(), "dimension {key} is a root string");
                }
            }
            let metrics = directive["Metrics"].as_array().unwrap();
            assert!(metrics.len() <= 100, "at most 100 metrics");
            for metric in metrics {
                let metric = metric.as_object().unwrap();
                let name = metric["Name"].as_str().unwrap();
                assert!((1..=255).contains(&name.len()));
                assert!(root[name].is_number(), "metric {name} is a root number");
                let unit = metric["Unit"].as_str().unwrap();
                assert!(UNITS.contains(&unit), "{unit}");
                assert!(metric.keys().all(|k| k == "Name" || k == "Unit"));
            }
            assert_eq!(directive.len(), 3, "no other members in a directive");
        }
        assert_eq!(aws.len(), 2, "no other members in _aws");
    }

    fn parse(config: &MetricsConfig, o: &Observation) -> Value {
        let text = config.document(o, 1_764_000_000_123).unwrap();
        assert!(!text.contains('\n'), "one line");
        serde_json::from_str(&text).unwrap()
    }

    fn expected_directive(namespace: &str) -> Value {
        json!({
            "Namespace": namespace,
            "Dimensions": [["service"], ["service", "source"]],
            "Metrics": METRICS.iter().map(|(n, u)| json!({"Name": n, "Unit": u})).collect::<Vec<_>>(),
        })
    }

    #[test]
    fn every_outcome_field_by_field() {
        let config = MetricsConfig::default();
        let cases: [(Outcome, &str); 4] = [
            (Outcome::Enqueued, "Enqueued"),
            (Outcome::Handshake, "Handshakes"),
            (Outcome::QueueUnavailable, "QueueUnavailable"),
            (Outcome::KeysUnavailable, "KeysUnavailable"),
        ];
        for (outcome, counted) in cases {
            let doc = parse(&config, &obs("billing", outcome));
            check_emf(&doc);
            let mut want = json!({
                "_aws": {
                    "Timestamp": 1_764_000_000_123u64,
                    "CloudWatchMetrics": [expected_directive("hookline")],
                },
                "service": "hookline",
                "source": "billing",
                "Requests": 1, "Enqueued": 0, "Rejected": 0, "QueueUnavailable": 0,
                "KeysUnavailable": 0, "Handshakes": 0, "ColdStart": 0,
                "Latency": 12.345, "BodySize": 2048,
            });
            want[counted] = json!(1);
            assert_eq!(doc, want, "{outcome:?}");
        }
    }

    #[test]
    fn rejected_adds_the_reason_directive_for_every_reason() {
        let config = MetricsConfig::default();
        for reason in REASONS {
            let doc = parse(&config, &obs("actigraph", Outcome::Rejected(reason)));
            check_emf(&doc);
            let want = json!({
                "_aws": {
                    "Timestamp": 1_764_000_000_123u64,
                    "CloudWatchMetrics": [
                        expected_directive("hookline"),
                        {
                            "Namespace": "hookline",
                            "Dimensions": [["service", "source", "reason"]],
                            "Metrics": [{"Name": "Rejected", "Unit": "Count"}],
                        },
                    ],
                },
                "service": "hookline",
                "source": "actigraph",
                "reason": reason,
                "Requests": 1, "Enqueued": 0, "Rejected": 1, "QueueUnavailable": 0,
                "KeysUnavailable": 0, "Handshakes": 0, "ColdStart": 0,
                "Latency": 12.345, "BodySize": 2048,
            });
            assert_eq!(doc, want, "{reason}");
        }
    }

    #[test]
    fn cold_start_latency_and_size() {
        let config = MetricsConfig::default();
        let mut o = obs("unknown", Outcome::Rejected("not_found"));
        o.cold_start = true;
        o.latency = Duration::from_nanos(1_000_999);
        o.body_size = 0;
        let doc = parse(&config, &o);
        assert_eq!(doc["ColdStart"], 1);
        assert_eq!(doc["Latency"], 1.0);
        assert_eq!(doc["BodySize"], 0);
        o.latency = Duration::from_secs(29) + Duration::from_micros(7);
        assert_eq!(parse(&config, &o)["Latency"], 29000.007);
    }

    #[test]
    fn names_and_values_are_escaped() {
        let config = MetricsConfig::new(true, "My App/#1", "svc \"q\" \\ é");
        let doc = parse(&config, &obs("we\"ird\u{1}", Outcome::Enqueued));
        check_emf(&doc);
        assert_eq!(
            doc["_aws"]["CloudWatchMetrics"][0]["Namespace"],
            "My App/#1"
        );
        assert_eq!(doc["service"], "svc \"q\" \\ é");
        assert_eq!(doc["source"], "we\"ird\u{1}");
    }

    #[test]
    fn off_writes_nothing() {
        let config = MetricsConfig::new(false, "hookline", "hookline");
        assert_eq!(config.document(&obs("a", Outcome::Enqueued), 1), None);
    }

    fn from(vars: &[(&str, &str)]) -> Result<MetricsConfig, (&'static str, String)> {
        let vars: HashMap<String, OsString> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), OsString::from(v)))
            .collect();
        MetricsConfig::from_lookup(|name| vars.get(name).cloned())
    }

    #[test]
    fn configuration() {
        let default = from(&[]).unwrap();
        assert!(default.enabled);
        assert_eq!(default.namespace, "hookline");
        assert_eq!(default.service, "hookline");
        assert_eq!(default, MetricsConfig::default());
        assert!(!from(&[("METRICS", "off")]).unwrap().enabled);
        assert!(!from(&[("METRICS", "OFF")]).unwrap().enabled);
        assert!(from(&[("METRICS", "on")]).unwrap().enabled);
        assert!(from(&[("METRICS", "")]).unwrap().enabled);
        assert_eq!(from(&[("METRICS", "false")]).unwrap_err().0, "METRICS");
        let custom = from(&[
            ("METRICS_NAMESPACE", "Team/Webhooks:prod"),
            ("METRICS_SERVICE", "my-stack"),
        ])
        .unwrap();
        assert_eq!(custom.namespace, "Team/Webhooks:prod");
        assert_eq!(custom.service, "my-stack");
        for bad in ["AWS/Lambda", "   ", "a\"b", "é", &"x".repeat(256)] {
            assert_eq!(
                from(&[("METRICS_NAMESPACE", bad)]).unwrap_err().0,
                "METRICS_NAMESPACE",
                "{bad:?}"
            );
        }
        assert!(from(&[("METRICS_NAMESPACE", &"x".repeat(255))]).is_ok());
        for bad in [" ", "a\nb", &"x".repeat(1025)] {
            assert_eq!(
                from(&[("METRICS_SERVICE", bad)]).unwrap_err().0,
                "METRICS_SERVICE",
                "{bad:?}"
            );
        }
    }

    /// The schema published with the specification, checked by Python's
    /// `jsonschema` when the project's virtualenv has it (tools/requirements.txt).
    #[test]
    fn documents_match_the_published_schema() {
        let python = concat!(env!("CARGO_MANIFEST_DIR"), "/.venv/bin/python");
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/emf_schema.py");
        let config = MetricsConfig::default();
        let mut lines = String::new();
        for outcome in [
            Outcome::Enqueued,
            Outcome::Handshake,
            Outcome::QueueUnavailable,
            Outcome::KeysUnavailable,
            Outcome::Rejected("signature_mismatch"),
        ] {
            lines += &config.document(&obs("billing", outcome), 1).unwrap();
            lines.push('\n');
        }
        let mut child = match std::process::Command::new(python)
            .arg(script)
            .stdin(std::process::Stdio::piped())
            .spawn()
        {
            Ok(child) => child,
            Err(e) => panic!("{python}: {e} (run tools/bootstrap)"),
        };
        child
            .stdin
            .take()
            .unwrap()
            .write_all(lines.as_bytes())
            .unwrap();
        assert!(child.wait().unwrap().success(), "schema check failed");
    }
}
