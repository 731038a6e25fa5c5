//! Typed configuration, read once from the environment at cold start.
//!
//! Every problem is reported at init with the variable's name, so a
//! half-configured receiver never answers a request.

mod sources;

pub use sources::{MAX_SOURCES, valid_name as valid_source_name};

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::sync::Arc;
use std::time::Duration;

use crate::message::MAX_MESSAGE_BYTES;
use crate::metrics::MetricsConfig;
use crate::network::AllowList;
use crate::secret::{Secret, SecretRef, Secrets};
use crate::secret_store::{Owner, SecretOwners, Settings, StoreRef, settings_from_env};
use crate::verify::oauth2::OAuth2Settings;
use crate::verify::{DEFAULT_TOLERANCE, Scheme, Verifier};

/// Default bound on one SQS send, retries included: well under API Gateway's 29 s.
pub const DEFAULT_SQS_TIMEOUT: Duration = Duration::from_secs(5);

/// Where accepted events go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueConfig {
    /// The queue URL as SQS gives it (`https://sqs.<region>.amazonaws.com/<account>/<name>`).
    pub url: Arc<str>,
    /// FIFO queues (name ending in `.fifo`) need a group id and a deduplication id.
    pub fifo: bool,
    /// `MessageGroupId` for FIFO queues, and the fallback of [`GroupBy`].
    pub group_id: String,
    /// How a FIFO message's group is chosen.
    pub group_by: GroupBy,
    /// Bound on one send, retries included.
    pub timeout: Duration,
}

/// How a FIFO queue's `MessageGroupId` is chosen: messages of one group are
/// delivered in order, one batch at a time.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum GroupBy {
    /// Every message of the source in one group, [`QueueConfig::group_id`]:
    /// strict order, one consumer at a time.
    #[default]
    Fixed,
    /// The value at this JSON pointer in the signed body (a customer id,
    /// say): order per value, groups in parallel. A body without it uses
    /// the fixed group.
    Pointer(String),
    /// The event's own id: no ordering, full parallelism.
    EventId,
}

/// One source: a provider, its route, keys, sender networks and queue.
#[derive(Debug, Clone)]
pub struct SourceConfig {
    /// The route (`/webhooks/<name>`), the `source` attribute and metrics dimension.
    pub name: String,
    /// How its requests are verified.
    pub scheme: Scheme,
    /// Its secrets in configured order: values, and store references
    /// fetched after init (`env:` references are read at init).
    pub secrets: Vec<SecretRef>,
    /// The verifier, when every secret was known at init.
    pub verifier: Option<Verifier>,
    /// Standard Webhooks timestamp window.
    pub tolerance: Duration,
    /// Networks it accepts requests from (empty: any).
    pub networks: AllowList,
    /// Where its events go.
    pub queue: QueueConfig,
    /// Its largest accepted body.
    pub max_body_bytes: usize,
    /// The `oauth2` scheme's issuer and token policy.
    pub oauth2: Option<OAuth2Settings>,
}

/// Everything the receiver needs, validated.
#[derive(Debug, Clone)]
pub struct Config {
    /// The sources; one in single-source mode.
    pub sources: Vec<SourceConfig>,
    /// True when the sources came from `HOOKLINE_SOURCES`: requests are
    /// routed by path. A single-source deployment answers on every path.
    pub routed: bool,
    /// Where the per-request metrics go, if anywhere.
    pub metrics: MetricsConfig,
    /// How secret store references are fetched and cached.
    pub secrets: Settings,
}

impl Config {
    /// Every secret store reference, in source order: what the secret cache
    /// fetches, indexed as [`SourceConfig::store_refs`] counts them.
    pub fn store_refs(&self) -> Vec<StoreRef> {
        self.sources
            .iter()
            .flat_map(|source| source.store_refs())
            .cloned()
            .collect()
    }

    /// Who names each store reference, and the values known at init with
    /// theirs: what the secret cache compares as the stores answer, to find
    /// sources sharing a value.
    pub fn secret_owners(&self) -> SecretOwners {
        let mut owners = SecretOwners::default();
        for source in &self.sources {
            for (field, secret) in source.secrets.iter().enumerate() {
                let owner = Owner {
                    source: source.name.clone(),
                    field,
                };
                match secret {
                    SecretRef::Store(reference) => owners.stored.push((reference.clone(), owner)),
                    SecretRef::Value(value) => owners.known.push((owner, value.clone())),
                    SecretRef::Env(_) => {}
                }
            }
        }
        owners
    }
}

impl SourceConfig {
    /// This source's secret store references, in configured order.
    pub fn store_refs(&self) -> impl Iterator<Item = &StoreRef> {
        self.secrets.iter().filter_map(|secret| match secret {
            SecretRef::Store(reference) => Some(reference),
            _ => None,
        })
    }
}

/// A configuration problem, naming the variable (and source and field) at fault.
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
    /// A field of one source in the sources document is unusable.
    #[error("{var}: {at}, field {field}: {reason}")]
    Source {
        /// `HOOKLINE_SOURCES` or `HOOKLINE_SOURCES_FILE`.
        var: &'static str,
        /// The source: `sources[<index>]`, with its name when it has one.
        at: String,
        /// The field, e.g. `allowed_networks[2]`.
        field: String,
        /// What is wrong (never a secret value).
        reason: String,
    },
}

fn invalid(var: &'static str, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        var,
        reason: reason.into(),
    }
}

/// Reads environment variables as text, an empty value counting as unset.
struct Env<F>(F);

impl<F: Fn(&str) -> Option<OsString>> Env<F> {
    fn text(&self, var: &'static str) -> Result<Option<String>, ConfigError> {
        match (self.0)(var) {
            None => Ok(None),
            Some(value) if value.is_empty() => Ok(None),
            Some(value) => value
                .into_string()
                .map(Some)
                .map_err(|_| invalid(var, "not valid UTF-8")),
        }
    }

    fn required(&self, var: &'static str) -> Result<String, ConfigError> {
        self.text(var)?.ok_or(ConfigError::Missing(var))
    }

    /// A variable's bytes, verbatim: secrets may hold any character.
    fn bytes(&self, var: &str) -> Option<Vec<u8>> {
        (self.0)(var)
            .map(OsStringExt::into_vec)
            .filter(|s| !s.is_empty())
    }
}

/// The value standing for "no secret" where a form cannot be left empty
/// (`sam deploy --guided` refuses an empty NoEcho answer).
pub const UNSET_SENTINEL: &str = "none";

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var_os(name))
    }

    /// Reads through `lookup`, so tests need not touch the process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<OsString>) -> Result<Self, ConfigError> {
        let metrics =
            MetricsConfig::from_lookup(&lookup).map_err(|(var, reason)| invalid(var, reason))?;
        let secrets = settings_from_env(&lookup).map_err(|(var, reason)| invalid(var, reason))?;
        let env = Env(lookup);
        let timeout = match env.text("SQS_TIMEOUT_MS")? {
            None => DEFAULT_SQS_TIMEOUT,
            Some(value) => {
                Duration::from_millis(positive(&value).filter(|&ms| ms <= 25_000).ok_or_else(
                    || invalid("SQS_TIMEOUT_MS", "expected milliseconds from 1 to 25000"),
                )?)
            }
        };
        let document = match (env.text(SOURCES)?, env.text(SOURCES_FILE)?) {
            (Some(_), Some(_)) => {
                return Err(invalid(
                    SOURCES_FILE,
                    format!("set {SOURCES} or {SOURCES_FILE}, not both"),
                ));
            }
            (Some(text), None) => Some((SOURCES, text)),
            (None, Some(path)) => Some((
                SOURCES_FILE,
                std::fs::read_to_string(&path).map_err(|error| {
                    invalid(
                        SOURCES_FILE,
                        // Not the path: whatever was written there is echoed
                        // nowhere, in case it was a value, not a path.
                        format!("cannot read the file it names: {}", error.kind()),
                    )
                })?,
            )),
            (None, None) => None,
        };
        let config = match document {
            Some((var, text)) => {
                for single in [
                    "WEBHOOK_SCHEME",
                    "WEBHOOK_SECRET",
                    "WEBHOOK_SECRET_PREVIOUS",
                    "QUEUE_MESSAGE_GROUP_ID",
                    "QUEUE_MESSAGE_GROUP_BY",
                    "WEBHOOK_TOLERANCE_SECONDS",
                ] {
                    if env.bytes(single).is_some() {
                        return Err(invalid(
                            single,
                            format!("single-source variables cannot be combined with {var}"),
                        ));
                    }
                }
                let default_queue = env.text("QUEUE_URL")?;
                let sources =
                    sources::parse(var, &text, default_queue.as_deref(), timeout, |name| {
                        env.bytes(name)
                    })?;
                Self {
                    sources,
                    routed: true,
                    metrics,
                    secrets,
                }
            }
            None => Self {
                sources: vec![single_source(&env, timeout)?],
                routed: false,
                metrics,
                secrets,
            },
        };
        warn_about_replay_gaps(&config.sources);
        Ok(config)
    }
}

/// A Standard Webhooks capture verifies for the whole tolerance, but SQS
/// drops a repeated deduplication id only within its 5-minute window: a
/// longer tolerance on a FIFO queue lets a replay land a second time.
fn warn_about_replay_gaps(sources: &[SourceConfig]) {
    for source in sources {
        if source.scheme == Scheme::StandardWebhooks
            && source.queue.fifo
            && source.tolerance > FIFO_DEDUPLICATION_WINDOW
        {
            tracing::warn!(
                source = source.name.as_str(),
                tolerance_seconds = source.tolerance.as_secs(),
                "the timestamp tolerance outlasts SQS's 5-minute deduplication window: \
                 a replay after the window lands again, so consumers must deduplicate on event_id"
            );
        }
    }
}

/// How long a FIFO queue remembers a deduplication id.
const FIFO_DEDUPLICATION_WINDOW: Duration = Duration::from_secs(300);

const SOURCES: &str = "HOOKLINE_SOURCES";
const SOURCES_FILE: &str = "HOOKLINE_SOURCES_FILE";

/// The one source of a deployment configured by `WEBHOOK_SCHEME` and friends.
fn single_source<F: Fn(&str) -> Option<OsString>>(
    env: &Env<F>,
    timeout: Duration,
) -> Result<SourceConfig, ConfigError> {
    let scheme: Scheme = env
        .required("WEBHOOK_SCHEME")?
        .parse()
        .map_err(|e: crate::verify::UnknownScheme| invalid("WEBHOOK_SCHEME", e.to_string()))?;
    let tolerance = match env.text("WEBHOOK_TOLERANCE_SECONDS")? {
        None => DEFAULT_TOLERANCE,
        Some(value) => Duration::from_secs(positive(&value).ok_or_else(|| {
            invalid(
                "WEBHOOK_TOLERANCE_SECONDS",
                "expected a whole number of seconds, at least 1",
            )
        })?),
    };
    if scheme == Scheme::OAuth2 {
        return Err(invalid(
            "WEBHOOK_SCHEME",
            "oauth2 sources are configured in HOOKLINE_SOURCES (issuer, audiences, scopes)",
        ));
    }
    let current = env
        .bytes("WEBHOOK_SECRET")
        .ok_or(ConfigError::Missing("WEBHOOK_SECRET"))?;
    let mut given = vec![("WEBHOOK_SECRET", current)];
    if let Some(previous) = env
        .bytes("WEBHOOK_SECRET_PREVIOUS")
        .filter(|value| value != UNSET_SENTINEL.as_bytes())
    {
        given.push(("WEBHOOK_SECRET_PREVIOUS", previous));
    }
    let mut secrets = Vec::new();
    for (var, text) in given {
        let secret = SecretRef::parse(&text).map_err(|reason| invalid(var, reason))?;
        if !secret.is_reference() && SecretRef::looks_like_a_reference(&text) {
            tracing::warn!(
                variable = var,
                "the secret reads like a store reference (an ARN, or a prefix spelt another \
                 way) but is used as the secret itself: write secretsmanager:<name or ARN>, \
                 ssm:<name> or env:<NAME>"
            );
        }
        let secret = resolve(secret, scheme, tolerance, |name| env.bytes(name))
            .map_err(|reason| invalid(var, reason))?;
        secrets.push(secret);
    }
    let verifier = local_verifier(scheme, &secrets, tolerance)
        .map_err(|e| invalid("WEBHOOK_SECRET", e.to_string()))?;

    let url = env.required("QUEUE_URL")?;
    let fifo = queue_fifo(&url).ok_or_else(|| invalid("QUEUE_URL", QUEUE_URL_SHAPE))?;
    let group_id = match env.text("QUEUE_MESSAGE_GROUP_ID")? {
        None => scheme.name().to_owned(),
        Some(id) if valid_sqs_id(&id) => id,
        Some(_) => return Err(invalid("QUEUE_MESSAGE_GROUP_ID", GROUP_ID_RULE)),
    };
    let group_by = match env.text("QUEUE_MESSAGE_GROUP_BY")? {
        None => GroupBy::Fixed,
        Some(text) => {
            parse_group_by(&text).map_err(|reason| invalid("QUEUE_MESSAGE_GROUP_BY", reason))?
        }
    };
    let settings = [
        "QUEUE_MESSAGE_GROUP_ID",
        "QUEUE_MESSAGE_GROUP_BY",
        "WEBHOOK_TOLERANCE_SECONDS",
    ];
    warn_ignored(
        "configuration",
        fifo,
        scheme,
        settings.map(|var| env.bytes(var).is_some()),
        settings,
    );
    Ok(SourceConfig {
        name: scheme.name().to_owned(),
        scheme,
        secrets,
        verifier,
        tolerance,
        networks: AllowList::default(),
        queue: QueueConfig {
            url: url.into(),
            fifo,
            group_id,
            group_by,
            timeout,
        },
        max_body_bytes: MAX_MESSAGE_BYTES,
        oauth2: None,
    })
}

const QUEUE_URL_SHAPE: &str =
    "expected an SQS queue URL such as https://sqs.us-east-1.amazonaws.com/123456789012/name";
const GROUP_ID_RULE: &str = "1 to 128 ASCII letters, digits or punctuation";

/// Shortest secret that does not draw a warning for an HMAC scheme: the
/// hash's own recommendation is a key as long as its output.
const SHORT_SECRET: usize = 16;

/// Reads an `env:` reference and checks a value: empty or blank secrets are
/// refused (a blank form field must never become a key anyone can sign
/// with), short ones warned about. Store references are kept for later.
fn resolve(
    secret: SecretRef,
    scheme: Scheme,
    tolerance: Duration,
    env: impl Fn(&str) -> Option<Vec<u8>>,
) -> Result<SecretRef, String> {
    let secret = match secret {
        SecretRef::Env(name) => {
            let value = env(&name)
                // Not the name: a value pasted after `env:` must not be
                // echoed; the variable or field holding it is named.
                .ok_or_else(|| "refers to an env: variable that is unset or empty".to_owned())?;
            SecretRef::Value(Secret::new(value))
        }
        other => other,
    };
    if let SecretRef::Value(value) = &secret {
        check_secret(value.expose())?;
        Verifier::new(scheme, &Secrets::new([value.clone()]), tolerance)
            .map_err(|e| e.to_string())?;
        warn_if_weak(scheme, value.expose(), "configuration");
    }
    Ok(secret)
}

/// Warns about settings accepted but doing nothing where they are: a FIFO
/// group id or group-by (`given[0]`, `given[1]`) on a standard queue, a
/// tolerance (`given[2]`) for a scheme without timestamps. `names` spell them
/// as `place` (the configuration, or a source's name) does.
pub(crate) fn warn_ignored(
    place: &str,
    fifo: bool,
    scheme: Scheme,
    given: [bool; 3],
    names: [&str; 3],
) {
    let applies_to = ["FIFO queues", "FIFO queues", "the standard-webhooks scheme"];
    let applies = [fifo, fifo, scheme == Scheme::StandardWebhooks];
    for at in 0..3 {
        if given[at] && !applies[at] {
            let (setting, applies_to) = (names[at], applies_to[at]);
            tracing::warn!(
                place,
                setting,
                "{setting} applies to {applies_to} only: ignored here"
            );
        }
    }
}

/// Warns (never showing the value) about a secret that works but is likely
/// not what was meant: shorter than [`SHORT_SECRET`] where it is guessable,
/// with whitespace at an end (a file's newline), a whole JSON object (a
/// key/value secret without `#key`), or a Standard Webhooks secret without a
/// prefix that reads as base64 (the reference libraries would decode it,
/// hookline uses its bytes). `origin` is a fixed label: `configuration`, or
/// `secret store` for a value fetched after init.
pub fn warn_if_weak(scheme: Scheme, value: &[u8], origin: &'static str) {
    // What a guesser must find: the HMAC key (a `whsec_` secret's decoded
    // bytes), Basic's password, the bearer token. A `whpk_` key is public.
    let guessable = match scheme {
        Scheme::OneCentre | Scheme::ActiGraph | Scheme::Bracken | Scheme::Bearer => {
            Some(value.len())
        }
        Scheme::Basic => value
            .iter()
            .position(|&b| b == b':')
            .map(|colon| value.len() - colon - 1),
        Scheme::StandardWebhooks => crate::verify::standard_webhooks::hmac_key_len(value),
        Scheme::OAuth2 => None,
    };
    if value.first().is_some_and(u8::is_ascii_whitespace)
        || value.last().is_some_and(u8::is_ascii_whitespace)
    {
        tracing::warn!(
            scheme = scheme.name(),
            origin,
            "a secret begins or ends with whitespace (a newline from a file?), which is part \
             of the key"
        );
    }
    if value.first() == Some(&b'{')
        && serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(value).is_ok()
    {
        tracing::warn!(
            scheme = scheme.name(),
            origin,
            "a secret is a JSON object: for one key of a Secrets Manager key/value secret, \
             end the reference with #<key>"
        );
    }
    if guessable.is_some_and(|len| len < SHORT_SECRET) {
        tracing::warn!(
            scheme = scheme.name(),
            origin,
            "a secret is shorter than 16 bytes: easier to guess than the provider intends"
        );
    }
    if scheme == Scheme::StandardWebhooks
        && crate::verify::standard_webhooks::looks_like_unprefixed_base64(value)
    {
        tracing::warn!(
            scheme = scheme.name(),
            origin,
            "a standard-webhooks secret without a prefix is used as its bytes, but it reads as \
             base64: if it came from a Standard Webhooks library or dashboard, write it with \
             its whsec_ prefix (or whpk_ for a public key)"
        );
    }
}

/// Refuses secrets that are empty or only whitespace.
pub fn check_secret(value: &[u8]) -> Result<(), String> {
    // Unicode's White_Space (a no-break or ideographic space too) and the
    // invisible zero-width characters, so a blank form field is refused
    // however the blank was typed or pasted.
    let blank = |c: char| {
        c.is_whitespace() || matches!(c, '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}')
    };
    if std::str::from_utf8(value).is_ok_and(|text| text.chars().all(blank)) {
        return Err("a secret cannot be empty or only whitespace".into());
    }
    Ok(())
}

/// The verifier over the secrets known at init, if none waits on a store.
fn local_verifier(
    scheme: Scheme,
    secrets: &[SecretRef],
    tolerance: Duration,
) -> Result<Option<Verifier>, crate::verify::KeyError> {
    let mut values = Vec::new();
    for secret in secrets {
        match secret {
            SecretRef::Value(value) => values.push(value.clone()),
            _ => return Ok(None),
        }
    }
    Verifier::new(scheme, &Secrets::new(values), tolerance).map(Some)
}

/// `event_id`, or a JSON pointer such as `/customer/id`.
fn parse_group_by(text: &str) -> Result<GroupBy, String> {
    if text == "event_id" {
        return Ok(GroupBy::EventId);
    }
    let pointer_ok = text.starts_with('/')
        && text.len() <= 256
        && text
            .match_indices('~')
            .all(|(at, _)| matches!(text.as_bytes().get(at + 1), Some(b'0' | b'1')));
    if pointer_ok {
        Ok(GroupBy::Pointer(text.to_owned()))
    } else {
        Err(
            "expected event_id or a JSON pointer such as /customer/id (RFC 6901, up to 256 bytes)"
                .into(),
        )
    }
}

fn positive(text: &str) -> Option<u64> {
    text.parse().ok().filter(|&n| n > 0)
}

/// Whether the queue is FIFO, if `url` has the shape of a queue URL.
fn queue_fifo(url: &str) -> Option<bool> {
    queue_name(url).map(|name| name.ends_with(".fifo"))
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

    /// What init logs while loading `vars`, at WARN.
    fn warnings(vars: &[(&str, &str)]) -> String {
        let captured = crate::logging::Captured::default();
        let _guard = captured.install("warn", true);
        load(vars).unwrap();
        captured.text()
    }

    #[test]
    fn a_tolerance_past_the_fifo_window_is_warned_about() {
        let vars = |queue: &'static str, tolerance: &'static str| {
            [
                ("WEBHOOK_SCHEME", "standard-webhooks"),
                ("WEBHOOK_SECRET", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
                ("QUEUE_URL", queue),
                ("WEBHOOK_TOLERANCE_SECONDS", tolerance),
            ]
        };
        let fifo = "http://127.0.0.1:5000/123456789012/hooks.fifo";
        let standard = "http://127.0.0.1:5000/123456789012/hooks";
        assert!(warnings(&vars(fifo, "301")).contains("outlasts"));
        assert!(!warnings(&vars(fifo, "300")).contains("outlasts"));
        assert!(!warnings(&vars(standard, "3600")).contains("outlasts"));
    }

    #[test]
    fn short_or_unprefixed_base64_standard_webhooks_secrets_are_warned_about() {
        let vars = |secret: &'static str| {
            [
                ("WEBHOOK_SCHEME", "standard-webhooks"),
                ("WEBHOOK_SECRET", secret),
                (
                    "QUEUE_URL",
                    "https://sqs.us-east-1.amazonaws.com/123456789012/hooks",
                ),
            ]
        };
        let short = |secret| warnings(&vars(secret)).contains("shorter than 16 bytes");
        // The key's length: a `whsec_` secret's decoded bytes.
        assert!(short("whsec_Kg"));
        assert!(short("fifteen-bytes!!"));
        assert!(!short("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"));
        assert!(!short("whpk_1SiA4o9hyqTCpIqC5V9HUakiiaeACeqfZTInDBbOir4="));
        let warned = |secret| warnings(&vars(secret)).contains("reads as base64");
        assert!(warned("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"));
        assert!(warned("1SiA4o9hyqTCpIqC5V9HUakiiaeACeqfZTInDBbOir4="));
        assert!(!warned("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"));
        assert!(!warned("whpk_1SiA4o9hyqTCpIqC5V9HUakiiaeACeqfZTInDBbOir4="));
        assert!(!warned("a-passphrase-that-is-not-base64"));
        // Base64 of 9 bytes: shorter than any specification secret.
        assert!(!warned("c2hvcnRrZXkx"));
        // The warning names no value.
        assert!(!warnings(&vars("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")).contains("MfKQ"));
    }

    #[test]
    fn short_passwords_and_tokens_are_warned_about() {
        let short = |scheme, secret| {
            warnings(&[
                ("WEBHOOK_SCHEME", scheme),
                ("WEBHOOK_SECRET", secret),
                (
                    "QUEUE_URL",
                    "https://sqs.us-east-1.amazonaws.com/123456789012/hooks",
                ),
            ])
            .contains("shorter than 16 bytes")
        };
        assert!(short("bearer", "fifteen-bytes!!"));
        assert!(!short("bearer", "sixteen-bytes!!!"));
        // Basic: the password, after the first colon, whatever the user.
        assert!(short("basic", "a-long-user-name-for-this:short"));
        assert!(!short("basic", "u:sixteen-bytes!!!"));
        assert!(short("onecentre", "fifteen-bytes!!"));
        // The warning names no value.
        assert!(
            !warnings(&[
                ("WEBHOOK_SCHEME", "bearer"),
                ("WEBHOOK_SECRET", "tiny-token"),
                (
                    "QUEUE_URL",
                    "https://sqs.us-east-1.amazonaws.com/123456789012/hooks"
                ),
            ])
            .contains("tiny-token")
        );
    }

    #[test]
    fn secrets_that_are_likely_mistakes_are_warned_about_without_their_value() {
        let warned = |secret: &str, warning: &str| {
            let logged = warnings(&[
                ("WEBHOOK_SCHEME", "onecentre"),
                ("WEBHOOK_SECRET", secret),
                (
                    "QUEUE_URL",
                    "https://sqs.us-east-1.amazonaws.com/123456789012/hooks",
                ),
            ]);
            assert!(!logged.contains("mistake-0123456789"), "{logged}");
            logged.contains(warning)
        };
        let reference = "reads like a store reference";
        assert!(warned("secretmanager:mistake-0123456789", reference));
        assert!(warned(
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:mistake-0123456789",
            reference
        ));
        assert!(!warned("a-long-plain-mistake-0123456789", reference));
        let whitespace = "begins or ends with whitespace";
        assert!(warned("mistake-0123456789\n", whitespace));
        assert!(warned(" mistake-0123456789", whitespace));
        assert!(!warned("mis take-0123456789", whitespace));
        let json = "is a JSON object";
        assert!(warned(r#"{"key":"mistake-0123456789"}"#, json));
        assert!(!warned("{mistake-0123456789", json));
    }

    #[test]
    fn settings_that_do_nothing_where_they_are_are_warned_about() {
        const STANDARD: &str = "https://sqs.us-east-1.amazonaws.com/123456789012/hooks";
        const FIFO: &str = "https://sqs.us-east-1.amazonaws.com/123456789012/hooks.fifo";
        let single = |queue, extra: (&'static str, &'static str)| {
            warnings(&[
                ("WEBHOOK_SCHEME", "onecentre"),
                ("WEBHOOK_SECRET", "1centre-signing-secret"),
                ("QUEUE_URL", queue),
                extra,
            ])
        };
        let ignored = "only: ignored here";
        assert!(single(STANDARD, ("QUEUE_MESSAGE_GROUP_ID", "g")).contains(ignored));
        assert!(single(STANDARD, ("QUEUE_MESSAGE_GROUP_BY", "event_id")).contains(ignored));
        assert!(!single(FIFO, ("QUEUE_MESSAGE_GROUP_BY", "event_id")).contains(ignored));
        assert!(single(FIFO, ("WEBHOOK_TOLERANCE_SECONDS", "60")).contains(ignored));
        let sources = |fields: &str, queue| {
            let document = format!(
                r#"{{"sources":[{{"name":"a","scheme":"bracken","secrets":["env:A"]{fields}}}]}}"#
            );
            let document: &'static str = Box::leak(document.into_boxed_str());
            warnings(&[
                ("HOOKLINE_SOURCES", document),
                ("A", "a-long-enough-secret-value"),
                ("QUEUE_URL", queue),
            ])
        };
        assert!(sources(r#","group_by":"/customer/id""#, STANDARD).contains(ignored));
        assert!(!sources(r#","group_by":"/customer/id""#, FIFO).contains(ignored));
        assert!(sources(r#","tolerance_seconds":60"#, FIFO).contains(ignored));
        assert!(!sources("", STANDARD).contains(ignored));
    }

    #[test]
    fn blank_secrets_are_refused_however_the_blank_was_typed() {
        for blank in [
            "",
            " ",
            "\t\r\n",
            "\u{a0}",
            "\u{3000}",
            "\u{2003} \u{85}\u{b}",
            "\u{200b}\u{feff}",
        ] {
            assert!(check_secret(blank.as_bytes()).is_err(), "{blank:?}");
        }
        for kept in [&b"a"[..], b" a ", "\u{a0}x".as_bytes(), b"\xff", b"\x00"] {
            assert!(check_secret(kept).is_ok(), "{kept:?}");
        }
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
            ConfigError::Missing(var)
            | ConfigError::Invalid { var, .. }
            | ConfigError::Source { var, .. } => var,
        }
    }

    fn only(config: &Config) -> &SourceConfig {
        assert_eq!(config.sources.len(), 1);
        assert!(!config.routed);
        &config.sources[0]
    }

    #[test]
    fn minimal_configuration() {
        let config = load(&BASE).unwrap();
        let source = only(&config);
        assert_eq!(
            source.verifier.as_ref().unwrap().scheme(),
            Scheme::OneCentre
        );
        assert_eq!(source.name, "onecentre");
        assert!(!source.queue.fifo);
        assert_eq!(source.queue.group_id, "onecentre");
        assert_eq!(source.queue.group_by, GroupBy::Fixed);
        assert_eq!(source.queue.timeout, DEFAULT_SQS_TIMEOUT);
    }

    #[test]
    fn fifo_queue_and_group_id() {
        let config = load(&with(&[
            ("QUEUE_URL", "http://127.0.0.1:5000/123456789012/hooks.fifo"),
            ("QUEUE_MESSAGE_GROUP_ID", "tenant-7"),
        ]))
        .unwrap();
        assert!(only(&config).queue.fifo);
        assert_eq!(only(&config).queue.group_id, "tenant-7");
        let config = load(&with(&[("QUEUE_MESSAGE_GROUP_BY", "/customer")])).unwrap();
        assert_eq!(
            only(&config).queue.group_by,
            GroupBy::Pointer("/customer".into())
        );
    }

    #[test]
    fn previous_secret_unset_by_empty_or_sentinel() {
        for previous in ["", "none"] {
            let config = load(&with(&[("WEBHOOK_SECRET_PREVIOUS", previous)])).unwrap();
            assert_eq!(only(&config).secrets.len(), 1, "{previous:?}");
        }
        let config = load(&with(&[("WEBHOOK_SECRET_PREVIOUS", "older-secret")])).unwrap();
        assert_eq!(only(&config).secrets.len(), 2);
    }

    #[test]
    fn secret_references() {
        let vars = with(&[
            ("WEBHOOK_SECRET", "env:OTHER"),
            ("OTHER", "from-another-variable"),
            ("WEBHOOK_SECRET_PREVIOUS", "secretsmanager:prod/hooks#old"),
        ]);
        let config = load(&vars).unwrap();
        let source = only(&config);
        assert!(
            matches!(&source.secrets[0], SecretRef::Value(v) if v.expose() == b"from-another-variable")
        );
        assert!(matches!(&source.secrets[1], SecretRef::Store(_)));
        assert!(source.verifier.is_none(), "waits for the store");
    }

    #[test]
    fn sources_document_and_single_source_variables_exclude_each_other() {
        let doc = r#"{"sources":[{"name":"a","scheme":"bracken","secrets":["env:S"]}]}"#;
        let vars = [
            ("HOOKLINE_SOURCES", doc),
            ("S", "a-bracken-secret-value"),
            (
                "QUEUE_URL",
                "https://sqs.us-east-1.amazonaws.com/123456789012/hooks",
            ),
        ];
        let config = load(&vars).unwrap();
        assert!(config.routed);
        assert_eq!(config.sources[0].name, "a");
        let mut both = vars.to_vec();
        both.push(("WEBHOOK_SCHEME", "bracken"));
        assert_eq!(var_of(load(&both).unwrap_err()), "WEBHOOK_SCHEME");
        let mut two = vars.to_vec();
        two.push(("HOOKLINE_SOURCES_FILE", "/nonexistent"));
        assert_eq!(var_of(load(&two).unwrap_err()), "HOOKLINE_SOURCES_FILE");
        let file = [("HOOKLINE_SOURCES_FILE", "/nonexistent/sources.json")];
        assert_eq!(var_of(load(&file).unwrap_err()), "HOOKLINE_SOURCES_FILE");
    }

    #[test]
    fn every_problem_names_its_variable() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[("WEBHOOK_SCHEME", "")], "WEBHOOK_SCHEME"),
            (&[("WEBHOOK_SCHEME", "github")], "WEBHOOK_SCHEME"),
            (&[("WEBHOOK_SECRET", "")], "WEBHOOK_SECRET"),
            (&[("WEBHOOK_SECRET", "  ")], "WEBHOOK_SECRET"),
            (&[("WEBHOOK_SECRET", "env:UNSET")], "WEBHOOK_SECRET"),
            (
                &[("WEBHOOK_SECRET_PREVIOUS", " \t")],
                "WEBHOOK_SECRET_PREVIOUS",
            ),
            (
                &[("QUEUE_MESSAGE_GROUP_BY", "customer")],
                "QUEUE_MESSAGE_GROUP_BY",
            ),
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
        // A value pasted where a name or path belongs is not echoed either.
        for misplaced in [
            vec![("WEBHOOK_SECRET", "env:hunter2-value")],
            vec![("WEBHOOK_SECRET_PREVIOUS", "env:hunter2-value")],
            vec![
                ("WEBHOOK_SCHEME", ""),
                ("WEBHOOK_SECRET", ""),
                ("HOOKLINE_SOURCES_FILE", "hunter2-value"),
            ],
            vec![
                ("WEBHOOK_SCHEME", ""),
                ("WEBHOOK_SECRET", ""),
                (
                    "HOOKLINE_SOURCES",
                    r#"{"sources":[{"name":"a","scheme":"bracken","secrets":["env:hunter2-value"]}]}"#,
                ),
            ],
        ] {
            let err = load(&with(&misplaced)).unwrap_err().to_string();
            assert!(!err.contains("hunter2"), "{err}");
        }
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
        let verifier = only(&config).verifier.clone().unwrap();
        let mut headers = http::HeaderMap::new();
        headers.insert(
            "authorization",
            http::HeaderValue::from_static("Bearer  spaced token "),
        );
        // Header whitespace is trimmed, the secret is not: these differ.
        assert!(
            verifier
                .verify(&headers, b"{}", std::time::SystemTime::now())
                .is_err()
        );
    }
}
