//! The provider side: the headers each provider would send for a body. Each
//! scheme's signing lives beside its verification (`verify/<scheme>.rs`),
//! on the same header constants, so the two cannot drift apart.
//!
//! Used to try the receiver without the provider (the `sign` tool), to
//! regenerate `events/`, and by the tests' sign-then-verify properties.

use crate::verify::{
    KeyError, Scheme, actigraph, bracken, credentials, onecentre, standard_webhooks,
};

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
        Scheme::OneCentre => headers.push(onecentre::sign(secret, body)),
        Scheme::ActiGraph => headers.push(actigraph::sign(secret, body)),
        Scheme::Basic => headers.push(credentials::sign_basic(secret)?),
        Scheme::Bearer => headers.push(credentials::sign_bearer(secret)?),
        Scheme::Bracken => headers.push(bracken::sign(secret, body)),
        // A token comes from the identity provider: nothing to sign here.
        Scheme::OAuth2 => return Err(KeyError::NotSecretBased),
        Scheme::StandardWebhooks => {
            let id = delivery.id.unwrap_or("msg_hookline");
            headers.extend(standard_webhooks::sign(
                secret,
                id,
                delivery.timestamp,
                body,
            )?);
        }
    }
    if scheme.is_actigraph_family()
        && let Some(id) = delivery.id
    {
        headers.push((actigraph::DELIVERY_HEADER, id.to_owned()));
    }
    Ok(headers)
}
