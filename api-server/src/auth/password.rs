//! Password hashing: argon2id with the OWASP parameters (m = 19456 KiB, t = 2, p = 1), always
//! on tokio's blocking pool (one hash takes tens of milliseconds of CPU).

use std::sync::OnceLock;

use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};

use super::AuthError;

/// Memory cost, KiB (OWASP Password Storage Cheat Sheet).
pub const M_COST_KIB: u32 = 19_456;
/// Iterations.
pub const T_COST: u32 = 2;
/// Parallelism.
pub const P_COST: u32 = 1;

fn argon2() -> Result<Argon2<'static>, AuthError> {
    let params = Params::new(M_COST_KIB, T_COST, P_COST, None)
        .map_err(|e| AuthError::Hashing(format!("argon2 parameters: {e}")))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes `password` with a random salt into a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$...`).
pub async fn hash(password: String) -> Result<String, AuthError> {
    tokio::task::spawn_blocking(move || hash_blocking(&password))
        .await
        .map_err(|e| AuthError::Hashing(format!("hashing task failed: {e}")))?
}

fn hash_blocking(password: &str) -> Result<String, AuthError> {
    argon2()?
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| AuthError::Hashing(format!("hashing: {e}")))
}

/// Whether `password` matches the PHC string `hash` (parameters are read from the hash).
/// A malformed hash counts as a mismatch and is logged.
pub async fn verify(password: String, hash: String) -> Result<bool, AuthError> {
    tokio::task::spawn_blocking(move || {
        match argon2()?.verify_password(password.as_bytes(), hash.as_str()) {
            Ok(()) => Ok(true),
            Err(argon2::password_hash::Error::PasswordInvalid) => Ok(false),
            Err(e) => {
                tracing::error!(error = %e, "stored password hash cannot be verified");
                Ok(false)
            }
        }
    })
    .await
    .map_err(|e| AuthError::Hashing(format!("verification task failed: {e}")))?
}

/// A valid hash of a random password, computed once: verifying against it when the e-mail is
/// unknown makes that answer take as long as a wrong password (no user enumeration by timing).
pub async fn decoy_hash() -> Result<String, AuthError> {
    static DECOY: OnceLock<String> = OnceLock::new();
    if let Some(h) = DECOY.get() {
        return Ok(h.clone());
    }
    let h = hash(super::token::random_token()).await?;
    Ok(DECOY.get_or_init(|| h).clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_with_owasp_argon2id_and_verifies() {
        let h = hash("correct horse battery".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(!h.contains("correct horse"));
        assert!(
            verify("correct horse battery".into(), h.clone())
                .await
                .unwrap()
        );
        assert!(
            !verify("correct horse batterY".into(), h.clone())
                .await
                .unwrap()
        );
        let again = hash("correct horse battery".into()).await.unwrap();
        assert_ne!(h, again, "random salt");
        assert!(!verify("x".into(), "not a hash".into()).await.unwrap());
    }
}
