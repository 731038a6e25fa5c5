//! Secret material, kept out of `Debug` output so it can never reach a log line.

use std::fmt;

/// One configured secret, verbatim as the operator gave it.
///
/// `Debug` is redacted: configuration structs holding it can be logged safely.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Vec<u8>);

impl Secret {
    /// Wraps raw secret bytes.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        Self(bytes.into())
    }

    /// The secret's bytes, for building keys; never log them.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// The secrets a request may be signed with: the current one first, then any
/// still accepted during a rotation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Secrets(Vec<Secret>);

impl Secrets {
    /// Builds the list; empty secrets are dropped so a blank optional variable
    /// never becomes a key that anyone can sign with.
    pub fn new(secrets: impl IntoIterator<Item = Secret>) -> Self {
        Self(secrets.into_iter().filter(|s| !s.0.is_empty()).collect())
    }

    /// A single secret, the common case.
    pub fn one(secret: impl Into<Vec<u8>>) -> Self {
        Self::new([Secret::new(secret)])
    }

    /// Iterates in configured order.
    pub fn iter(&self) -> impl Iterator<Item = &Secret> {
        self.0.iter()
    }

    /// True when no usable secret was configured.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted() {
        let s = Secrets::one("hunter2-very-secret");
        let shown = format!("{s:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("redacted"));
    }

    #[test]
    fn empty_secrets_are_dropped() {
        let s = Secrets::new([Secret::new(""), Secret::new("x")]);
        assert_eq!(s.iter().count(), 1);
        assert!(Secrets::new([Secret::new("")]).is_empty());
    }
}
