//! Secret material, kept out of `Debug` output so it can never reach a log line.

use std::fmt;

use crate::secret_store::StoreRef;

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

/// Where a configured secret comes from: written as `env:NAME`,
/// `secretsmanager:<name or ARN>[#json-key]` or `ssm:<parameter>`; any other
/// text is the secret itself (single-source variables only: the sources
/// document holds references, never values).
#[derive(Clone, PartialEq, Eq)]
pub enum SecretRef {
    /// The secret itself.
    Value(Secret),
    /// Another environment variable of the function, read at init.
    Env(String),
    /// A secret store reference, fetched in the background after init.
    Store(StoreRef),
}

impl SecretRef {
    /// Reads the reference syntax; a malformed store reference is an error
    /// whose reason never repeats the text.
    pub fn parse(text: &[u8]) -> Result<Self, String> {
        if let Some(name) = text.strip_prefix(b"env:") {
            return Ok(SecretRef::Env(String::from_utf8_lossy(name).into_owned()));
        }
        if let Ok(text) = std::str::from_utf8(text)
            && let Some(reference) = StoreRef::parse(text)
        {
            return reference.map(SecretRef::Store);
        }
        Ok(SecretRef::Value(Secret::new(text)))
    }

    /// Whether a literal reads like a reference that did not parse as one:
    /// an ARN, or a prefix like `secretsmanager:`, `ssm:` or `env:` spelt
    /// another way (`secretmanager:`, `SSM:`). Its text would be the key.
    pub fn looks_like_a_reference(text: &[u8]) -> bool {
        let Ok(text) = std::str::from_utf8(text) else {
            return false;
        };
        let Some((prefix, _)) = text.split_once(':') else {
            return false;
        };
        let prefix: String = prefix
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_lowercase())
            .collect();
        prefix == "arn"
            || prefix == "env"
            || prefix.starts_with("secret")
            || prefix.contains("ssm")
            || prefix.starts_with("param")
    }

    /// True for `env:`, `secretsmanager:` and `ssm:` references.
    pub fn is_reference(&self) -> bool {
        !matches!(self, SecretRef::Value(_))
    }
}

impl fmt::Debug for SecretRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretRef::Value(_) => f.write_str("Value(<redacted>)"),
            SecretRef::Env(name) => write!(f, "Env({name})"),
            SecretRef::Store(reference) => write!(f, "Store({reference})"),
        }
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
    fn literals_that_read_like_references() {
        for typo in [
            &b"secretmanager:hookline/x"[..],
            b"arn:aws:secretsmanager:us-east-1:123456789012:secret:t-AbCdEf",
            b"SSM:/hookline/x",
            b"Env:SECRET",
            b"parameter:/x",
        ] {
            assert!(SecretRef::looks_like_a_reference(typo), "{typo:?}");
        }
        for literal in [
            &b"user:password"[..],
            b"whsec_abc",
            b"1centre-signing-secret",
            b"\xff:",
        ] {
            assert!(!SecretRef::looks_like_a_reference(literal), "{literal:?}");
        }
    }

    #[test]
    fn references_and_values() {
        assert_eq!(
            SecretRef::parse(b"env:A_B"),
            Ok(SecretRef::Env("A_B".into()))
        );
        assert!(matches!(
            SecretRef::parse(b"ssm:/x/y"),
            Ok(SecretRef::Store(_))
        ));
        assert!(matches!(
            SecretRef::parse(b"secretsmanager:prod/a#key"),
            Ok(SecretRef::Store(_))
        ));
        let error = SecretRef::parse(b"secretsmanager:hunter2 x").unwrap_err();
        assert!(!error.contains("hunter2"), "{error}");
        let value = SecretRef::parse(b"hunter2:env:x").unwrap();
        assert!(!value.is_reference());
        assert!(!format!("{value:?}").contains("hunter2"));
    }

    #[test]
    fn empty_secrets_are_dropped() {
        let s = Secrets::new([Secret::new(""), Secret::new("x")]);
        assert_eq!(s.iter().count(), 1);
        assert!(Secrets::new([Secret::new("")]).is_empty());
    }
}
