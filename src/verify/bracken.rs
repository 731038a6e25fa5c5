//! Bracken: `Authorization: HMACSHA256 <base64>` where the MAC is taken over
//! Node's `JSON.stringify(JSON.parse(body))`, not over the bytes sent.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::HeaderMap;

use super::mac::{MacKey, Sha256Key};
use super::{Rejection, header};
use crate::js_json::{self, Refusal};
use crate::message::MAX_MESSAGE_BYTES;

const AUTHORIZATION: &str = "authorization";
/// Bracken's sample compares the whole header with `==`: the word is case-sensitive.
pub(crate) const PREFIX: &str = "HMACSHA256 ";

/// Largest body re-serialised when its bytes do not verify as sent. The
/// re-serialisation runs before any signature has matched and costs up to
/// a few tens of milliseconds per MiB for the most contrived bodies
/// (BENCHMARKS.md); Bracken's events are a few KiB. A larger body must
/// verify as sent, or is answered 413.
pub const FALLBACK_MAX_BYTES: usize = 256 * 1024;

/// Verifies the signature; `Some(text)` when it covers Node's
/// re-serialisation of the body rather than the body itself.
pub(crate) fn verify(
    headers: &HeaderMap,
    body: &[u8],
    keys: &[Sha256Key],
) -> Result<Option<Vec<u8>>, Rejection> {
    let value = header::single(headers, AUTHORIZATION)?;
    let encoded = value
        .strip_prefix(PREFIX)
        .ok_or(Rejection::MalformedHeader(AUTHORIZATION))?;
    let tag = STANDARD
        .decode(encoded)
        .map_err(|_| Rejection::MalformedHeader(AUTHORIZATION))?;
    // No key (a header check before keys are known): no work on the body.
    if keys.is_empty() {
        return Err(Rejection::SignatureMismatch);
    }
    // Compact bodies are already what Node would write: one MAC, no parse.
    if MacKey::any_matches(keys, &[body], &[&tag]) {
        return Ok(None);
    }
    if body.len() > FALLBACK_MAX_BYTES {
        return Err(Rejection::TooLarge);
    }
    match js_json::restringify_within(body, MAX_MESSAGE_BYTES) {
        Ok(node_text) if node_text != body && MacKey::any_matches(keys, &[&node_text], &[&tag]) => {
            Ok(Some(node_text))
        }
        Err(Refusal::TooLarge) => Err(Rejection::TooLarge),
        _ => Err(Rejection::SignatureMismatch),
    }
}

/// The provider's side: what Bracken's Node sample sends, the MAC of the
/// re-serialised body.
pub(crate) fn sign(secret: &[u8], body: &[u8]) -> (&'static str, String) {
    let node_text = js_json::restringify(body).unwrap_or_else(|| body.to_vec());
    let tag = STANDARD.encode(Sha256Key::new(secret).tag(&[&node_text]));
    (AUTHORIZATION, format!("{PREFIX}{tag}"))
}
