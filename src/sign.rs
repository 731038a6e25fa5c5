//! The provider side: the headers each provider would send for a body.
//!
//! Used to try the receiver without the provider (the `sign` tool), to
//! regenerate `events/`, and by the tests' sign-then-verify properties.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::js_json;
use crate::verify::mac::{Sha1Key, Sha256Key};
use crate::verify::{KeyError, Scheme, standard_webhooks};

/// What a provider attaches to one delivery besides the body.
#[derive(Debug, Clone, Default)]
pub struct Delivery<'a> {
    /// `webhook-id` (Standard Webhooks) or `X-ActiGraph-Delivery` (ActiGraph family).
    pub id: Option<&'a str>,
    /// Unix seconds, for Standard Webhooks.
    pub timestamp: i64,
}

/// The headers `scheme`'s provider sends for `body` signed with `secret`.
///
/// Standard Webhooks needs `delivery.id`; without one, `msg_hookline` is used.
pub fn sign(
    scheme: Scheme,
    secret: &[u8],
    body: &[u8],
    delivery: &Delivery<'_>,
) -> Result<Vec<(&'static str, String)>, KeyError> {
    if secret.is_empty() {
        return Err(KeyError::NoSecret);
    }
    let mut headers = Vec::new();
    match scheme {
        Scheme::OneCentre => {
            headers.push((
                "x-hook-signature",
                hex::encode(Sha1Key::new(secret).tag(&[body])),
            ));
        }
        Scheme::ActiGraph => {
            headers.push((
                "x-actigraph-signature",
                STANDARD.encode(Sha256Key::new(secret).tag(&[body])),
            ));
        }
        Scheme::Basic => {
            if !secret.contains(&b':') {
                return Err(KeyError::BasicFormat);
            }
            headers.push((
                "authorization",
                format!("Basic {}", STANDARD.encode(secret)),
            ));
        }
        Scheme::Bearer => {
            let token = std::str::from_utf8(secret).map_err(|_| KeyError::BasicFormat)?;
            headers.push(("authorization", format!("Bearer {token}")));
        }
        Scheme::Bracken => {
            // What Bracken's Node sample computes: the MAC of the re-serialised body.
            let node_text = js_json::restringify(body).unwrap_or_else(|| body.to_vec());
            let tag = STANDARD.encode(Sha256Key::new(secret).tag(&[&node_text]));
            headers.push(("authorization", format!("HMACSHA256 {tag}")));
        }
        Scheme::StandardWebhooks => {
            let id = delivery.id.unwrap_or("msg_hookline");
            let timestamp = delivery.timestamp.to_string();
            let message = [id.as_bytes(), b".", timestamp.as_bytes(), b".", body];
            // A `whsk_` signing key signs v1a (Ed25519); any other secret v1.
            let signature = match standard_webhooks::signing_key(secret) {
                Some(key) => {
                    use ed25519_dalek::Signer;
                    let signature = key.sign(&message.concat());
                    format!("v1a,{}", STANDARD.encode(signature.to_bytes()))
                }
                None => {
                    let tag = standard_webhooks::hmac_key(secret)?.tag(&message);
                    format!("v1,{}", STANDARD.encode(tag))
                }
            };
            headers.push(("webhook-id", id.to_owned()));
            headers.push(("webhook-timestamp", timestamp));
            headers.push(("webhook-signature", signature));
        }
    }
    if scheme.is_actigraph_family()
        && let Some(id) = delivery.id
    {
        headers.push(("x-actigraph-delivery", id.to_owned()));
    }
    Ok(headers)
}
