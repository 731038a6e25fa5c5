//! HTTP Basic and Bearer: ActiGraph's two non-MAC options.
//!
//! Presented values are hashed before the constant-time comparison, so
//! neither a value's content nor its length shows in the timing.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::HeaderMap;
use sha2::{Digest, Sha256};
use subtle::{Choice, ConstantTimeEq};

use super::{KeyError, Rejection, header};

const AUTHORIZATION: &str = "authorization";

type Fingerprint = [u8; 32];

fn fingerprint(value: &[u8]) -> Fingerprint {
    Sha256::digest(value).into()
}

/// A configured `user:password`, kept as fingerprints of each part.
#[derive(Clone)]
pub(crate) struct BasicKey {
    user: Fingerprint,
    password: Fingerprint,
}

impl BasicKey {
    /// Splits at the first colon, as RFC 7617 does; the password may hold colons.
    pub(crate) fn new(secret: &[u8]) -> Result<Self, KeyError> {
        let (user, password) = split_colon(secret).ok_or(KeyError::BasicFormat)?;
        if password.is_empty() {
            return Err(KeyError::BasicFormat);
        }
        Ok(Self {
            user: fingerprint(user),
            password: fingerprint(password),
        })
    }
}

/// A configured bearer token, kept as its fingerprint.
#[derive(Clone)]
pub(crate) struct TokenKey(Fingerprint);

impl TokenKey {
    pub(crate) fn new(secret: &[u8]) -> Self {
        Self(fingerprint(secret))
    }
}

fn split_colon(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    let at = bytes.iter().position(|&b| b == b':')?;
    Some((&bytes[..at], &bytes[at + 1..]))
}

pub(crate) fn verify_basic(headers: &HeaderMap, keys: &[BasicKey]) -> Result<(), Rejection> {
    let value = header::single(headers, AUTHORIZATION)?;
    let encoded =
        header::auth_param(value, "Basic").ok_or(Rejection::MalformedHeader(AUTHORIZATION))?;
    let decoded = STANDARD
        .decode(encoded)
        .map_err(|_| Rejection::MalformedHeader(AUTHORIZATION))?;
    let (user, password) =
        split_colon(&decoded).ok_or(Rejection::MalformedHeader(AUTHORIZATION))?;
    let (user, password) = (fingerprint(user), fingerprint(password));
    let matched = keys.iter().fold(Choice::from(0), |found, key| {
        found | (key.user.ct_eq(&user) & key.password.ct_eq(&password))
    });
    if bool::from(matched) {
        Ok(())
    } else {
        Err(Rejection::CredentialsMismatch)
    }
}

pub(crate) fn verify_bearer(headers: &HeaderMap, keys: &[TokenKey]) -> Result<(), Rejection> {
    let value = header::single(headers, AUTHORIZATION)?;
    let token =
        header::auth_param(value, "Bearer").ok_or(Rejection::MalformedHeader(AUTHORIZATION))?;
    let token = fingerprint(token.as_bytes());
    let matched = keys
        .iter()
        .fold(Choice::from(0), |found, key| found | key.0.ct_eq(&token));
    if bool::from(matched) {
        Ok(())
    } else {
        Err(Rejection::CredentialsMismatch)
    }
}

/// The provider's side: the Basic credentials for a `user:password` secret.
pub(crate) fn sign_basic(secret: &[u8]) -> Result<(&'static str, String), KeyError> {
    BasicKey::new(secret)?;
    Ok((AUTHORIZATION, format!("Basic {}", STANDARD.encode(secret))))
}

/// The provider's side: the bearer token.
pub(crate) fn sign_bearer(secret: &[u8]) -> Result<(&'static str, String), KeyError> {
    let token = std::str::from_utf8(secret).map_err(|_| KeyError::BasicFormat)?;
    Ok((AUTHORIZATION, format!("Bearer {token}")))
}
