//! [`UserStore`] on MongoDB: collections `users`, `sessions`, `login_failures`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use mongodb::bson::doc;

use super::MongoStore;
use super::error::{is_duplicate_key, map};
use super::user_docs::{FailureDoc, SessionDoc, UserDoc, bson_date};
use crate::domain::{Cursor, Email, Session, SessionState, User, new_id};
use crate::store::users::into_user_page;
use crate::store::{StoreError, UserPage, UserStore};

#[async_trait]
impl UserStore for MongoStore {
    async fn create_user(&self, user: &User) -> Result<(), StoreError> {
        match self.users.insert_one(UserDoc::from(user)).await {
            Ok(_) => Ok(()),
            Err(e) if is_duplicate_key(&e) => {
                Err(StoreError::Conflict("user with this e-mail".to_owned()))
            }
            Err(e) => Err(map(e, "create user")),
        }
    }

    async fn user(&self, id: &str) -> Result<Option<User>, StoreError> {
        let found = self
            .users
            .find_one(doc! { "_id": id })
            .await
            .map_err(|e| map(e, "get user"))?;
        found.map(User::try_from).transpose()
    }

    async fn user_by_email(&self, email: &Email) -> Result<Option<User>, StoreError> {
        let found = self
            .users
            .find_one(doc! { "email": email.as_str() })
            .await
            .map_err(|e| map(e, "get user by e-mail"))?;
        found.map(User::try_from).transpose()
    }

    async fn users_page(&self, after: Option<&Cursor>, limit: u32) -> Result<UserPage, StoreError> {
        let filter = match after {
            None => doc! {},
            Some(c) => {
                let at = mongodb::bson::DateTime::from_millis(c.created_at_ms);
                doc! { "$or": [
                    { "created_at": { "$gt": at } },
                    { "created_at": at, "_id": { "$gt": c.id.as_str() } },
                ] }
            }
        };
        let docs: Vec<UserDoc> = self
            .users
            .find(filter)
            .sort(doc! { "created_at": 1, "_id": 1 })
            .limit(i64::from(limit) + 1)
            .await
            .map_err(|e| map(e, "list users"))?
            .try_collect()
            .await
            .map_err(|e| map(e, "list users"))?;
        let items = docs
            .into_iter()
            .map(User::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(into_user_page(items, limit))
    }

    async fn update_user(&self, user: &User) -> Result<bool, StoreError> {
        // FerretDB v1 reports a unique-index violation on update as InternalError (code 1),
        // not 11000: check first. The unique index still guards against a concurrent writer.
        if let Some(other) = self.user_by_email(&user.email).await?
            && other.id != user.id
        {
            return Err(StoreError::Conflict("user with this e-mail".to_owned()));
        }
        let update = doc! { "$set": {
            "email": user.email.as_str(),
            "password_hash": user.password_hash.as_str(),
            "role": user.role.as_str(),
            "locked": user.locked,
        } };
        match self
            .users
            .update_one(doc! { "_id": user.id.as_str() }, update)
            .await
        {
            Ok(r) => Ok(r.matched_count > 0),
            Err(e) if is_duplicate_key(&e) => {
                Err(StoreError::Conflict("user with this e-mail".to_owned()))
            }
            Err(e) => Err(map(e, "update user")),
        }
    }

    async fn delete_user(&self, id: &str) -> Result<bool, StoreError> {
        // Sessions first: a half-done deletion never leaves usable sessions behind.
        self.sessions
            .delete_many(doc! { "user_id": id })
            .await
            .map_err(|e| map(e, "delete sessions"))?;
        self.failures
            .delete_many(doc! { "user_id": id })
            .await
            .map_err(|e| map(e, "delete login failures"))?;
        let r = self
            .users
            .delete_one(doc! { "_id": id })
            .await
            .map_err(|e| map(e, "delete user"))?;
        Ok(r.deleted_count > 0)
    }

    async fn has_admin(&self) -> Result<bool, StoreError> {
        let found = self
            .users
            .find_one(doc! { "role": "admin" })
            .await
            .map_err(|e| map(e, "find admin"))?;
        Ok(found.is_some())
    }

    async fn create_session(&self, session: &Session) -> Result<(), StoreError> {
        match self.sessions.insert_one(SessionDoc::from(session)).await {
            Ok(_) => Ok(()),
            Err(e) if is_duplicate_key(&e) => Err(StoreError::Conflict("session".to_owned())),
            Err(e) => Err(map(e, "create session")),
        }
    }

    async fn session(&self, id: &str) -> Result<Option<Session>, StoreError> {
        let found = self
            .sessions
            .find_one(doc! { "_id": id })
            .await
            .map_err(|e| map(e, "get session"))?;
        found.map(Session::try_from).transpose()
    }

    async fn session_by_refresh_hash(
        &self,
        refresh_hash: &str,
    ) -> Result<Option<Session>, StoreError> {
        let found = self
            .sessions
            .find_one(doc! { "refresh_hash": refresh_hash })
            .await
            .map_err(|e| map(e, "get session by refresh token"))?;
        found.map(Session::try_from).transpose()
    }

    async fn rotate_session(&self, old_id: &str, next: &Session) -> Result<bool, StoreError> {
        let marked = self
            .sessions
            .update_one(
                doc! { "_id": old_id, "state": SessionState::Active.as_str() },
                doc! { "$set": { "state": SessionState::Rotated.as_str() } },
            )
            .await
            .map_err(|e| map(e, "rotate session"))?;
        if marked.matched_count == 0 {
            return Ok(false);
        }
        self.create_session(next).await?;
        Ok(true)
    }

    async fn revoke_family(&self, family_id: &str) -> Result<u64, StoreError> {
        self.revoke_where(doc! { "family_id": family_id }).await
    }

    async fn revoke_user_sessions(&self, user_id: &str) -> Result<u64, StoreError> {
        self.revoke_where(doc! { "user_id": user_id }).await
    }

    async fn record_login_failure(
        &self,
        user_id: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let failure = FailureDoc {
            id: new_id(),
            user_id: user_id.to_owned(),
            at: bson_date(at),
        };
        self.failures
            .insert_one(failure)
            .await
            .map(|_| ())
            .map_err(|e| map(e, "record login failure"))
    }

    async fn login_failures_since(
        &self,
        user_id: &str,
        since: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        self.failures
            .count_documents(doc! { "user_id": user_id, "at": { "$gte": bson_date(since) } })
            .await
            .map_err(|e| map(e, "count login failures"))
    }

    async fn clear_login_failures(&self, user_id: &str) -> Result<(), StoreError> {
        self.failures
            .delete_many(doc! { "user_id": user_id })
            .await
            .map(|_| ())
            .map_err(|e| map(e, "clear login failures"))
    }
}

impl MongoStore {
    async fn revoke_where(&self, mut filter: mongodb::bson::Document) -> Result<u64, StoreError> {
        filter.insert("state", SessionState::Active.as_str());
        self.sessions
            .update_many(
                filter,
                doc! { "$set": { "state": SessionState::Revoked.as_str() } },
            )
            .await
            .map(|r| r.modified_count)
            .map_err(|e| map(e, "revoke sessions"))
    }
}
