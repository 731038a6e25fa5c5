//! Signature verification: a pure function of (headers, raw body, secrets, now).
//!
//! Nothing here does I/O or reads a clock; the HTTP layer passes `now` in so
//! every scheme can be tested against fixed vectors.

pub(crate) mod actigraph;
pub(crate) mod bracken;
pub(crate) mod credentials;
mod header;
pub(crate) mod mac;
pub mod oauth2;
pub(crate) mod onecentre;
pub(crate) mod standard_webhooks;

use std::str::FromStr;
use std::time::{Duration, SystemTime};

use http::HeaderMap;

use crate::message::IdTrust;
use crate::secret::Secrets;

pub use actigraph::{BadHandshake, HANDSHAKE_EVENT, HANDSHAKE_HEADER, delivery_id, handshake};
pub use bracken::FALLBACK_MAX_BYTES;

/// The signing scheme a deployment verifies; one per deployment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// 1Centre: hex HMAC-SHA1 of the raw body in `X-Hook-Signature`.
    OneCentre,
    /// ActiGraph CentrePoint: base64 HMAC-SHA256 of the body in `X-ActiGraph-Signature`.
    ActiGraph,
    /// HTTP Basic credentials (ActiGraph's "Basic AUTH" option).
    Basic,
    /// OAuth2-style bearer token (ActiGraph's "OAuth2 Tokens" option).
    Bearer,
    /// Bracken: `Authorization: HMACSHA256 <base64>` over Node's `JSON.stringify` of the body.
    Bracken,
    /// Standard Webhooks (and Svix): `webhook-id`/`webhook-timestamp`/`webhook-signature`.
    StandardWebhooks,
    /// OAuth2 access tokens (JWTs) checked against the issuer's keys
    /// (ActiGraph's OAuth2 option for real). Configured in the sources
    /// document; it has no shared secret, so it is not in [`Scheme::ALL`].
    OAuth2,
}

impl Scheme {
    /// Every scheme, in documentation order.
    pub const ALL: [Scheme; 6] = [
        Scheme::OneCentre,
        Scheme::ActiGraph,
        Scheme::Basic,
        Scheme::Bearer,
        Scheme::Bracken,
        Scheme::StandardWebhooks,
    ];

    /// The configuration name (`WEBHOOK_SCHEME`), also used as the message source.
    pub fn name(self) -> &'static str {
        match self {
            Scheme::OneCentre => "onecentre",
            Scheme::ActiGraph => "actigraph",
            Scheme::Basic => "basic",
            Scheme::Bearer => "bearer",
            Scheme::Bracken => "bracken",
            Scheme::StandardWebhooks => "standard-webhooks",
            Scheme::OAuth2 => "oauth2",
        }
    }

    /// ActiGraph offers HMAC, Basic and Bearer; all three get its validation
    /// handshake and its delivery id.
    pub fn is_actigraph_family(self) -> bool {
        matches!(
            self,
            Scheme::ActiGraph | Scheme::Basic | Scheme::Bearer | Scheme::OAuth2
        )
    }

    /// Basic and Bearer failures answer with a `WWW-Authenticate` challenge.
    pub fn challenge(self) -> Option<&'static str> {
        match self {
            Scheme::Basic => Some("Basic realm=\"hookline\", charset=\"UTF-8\""),
            Scheme::Bearer => Some("Bearer realm=\"hookline\""),
            Scheme::OAuth2 => Some("Bearer realm=\"hookline\", error=\"invalid_token\""),
            _ => None,
        }
    }
}

impl FromStr for Scheme {
    type Err = UnknownScheme;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Scheme::ALL
            .into_iter()
            .chain([Scheme::OAuth2])
            .find(|scheme| scheme.name() == s)
            .ok_or(UnknownScheme)
    }
}

/// A scheme name that is not one of [`Scheme::ALL`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown scheme; expected one of onecentre, actigraph, basic, bearer, bracken, standard-webhooks, oauth2"
)]
pub struct UnknownScheme;

/// A secret that cannot serve as a key for the chosen scheme; raised at init.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// No non-empty secret was configured.
    #[error("no secret configured")]
    NoSecret,
    /// Basic needs `user:password`.
    #[error("a basic secret must be `user:password` with a non-empty password")]
    BasicFormat,
    /// A `whsec_` secret whose remainder is not standard base64.
    #[error("a `whsec_` secret must be followed by standard base64 (padding optional)")]
    WhsecBase64,
    /// `oauth2` takes an issuer, not secrets.
    #[error("the oauth2 scheme is checked against an issuer's keys, not secrets")]
    NotSecretBased,
    /// A `whpk_` key that is not a base64 Ed25519 public key, or a weak one.
    #[error(
        "a `whpk_` key must be followed by a base64 Ed25519 public key (32 bytes; padding optional)"
    )]
    WhpkFormat,
}

/// Why a request was not accepted. For logs and metrics only: the HTTP layer
/// answers every one of them with the same bare 401.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// A required header is absent or blank.
    #[error("missing header {0}")]
    MissingHeader(&'static str),
    /// A header that must appear once appears more than once.
    #[error("repeated header {0}")]
    RepeatedHeader(&'static str),
    /// A header is present but not in the scheme's syntax.
    #[error("malformed header {0}")]
    MalformedHeader(&'static str),
    /// Well-formed, but no configured secret produces this signature.
    #[error("signature mismatch")]
    SignatureMismatch,
    /// Well-formed credentials or token that do not match.
    #[error("credentials mismatch")]
    CredentialsMismatch,
    /// The signed timestamp is older than the tolerance allows.
    #[error("timestamp too old")]
    TimestampTooOld,
    /// The signed timestamp is further in the future than the tolerance allows.
    #[error("timestamp too new")]
    TimestampTooNew,
    /// An OAuth2 access token that is malformed, not signed by the
    /// issuer's keys, or whose claims the source does not accept.
    #[error("invalid token")]
    InvalidToken,
    /// Bracken's body did not verify as sent and is too large to
    /// re-serialise ([`FALLBACK_MAX_BYTES`]), or its re-serialisation grew
    /// past a message's size: answered 413, not 401.
    #[error("signed text too large")]
    TooLarge,
}

impl Rejection {
    /// A stable snake_case label for log fields and metrics.
    pub fn label(self) -> &'static str {
        match self {
            Rejection::MissingHeader(_) => "missing_header",
            Rejection::RepeatedHeader(_) => "repeated_header",
            Rejection::MalformedHeader(_) => "malformed_header",
            Rejection::SignatureMismatch => "signature_mismatch",
            Rejection::CredentialsMismatch => "credentials_mismatch",
            Rejection::TimestampTooOld => "timestamp_too_old",
            Rejection::TimestampTooNew => "timestamp_too_new",
            Rejection::InvalidToken => "invalid_token",
            Rejection::TooLarge => "payload_too_large",
        }
    }
}

/// A verified request: what the signature covers, as far as the message on
/// the queue depends on it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Accepted {
    /// The provider's own id for the event, where the scheme carries one.
    pub event_id: Option<String>,
    /// How far `event_id` is authenticated, which decides what it may
    /// deduplicate. ActiGraph's HMAC does not cover its delivery id: there
    /// it is only the sender's claim.
    pub id_trust: IdTrust,
    /// What the signature covers when it is not the raw body: the text
    /// Bracken signed, when only its re-serialisation matched. This, not the
    /// body received, is what goes on the queue.
    pub signed_text: Option<Vec<u8>>,
}

impl Accepted {
    /// Verified, with no event id and the raw body signed.
    fn body_only() -> Self {
        Self::default()
    }

    /// Verified, with the event id the request carries.
    fn with_id(event_id: Option<String>, trust: IdTrust) -> Self {
        Self {
            id_trust: if event_id.is_some() {
                trust
            } else {
                IdTrust::Claimed
            },
            event_id,
            signed_text: None,
        }
    }
}

/// The outcome of [`Verifier::verify`].
pub type Verdict = Result<Accepted, Rejection>;

/// Default Standard Webhooks timestamp window, as in the reference libraries.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(300);

/// Keys derived once from the configured secrets, so a request costs only
/// the MAC over its own bytes.
#[derive(Clone)]
enum Keys {
    OneCentre(Vec<mac::Sha1Key>),
    ActiGraph(Vec<mac::Sha256Key>),
    Basic(Vec<credentials::BasicKey>),
    Bearer(Vec<credentials::TokenKey>),
    Bracken(Vec<mac::Sha256Key>),
    StandardWebhooks(Vec<standard_webhooks::Key>),
}

/// Verifies requests for one scheme against its configured secrets.
///
/// Built once at cold start; [`Verifier::verify`] is then a pure function of
/// the request and the clock reading passed in.
#[derive(Clone)]
pub struct Verifier {
    scheme: Scheme,
    keys: Keys,
    tolerance: Duration,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("scheme", &self.scheme)
            .field("keys", &"<redacted>")
            .field("tolerance", &self.tolerance)
            .finish()
    }
}

impl Verifier {
    /// Derives the keys for `scheme` from `secrets`; `tolerance` is the
    /// Standard Webhooks timestamp window and is ignored by other schemes.
    pub fn new(scheme: Scheme, secrets: &Secrets, tolerance: Duration) -> Result<Self, KeyError> {
        if secrets.is_empty() {
            return Err(KeyError::NoSecret);
        }
        let raw = || secrets.iter().map(|s| s.expose());
        let keys = match scheme {
            Scheme::OneCentre => Keys::OneCentre(raw().map(mac::Sha1Key::new).collect()),
            Scheme::ActiGraph => Keys::ActiGraph(raw().map(mac::Sha256Key::new).collect()),
            Scheme::Bracken => Keys::Bracken(raw().map(mac::Sha256Key::new).collect()),
            Scheme::Basic => Keys::Basic(
                raw()
                    .map(credentials::BasicKey::new)
                    .collect::<Result<_, _>>()?,
            ),
            Scheme::Bearer => Keys::Bearer(raw().map(credentials::TokenKey::new).collect()),
            Scheme::StandardWebhooks => Keys::StandardWebhooks(
                raw()
                    .map(standard_webhooks::key)
                    .collect::<Result<_, _>>()?,
            ),
            Scheme::OAuth2 => return Err(KeyError::NotSecretBased),
        };
        Ok(Self {
            scheme,
            keys,
            tolerance,
        })
    }

    /// What a request's headers decide without any key: the rejection every
    /// key would give (a missing or malformed header, a timestamp outside
    /// the window), or `Ok` when only a key can decide. Lets a request that
    /// cannot verify be refused before keys from a store are waited for.
    pub fn precheck(
        scheme: Scheme,
        tolerance: Duration,
        headers: &HeaderMap,
        body: &[u8],
        now: SystemTime,
    ) -> Result<(), Rejection> {
        let keys = match scheme {
            Scheme::OneCentre => Keys::OneCentre(Vec::new()),
            Scheme::ActiGraph => Keys::ActiGraph(Vec::new()),
            Scheme::Basic => Keys::Basic(Vec::new()),
            Scheme::Bearer => Keys::Bearer(Vec::new()),
            Scheme::Bracken => Keys::Bracken(Vec::new()),
            Scheme::StandardWebhooks => Keys::StandardWebhooks(Vec::new()),
            Scheme::OAuth2 => return Ok(()),
        };
        let unkeyed = Self {
            scheme,
            keys,
            tolerance,
        };
        match unkeyed.verify(headers, body, now) {
            Err(Rejection::SignatureMismatch | Rejection::CredentialsMismatch) | Ok(_) => Ok(()),
            Err(rejection) => Err(rejection),
        }
    }

    /// The scheme this verifier checks.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// Decides whether the request was signed by the provider.
    ///
    /// `body` must be the exact bytes the sender sent; `now` is the receiver's
    /// clock, used only by schemes that sign a timestamp.
    pub fn verify(&self, headers: &HeaderMap, body: &[u8], now: SystemTime) -> Verdict {
        match &self.keys {
            Keys::OneCentre(keys) => {
                onecentre::verify(headers, body, keys).map(|()| Accepted::body_only())
            }
            Keys::ActiGraph(keys) => actigraph::verify(headers, body, keys)
                .map(|()| Accepted::with_id(delivery_id(headers), IdTrust::Claimed)),
            Keys::Basic(keys) => credentials::verify_basic(headers, keys)
                .map(|()| Accepted::with_id(delivery_id(headers), IdTrust::Credentialed)),
            Keys::Bearer(keys) => credentials::verify_bearer(headers, keys)
                .map(|()| Accepted::with_id(delivery_id(headers), IdTrust::Credentialed)),
            Keys::Bracken(keys) => {
                bracken::verify(headers, body, keys).map(|signed_text| Accepted {
                    signed_text,
                    ..Accepted::body_only()
                })
            }
            Keys::StandardWebhooks(keys) => {
                standard_webhooks::verify(headers, body, keys, now, self.tolerance)
                    .map(|id| Accepted::with_id(Some(id), IdTrust::Signed))
            }
        }
    }
}

#[cfg(test)]
mod tests;
