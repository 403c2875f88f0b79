//! Accounts and sessions: roles, e-mail addresses, the password policy.

use std::fmt;

use chrono::{DateTime, Utc};

use super::values::ValidationError;

wire_enum!(
    /// What an account may do.
    Role, "role" {
        /// Manages users and reads the audit log.
        Admin => "admin",
        /// Lists assets for sale.
        Seller => "seller",
        /// Browses and buys.
        Buyer => "buyer",
    }
);

wire_enum!(
    /// Where a session (one refresh-token generation) is in its life.
    SessionState, "session state" {
        /// Usable: its access tokens are accepted and its refresh token can be rotated once.
        Active => "active",
        /// Its refresh token was exchanged for the next generation; presenting it again is reuse.
        Rotated => "rotated",
        /// Ended by logout, an admin or reuse detection.
        Revoked => "revoked",
    }
);

/// Shortest accepted password, in characters.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Longest accepted password, in bytes (bounds hashing work).
pub const MAX_PASSWORD_BYTES: usize = 1024;
/// Longest accepted e-mail address, in bytes.
const MAX_EMAIL_LEN: usize = 254;

/// An e-mail address, normalised: trimmed and lower-cased, so that equality is
/// case-insensitive everywhere (both stores index this form).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    /// Validates and normalises `raw`.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let email = raw.trim().to_lowercase();
        let invalid =
            || ValidationError::new("email", "must be an e-mail address like name@example.com");
        if email.is_empty() || email.len() > MAX_EMAIL_LEN {
            return Err(invalid());
        }
        if email.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid());
        }
        let (local, domain) = email.rsplit_once('@').ok_or_else(invalid)?;
        let domain_ok = !domain.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && !domain.contains('@');
        if local.is_empty() || local.len() > 64 || !domain_ok {
            return Err(invalid());
        }
        Ok(Self(email))
    }

    /// The normalised address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Checks the password policy: at least [`MIN_PASSWORD_CHARS`] characters, at most
/// [`MAX_PASSWORD_BYTES`] bytes. The message never quotes the password.
pub fn check_password_policy(password: &str) -> Result<(), ValidationError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(ValidationError::new(
            "password",
            format!("must be at least {MIN_PASSWORD_CHARS} characters long"),
        ));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(ValidationError::new(
            "password",
            format!("must be at most {MAX_PASSWORD_BYTES} bytes long"),
        ));
    }
    Ok(())
}

/// A fresh, time-ordered id for users, sessions and audit events (UUID v7).
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// An account. `Debug` leaves the password hash out.
#[derive(Clone, PartialEq, Eq)]
pub struct User {
    /// Stable id.
    pub id: String,
    /// Unique, case-insensitive.
    pub email: Email,
    /// PHC string of the argon2id hash.
    pub password_hash: String,
    /// What the account may do.
    pub role: Role,
    /// Locked by an admin: cannot sign in.
    pub locked: bool,
    /// Creation time (millisecond precision in both stores).
    pub created_at: DateTime<Utc>,
}

impl fmt::Debug for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("email", &self.email)
            .field("role", &self.role)
            .field("locked", &self.locked)
            .field("created_at", &self.created_at)
            .finish_non_exhaustive()
    }
}

/// One generation of a login session: the refresh token issued at login or by a rotation.
/// Generations of one login share a `family_id`. Access tokens name their session (`sid`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// Stable id (the access token's `sid`).
    pub id: String,
    /// The account.
    pub user_id: String,
    /// The login this generation descends from.
    pub family_id: String,
    /// Hex SHA-256 of the refresh token (the token itself is never stored).
    pub refresh_hash: String,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// After this the refresh token is refused and access tokens naming it too.
    pub expires_at: DateTime<Utc>,
    /// Active, rotated or revoked.
    pub state: SessionState,
}

impl Session {
    /// Whether access tokens naming this session are accepted at `now`.
    pub fn is_usable(&self, now: DateTime<Utc>) -> bool {
        self.state == SessionState::Active && now < self.expires_at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_is_normalised_and_validated() {
        let e = Email::parse("  Admin@OGF.Local ").unwrap();
        assert_eq!(e.as_str(), "admin@ogf.local");
        for bad in [
            "",
            "a",
            "a@b",
            "@b.c",
            "a@.b",
            "a@b.",
            "a b@c.d",
            "a@b..c",
            &"x".repeat(250),
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn password_policy() {
        assert!(check_password_policy("short").is_err());
        assert!(check_password_policy("elevenchars").is_err());
        assert!(check_password_policy("twelve chars").is_ok());
        assert!(
            check_password_policy("ééééééééééé").is_err(),
            "11 characters"
        );
        assert!(check_password_policy(&"x".repeat(MAX_PASSWORD_BYTES + 1)).is_err());
        let msg = check_password_policy("secretsecret".get(..5).unwrap())
            .unwrap_err()
            .to_string();
        assert!(!msg.contains("secre"), "{msg}");
    }

    #[test]
    fn roles_and_states_round_trip() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>(), Ok(*r));
            let json = serde_json::to_string(r).unwrap();
            assert_eq!(serde_json::from_str::<Role>(&json).unwrap(), *r);
        }
        assert!(serde_json::from_str::<Role>("\"root\"").is_err());
        for s in SessionState::ALL {
            assert_eq!(s.as_str().parse::<SessionState>(), Ok(*s));
        }
    }

    #[test]
    fn debug_hides_the_hash() {
        let u = User {
            id: "u".into(),
            email: Email::parse("a@b.co").unwrap(),
            password_hash: "$argon2id$secret-hash".into(),
            role: Role::Buyer,
            locked: false,
            created_at: Utc::now(),
        };
        assert!(!format!("{u:?}").contains("argon2id"));
    }
}
