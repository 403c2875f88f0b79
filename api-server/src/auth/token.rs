//! Access tokens (JWT, HS256 pinned, `iss`/`aud`/`exp` checked) and opaque refresh tokens
//! (random, stored only as SHA-256).

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, TimeDelta, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::AuthError;
use super::secret::JwtSecret;
use crate::domain::Role;

/// `iss` of every access token.
pub const ISSUER: &str = "ogf-api";
/// `aud` of every access token.
pub const AUDIENCE: &str = "ogf-api";

/// Claims of an access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Issuer.
    pub iss: String,
    /// Audience.
    pub aud: String,
    /// User id.
    pub sub: String,
    /// Session id (checked against the store on every request).
    pub sid: String,
    /// Role when issued.
    pub role: Role,
    /// Issued at, Unix seconds.
    pub iat: i64,
    /// Expiry, Unix seconds.
    pub exp: i64,
}

/// Signs and verifies access tokens.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    access_ttl: TimeDelta,
}

impl fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenKeys")
            .field("algorithm", &"HS256")
            .field("access_ttl", &self.access_ttl)
            .finish_non_exhaustive()
    }
}

impl TokenKeys {
    /// Keys for `secret`; access tokens live `access_ttl`.
    pub fn new(secret: &JwtSecret, access_ttl: TimeDelta) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.algorithms = vec![Algorithm::HS256];
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = 0;
        Self {
            encoding: EncodingKey::from_secret(secret.bytes()),
            decoding: DecodingKey::from_secret(secret.bytes()),
            validation,
            access_ttl,
        }
    }

    /// Lifetime of access tokens.
    pub fn access_ttl(&self) -> TimeDelta {
        self.access_ttl
    }

    /// A signed access token for `user_id` in session `session_id`, issued at `now`.
    pub fn issue(
        &self,
        user_id: &str,
        session_id: &str,
        role: Role,
        now: DateTime<Utc>,
    ) -> Result<String, AuthError> {
        let claims = Claims {
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
            sub: user_id.to_owned(),
            sid: session_id.to_owned(),
            role,
            iat: now.timestamp(),
            exp: (now + self.access_ttl).timestamp(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| AuthError::Internal(format!("signing access token: {e}")))
    }

    /// The claims of a valid token: HS256 with our key, our `iss` and `aud`, not expired at
    /// `now` (nor by the system clock).
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<Claims, AuthError> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|_| AuthError::InvalidToken)?;
        if data.claims.exp <= now.timestamp() {
            return Err(AuthError::InvalidToken);
        }
        Ok(data.claims)
    }
}

/// 32 random bytes from the thread-local CSPRNG.
pub fn random_bytes() -> [u8; 32] {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    bytes
}

/// A fresh random token, base64url (256 bits).
pub fn random_token() -> String {
    URL_SAFE_NO_PAD.encode(random_bytes())
}

/// Hex SHA-256 of a refresh token: the only form that is stored.
pub fn hash_refresh_token(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> TokenKeys {
        TokenKeys::new(&JwtSecret::generate(), TimeDelta::minutes(15))
    }

    #[test]
    fn round_trip_and_expiry_by_the_given_clock() {
        let k = keys();
        let now = Utc::now();
        let t = k.issue("u1", "s1", Role::Seller, now).unwrap();
        let c = k.verify(&t, now).unwrap();
        assert_eq!(
            (c.sub.as_str(), c.sid.as_str(), c.role),
            ("u1", "s1", Role::Seller)
        );
        assert_eq!(c.exp - c.iat, 15 * 60);
        assert!(k.verify(&t, now + TimeDelta::minutes(15)).is_err());
    }

    #[test]
    fn rejects_other_keys_algorithms_issuers_and_audiences() {
        let k = keys();
        let now = Utc::now();
        let other = keys().issue("u1", "s1", Role::Admin, now).unwrap();
        assert!(k.verify(&other, now).is_err(), "other key");
        let claims = |iss: &str, aud: &str| Claims {
            iss: iss.into(),
            aud: aud.into(),
            sub: "u".into(),
            sid: "s".into(),
            role: Role::Admin,
            iat: now.timestamp(),
            exp: now.timestamp() + 60,
        };
        let sign = |alg: Algorithm, c: &Claims| {
            jsonwebtoken::encode(&Header::new(alg), c, &k.encoding).unwrap()
        };
        assert!(
            k.verify(&sign(Algorithm::HS256, &claims(ISSUER, AUDIENCE)), now)
                .is_ok()
        );
        assert!(
            k.verify(&sign(Algorithm::HS512, &claims(ISSUER, AUDIENCE)), now)
                .is_err()
        );
        assert!(
            k.verify(&sign(Algorithm::HS256, &claims("evil", AUDIENCE)), now)
                .is_err()
        );
        assert!(
            k.verify(&sign(Algorithm::HS256, &claims(ISSUER, "other")), now)
                .is_err()
        );
        let unsigned = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#),
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims(ISSUER, AUDIENCE)).unwrap())
        );
        assert!(k.verify(&unsigned, now).is_err(), "alg none");
        assert!(k.verify("garbage", now).is_err());
    }

    #[test]
    fn refresh_tokens_are_random_and_hashed() {
        let a = random_token();
        assert_eq!(a.len(), 43);
        assert_ne!(a, random_token());
        let h = hash_refresh_token(&a);
        assert_eq!(h.len(), 64);
        assert_eq!(h, hash_refresh_token(&a));
        assert!(!h.contains(&a));
    }
}
