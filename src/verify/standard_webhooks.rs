//! Standard Webhooks (and Svix, its origin): base64 HMAC-SHA256 (`v1`) or
//! Ed25519 (`v1a`) over `{id}.{timestamp}.{body}`, a space-separated list of
//! `v1,<sig>` / `v1a,<sig>` entries for key rotation, and a timestamp window
//! against replay.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use http::HeaderMap;

use ed25519_dalek::{Signature, SigningKey, VerifyingKey};

use super::mac::{MacKey, Sha256Key};
use super::{KeyError, Rejection, header};

/// The three headers, under the names Standard Webhooks uses and the Svix aliases.
struct Names {
    id: &'static str,
    timestamp: &'static str,
    signature: &'static str,
}

const STANDARD_NAMES: Names = Names {
    id: "webhook-id",
    timestamp: "webhook-timestamp",
    signature: "webhook-signature",
};
const SVIX_NAMES: Names = Names {
    id: "svix-id",
    timestamp: "svix-timestamp",
    signature: "svix-signature",
};

const SECRET_PREFIX: &[u8] = b"whsec_";
const PUBLIC_KEY_PREFIX: &[u8] = b"whpk_";
const SIGNING_KEY_PREFIX: &[u8] = b"whsk_";

/// Most signature entries of each version looked at: a sender signs with
/// each of its active keys (two or three during a rotation), and each Ed25519
/// check costs tens of microseconds, so a header stuffed with entries must
/// not buy more work than this.
const MAX_ENTRIES: usize = 8;

/// One configured key: a shared secret (`v1`) or a sender's public key (`v1a`).
#[derive(Clone)]
pub(crate) enum Key {
    Hmac(Sha256Key),
    Ed25519(VerifyingKey),
}

/// A `whsec_` secret's or `whpk_` key's base64: padded as standard base64
/// is, or without any padding, as the reference libraries also read a
/// secret; canonical either way.
fn decode_secret(encoded: &[u8]) -> Option<Vec<u8>> {
    let engine = if encoded.ends_with(b"=") {
        &STANDARD
    } else {
        &STANDARD_NO_PAD
    };
    engine.decode(encoded).ok()
}

/// The text two holders of one key share: a `whsec_` secret or `whpk_` key
/// without its base64 padding, which [`decode_secret`] reads either way;
/// any other secret as it is. The shared-secret checks compare this.
pub fn key_text(secret: &[u8]) -> &[u8] {
    if secret.starts_with(SECRET_PREFIX) || secret.starts_with(PUBLIC_KEY_PREFIX) {
        let end = secret.iter().rposition(|&b| b != b'=').map_or(0, |i| i + 1);
        &secret[..end]
    } else {
        secret
    }
}

/// The length of the HMAC key a secret gives (`None` for a `whpk_` public
/// key or a secret that is no key), for the short-secret warning.
pub(crate) fn hmac_key_len(secret: &[u8]) -> Option<usize> {
    if secret.starts_with(PUBLIC_KEY_PREFIX) {
        return None;
    }
    match secret.strip_prefix(SECRET_PREFIX) {
        Some(encoded) => decode_secret(encoded).map(|bytes| bytes.len()),
        None => Some(secret.len()),
    }
}

/// Whether a secret without a prefix reads as the base64 of a key the size
/// the specification gives secrets (24 to 64 bytes, so also an Ed25519
/// public key): the reference libraries would decode it, hookline uses its
/// bytes as the provider document says, so init warns that a `whsec_` or
/// `whpk_` prefix may be missing. Hex (a common generated secret, and
/// base64 too) is not taken for it.
pub(crate) fn looks_like_unprefixed_base64(secret: &[u8]) -> bool {
    !secret.iter().all(u8::is_ascii_hexdigit)
        && !secret.starts_with(SECRET_PREFIX)
        && !secret.starts_with(PUBLIC_KEY_PREFIX)
        && !secret.starts_with(SIGNING_KEY_PREFIX)
        && decode_secret(secret).is_some_and(|bytes| (24..=64).contains(&bytes.len()))
}

/// A `whsec_` secret is base64 after the prefix; a `whpk_` key is a base64
/// Ed25519 public key; any other secret is used as its bytes, as the
/// provider document says.
pub(crate) fn key(secret: &[u8]) -> Result<Key, KeyError> {
    if let Some(encoded) = secret.strip_prefix(PUBLIC_KEY_PREFIX) {
        let bytes: [u8; 32] = decode_secret(encoded)
            .and_then(|bytes| bytes.try_into().ok())
            .ok_or(KeyError::WhpkFormat)?;
        let key = VerifyingKey::from_bytes(&bytes).map_err(|_| KeyError::WhpkFormat)?;
        // A weak (small-order) key would accept forged signatures.
        if key.is_weak() {
            return Err(KeyError::WhpkFormat);
        }
        return Ok(Key::Ed25519(key));
    }
    hmac_key(secret).map(Key::Hmac)
}

/// The HMAC key of a `whsec_` (or raw) secret.
pub(crate) fn hmac_key(secret: &[u8]) -> Result<Sha256Key, KeyError> {
    match secret.strip_prefix(SECRET_PREFIX) {
        Some(encoded) => match decode_secret(encoded) {
            Some(bytes) if !bytes.is_empty() => Ok(Sha256Key::new(&bytes)),
            _ => Err(KeyError::WhsecBase64),
        },
        None => Ok(Sha256Key::new(secret)),
    }
}

/// The provider's side: the three headers for `body`, signed `v1a` with a
/// `whsk_` signing key, else `v1` with the secret.
pub(crate) fn sign(
    secret: &[u8],
    id: &str,
    timestamp: i64,
    body: &[u8],
) -> Result<[(&'static str, String); 3], KeyError> {
    let timestamp = timestamp.to_string();
    let message = [id.as_bytes(), b".", timestamp.as_bytes(), b".", body];
    let signature = match signing_key(secret) {
        Some(key) => {
            use ed25519_dalek::Signer;
            let signature = key.sign(&message.concat());
            format!("v1a,{}", STANDARD.encode(signature.to_bytes()))
        }
        None => {
            let tag = hmac_key(secret)?.tag(&message);
            format!("v1,{}", STANDARD.encode(tag))
        }
    };
    Ok([
        (STANDARD_NAMES.id, id.to_owned()),
        (STANDARD_NAMES.timestamp, timestamp),
        (STANDARD_NAMES.signature, signature),
    ])
}

/// The signing key of a `whsk_` secret (64 bytes: secret then public half),
/// for the provider side.
pub(crate) fn signing_key(secret: &[u8]) -> Option<SigningKey> {
    let encoded = secret.strip_prefix(SIGNING_KEY_PREFIX)?;
    let bytes: [u8; 64] = decode_secret(encoded)?.try_into().ok()?;
    SigningKey::from_keypair_bytes(&bytes).ok()
}

/// Verifies and returns the `webhook-id`.
pub(crate) fn verify(
    headers: &HeaderMap,
    body: &[u8],
    keys: &[Key],
    now: SystemTime,
    tolerance: Duration,
) -> Result<String, Rejection> {
    // One family or the other, never a mix.
    let names = if headers.contains_key(STANDARD_NAMES.signature)
        || !headers.contains_key(SVIX_NAMES.signature)
    {
        &STANDARD_NAMES
    } else {
        &SVIX_NAMES
    };
    let id = header::single(headers, names.id)?;
    // A '.' in the id would make `{id}.{timestamp}.{body}` ambiguous.
    if id.contains('.') {
        return Err(Rejection::MalformedHeader(names.id));
    }
    let timestamp = parse_timestamp(header::single(headers, names.timestamp)?)
        .ok_or(Rejection::MalformedHeader(names.timestamp))?;
    check_window(timestamp, now, tolerance)?;
    let (tags, signatures) = signatures(header::single(headers, names.signature)?);
    if tags.is_empty() && signatures.is_empty() {
        return Err(Rejection::MalformedHeader(names.signature));
    }
    // The reference libraries sign the timestamp as they re-format it.
    let timestamp = timestamp.to_string();
    let message: [&[u8]; 5] = [id.as_bytes(), b".", timestamp.as_bytes(), b".", body];
    let hmac_keys: Vec<Sha256Key> = keys
        .iter()
        .filter_map(|key| match key {
            Key::Hmac(key) => Some(key.clone()),
            Key::Ed25519(_) => None,
        })
        .collect();
    let tags: Vec<&[u8]> = tags.iter().map(Vec::as_slice).collect();
    if !tags.is_empty() && MacKey::any_matches(&hmac_keys, &message, &tags) {
        return Ok(id.to_owned());
    }
    // No public key (HMAC secrets only, or the precheck's none): no copy of the body.
    if !signatures.is_empty() && keys.iter().any(|key| matches!(key, Key::Ed25519(_))) {
        let signed = message.concat();
        // Each check hashes the whole message: at most MAX_ENTRIES
        // (signature, key) pairs in all, however many keys are configured.
        let matched = keys
            .iter()
            .filter_map(|key| match key {
                Key::Ed25519(key) => Some(key),
                Key::Hmac(_) => None,
            })
            .flat_map(|key| signatures.iter().map(move |signature| (key, signature)))
            .take(MAX_ENTRIES)
            // Strict: no malleable signatures, no small-order points.
            .any(|(key, signature)| key.verify_strict(&signed, signature).is_ok());
        if matched {
            return Ok(id.to_owned());
        }
    }
    Err(Rejection::SignatureMismatch)
}

/// Seconds since the epoch as the reference libraries read the header:
/// digits, perhaps after a `+`, perhaps with a fraction, which they drop
/// before signing. `None` for anything else (a `-`, an exponent) or
/// overflow.
///
/// A fraction is read as Python's does it (`datetime.fromtimestamp(float(h))`:
/// the nearest double, its fraction rounded half-even to microseconds, so
/// `.9999996` signs the next second). JavaScript's `parseInt` truncates,
/// but a JavaScript sender writes at most milliseconds, where the two agree.
fn parse_timestamp(text: &str) -> Option<i64> {
    let unsigned = text.strip_prefix('+').unwrap_or(text);
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !digits(fraction) {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    if fraction.is_empty() {
        return Some(whole);
    }
    let value: f64 = unsigned.parse().ok()?;
    let micros = (value.fract() * 1e6).round_ties_even();
    let seconds = value.trunc() + if micros >= 1e6 { 1.0 } else { 0.0 };
    // A double holds whole seconds exactly only below 2^53; such a time is
    // outside any window anyway, and keeps its digits' reading.
    Some(if seconds < 9.0e15 {
        seconds as i64
    } else {
        whole
    })
}

/// To the nanosecond: the window closes `tolerance` after the timestamp, not
/// at the end of that second, so the default fits inside a FIFO queue's
/// 5-minute memory of an event that landed at or after its timestamp.
fn check_window(timestamp: i64, now: SystemTime, tolerance: Duration) -> Result<(), Rejection> {
    const NANOS: i128 = 1_000_000_000;
    let now = now.duration_since(UNIX_EPOCH).map_or(0, |since| {
        i128::try_from(since.as_nanos()).unwrap_or(i128::MAX)
    });
    let tolerance = i128::try_from(tolerance.as_nanos()).unwrap_or(i128::MAX);
    let age = now - i128::from(timestamp) * NANOS;
    if age > tolerance {
        Err(Rejection::TimestampTooOld)
    } else if -age > tolerance {
        Err(Rejection::TimestampTooNew)
    } else {
        Ok(())
    }
}

/// The decoded `v1` tags and `v1a` signatures, at most [`MAX_ENTRIES`] of
/// each; other versions, and entries that do not decode, are skipped as the
/// reference libraries skip them.
fn signatures(header: &str) -> (Vec<Vec<u8>>, Vec<Signature>) {
    let (mut tags, mut signatures) = (Vec::new(), Vec::new());
    for (version, encoded) in header.split(' ').filter_map(|entry| entry.split_once(',')) {
        match version {
            "v1" if tags.len() < MAX_ENTRIES => {
                if let Ok(tag) = STANDARD.decode(encoded)
                    && !tag.is_empty()
                {
                    tags.push(tag);
                }
            }
            "v1a" if signatures.len() < MAX_ENTRIES => {
                if let Some(bytes) = STANDARD
                    .decode(encoded)
                    .ok()
                    .and_then(|bytes| <[u8; 64]>::try_from(bytes).ok())
                {
                    signatures.push(Signature::from_bytes(&bytes));
                }
            }
            _ => {}
        }
    }
    (tags, signatures)
}
