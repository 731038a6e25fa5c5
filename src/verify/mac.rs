//! HMAC keys prepared once, and the one comparison every MAC scheme uses.

use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::Sha256;

/// A pre-keyed HMAC state: cloning it skips hashing the key per request.
#[derive(Clone)]
pub(crate) struct MacKey<M>(M);

pub(crate) type Sha1Key = MacKey<Hmac<Sha1>>;
pub(crate) type Sha256Key = MacKey<Hmac<Sha256>>;

impl<M: Mac + hmac::digest::KeyInit + Clone> MacKey<M> {
    pub(crate) fn new(secret: &[u8]) -> Self {
        // HMAC accepts keys of any length, so this cannot fail.
        Self(
            <M as hmac::digest::KeyInit>::new_from_slice(secret)
                .expect("HMAC takes any key length"),
        )
    }
}

impl<M: Mac + Clone> MacKey<M> {
    /// True when the MAC of `message` (the concatenation of its parts) under
    /// any key equals any of the decoded `tags`, each compared in constant time.
    pub(crate) fn any_matches(keys: &[Self], message: &[&[u8]], tags: &[&[u8]]) -> bool {
        keys.iter().any(|key| {
            let mut mac = key.0.clone();
            for part in message {
                mac.update(part);
            }
            tags.iter().any(|tag| mac.clone().verify_slice(tag).is_ok())
        })
    }

    /// The raw tag, for signing (tests, the `sign` tool, benchmarks).
    pub(crate) fn tag(&self, message: &[&[u8]]) -> Vec<u8> {
        let mut mac = self.0.clone();
        for part in message {
            mac.update(part);
        }
        mac.finalize().into_bytes().to_vec()
    }
}
