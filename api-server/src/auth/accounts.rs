//! Request authentication (with the session cache) and the account changes that must
//! invalidate it: every write that ends sessions or changes an account goes through here, so
//! that the cache never outlives a revocation in this process.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::session_cache::{CachedSession, CachedToken};
use super::{Auth, AuthError, Principal};
use crate::domain::User;
use crate::store::StoreError;

impl Auth {
    /// Checks an access token and that its session is still active and its account unlocked
    /// (so that sign-out and revocation take effect on the next request). Active sessions and
    /// verified tokens are cached for the session-cache TTL (a cached token is still refused
    /// once its `exp` or its session's expiry has passed); every revocation in this process
    /// invalidates them.
    pub async fn authenticate(&self, access_token: &str) -> Result<Principal, AuthError> {
        let now = self.clock.now();
        if let Some(cached) = self.sessions.get_token(access_token) {
            return self.cached_principal(access_token, &cached, now);
        }
        // Read before the session lookup, so that a revocation racing with this check keeps
        // the token out of the cache.
        let generation = self.sessions.generation();
        let claims = self.keys.verify(access_token, now).inspect_err(|_| {
            self.count_failure("invalid_token");
        })?;
        let cached = match self.sessions.get(&claims.sid) {
            Some(cached) => Some(cached),
            None => self.load_session(&claims.sid, now).await?,
        };
        match cached {
            Some(c) if now < c.expires_at && c.user.id == claims.sub => {
                let principal = Principal {
                    user_id: claims.sub,
                    session_id: claims.sid,
                    family_id: c.family_id,
                    role: claims.role,
                    user: c.user,
                };
                self.sessions.fill_token(
                    generation,
                    access_token,
                    CachedToken {
                        user_id: principal.user_id.clone(),
                        session_id: principal.session_id.clone(),
                        role: principal.role,
                        expires_at: claims.exp,
                        session: CachedSession {
                            family_id: principal.family_id.clone(),
                            expires_at: c.expires_at,
                            user: Arc::clone(&principal.user),
                        },
                    },
                );
                Ok(principal)
            }
            _ => {
                self.count_failure("revoked_session");
                Err(AuthError::InvalidToken)
            }
        }
    }

    /// The caller of a token found in the token cache: its signature, `iss` and `aud` were
    /// verified when it was cached; its `exp` and its session's expiry are checked here.
    fn cached_principal(
        &self,
        access_token: &str,
        cached: &CachedToken,
        now: DateTime<Utc>,
    ) -> Result<Principal, AuthError> {
        if cached.expires_at <= now.timestamp() {
            self.sessions.forget_token(access_token);
            self.count_failure("invalid_token");
            return Err(AuthError::InvalidToken);
        }
        if now >= cached.session.expires_at {
            self.count_failure("revoked_session");
            return Err(AuthError::InvalidToken);
        }
        Ok(Principal {
            user_id: cached.user_id.clone(),
            session_id: cached.session_id.clone(),
            family_id: cached.session.family_id.clone(),
            role: cached.role,
            user: Arc::clone(&cached.session.user),
        })
    }

    /// The user id of a valid access token (signature, `iss`, `aud` and `exp`; not the
    /// session), from the token cache when the token is in it. For callers that only need to
    /// tell users apart, such as the rate limiter.
    pub fn token_subject(&self, access_token: &str) -> Option<String> {
        let now = self.clock.now();
        if let Some(cached) = self.sessions.get_token(access_token) {
            return (now.timestamp() < cached.expires_at).then(|| cached.user_id.clone());
        }
        self.keys.verify(access_token, now).ok().map(|c| c.sub)
    }

    /// Reads a session and its account from the store; caches and returns them when the
    /// session is usable and the account unlocked.
    async fn load_session(
        &self,
        session_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<CachedSession>, AuthError> {
        let generation = self.sessions.generation();
        let Some(session) = self.store.session(session_id).await? else {
            return Ok(None);
        };
        if !session.is_usable(now) {
            return Ok(None);
        }
        let Some(user) = self.store.user(&session.user_id).await? else {
            return Ok(None);
        };
        if user.locked {
            return Ok(None);
        }
        let cached = CachedSession {
            family_id: session.family_id,
            expires_at: session.expires_at,
            user: Arc::new(User {
                password_hash: String::new(),
                ..user
            }),
        };
        self.sessions.fill(generation, session_id, cached.clone());
        Ok(Some(cached))
    }

    /// Replaces the stored account (see [`crate::store::UserStore::update_user`]) and forgets
    /// its cached sessions.
    pub async fn update_account(&self, user: &User) -> Result<bool, StoreError> {
        let updated = self.store.update_user(user).await?;
        self.sessions.invalidate_user(&user.id);
        Ok(updated)
    }

    /// Deletes an account with its sessions and forgets them.
    pub async fn delete_account(&self, user_id: &str) -> Result<bool, StoreError> {
        let deleted = self.store.delete_user(user_id).await?;
        self.sessions.invalidate_user(user_id);
        Ok(deleted)
    }

    /// Revokes every active session of a user at once; returns how many.
    pub async fn revoke_user_sessions(&self, user_id: &str) -> Result<u64, StoreError> {
        let revoked = self.store.revoke_user_sessions(user_id).await?;
        self.sessions.invalidate_user(user_id);
        Ok(revoked)
    }
}
