//! Persistence of accounts, sessions and failed sign-ins.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreError;
use crate::domain::{Cursor, Email, Session, User};

/// A page of users, oldest first `(created_at, id)`, and the cursor of the next page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserPage {
    /// Users of this page.
    pub items: Vec<User>,
    /// Position after the last item, when more may follow.
    pub next: Option<Cursor>,
}

/// Accounts, sessions and failed sign-ins. E-mail addresses are unique (they are stored
/// normalised, see [`Email`]).
#[async_trait]
pub trait UserStore: Send + Sync {
    /// Stores a new user; [`StoreError::Conflict`] when the id or e-mail is taken.
    async fn create_user(&self, user: &User) -> Result<(), StoreError>;

    /// The user with this id.
    async fn user(&self, id: &str) -> Result<Option<User>, StoreError>;

    /// The user with this e-mail address.
    async fn user_by_email(&self, email: &Email) -> Result<Option<User>, StoreError>;

    /// One page of users, oldest first, after `after`.
    async fn users_page(&self, after: Option<&Cursor>, limit: u32) -> Result<UserPage, StoreError>;

    /// Replaces the stored user with the same id (e-mail, hash, role, locked); `false` when
    /// there is none; [`StoreError::Conflict`] when the new e-mail is taken.
    async fn update_user(&self, user: &User) -> Result<bool, StoreError>;

    /// Deletes a user with their sessions and failed sign-ins; `false` when there is none.
    async fn delete_user(&self, id: &str) -> Result<bool, StoreError>;

    /// Whether any admin account exists.
    async fn has_admin(&self) -> Result<bool, StoreError>;

    /// Stores a new session; [`StoreError::Conflict`] when the id or refresh hash exists.
    async fn create_session(&self, session: &Session) -> Result<(), StoreError>;

    /// The session with this id.
    async fn session(&self, id: &str) -> Result<Option<Session>, StoreError>;

    /// The session whose refresh token hashes to `refresh_hash`.
    async fn session_by_refresh_hash(
        &self,
        refresh_hash: &str,
    ) -> Result<Option<Session>, StoreError>;

    /// Marks session `old_id` rotated, only if it is active, and then stores `next`.
    /// `false` (and nothing stored) when `old_id` was not active: at most one rotation wins.
    async fn rotate_session(&self, old_id: &str, next: &Session) -> Result<bool, StoreError>;

    /// Revokes the active sessions of a family; returns how many.
    async fn revoke_family(&self, family_id: &str) -> Result<u64, StoreError>;

    /// Revokes the active sessions of a user; returns how many.
    async fn revoke_user_sessions(&self, user_id: &str) -> Result<u64, StoreError>;

    /// Records a failed sign-in of `user_id` at `at`.
    async fn record_login_failure(
        &self,
        user_id: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Failed sign-ins of `user_id` at or after `since`.
    async fn login_failures_since(
        &self,
        user_id: &str,
        since: DateTime<Utc>,
    ) -> Result<u64, StoreError>;

    /// Forgets the failed sign-ins of `user_id` (after a successful one).
    async fn clear_login_failures(&self, user_id: &str) -> Result<(), StoreError>;
}

/// Turns a page fetched with `limit + 1` rows into a [`UserPage`].
pub(crate) fn into_user_page(mut items: Vec<User>, limit: u32) -> UserPage {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let next = if items.len() > limit {
        items.truncate(limit);
        items.last().map(|u| Cursor {
            created_at_ms: u.created_at.timestamp_millis(),
            id: u.id.clone(),
        })
    } else {
        None
    };
    UserPage { items, next }
}
