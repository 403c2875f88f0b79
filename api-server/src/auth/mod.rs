//! Authentication: password hashing, access and refresh tokens, sessions, lockout, the
//! first admin account, and security events for the audit log.

mod accounts;
pub mod bootstrap;
pub mod password;
pub mod secret;
pub mod service;
pub mod session_cache;
pub mod token;

use crate::domain::ValidationError;
use crate::store::StoreError;

pub use secret::{Environment, JwtSecret, SecretError};
pub use service::{Auth, AuthPolicy, Principal, TokenPair};
pub use session_cache::SessionCache;
pub use token::{Claims, TokenKeys};

/// Why an authentication operation failed.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Wrong e-mail or password, locked account or lockout: deliberately indistinguishable.
    #[error("invalid e-mail or password")]
    InvalidCredentials,
    /// Missing, malformed, expired or revoked access token.
    #[error("invalid or expired access token")]
    InvalidToken,
    /// Unknown, expired or revoked refresh token.
    #[error("invalid refresh token")]
    InvalidRefreshToken,
    /// An already rotated refresh token was presented; its family is now revoked.
    #[error("refresh token reused")]
    RefreshTokenReused,
    /// The e-mail address is registered already.
    #[error("e-mail address already registered")]
    EmailTaken,
    /// Input breaks a rule (e-mail format, password policy, role).
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Hashing failed (bug or resource exhaustion).
    #[error("password hashing: {0}")]
    Hashing(String),
    /// Any other unexpected failure.
    #[error("{0}")]
    Internal(String),
}
