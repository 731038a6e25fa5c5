//! Typed configuration, read once from the environment at cold start.
//!
//! Every problem is reported at init with the variable's name, so a
//! half-configured receiver never answers a request.

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::time::Duration;

use crate::secret::{Secret, Secrets};
use crate::verify::{DEFAULT_TOLERANCE, Scheme, Verifier};

/// Default bound on one SQS send, retries included: well under API Gateway's 29 s.
pub const DEFAULT_SQS_TIMEOUT: Duration = Duration::from_secs(5);

/// Where accepted events go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueConfig {
    /// The queue URL as SQS gives it (`https://sqs.<region>.amazonaws.com/<account>/<name>`).
    pub url: String,
    /// FIFO queues (name ending in `.fifo`) need a group id and a deduplication id.
    pub fifo: bool,
    /// `MessageGroupId` for FIFO queues.
    pub group_id: String,
    /// Bound on one send, retries included.
    pub timeout: Duration,
}

/// Everything the receiver needs, validated.
#[derive(Debug, Clone)]
pub struct Config {
    /// Verifier built from `WEBHOOK_SCHEME`, the secrets and the tolerance.
    pub verifier: Verifier,
    /// The queue settings.
    pub queue: QueueConfig,
}

/// A configuration problem, naming the variable at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A required variable is unset or empty.
    #[error("{0} must be set")]
    Missing(&'static str),
    /// A variable is set to something unusable.
    #[error("{var} is invalid: {reason}")]
    Invalid {
        /// The variable's name.
        var: &'static str,
        /// What is wrong with it (never its value: it may be a secret).
        reason: String,
    },
}

fn invalid(var: &'static str, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        var,
        reason: reason.into(),
    }
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var_os(name))
    }

    /// Reads through `lookup`, so tests need not touch the process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<OsString>) -> Result<Self, ConfigError> {
        let text = |var: &'static str| -> Result<Option<String>, ConfigError> {
            match lookup(var) {
                None => Ok(None),
                Some(value) if value.is_empty() => Ok(None),
                Some(value) => value
                    .into_string()
                    .map(Some)
                    .map_err(|_| invalid(var, "not valid UTF-8")),
            }
        };
        let required = |var: &'static str| text(var)?.ok_or(ConfigError::Missing(var));

        let scheme: Scheme = required("WEBHOOK_SCHEME")?
            .parse()
            .map_err(|e: crate::verify::UnknownScheme| invalid("WEBHOOK_SCHEME", e.to_string()))?;
        let tolerance = match text("WEBHOOK_TOLERANCE_SECONDS")? {
            None => DEFAULT_TOLERANCE,
            Some(value) => Duration::from_secs(positive(&value).ok_or_else(|| {
                invalid(
                    "WEBHOOK_TOLERANCE_SECONDS",
                    "expected a whole number of seconds, at least 1",
                )
            })?),
        };

        // Secrets are taken byte for byte: any character is allowed.
        let secret = |var: &'static str| {
            lookup(var)
                .map(OsStringExt::into_vec)
                .filter(|s| !s.is_empty())
        };
        let current = secret("WEBHOOK_SECRET").ok_or(ConfigError::Missing("WEBHOOK_SECRET"))?;
        let mut secrets = vec![("WEBHOOK_SECRET", current)];
        if let Some(previous) = secret("WEBHOOK_SECRET_PREVIOUS") {
            secrets.push(("WEBHOOK_SECRET_PREVIOUS", previous));
        }
        for (var, value) in &secrets {
            Verifier::new(scheme, &Secrets::one(value.clone()), tolerance)
                .map_err(|e| invalid(var, e.to_string()))?;
        }
        let secrets = Secrets::new(secrets.into_iter().map(|(_, value)| Secret::new(value)));
        let verifier = Verifier::new(scheme, &secrets, tolerance)
            .map_err(|e| invalid("WEBHOOK_SECRET", e.to_string()))?;

        let url = required("QUEUE_URL")?;
        let name = queue_name(&url).ok_or_else(|| {
            invalid("QUEUE_URL", "expected an SQS queue URL such as https://sqs.us-east-1.amazonaws.com/123456789012/name")
        })?;
        let fifo = name.ends_with(".fifo");
        let group_id = match text("QUEUE_MESSAGE_GROUP_ID")? {
            None => scheme.name().to_owned(),
            Some(id) if valid_sqs_id(&id) => id,
            Some(_) => {
                return Err(invalid(
                    "QUEUE_MESSAGE_GROUP_ID",
                    "1 to 128 ASCII letters, digits or punctuation",
                ));
            }
        };
        let timeout = match text("SQS_TIMEOUT_MS")? {
            None => DEFAULT_SQS_TIMEOUT,
            Some(value) => {
                Duration::from_millis(positive(&value).filter(|&ms| ms <= 25_000).ok_or_else(
                    || invalid("SQS_TIMEOUT_MS", "expected milliseconds from 1 to 25000"),
                )?)
            }
        };
        Ok(Self {
            verifier,
            queue: QueueConfig {
                url,
                fifo,
                group_id,
                timeout,
            },
        })
    }
}

fn positive(text: &str) -> Option<u64> {
    text.parse().ok().filter(|&n| n > 0)
}

/// The queue's name, if `url` has the shape of a queue URL: an http(s) URL
/// whose path is `/<account>/<name>`.
fn queue_name(url: &str) -> Option<&str> {
    let uri: http::Uri = url.parse().ok()?;
    if !matches!(uri.scheme_str(), Some("https" | "http")) || uri.host().is_none_or(str::is_empty) {
        return None;
    }
    let path = uri.path().strip_prefix('/')?;
    let (account, name) = path.split_once('/')?;
    let name_ok = !name.is_empty()
        && name.len() <= 80
        && name
            .trim_end_matches(".fifo")
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    (!account.is_empty()
        && account.bytes().all(|b| b.is_ascii_alphanumeric())
        && name_ok
        && uri.query().is_none())
    .then(|| &url[url.len() - name.len()..])
}

/// SQS's rule for group and deduplication ids.
pub(crate) fn valid_sqs_id(id: &str) -> bool {
    (1..=128).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_graphic())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn load(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, OsString> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), OsString::from(v)))
            .collect();
        Config::from_lookup(|name| map.get(name).cloned())
    }

    const BASE: [(&str, &str); 3] = [
        ("WEBHOOK_SCHEME", "onecentre"),
        ("WEBHOOK_SECRET", "s3cr3t-value"),
        (
            "QUEUE_URL",
            "https://sqs.us-east-1.amazonaws.com/123456789012/hooks",
        ),
    ];

    fn with(extra: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
        let mut vars: Vec<_> = BASE
            .iter()
            .filter(|(k, _)| !extra.iter().any(|(e, _)| e == k))
            .copied()
            .collect();
        vars.extend(extra.iter().filter(|(_, v)| !v.is_empty()).copied());
        vars
    }

    fn var_of(err: ConfigError) -> &'static str {
        match err {
            ConfigError::Missing(var) | ConfigError::Invalid { var, .. } => var,
        }
    }

    #[test]
    fn minimal_configuration() {
        let config = load(&BASE).unwrap();
        assert_eq!(config.verifier.scheme(), Scheme::OneCentre);
        assert!(!config.queue.fifo);
        assert_eq!(config.queue.group_id, "onecentre");
        assert_eq!(config.queue.timeout, DEFAULT_SQS_TIMEOUT);
    }

    #[test]
    fn fifo_queue_and_group_id() {
        let config = load(&with(&[
            ("QUEUE_URL", "http://127.0.0.1:5000/123456789012/hooks.fifo"),
            ("QUEUE_MESSAGE_GROUP_ID", "tenant-7"),
        ]))
        .unwrap();
        assert!(config.queue.fifo);
        assert_eq!(config.queue.group_id, "tenant-7");
    }

    #[test]
    fn every_problem_names_its_variable() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[("WEBHOOK_SCHEME", "")], "WEBHOOK_SCHEME"),
            (&[("WEBHOOK_SCHEME", "github")], "WEBHOOK_SCHEME"),
            (&[("WEBHOOK_SECRET", "")], "WEBHOOK_SECRET"),
            (&[("QUEUE_URL", "")], "QUEUE_URL"),
            (&[("QUEUE_URL", "hooks")], "QUEUE_URL"),
            (&[("QUEUE_URL", "ftp://sqs.example/1/q")], "QUEUE_URL"),
            (
                &[("QUEUE_URL", "https://sqs.us-east-1.amazonaws.com/hooks")],
                "QUEUE_URL",
            ),
            (
                &[(
                    "QUEUE_URL",
                    "https://sqs.us-east-1.amazonaws.com/1/bad name",
                )],
                "QUEUE_URL",
            ),
            (
                &[("WEBHOOK_TOLERANCE_SECONDS", "-5")],
                "WEBHOOK_TOLERANCE_SECONDS",
            ),
            (
                &[("WEBHOOK_TOLERANCE_SECONDS", "0")],
                "WEBHOOK_TOLERANCE_SECONDS",
            ),
            (
                &[("QUEUE_MESSAGE_GROUP_ID", "has space")],
                "QUEUE_MESSAGE_GROUP_ID",
            ),
            (&[("SQS_TIMEOUT_MS", "60000")], "SQS_TIMEOUT_MS"),
            (
                &[("WEBHOOK_SCHEME", "basic"), ("WEBHOOK_SECRET", "nocolon")],
                "WEBHOOK_SECRET",
            ),
            (
                &[
                    ("WEBHOOK_SCHEME", "basic"),
                    ("WEBHOOK_SECRET", "a:b"),
                    ("WEBHOOK_SECRET_PREVIOUS", "nocolon"),
                ],
                "WEBHOOK_SECRET_PREVIOUS",
            ),
            (
                &[
                    ("WEBHOOK_SCHEME", "standard-webhooks"),
                    ("WEBHOOK_SECRET", "whsec_***"),
                ],
                "WEBHOOK_SECRET",
            ),
        ];
        for (extra, var) in cases {
            let vars: Vec<(&str, &str)> = {
                let mut v: Vec<_> = BASE
                    .iter()
                    .filter(|(k, _)| !extra.iter().any(|(e, _)| e == k))
                    .copied()
                    .collect();
                v.extend(extra.iter().filter(|(_, v)| !v.is_empty()).copied());
                v
            };
            let err = load(&vars).expect_err(var);
            let message = err.to_string();
            assert_eq!(var_of(err), *var, "{extra:?}");
            assert!(message.contains(var), "{message}");
        }
    }

    #[test]
    fn errors_and_debug_never_show_the_secret() {
        let err = load(&with(&[
            ("WEBHOOK_SCHEME", "basic"),
            ("WEBHOOK_SECRET", "hunter2-no-colon"),
        ]))
        .unwrap_err();
        assert!(!err.to_string().contains("hunter2"));
        let config = load(&with(&[("WEBHOOK_SECRET", "hunter2-value")])).unwrap();
        assert!(!format!("{config:?}").contains("hunter2"));
    }

    #[test]
    fn secrets_are_verbatim() {
        let config = load(&with(&[
            ("WEBHOOK_SCHEME", "bearer"),
            ("WEBHOOK_SECRET", " spaced token "),
        ]))
        .unwrap();
        let mut headers = http::HeaderMap::new();
        headers.insert(
            "authorization",
            http::HeaderValue::from_static("Bearer  spaced token "),
        );
        // Header whitespace is trimmed, the secret is not: these differ.
        assert!(
            config
                .verifier
                .verify(&headers, b"{}", std::time::SystemTime::now())
                .is_err()
        );
    }
}
