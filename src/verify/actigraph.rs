//! ActiGraph CentrePoint: `X-ActiGraph-Signature` is the base64 HMAC-SHA256
//! of the body; plus the headers of its validation handshake and delivery id.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::{HeaderMap, HeaderValue};

use super::mac::{MacKey, Sha256Key};
use super::{Rejection, header};

/// The header ActiGraph signs into.
pub(crate) const HEADER: &str = "x-actigraph-signature";
/// Carries the code a validation request wants echoed back.
pub const HANDSHAKE_HEADER: &str = "x-actigraph-hook-secret";
/// `X-ActiGraph-Event`; its value is `validation` on a handshake.
pub const HANDSHAKE_EVENT: &str = "x-actigraph-event";
/// ActiGraph's unique id for one delivery.
pub(crate) const DELIVERY_HEADER: &str = "x-actigraph-delivery";

pub(crate) fn verify(
    headers: &HeaderMap,
    body: &[u8],
    keys: &[Sha256Key],
) -> Result<(), Rejection> {
    let value = header::single(headers, HEADER)?;
    // C#'s Convert.ToBase64String: standard alphabet, padded.
    let tag = STANDARD
        .decode(value)
        .map_err(|_| Rejection::MalformedHeader(HEADER))?;
    if MacKey::any_matches(keys, &[body], &[&tag]) {
        Ok(())
    } else {
        Err(Rejection::SignatureMismatch)
    }
}

/// The provider's side: the header CentrePoint sends for `body`.
pub(crate) fn sign(secret: &[u8], body: &[u8]) -> (&'static str, String) {
    (HEADER, STANDARD.encode(Sha256Key::new(secret).tag(&[body])))
}

/// The delivery id, when the request carries exactly one usable one. It is
/// not covered by the signature, so a bad one is dropped, not trusted.
pub fn delivery_id(headers: &HeaderMap) -> Option<String> {
    let id = header::single(headers, DELIVERY_HEADER).ok()?;
    (id.len() <= 256 && !id.contains(['\t', ' '])).then(|| id.to_owned())
}

/// Longest validation code echoed back.
const MAX_HANDSHAKE_LEN: usize = 256;

/// A validation request whose code cannot be echoed as a header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadHandshake;

/// An ActiGraph validation request, if this is one: the code to echo, or why
/// it cannot be echoed. Ordinary deliveries (no `validation` event) are `None`.
/// The handshake proves the endpoint, not the sender: it is answered before
/// verification and never enqueued.
pub fn handshake(headers: &HeaderMap) -> Option<Result<HeaderValue, BadHandshake>> {
    let mut events = headers.get_all(HANDSHAKE_EVENT).iter();
    let is_validation = events
        .next()?
        .as_bytes()
        .eq_ignore_ascii_case(b"validation")
        && events.next().is_none();
    if !is_validation {
        return None;
    }
    let mut codes = headers.get_all(HANDSHAKE_HEADER).iter();
    let code = match (codes.next(), codes.next()) {
        (Some(code), None) => code,
        _ => return Some(Err(BadHandshake)),
    };
    let bytes = code.as_bytes();
    let printable = bytes.iter().all(|b| (0x20..0x7f).contains(b));
    if bytes.is_empty() || bytes.len() > MAX_HANDSHAKE_LEN || !printable {
        return Some(Err(BadHandshake));
    }
    Some(Ok(code.clone()))
}
