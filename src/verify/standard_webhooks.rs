//! Standard Webhooks (and Svix, its origin): base64 HMAC-SHA256 over
//! `{id}.{timestamp}.{body}`, a space-separated list of `v1,<sig>` entries for
//! key rotation, and a timestamp window against replay.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::HeaderMap;

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

/// A `whsec_` secret is base64 after the prefix; any other is used as its bytes.
pub(crate) fn key(secret: &[u8]) -> Result<Sha256Key, KeyError> {
    match secret.strip_prefix(SECRET_PREFIX) {
        Some(encoded) => match STANDARD.decode(encoded) {
            Ok(bytes) if !bytes.is_empty() => Ok(Sha256Key::new(&bytes)),
            _ => Err(KeyError::WhsecBase64),
        },
        None => Ok(Sha256Key::new(secret)),
    }
}

/// Verifies and returns the `webhook-id`.
pub(crate) fn verify(
    headers: &HeaderMap,
    body: &[u8],
    keys: &[Sha256Key],
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
    let tags = v1_signatures(header::single(headers, names.signature)?);
    if tags.is_empty() {
        return Err(Rejection::MalformedHeader(names.signature));
    }
    let tags: Vec<&[u8]> = tags.iter().map(Vec::as_slice).collect();
    // The reference libraries sign the timestamp as they re-format it.
    let timestamp = timestamp.to_string();
    let message: [&[u8]; 5] = [id.as_bytes(), b".", timestamp.as_bytes(), b".", body];
    if MacKey::any_matches(keys, &message, &tags) {
        Ok(id.to_owned())
    } else {
        Err(Rejection::SignatureMismatch)
    }
}

/// Whole seconds since the epoch, digits only; `None` for signs, fractions or overflow.
fn parse_timestamp(text: &str) -> Option<i64> {
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

fn check_window(timestamp: i64, now: SystemTime, tolerance: Duration) -> Result<(), Rejection> {
    let now = match now.duration_since(UNIX_EPOCH) {
        Ok(since) => i128::from(since.as_secs()),
        Err(_) => 0,
    };
    let tolerance = i128::from(tolerance.as_secs());
    let age = now - i128::from(timestamp);
    if age > tolerance {
        Err(Rejection::TimestampTooOld)
    } else if -age > tolerance {
        Err(Rejection::TimestampTooNew)
    } else {
        Ok(())
    }
}

/// The decoded `v1` entries; other versions, and entries that do not decode,
/// are skipped as the reference libraries skip them.
fn v1_signatures(header: &str) -> Vec<Vec<u8>> {
    header
        .split(' ')
        .filter_map(|entry| entry.split_once(','))
        .filter(|(version, _)| *version == "v1")
        .filter_map(|(_, signature)| STANDARD.decode(signature).ok())
        .filter(|tag| !tag.is_empty())
        .collect()
}
