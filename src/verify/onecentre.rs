//! 1Centre: `X-Hook-Signature` is the hex HMAC-SHA1 of the raw body.

use http::HeaderMap;

use super::Rejection;
use super::header;
use super::mac::{MacKey, Sha1Key};

/// The header 1Centre signs into.
pub(crate) const HEADER: &str = "x-hook-signature";

pub(crate) fn verify(headers: &HeaderMap, body: &[u8], keys: &[Sha1Key]) -> Result<(), Rejection> {
    let value = header::single(headers, HEADER)?;
    // Ruby's `hexdigest` writes lower case; upper case is the same MAC.
    let tag = hex::decode(value).map_err(|_| Rejection::MalformedHeader(HEADER))?;
    if MacKey::any_matches(keys, &[body], &[&tag]) {
        Ok(())
    } else {
        Err(Rejection::SignatureMismatch)
    }
}

/// The provider's side: the header 1Centre sends for `body`.
pub(crate) fn sign(secret: &[u8], body: &[u8]) -> (&'static str, String) {
    (HEADER, hex::encode(Sha1Key::new(secret).tag(&[body])))
}
