//! OAuth2 access tokens: `Authorization: Bearer <JWT>` checked against the
//! issuer's published keys (ActiGraph's OAuth2 option, with the customer's
//! own authorisation server: Cognito, Auth0, Okta, Entra ID, Keycloak).
//!
//! Pure, like the other schemes: the key set and the clock are passed in;
//! fetching and caching the keys is `crate::jwks`. Parsing and signature
//! checks are `jsonwebtoken`'s (over aws-lc-rs, which the binary already
//! links for TLS); what is decided here is which tokens may reach it (size,
//! shape, algorithm, header fields, key) and the claims policy.

use std::collections::HashSet;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::{HeaderMap, Uri};
use jsonwebtoken::jwk::{
    AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, KeyOperations, PublicKeyUse,
};
use jsonwebtoken::{Algorithm, DecodingKey, Header, Validation};
use serde::Deserialize;

use super::{Accepted, Rejection, delivery_id, header};
use crate::message::IdTrust;

const AUTHORIZATION: &str = "authorization";

/// Longest token read. Client-credentials access tokens are 0.7–1.5 KiB
/// (Cognito, Auth0, Okta, Entra ID); this leaves room for long scope lists
/// while bounding what an unauthenticated request can make us decode.
pub const MAX_TOKEN_LEN: usize = 8 * 1024;
/// Longest `Authorization` value read at all; a longer token past
/// [`MAX_TOKEN_LEN`] is still an `invalid_token`, a header past this is malformed.
const MAX_HEADER_VALUE: usize = 64 * 1024;
/// Longest encoded JOSE header: `alg`, `kid`, `typ`, `x5t` fit in a few
/// hundred bytes; the fields that make headers large (`jwk`, `x5c`) are refused.
const MAX_HEADER_SEGMENT: usize = 1024;
/// An 8192-bit RSA signature (the largest key aws-lc-rs verifies) in base64url.
const MAX_SIGNATURE_SEGMENT: usize = 1366;
/// More keys than any issuer publishes; the rest of a larger set is ignored.
const MAX_KEYS: usize = 64;

/// Default allowed clock skew for `exp`, `nbf` and `iat`.
pub const DEFAULT_CLOCK_SKEW: Duration = Duration::from_secs(60);
/// The largest clock skew a source may configure.
pub const MAX_CLOCK_SKEW: Duration = Duration::from_secs(300);

/// Why a token was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenRejection {
    /// Refused: answer 401.
    Rejected(Rejection),
    /// A well-formed token naming a `kid` the key set does not hold: the
    /// issuer may have rotated its keys. Refetch (rate-limited) and verify
    /// once more; a `kid` still unknown is [`Rejection::InvalidToken`].
    UnknownKey,
}

impl From<Rejection> for TokenRejection {
    fn from(rejection: Rejection) -> Self {
        TokenRejection::Rejected(rejection)
    }
}

/// What a token must carry to be accepted, per source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// `iss`, compared exactly (no trailing-slash or case folding).
    pub issuer: String,
    /// Accepted `aud` values; a token with `aud` must name one of them.
    pub audiences: Vec<String>,
    /// Accepted `client_id` values: required when the token has no `aud`
    /// (Cognito access tokens), and checked whenever the token carries one.
    pub client_ids: Vec<String>,
    /// Scopes that must all be granted (`scope` string or `scp`).
    pub scopes: Vec<String>,
    /// Allowed clock skew for `exp`, `nbf` and `iat`.
    pub clock_skew: Duration,
}

/// An `oauth2` source's configuration, as written in the sources document.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct OAuth2Settings {
    /// The issuer URL, exactly as the tokens' `iss` spells it.
    pub issuer: String,
    /// The JWKS URL; without it, OIDC discovery from the issuer.
    #[serde(default)]
    pub jwks_url: Option<String>,
    /// Accepted audiences.
    #[serde(default)]
    pub audiences: Vec<String>,
    /// Accepted client ids (for tokens without `aud`, such as Cognito's).
    #[serde(default)]
    pub client_ids: Vec<String>,
    /// Required scopes.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Allowed clock skew in seconds (default 60, at most 300).
    #[serde(default = "default_skew_seconds")]
    pub clock_skew_seconds: u64,
    /// Plain-HTTP issuer and JWKS URLs, for local tests only.
    #[serde(default)]
    pub allow_http: bool,
}

fn default_skew_seconds() -> u64 {
    DEFAULT_CLOCK_SKEW.as_secs()
}

impl OAuth2Settings {
    /// Settings with the defaults for everything but the issuer.
    pub fn new(issuer: impl Into<String>) -> Self {
        Self {
            issuer: issuer.into(),
            jwks_url: None,
            audiences: Vec::new(),
            client_ids: Vec::new(),
            scopes: Vec::new(),
            clock_skew_seconds: default_skew_seconds(),
            allow_http: false,
        }
    }

    /// Checks the settings at init: the field at fault and why.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        check_url(&self.issuer, self.allow_http).map_err(|reason| ("issuer", reason))?;
        if let Some(url) = &self.jwks_url {
            check_url(url, self.allow_http).map_err(|reason| ("jwks_url", reason))?;
        }
        if self.audiences.is_empty() && self.client_ids.is_empty() {
            return Err((
                "audiences",
                "at least one of audiences or client_ids is required".into(),
            ));
        }
        for (field, values) in [
            ("audiences", &self.audiences),
            ("client_ids", &self.client_ids),
        ] {
            if values.iter().any(|v| v.is_empty()) {
                return Err((field, "values must not be empty".into()));
            }
        }
        if self
            .scopes
            .iter()
            .any(|s| s.is_empty() || s.contains(char::is_whitespace))
        {
            return Err(("scopes", "a scope is one non-empty word".into()));
        }
        if self.clock_skew_seconds > MAX_CLOCK_SKEW.as_secs() {
            return Err((
                "clock_skew_seconds",
                format!("at most {}", MAX_CLOCK_SKEW.as_secs()),
            ));
        }
        Ok(())
    }

    /// The claims policy these settings describe.
    pub fn policy(&self) -> Policy {
        Policy {
            issuer: self.issuer.clone(),
            audiences: self.audiences.clone(),
            client_ids: self.client_ids.clone(),
            scopes: self.scopes.clone(),
            clock_skew: Duration::from_secs(self.clock_skew_seconds),
        }
    }
}

/// An absolute `https` URL (or `http` when allowed) with a host and no
/// credentials, query or fragment.
pub(crate) fn check_url(url: &str, allow_http: bool) -> Result<(), String> {
    let uri: Uri = url.parse().map_err(|_| "not a URL".to_string())?;
    match uri.scheme_str() {
        Some("https") => {}
        Some("http") if allow_http => {}
        _ => return Err("must be an https URL".into()),
    }
    let authority = uri.authority().ok_or("must name a host")?;
    if authority.as_str().contains('@') || authority.host().is_empty() {
        return Err("must name a host, without credentials".into());
    }
    if uri.query().is_some() {
        return Err("must not carry a query".into());
    }
    Ok(())
}

/// The shape a key is, which decides the algorithms it may verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyKind {
    Rsa,
    P256,
    P384,
    Ed25519,
}

impl KeyKind {
    /// Whether a token signed with `alg` may be checked with this key:
    /// the JOSE algorithm must match the key's type and curve exactly.
    fn fits(self, alg: Algorithm) -> bool {
        matches!(
            (self, alg),
            (
                KeyKind::Rsa,
                Algorithm::RS256
                    | Algorithm::RS384
                    | Algorithm::RS512
                    | Algorithm::PS256
                    | Algorithm::PS384
                    | Algorithm::PS512
            ) | (KeyKind::P256, Algorithm::ES256)
                | (KeyKind::P384, Algorithm::ES384)
                | (KeyKind::Ed25519, Algorithm::EdDSA)
        )
    }
}

/// One usable verification key from the issuer's JWKS.
#[derive(Clone)]
struct VerifyKey {
    kid: Option<String>,
    kind: KeyKind,
    /// The JWK's own `alg`, when it names one: then only that algorithm.
    alg: Option<Algorithm>,
    key: DecodingKey,
}

impl VerifyKey {
    fn fits(&self, alg: Algorithm) -> bool {
        self.kind.fits(alg) && self.alg.is_none_or(|own| own == alg)
    }
}

/// The issuer's usable signature keys, parsed once per fetch.
#[derive(Clone, Default)]
pub struct KeySet {
    keys: Vec<VerifyKey>,
}

impl std::fmt::Debug for KeySet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.keys.iter().map(|k| (k.kid.as_deref(), k.kind)))
            .finish()
    }
}

/// A JWKS document with no usable signature key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum JwksError {
    /// Not a JSON object with a `keys` array.
    #[error("not a JWKS document")]
    NotJwks,
    /// No key in it can verify an allowed algorithm.
    #[error("no usable signature key")]
    NoUsableKey,
}

#[derive(Deserialize)]
struct RawJwks {
    keys: Vec<serde_json::Value>,
}

impl KeySet {
    /// The usable keys of a JWKS document. Entries that cannot verify an
    /// allowed algorithm (encryption keys, symmetric keys, unknown types or
    /// curves, RSA keys outside 2048–8192 bits) are skipped, not fatal.
    pub fn from_jwks(bytes: &[u8]) -> Result<Self, JwksError> {
        let raw: RawJwks = serde_json::from_slice(bytes).map_err(|_| JwksError::NotJwks)?;
        let keys: Vec<VerifyKey> = raw
            .keys
            .into_iter()
            .filter_map(|value| serde_json::from_value::<Jwk>(value).ok())
            .filter_map(|jwk| usable(&jwk))
            .take(MAX_KEYS)
            .collect();
        if keys.is_empty() {
            return Err(JwksError::NoUsableKey);
        }
        Ok(Self { keys })
    }

    /// How many usable keys the set holds.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the set holds no usable key.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Whether a key with this `kid` is in the set.
    pub fn contains_kid(&self, kid: &str) -> bool {
        self.keys.iter().any(|k| k.kid.as_deref() == Some(kid))
    }

    /// The key a token with this header must verify against.
    fn select(&self, kid: Option<&str>, alg: Algorithm) -> Result<&VerifyKey, TokenRejection> {
        match kid {
            Some(kid) => {
                let mut named = self
                    .keys
                    .iter()
                    .filter(|k| k.kid.as_deref() == Some(kid))
                    .peekable();
                if named.peek().is_none() {
                    return Err(TokenRejection::UnknownKey);
                }
                named.find(|k| k.fits(alg)).ok_or(INVALID)
            }
            // Without a kid, only an unambiguous set: exactly one usable key.
            None => match self.keys.as_slice() {
                [only] if only.fits(alg) => Ok(only),
                _ => Err(INVALID),
            },
        }
    }
}

/// A JWK as a verification key, if it is one we may use.
fn usable(jwk: &Jwk) -> Option<VerifyKey> {
    let common = &jwk.common;
    if common
        .public_key_use
        .as_ref()
        .is_some_and(|u| *u != PublicKeyUse::Signature)
    {
        return None;
    }
    if common
        .key_operations
        .as_ref()
        .is_some_and(|ops| !ops.contains(&KeyOperations::Verify))
    {
        return None;
    }
    let (kind, key) = match &jwk.algorithm {
        AlgorithmParameters::RSA(p) => {
            let key = DecodingKey::from_rsa_components(&p.n, &p.e).ok()?;
            // 2048–8192 bits, the sizes aws-lc-rs verifies.
            let n_len = p.n.trim_end_matches('=').len() * 3 / 4;
            if !(255..=1025).contains(&n_len) {
                return None;
            }
            (KeyKind::Rsa, key)
        }
        AlgorithmParameters::EllipticCurve(p) => {
            let kind = match p.curve {
                EllipticCurve::P256 => KeyKind::P256,
                EllipticCurve::P384 => KeyKind::P384,
                _ => return None,
            };
            (kind, DecodingKey::from_ec_components(&p.x, &p.y).ok()?)
        }
        AlgorithmParameters::OctetKeyPair(p) if p.curve == EllipticCurve::Ed25519 => (
            KeyKind::Ed25519,
            DecodingKey::from_ed_components(&p.x).ok()?,
        ),
        _ => return None,
    };
    let alg = match common.key_algorithm {
        None => None,
        Some(named) => {
            let alg = allowed(key_algorithm(named)?)?;
            if !kind.fits(alg) {
                return None;
            }
            Some(alg)
        }
    };
    Some(VerifyKey {
        kid: common.key_id.clone(),
        kind,
        alg,
        key,
    })
}

fn key_algorithm(named: KeyAlgorithm) -> Option<Algorithm> {
    Algorithm::try_from(named).ok()
}

/// The allow-list: asymmetric signature algorithms only. `none` and the HMAC
/// family never get here (a public key must not become an HMAC secret).
fn allowed(alg: Algorithm) -> Option<Algorithm> {
    matches!(
        alg,
        Algorithm::RS256
            | Algorithm::RS384
            | Algorithm::RS512
            | Algorithm::PS256
            | Algorithm::PS384
            | Algorithm::PS512
            | Algorithm::ES256
            | Algorithm::ES384
            | Algorithm::EdDSA
    )
    .then_some(alg)
}

const INVALID: TokenRejection = TokenRejection::Rejected(Rejection::InvalidToken);

/// A token that passed every check that needs no key.
struct Candidate<'a> {
    token: &'a str,
    header: Header,
    alg: Algorithm,
}

/// Reads the bearer token and checks everything that needs no key: size,
/// compact shape, header, algorithm. Cheap, so a request can be refused
/// before waiting for keys.
pub fn precheck(headers: &HeaderMap) -> Result<(), Rejection> {
    candidate(headers).map(|_| ())
}

fn candidate(headers: &HeaderMap) -> Result<Candidate<'_>, Rejection> {
    let value = header::single_bounded(headers, AUTHORIZATION, MAX_HEADER_VALUE)?;
    let token =
        header::auth_param(value, "Bearer").ok_or(Rejection::MalformedHeader(AUTHORIZATION))?;
    if token.len() > MAX_TOKEN_LEN || !compact_shape(token) {
        return Err(Rejection::InvalidToken);
    }
    let header = jsonwebtoken::decode_header(token).map_err(|_| Rejection::InvalidToken)?;
    let alg = allowed(header.alg).ok_or(Rejection::InvalidToken)?;
    // A token naming its own key, or where to fetch one, is refused outright:
    // only the configured issuer's keys decide. `crit` extensions (such as
    // unencoded payloads) are not understood, so they are refused too.
    if header.jwk.is_some()
        || header.jku.is_some()
        || header.x5u.is_some()
        || header.x5c.is_some()
        || header.crit.is_some()
        || header.enc.is_some()
        || header.zip.is_some()
    {
        return Err(Rejection::InvalidToken);
    }
    Ok(Candidate { token, header, alg })
}

/// JWS compact serialisation: three non-empty base64url segments (no
/// padding), the header and signature within their bounds.
fn compact_shape(token: &str) -> bool {
    let mut parts = token.split('.');
    let (Some(head), Some(claims), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let base64url = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    base64url(head)
        && base64url(claims)
        && base64url(signature)
        && head.len() <= MAX_HEADER_SEGMENT
        && signature.len() <= MAX_SIGNATURE_SEGMENT
}

/// Verifies the bearer token against `keys` and `policy` at `now`.
///
/// The signature is checked before any claim is read; a token whose `kid`
/// is not in `keys` is [`TokenRejection::UnknownKey`], for the caller to
/// refetch the key set (rate-limited) and call again.
pub fn verify(
    headers: &HeaderMap,
    keys: &KeySet,
    policy: &Policy,
    now: SystemTime,
) -> Result<Accepted, TokenRejection> {
    let candidate = candidate(headers)?;
    let key = keys.select(candidate.header.kid.as_deref(), candidate.alg)?;
    // jsonwebtoken checks the signature, then decodes the claims; its own
    // time and audience checks read the system clock, so they are off and
    // the policy below applies them against `now`.
    let mut validation = Validation::new(candidate.alg);
    validation.required_spec_claims = HashSet::new();
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.leeway = 0;
    let data = jsonwebtoken::decode::<Object<Claims>>(candidate.token, &key.key, &validation)
        .map_err(|_| INVALID)?;
    check_claims(&data.claims.0, policy, now)?;
    Ok(Accepted::with_id(
        delivery_id(headers),
        IdTrust::Credentialed,
    ))
}

/// The claims the policy reads. A claim of the wrong type, or a repeated
/// one, fails decoding and so refuses the token.
#[derive(Deserialize)]
struct Claims {
    iss: Option<String>,
    aud: Option<OneOrMany>,
    client_id: Option<String>,
    exp: Option<f64>,
    nbf: Option<f64>,
    iat: Option<f64>,
    scope: Option<String>,
    scp: Option<OneOrMany>,
    token_use: Option<String>,
}

/// A JSON object, and only an object: a derived `Deserialize` would also
/// read a struct from an array of its fields in order.
struct Object<T>(T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Object<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for Visit<T> {
            type Value = T;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
                T::deserialize(serde::de::value::MapAccessDeserializer::new(map))
            }
        }
        deserializer
            .deserialize_map(Visit(std::marker::PhantomData))
            .map(Object)
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn items(&self) -> Box<dyn Iterator<Item = &str> + '_> {
        match self {
            OneOrMany::One(one) => Box::new(std::iter::once(one.as_str())),
            OneOrMany::Many(many) => Box::new(many.iter().map(String::as_str)),
        }
    }
}

fn check_claims(claims: &Claims, policy: &Policy, now: SystemTime) -> Result<(), Rejection> {
    let invalid = Err(Rejection::InvalidToken);
    if claims.iss.as_deref() != Some(policy.issuer.as_str()) {
        return invalid;
    }
    // Cognito sets token_use; only its access tokens are credentials here.
    if claims.token_use.as_deref().is_some_and(|u| u != "access") {
        return invalid;
    }
    let now = now
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    let skew = policy.clock_skew.as_secs_f64();
    match claims.exp {
        Some(exp) if now < exp + skew => {}
        _ => return invalid,
    }
    if [claims.nbf, claims.iat]
        .into_iter()
        .flatten()
        .any(|t| t > now + skew)
    {
        return invalid;
    }
    let accepted = |list: &[String], value: &str| list.iter().any(|a| a == value);
    match &claims.aud {
        // A token for an audience must name one of ours.
        Some(aud) => {
            if !aud.items().any(|a| accepted(&policy.audiences, a)) {
                return invalid;
            }
        }
        // No audience (Cognito access tokens): the client decides.
        None => {
            if !claims
                .client_id
                .as_deref()
                .is_some_and(|c| accepted(&policy.client_ids, c))
            {
                return invalid;
            }
        }
    }
    // With client ids configured, a token naming its client must name one.
    if !policy.client_ids.is_empty()
        && claims
            .client_id
            .as_deref()
            .is_some_and(|c| !accepted(&policy.client_ids, c))
    {
        return invalid;
    }
    let mut granted = claims
        .scope
        .as_deref()
        .into_iter()
        .flat_map(|s| s.split(' '))
        .chain(
            claims
                .scp
                .iter()
                .flat_map(|s| s.items().flat_map(|s| s.split(' '))),
        );
    let granted: HashSet<&str> = granted.by_ref().collect();
    if !policy.scopes.iter().all(|s| granted.contains(s.as_str())) {
        return invalid;
    }
    Ok(())
}

/// The `WWW-Authenticate` challenge for an oauth2 refusal (RFC 6750): no
/// error code when no token was presented, `invalid_token` otherwise; never
/// more detail.
pub fn challenge(rejection: Rejection) -> &'static str {
    match rejection {
        Rejection::MissingHeader(_) => "Bearer realm=\"hookline\"",
        _ => "Bearer realm=\"hookline\", error=\"invalid_token\"",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn with_auth(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        headers
    }

    fn settings() -> OAuth2Settings {
        OAuth2Settings {
            audiences: vec!["api".into()],
            ..OAuth2Settings::new("https://issuer.example")
        }
    }

    #[test]
    fn settings_are_checked() {
        assert_eq!(settings().validate(), Ok(()));
        let field = |s: OAuth2Settings| s.validate().unwrap_err().0;
        assert_eq!(
            field(OAuth2Settings {
                issuer: "http://issuer.example".into(),
                ..settings()
            }),
            "issuer"
        );
        assert!(
            OAuth2Settings {
                issuer: "http://127.0.0.1:9/x".into(),
                allow_http: true,
                ..settings()
            }
            .validate()
            .is_ok()
        );
        for bad in [
            "issuer.example",
            "https://",
            "https://u:p@issuer.example",
            "https://i.example/?a=1",
            "",
        ] {
            assert_eq!(
                field(OAuth2Settings {
                    issuer: bad.into(),
                    ..settings()
                }),
                "issuer",
                "{bad}"
            );
        }
        assert_eq!(
            field(OAuth2Settings {
                jwks_url: Some("ftp://issuer.example/jwks".into()),
                ..settings()
            }),
            "jwks_url"
        );
        assert_eq!(
            field(OAuth2Settings {
                audiences: vec![],
                ..settings()
            }),
            "audiences"
        );
        assert!(
            OAuth2Settings {
                audiences: vec![],
                client_ids: vec!["c".into()],
                ..settings()
            }
            .validate()
            .is_ok()
        );
        assert_eq!(
            field(OAuth2Settings {
                client_ids: vec!["".into()],
                ..settings()
            }),
            "client_ids"
        );
        assert_eq!(
            field(OAuth2Settings {
                scopes: vec!["a b".into()],
                ..settings()
            }),
            "scopes"
        );
        assert_eq!(
            field(OAuth2Settings {
                clock_skew_seconds: 301,
                ..settings()
            }),
            "clock_skew_seconds"
        );
        assert_eq!(settings().policy().clock_skew, DEFAULT_CLOCK_SKEW);
    }

    #[test]
    fn settings_deserialize_with_defaults() {
        let s: OAuth2Settings =
            serde_json::from_str(r#"{"issuer":"https://i.example","client_ids":["c"]}"#).unwrap();
        assert_eq!(s.clock_skew_seconds, 60);
        assert_eq!(s.jwks_url, None);
        assert!(!s.allow_http);
    }

    #[test]
    fn shape_is_checked_before_decoding() {
        let keys = KeySet::default();
        let policy = settings().policy();
        let now = SystemTime::now();
        let refused = |value: &str| verify(&with_auth(value), &keys, &policy, now).unwrap_err();
        for token in [
            "a.b",
            "a.b.c.d",
            "a..c",
            ".b.c",
            "a.b.",
            "a.b.c=",
            "a+b.c.d",
            "a b.c.d",
            "e30.e30.e30",
        ] {
            assert_eq!(refused(&format!("Bearer {token}")), INVALID, "{token}");
        }
        let long = format!("Bearer {}.e30.e30", "A".repeat(MAX_TOKEN_LEN));
        assert_eq!(refused(&long), INVALID);
        assert_eq!(
            refused("Basic abc"),
            TokenRejection::Rejected(Rejection::MalformedHeader(AUTHORIZATION))
        );
        assert_eq!(
            verify(&HeaderMap::new(), &keys, &policy, now).unwrap_err(),
            TokenRejection::Rejected(Rejection::MissingHeader(AUTHORIZATION))
        );
    }

    #[test]
    fn challenges_carry_no_detail() {
        assert_eq!(
            challenge(Rejection::MissingHeader(AUTHORIZATION)),
            "Bearer realm=\"hookline\""
        );
        assert_eq!(
            challenge(Rejection::InvalidToken),
            "Bearer realm=\"hookline\", error=\"invalid_token\""
        );
    }

    #[test]
    fn jwks_without_usable_keys_is_refused() {
        assert_eq!(KeySet::from_jwks(b"[]").unwrap_err(), JwksError::NotJwks);
        assert_eq!(
            KeySet::from_jwks(br#"{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}"#).unwrap_err(),
            JwksError::NoUsableKey
        );
        // A P-521 key and a short RSA key are skipped.
        let jwks = br#"{"keys":[
            {"kty":"EC","crv":"P-521","x":"AA","y":"AA","kid":"a"},
            {"kty":"RSA","n":"AQAB","e":"AQAB","kid":"b"}]}"#;
        assert_eq!(KeySet::from_jwks(jwks).unwrap_err(), JwksError::NoUsableKey);
    }
}
