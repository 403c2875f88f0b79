//! Sign-in, token refresh with reuse detection, sign-out, request authentication, and the
//! audit trail of these events.

use std::fmt;
use std::sync::Arc;

use chrono::TimeDelta;
use prometheus::IntCounterVec;

use super::session_cache::SessionCache;
use super::token::{TokenKeys, hash_refresh_token, random_token};
use super::{AuthError, password};
use crate::clock::Clock;
use crate::domain::{
    AuditEvent, AuditKind, Email, Role, Session, SessionState, User, ValidationError,
    check_password_policy, new_id,
};
use crate::store::{Store, StoreError};

/// Session and lockout rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthPolicy {
    /// Lifetime of a refresh token (each rotation starts a new one).
    pub refresh_ttl: TimeDelta,
    /// Failed sign-ins within `lockout_window` that lock an account out; 0 disables lockout.
    pub lockout_failures: u32,
    /// The lockout window.
    pub lockout_window: TimeDelta,
}

impl Default for AuthPolicy {
    fn default() -> Self {
        Self {
            refresh_ttl: TimeDelta::days(7),
            lockout_failures: 5,
            lockout_window: TimeDelta::minutes(15),
        }
    }
}

/// Tokens handed to a client. `Debug` hides them.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenPair {
    /// Bearer access token (JWT).
    pub access_token: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// Opaque refresh token (usable once).
    pub refresh_token: String,
    /// Seconds until the refresh token expires.
    pub refresh_expires_in: i64,
}

impl fmt::Debug for TokenPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenPair")
            .field("expires_in", &self.expires_in)
            .field("refresh_expires_in", &self.refresh_expires_in)
            .finish_non_exhaustive()
    }
}

/// The caller of an authenticated request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// User id.
    pub user_id: String,
    /// Session (generation) id of the access token.
    pub session_id: String,
    /// Family of that session.
    pub family_id: String,
    /// Role carried by the access token.
    pub role: Role,
    /// The account as of the session check (possibly from the session cache, so at most the
    /// cache TTL old when changed by another replica); its password hash is left empty.
    pub user: Arc<User>,
}

/// The authentication service.
#[derive(Clone)]
pub struct Auth {
    pub(super) store: Arc<dyn Store>,
    pub(super) keys: TokenKeys,
    pub(super) clock: Arc<dyn Clock>,
    policy: AuthPolicy,
    failures: IntCounterVec,
    pub(super) sessions: SessionCache,
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Auth")
            .field("keys", &self.keys)
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl Auth {
    /// A service over `store`; `failures` is `ogf_auth_failures_total{reason}`; `sessions`
    /// caches session checks (see [`SessionCache`]).
    pub fn new(
        store: Arc<dyn Store>,
        keys: TokenKeys,
        clock: Arc<dyn Clock>,
        policy: AuthPolicy,
        failures: IntCounterVec,
        sessions: SessionCache,
    ) -> Self {
        Self {
            store,
            keys,
            clock,
            policy,
            failures,
            sessions,
        }
    }

    /// The session cache.
    pub fn session_cache(&self) -> &SessionCache {
        &self.sessions
    }

    /// The token keys (also used by the rate limiter to tell users from anonymous clients).
    pub fn keys(&self) -> &TokenKeys {
        &self.keys
    }

    /// The clock.
    pub fn clock(&self) -> &dyn Clock {
        self.clock.as_ref()
    }

    /// Counts an authentication failure under `reason` (a fixed, low-cardinality word).
    pub fn count_failure(&self, reason: &str) {
        self.failures.with_label_values(&[reason]).inc();
    }

    /// Appends an audit event; a store failure is logged, not returned (the operation it
    /// describes has happened).
    pub async fn audit(
        &self,
        kind: AuditKind,
        user_id: Option<&str>,
        actor_id: Option<&str>,
        ip: Option<&str>,
        detail: &str,
    ) {
        let event = AuditEvent {
            id: new_id(),
            at: self.clock.now(),
            kind,
            user_id: user_id.map(str::to_owned),
            actor_id: actor_id.map(str::to_owned),
            ip: ip.map(str::to_owned),
            detail: detail.to_owned(),
        };
        if let Err(e) = self.store.record_audit(&event).await {
            tracing::error!(error = %e, kind = %kind, "writing audit event failed");
        }
    }

    /// Creates a buyer or seller account (never an admin).
    pub async fn register(
        &self,
        email: &str,
        password: String,
        role: Role,
        ip: Option<&str>,
    ) -> Result<User, AuthError> {
        if role == Role::Admin {
            return Err(ValidationError::new("role", "must be buyer or seller").into());
        }
        let email = Email::parse(email)?;
        check_password_policy(&password)?;
        let user = User {
            id: new_id(),
            email,
            password_hash: password::hash(password).await?,
            role,
            locked: false,
            created_at: self.clock.now(),
        };
        match self.store.create_user(&user).await {
            Ok(()) => {}
            Err(StoreError::Conflict(_)) => return Err(AuthError::EmailTaken),
            Err(e) => return Err(e.into()),
        }
        self.audit(
            AuditKind::UserRegistered,
            Some(&user.id),
            None,
            ip,
            role.as_str(),
        )
        .await;
        Ok(user)
    }

    /// Signs in. Unknown e-mail, wrong password, locked account and lockout all give
    /// [`AuthError::InvalidCredentials`] after the same hashing work.
    pub async fn login(
        &self,
        email: &str,
        password: String,
        ip: Option<&str>,
    ) -> Result<TokenPair, AuthError> {
        let user = match Email::parse(email) {
            Ok(email) => self.store.user_by_email(&email).await?,
            Err(_) => None,
        };
        let Some(user) = user else {
            password::verify(password, password::decoy_hash().await?).await?;
            return Err(self.login_failed(None, ip, "unknown_email").await);
        };
        let now = self.clock.now();
        let failures = self
            .store
            .login_failures_since(&user.id, now - self.policy.lockout_window)
            .await?;
        let matches = password::verify(password, user.password_hash.clone()).await?;
        if user.locked {
            return Err(self
                .login_failed(Some(&user.id), ip, "account_locked")
                .await);
        }
        let limit = u64::from(self.policy.lockout_failures);
        if limit > 0 && failures >= limit {
            return Err(self.login_failed(Some(&user.id), ip, "locked_out").await);
        }
        if !matches {
            self.store.record_login_failure(&user.id, now).await?;
            if limit > 0 && failures + 1 >= limit {
                self.audit(
                    AuditKind::AccountLockedOut,
                    Some(&user.id),
                    None,
                    ip,
                    &format!("{limit} failed sign-ins"),
                )
                .await;
            }
            return Err(self
                .login_failed(Some(&user.id), ip, "wrong_password")
                .await);
        }
        if failures > 0 {
            self.store.clear_login_failures(&user.id).await?;
        }
        let family = new_id();
        let (session, refresh_token) = self.new_session(&user.id, &family);
        self.store.create_session(&session).await?;
        self.audit(AuditKind::LoginSucceeded, Some(&user.id), None, ip, "")
            .await;
        self.pair(&user, &session, refresh_token)
    }

    async fn login_failed(
        &self,
        user_id: Option<&str>,
        ip: Option<&str>,
        reason: &str,
    ) -> AuthError {
        self.count_failure(reason);
        self.audit(AuditKind::LoginFailed, user_id, None, ip, reason)
            .await;
        AuthError::InvalidCredentials
    }

    /// Exchanges a refresh token for a new pair. Presenting an already rotated token revokes
    /// its whole family.
    pub async fn refresh(
        &self,
        refresh_token: &str,
        ip: Option<&str>,
    ) -> Result<TokenPair, AuthError> {
        let hash = hash_refresh_token(refresh_token);
        let Some(session) = self.store.session_by_refresh_hash(&hash).await? else {
            self.count_failure("invalid_refresh_token");
            return Err(AuthError::InvalidRefreshToken);
        };
        match session.state {
            SessionState::Active => {}
            SessionState::Rotated => return Err(self.reused(&session, ip).await?),
            SessionState::Revoked => {
                self.count_failure("invalid_refresh_token");
                return Err(AuthError::InvalidRefreshToken);
            }
        }
        let now = self.clock.now();
        let user = self.store.user(&session.user_id).await?;
        let Some(user) = user.filter(|u| !u.locked && now < session.expires_at) else {
            self.store.revoke_family(&session.family_id).await?;
            self.sessions.invalidate_family(&session.family_id);
            self.count_failure("invalid_refresh_token");
            return Err(AuthError::InvalidRefreshToken);
        };
        let (next, refresh_token) = self.new_session(&user.id, &session.family_id);
        if !self.store.rotate_session(&session.id, &next).await? {
            // Another request rotated it first: the same token was used twice.
            return Err(self.reused(&session, ip).await?);
        }
        self.sessions.invalidate_session(&session.id);
        self.pair(&user, &next, refresh_token)
    }

    async fn reused(&self, session: &Session, ip: Option<&str>) -> Result<AuthError, AuthError> {
        let revoked = self.store.revoke_family(&session.family_id).await?;
        self.sessions.invalidate_family(&session.family_id);
        self.count_failure("refresh_token_reused");
        tracing::warn!(user_id = %session.user_id, revoked, "refresh token reuse: session family revoked");
        self.audit(
            AuditKind::RefreshTokenReused,
            Some(&session.user_id),
            None,
            ip,
            &format!("family {} revoked", session.family_id),
        )
        .await;
        Ok(AuthError::RefreshTokenReused)
    }

    /// Ends the caller's session family at once.
    pub async fn logout(&self, principal: &Principal, ip: Option<&str>) -> Result<(), AuthError> {
        self.store.revoke_family(&principal.family_id).await?;
        self.sessions.invalidate_family(&principal.family_id);
        self.audit(AuditKind::Logout, Some(&principal.user_id), None, ip, "")
            .await;
        Ok(())
    }

    fn new_session(&self, user_id: &str, family_id: &str) -> (Session, String) {
        let now = self.clock.now();
        let token = random_token();
        let session = Session {
            id: new_id(),
            user_id: user_id.to_owned(),
            family_id: family_id.to_owned(),
            refresh_hash: hash_refresh_token(&token),
            created_at: now,
            expires_at: now + self.policy.refresh_ttl,
            state: SessionState::Active,
        };
        (session, token)
    }

    fn pair(
        &self,
        user: &User,
        session: &Session,
        refresh_token: String,
    ) -> Result<TokenPair, AuthError> {
        let now = self.clock.now();
        Ok(TokenPair {
            access_token: self.keys.issue(&user.id, &session.id, user.role, now)?,
            expires_in: self.keys.access_ttl().num_seconds(),
            refresh_token,
            refresh_expires_in: (session.expires_at - now).num_seconds(),
        })
    }
}
