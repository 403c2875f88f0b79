//! The JWT signing key and where it came from. Never printed: `Debug` shows only its length.

use std::fmt;

/// Shortest accepted key, in bytes (HS256 keys should be at least as long as the hash).
pub const MIN_SECRET_BYTES: usize = 32;

/// How the process runs: production refuses to start without a configured key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Environment {
    /// Local development: an ephemeral key is generated when none is configured.
    #[default]
    Development,
    /// Deployed: a missing key is a start-up error.
    Production,
}

/// Why no key could be chosen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    /// Production without a key.
    #[error(
        "OGF_JWT_SECRET (or --jwt-secret) is required when OGF_ENVIRONMENT=production; \
         set it to at least {MIN_SECRET_BYTES} random bytes"
    )]
    Missing,
    /// A key shorter than [`MIN_SECRET_BYTES`].
    #[error("the JWT secret is too short: {len} bytes, at least {MIN_SECRET_BYTES} are required")]
    TooShort {
        /// Its length in bytes.
        len: usize,
    },
}

/// The HS256 key.
#[derive(Clone, PartialEq, Eq)]
pub struct JwtSecret(Vec<u8>);

impl fmt::Debug for JwtSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "JwtSecret(<{} bytes, redacted>)", self.0.len())
    }
}

impl JwtSecret {
    /// A configured key (its UTF-8 bytes); at least [`MIN_SECRET_BYTES`] long.
    pub fn new(value: &str) -> Result<Self, SecretError> {
        if value.len() < MIN_SECRET_BYTES {
            return Err(SecretError::TooShort { len: value.len() });
        }
        Ok(Self(value.as_bytes().to_vec()))
    }

    /// A random 256-bit key that lives as long as the process.
    pub fn generate() -> Self {
        Self(super::token::random_bytes().to_vec())
    }

    /// Chooses the key: the configured one, else (development only) an ephemeral one.
    /// The boolean says whether the key was generated.
    pub fn resolve(
        configured: Option<&str>,
        environment: Environment,
    ) -> Result<(Self, bool), SecretError> {
        match (configured.filter(|v| !v.is_empty()), environment) {
            (Some(value), _) => Ok((Self::new(value)?, false)),
            (None, Environment::Development) => Ok((Self::generate(), true)),
            (None, Environment::Production) => Err(SecretError::Missing),
        }
    }

    /// The key bytes (for signing only).
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn production_requires_a_key_development_generates_one() {
        assert_eq!(
            JwtSecret::resolve(None, Environment::Production),
            Err(SecretError::Missing)
        );
        assert_eq!(
            JwtSecret::resolve(Some(""), Environment::Production),
            Err(SecretError::Missing)
        );
        let (a, generated) = JwtSecret::resolve(None, Environment::Development).unwrap();
        assert!(generated);
        let (b, _) = JwtSecret::resolve(None, Environment::Development).unwrap();
        assert_ne!(a, b, "random");
        let key = "k".repeat(MIN_SECRET_BYTES);
        let (c, generated) = JwtSecret::resolve(Some(&key), Environment::Production).unwrap();
        assert!(!generated);
        assert_eq!(c.bytes(), key.as_bytes());
        assert_eq!(
            JwtSecret::resolve(Some("short"), Environment::Development),
            Err(SecretError::TooShort { len: 5 })
        );
    }

    #[test]
    fn debug_never_shows_the_key() {
        let s = JwtSecret::new(&"secret-value-".repeat(3)).unwrap();
        let shown = format!("{s:?}");
        assert!(!shown.contains("secret-value"), "{shown}");
    }
}
