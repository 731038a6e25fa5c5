//! Secrets kept in AWS Secrets Manager or SSM Parameter Store, referenced from
//! the configuration instead of written into it, so reading the function's
//! configuration does not reveal them and rotating one needs no redeploy.
//!
//! [`StoreRef`] is a parsed reference, [`SecretSource`] the port a store is
//! read through ([`aws::AwsSecretSource`] in production, a fake in tests), and
//! [`SecretCache`] keeps the values, fetched off the init path and refreshed
//! in the background.

pub mod aws;
mod cache;
pub mod shared;

use std::borrow::Cow;
use std::fmt;
use std::future::Future;

use crate::secret::Secret;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

pub use cache::{
    DEFAULT_TTL, DEFAULT_WAIT, Entry, Refetch, SecretCache, Settings, Unavailable,
    invocation_ended, settings_from_env,
};
pub use shared::{Owner, SecretOwners};

const SECRETS_MANAGER: &str = "secretsmanager:";
const SSM: &str = "ssm:";

/// Where a secret is kept. Not secret itself: it is shown in log lines.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum StoreRef {
    /// A Secrets Manager secret (name or ARN), optionally one string field
    /// of its JSON value.
    SecretsManager {
        /// The secret's name or ARN.
        id: String,
        /// The JSON key after `#`, if any.
        json_key: Option<String>,
    },
    /// An SSM parameter (name or ARN), read with decryption.
    Ssm {
        /// The parameter's name or ARN.
        name: String,
    },
}

impl StoreRef {
    /// Parses a configured secret value. `None` when it names no store (it is
    /// then a literal secret or an `env:` reference); `Err` with a fixed
    /// reason that never repeats the text, which might be a mistyped secret.
    pub fn parse(text: &str) -> Option<Result<StoreRef, String>> {
        if let Some(rest) = text.strip_prefix(SECRETS_MANAGER) {
            let (id, json_key) = match rest.split_once('#') {
                Some((id, key)) => (id, Some(key)),
                None => (rest, None),
            };
            return Some((|| {
                check_name(id, "secretsmanager: names no secret")?;
                if let Some(key) = json_key {
                    if key.is_empty() {
                        return Err("the JSON key after # is empty".to_owned());
                    }
                    if key.chars().any(char::is_control) {
                        return Err("the JSON key contains control characters".to_owned());
                    }
                }
                Ok(StoreRef::SecretsManager {
                    id: id.to_owned(),
                    json_key: json_key.map(str::to_owned),
                })
            })());
        }
        let rest = text.strip_prefix(SSM)?;
        Some((|| {
            check_name(rest, "ssm: names no parameter")?;
            if rest.contains('#') {
                return Err(
                    "a JSON key (#) is only supported in secretsmanager: references".to_owned(),
                );
            }
            Ok(StoreRef::Ssm {
                name: rest.to_owned(),
            })
        })())
    }
}

/// Store names and ARNs are printable ASCII without spaces, at most 2048 bytes.
fn check_name(name: &str, empty: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err(empty.to_owned());
    }
    if name.len() > 2048 {
        return Err("the name is longer than 2048 bytes".to_owned());
    }
    if !name.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("the name contains spaces, control or non-ASCII characters".to_owned());
    }
    Ok(())
}

/// The reference as written in the configuration.
impl fmt::Display for StoreRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreRef::SecretsManager { id, json_key } => {
                write!(f, "{SECRETS_MANAGER}{id}")?;
                if let Some(key) = json_key {
                    write!(f, "#{key}")?;
                }
                Ok(())
            }
            StoreRef::Ssm { name } => write!(f, "{SSM}{name}"),
        }
    }
}

/// Reads secrets from a store: the port the cache fetches through.
pub trait SecretSource: Send + Sync + 'static {
    /// The values `r` holds now, newest first: for Secrets Manager the
    /// `AWSCURRENT` value then, if one exists, the `AWSPREVIOUS` one (both are
    /// accepted during a rotation); for SSM the parameter's value.
    fn fetch(&self, r: &StoreRef) -> impl Future<Output = Result<Vec<Secret>, FetchError>> + Send;
}

/// Why a fetch failed, as a fixed label for logs and metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FetchErrorKind {
    /// No answer within the timeout.
    Timeout,
    /// Could not connect.
    Unreachable,
    /// The store throttled the call.
    Throttled,
    /// Not allowed to read the secret, or to decrypt it.
    AccessDenied,
    /// No such secret, parameter or version.
    NotFound,
    /// The value cannot be a secret: binary, empty, not JSON, no such key.
    InvalidValue,
    /// Anything else.
    Other,
}

impl FetchErrorKind {
    /// The label logged.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Timeout => "timeout",
            Self::Unreachable => "unreachable",
            Self::Throttled => "throttled",
            Self::AccessDenied => "access_denied",
            Self::NotFound => "not_found",
            Self::InvalidValue => "invalid_value",
            Self::Other => "other",
        }
    }

    /// True when trying again at once will not help: a request stops waiting
    /// for a first value as soon as a fetch fails this way.
    pub fn is_permanent(self) -> bool {
        matches!(
            self,
            Self::AccessDenied | Self::NotFound | Self::InvalidValue
        )
    }
}

impl fmt::Display for FetchErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A failed fetch: a kind and a detail for the log. The detail is built from
/// the store's error code and message or from fixed text, never from a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchError {
    kind: FetchErrorKind,
    detail: Cow<'static, str>,
}

impl FetchError {
    /// A failure of `kind`; `detail` must not hold a secret value.
    pub fn new(kind: FetchErrorKind, detail: impl Into<Cow<'static, str>>) -> Self {
        Self {
            kind,
            detail: detail.into(),
        }
    }

    /// The fixed label.
    pub fn kind(&self) -> FetchErrorKind {
        self.kind
    }

    /// What the store said, or a fixed description.
    pub fn detail(&self) -> &str {
        &self.detail
    }
}

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.detail)
    }
}

impl std::error::Error for FetchError {}

/// A boxed future, for the object-safe [`KeyStore`].
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

impl std::fmt::Debug for dyn KeyStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyStore")
    }
}

/// The port secret store values come through: the secret cache in
/// production, anything answering by reference index in tests.
pub trait KeyStore: Send + Sync {
    /// The values of reference `r`, waiting at most `wait` for a first one.
    fn get(&self, r: usize, wait: Duration) -> BoxFuture<'_, Result<Arc<Entry>, Unavailable>>;
    /// A signature matched none of `r`'s values of generation `seen`: fetch
    /// again if the store's rate limit allows, and say whether the store
    /// has newer values, confirmed these, or could not be read.
    fn refetch(&self, r: usize, seen: u64, wait: Duration) -> BoxFuture<'_, Refetch>;
}

impl<S: SecretSource> KeyStore for std::sync::Arc<SecretCache<S>> {
    fn get(&self, r: usize, wait: Duration) -> BoxFuture<'_, Result<Arc<Entry>, Unavailable>> {
        Box::pin(SecretCache::get(self, r, wait))
    }

    fn refetch(&self, r: usize, seen: u64, wait: Duration) -> BoxFuture<'_, Refetch> {
        Box::pin(self.refetch_after_mismatch(r, seen, wait))
    }
}

/// The cache built off the runtime's thread at cold start (its AWS clients
/// need the SDK configuration): a request waits for it within its bound.
impl<S: SecretSource> KeyStore for crate::aws::Background<std::sync::Arc<SecretCache<S>>> {
    fn get(&self, r: usize, wait: Duration) -> BoxFuture<'_, Result<Arc<Entry>, Unavailable>> {
        Box::pin(async move {
            let started = tokio::time::Instant::now();
            let cache = tokio::time::timeout(wait, crate::aws::Background::get(self))
                .await
                .map_err(|_| Unavailable { last_error: None })?;
            SecretCache::get(cache, r, wait.saturating_sub(started.elapsed())).await
        })
    }

    fn refetch(&self, r: usize, seen: u64, wait: Duration) -> BoxFuture<'_, Refetch> {
        Box::pin(async move {
            let Ok(cache) = tokio::time::timeout(wait, crate::aws::Background::get(self)).await
            else {
                return Refetch::Failed(None);
            };
            cache.refetch_after_mismatch(r, seen, wait).await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> StoreRef {
        StoreRef::parse(text).unwrap().unwrap()
    }

    #[test]
    fn each_form_parses_and_displays_as_written() {
        let arn =
            "secretsmanager:arn:aws:secretsmanager:eu-west-1:123456789012:secret:hookline/a-AbCdEf";
        for text in [
            "secretsmanager:prod/actigraph",
            "secretsmanager:prod/actigraph#signing_key",
            arn,
            "ssm:/hookline/bracken",
            "ssm:arn:aws:ssm:eu-west-1:123456789012:parameter/hookline/bracken",
        ] {
            assert_eq!(ok(text).to_string(), text);
        }
        assert_eq!(
            ok("secretsmanager:prod/a#k"),
            StoreRef::SecretsManager {
                id: "prod/a".into(),
                json_key: Some("k".into())
            }
        );
        assert_eq!(
            ok(arn),
            StoreRef::SecretsManager {
                id: arn["secretsmanager:".len()..].into(),
                json_key: None
            }
        );
        assert_eq!(ok("ssm:/x"), StoreRef::Ssm { name: "/x".into() });
    }

    #[test]
    fn other_text_is_no_reference() {
        for text in [
            "whsec_abc",
            "env:NAME",
            "",
            "SSM:/x",
            "secretsmanager",
            " ssm:/x",
        ] {
            assert!(StoreRef::parse(text).is_none(), "{text}");
        }
    }

    #[test]
    fn malformed_references_are_refused_without_echoing_them() {
        for text in [
            "secretsmanager:",
            "secretsmanager:#key",
            "secretsmanager:name#",
            "secretsmanager:has space-hunter2",
            "secretsmanager:name#k\u{7}hunter2",
            "ssm:",
            "ssm:/x#key-hunter2",
            "ssm:/x\thunter2",
            "ssm:/caf\u{e9}-hunter2",
        ] {
            let reason = StoreRef::parse(text).unwrap().unwrap_err();
            assert!(!reason.contains("hunter2"), "{text}: {reason}");
            assert!(!reason.contains("name") || !reason.contains("name#"));
        }
        let long = format!("ssm:/{}", "a".repeat(2048));
        assert!(StoreRef::parse(&long).unwrap().is_err());
    }

    #[test]
    fn error_display_is_kind_and_detail() {
        let e = FetchError::new(FetchErrorKind::NotFound, "ResourceNotFoundException: gone");
        assert_eq!(e.to_string(), "not_found: ResourceNotFoundException: gone");
        assert!(FetchErrorKind::NotFound.is_permanent());
        assert!(!FetchErrorKind::Timeout.is_permanent());
    }
}
