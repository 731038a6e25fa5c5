//! Bracken: `Authorization: HMACSHA256 <base64>` where the MAC is taken over
//! Node's `JSON.stringify(JSON.parse(body))`, not over the bytes sent.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::HeaderMap;

use super::mac::{MacKey, Sha256Key};
use super::{Rejection, header};
use crate::js_json;

const AUTHORIZATION: &str = "authorization";
/// Bracken's sample compares the whole header with `==`: the word is case-sensitive.
pub(crate) const PREFIX: &str = "HMACSHA256 ";

pub(crate) fn verify(
    headers: &HeaderMap,
    body: &[u8],
    keys: &[Sha256Key],
) -> Result<(), Rejection> {
    let value = header::single(headers, AUTHORIZATION)?;
    let encoded = value
        .strip_prefix(PREFIX)
        .ok_or(Rejection::MalformedHeader(AUTHORIZATION))?;
    let tag = STANDARD
        .decode(encoded)
        .map_err(|_| Rejection::MalformedHeader(AUTHORIZATION))?;
    // Compact bodies are already what Node would write: one MAC, no parse.
    if MacKey::any_matches(keys, &[body], &[&tag]) {
        return Ok(());
    }
    match js_json::restringify(body) {
        Some(node_text)
            if node_text != body && MacKey::any_matches(keys, &[&node_text], &[&tag]) =>
        {
            Ok(())
        }
        _ => Err(Rejection::SignatureMismatch),
    }
}
