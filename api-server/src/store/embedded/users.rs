//! [`UserStore`] on SQLite: tables `users`, `sessions`, `login_failures` (migration 3).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::EmbeddedStore;
use super::row::backend;
use crate::domain::{Cursor, Email, Session, User};
use crate::store::users::into_user_page;
use crate::store::{StoreError, UserPage, UserStore};

const USER_COLUMNS: &str = "id, email, password_hash, role, locked, created_at_ms";
const SESSION_COLUMNS: &str =
    "id, user_id, family_id, refresh_hash, created_at_ms, expires_at_ms, state";

/// Maps a unique-constraint violation to [`StoreError::Conflict`] naming `what`.
fn conflict_or_backend(e: rusqlite::Error, what: &str) -> StoreError {
    match &e {
        rusqlite::Error::SqliteFailure(f, _)
            if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY =>
        {
            StoreError::Conflict(what.to_owned())
        }
        _ => backend(e),
    }
}

pub(super) fn time(ms: i64, what: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp_millis(ms).ok_or_else(|| StoreError::Corrupt {
        id: what.to_owned(),
        reason: format!("timestamp {ms} out of range"),
    })
}

fn corrupt(id: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt {
        id: id.to_owned(),
        reason: e.to_string(),
    }
}

fn user_from_row(row: &Row<'_>) -> Result<User, StoreError> {
    let id: String = row.get(0).map_err(backend)?;
    let email: String = row.get(1).map_err(backend)?;
    let role: String = row.get(3).map_err(backend)?;
    let created_at_ms: i64 = row.get(5).map_err(backend)?;
    Ok(User {
        email: Email::parse(&email).map_err(|e| corrupt(&id, e))?,
        password_hash: row.get(2).map_err(backend)?,
        role: role.parse().map_err(|e| corrupt(&id, e))?,
        locked: row.get(4).map_err(backend)?,
        created_at: time(created_at_ms, &id)?,
        id,
    })
}

fn session_from_row(row: &Row<'_>) -> Result<Session, StoreError> {
    let id: String = row.get(0).map_err(backend)?;
    let state: String = row.get(6).map_err(backend)?;
    Ok(Session {
        user_id: row.get(1).map_err(backend)?,
        family_id: row.get(2).map_err(backend)?,
        refresh_hash: row.get(3).map_err(backend)?,
        created_at: time(row.get(4).map_err(backend)?, &id)?,
        expires_at: time(row.get(5).map_err(backend)?, &id)?,
        state: state.parse().map_err(|e| corrupt(&id, e))?,
        id,
    })
}

fn one_user(conn: &Connection, column: &str, value: &str) -> Result<Option<User>, StoreError> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE {column} = ?1");
    let mut stmt = conn.prepare_cached(&sql).map_err(backend)?;
    let mut rows = stmt.query([value]).map_err(backend)?;
    rows.next().map_err(backend)?.map(user_from_row).transpose()
}

fn one_session(
    conn: &Connection,
    column: &str,
    value: &str,
) -> Result<Option<Session>, StoreError> {
    let sql = format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE {column} = ?1");
    let mut stmt = conn.prepare_cached(&sql).map_err(backend)?;
    let mut rows = stmt.query([value]).map_err(backend)?;
    rows.next()
        .map_err(backend)?
        .map(session_from_row)
        .transpose()
}

fn insert_session(conn: &Connection, s: &Session) -> Result<(), StoreError> {
    conn.prepare_cached(&format!(
        "INSERT INTO sessions ({SESSION_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
    ))
    .and_then(|mut stmt| {
        stmt.execute(params![
            s.id,
            s.user_id,
            s.family_id,
            s.refresh_hash,
            s.created_at.timestamp_millis(),
            s.expires_at.timestamp_millis(),
            s.state.as_str(),
        ])
    })
    .map(|_| ())
    .map_err(|e| conflict_or_backend(e, "session"))
}

fn to_u64(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

#[async_trait]
impl UserStore for EmbeddedStore {
    async fn create_user(&self, user: &User) -> Result<(), StoreError> {
        let u = user.clone();
        self.write(move |conn| {
            conn.execute(
                &format!("INSERT INTO users ({USER_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"),
                params![
                    u.id,
                    u.email.as_str(),
                    u.password_hash,
                    u.role.as_str(),
                    u.locked,
                    u.created_at.timestamp_millis()
                ],
            )
            .map(|_| ())
            .map_err(|e| conflict_or_backend(e, "user with this e-mail"))
        })
        .await
    }

    async fn user(&self, id: &str) -> Result<Option<User>, StoreError> {
        let id = id.to_owned();
        self.read(move |conn| one_user(conn, "id", &id)).await
    }

    async fn user_by_email(&self, email: &Email) -> Result<Option<User>, StoreError> {
        let email = email.as_str().to_owned();
        self.read(move |conn| one_user(conn, "email", &email)).await
    }

    async fn users_page(&self, after: Option<&Cursor>, limit: u32) -> Result<UserPage, StoreError> {
        let after = after.cloned();
        self.read(move |conn| {
            let (ms, id) = after.map_or((i64::MIN, String::new()), |c| (c.created_at_ms, c.id));
            let sql = format!(
                "SELECT {USER_COLUMNS} FROM users WHERE (created_at_ms, id) > (?1, ?2) \
                 ORDER BY created_at_ms, id LIMIT ?3"
            );
            let mut stmt = conn.prepare_cached(&sql).map_err(backend)?;
            let mut rows = stmt
                .query(params![ms, id, i64::from(limit) + 1])
                .map_err(backend)?;
            let mut items = Vec::new();
            while let Some(r) = rows.next().map_err(backend)? {
                items.push(user_from_row(r)?);
            }
            Ok(into_user_page(items, limit))
        })
        .await
    }

    async fn update_user(&self, user: &User) -> Result<bool, StoreError> {
        let u = user.clone();
        self.write(move |conn| {
            conn.execute(
                "UPDATE users SET email = ?2, password_hash = ?3, role = ?4, locked = ?5 \
                 WHERE id = ?1",
                params![
                    u.id,
                    u.email.as_str(),
                    u.password_hash,
                    u.role.as_str(),
                    u.locked
                ],
            )
            .map(|n| n > 0)
            .map_err(|e| conflict_or_backend(e, "user with this e-mail"))
        })
        .await
    }

    async fn delete_user(&self, id: &str) -> Result<bool, StoreError> {
        let id = id.to_owned();
        // Sessions and failed sign-ins go with it (ON DELETE CASCADE).
        self.write(move |conn| {
            conn.execute("DELETE FROM users WHERE id = ?1", [&id])
                .map(|n| n > 0)
                .map_err(backend)
        })
        .await
    }

    async fn has_admin(&self) -> Result<bool, StoreError> {
        self.read(|conn| {
            conn.query_row(
                "SELECT 1 FROM users WHERE role = 'admin' LIMIT 1",
                [],
                |_| Ok(()),
            )
            .optional()
            .map(|found| found.is_some())
            .map_err(backend)
        })
        .await
    }

    async fn create_session(&self, session: &Session) -> Result<(), StoreError> {
        let s = session.clone();
        self.write(move |conn| insert_session(conn, &s)).await
    }

    async fn session(&self, id: &str) -> Result<Option<Session>, StoreError> {
        let id = id.to_owned();
        self.read(move |conn| one_session(conn, "id", &id)).await
    }

    async fn session_by_refresh_hash(
        &self,
        refresh_hash: &str,
    ) -> Result<Option<Session>, StoreError> {
        let hash = refresh_hash.to_owned();
        self.read(move |conn| one_session(conn, "refresh_hash", &hash))
            .await
    }

    async fn rotate_session(&self, old_id: &str, next: &Session) -> Result<bool, StoreError> {
        let old_id = old_id.to_owned();
        let next = next.clone();
        self.write(move |conn| {
            let tx = conn.transaction().map_err(backend)?;
            let changed = tx
                .execute(
                    "UPDATE sessions SET state = 'rotated' WHERE id = ?1 AND state = 'active'",
                    [&old_id],
                )
                .map_err(backend)?;
            if changed == 0 {
                return Ok(false);
            }
            insert_session(&tx, &next)?;
            tx.commit().map_err(backend)?;
            Ok(true)
        })
        .await
    }

    async fn revoke_family(&self, family_id: &str) -> Result<u64, StoreError> {
        let family = family_id.to_owned();
        self.write(move |conn| {
            conn.execute(
                "UPDATE sessions SET state = 'revoked' WHERE family_id = ?1 AND state = 'active'",
                [&family],
            )
            .map(to_u64)
            .map_err(backend)
        })
        .await
    }

    async fn revoke_user_sessions(&self, user_id: &str) -> Result<u64, StoreError> {
        let user = user_id.to_owned();
        self.write(move |conn| {
            conn.execute(
                "UPDATE sessions SET state = 'revoked' WHERE user_id = ?1 AND state = 'active'",
                [&user],
            )
            .map(to_u64)
            .map_err(backend)
        })
        .await
    }

    async fn record_login_failure(
        &self,
        user_id: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let user = user_id.to_owned();
        self.write(move |conn| {
            conn.execute(
                "INSERT INTO login_failures (user_id, at_ms) VALUES (?1, ?2)",
                params![user, at.timestamp_millis()],
            )
            .map(|_| ())
            .map_err(backend)
        })
        .await
    }

    async fn login_failures_since(
        &self,
        user_id: &str,
        since: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let user = user_id.to_owned();
        self.read(move |conn| {
            conn.query_row(
                "SELECT count(*) FROM login_failures WHERE user_id = ?1 AND at_ms >= ?2",
                params![user, since.timestamp_millis()],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| u64::try_from(n).unwrap_or(0))
            .map_err(backend)
        })
        .await
    }

    async fn clear_login_failures(&self, user_id: &str) -> Result<(), StoreError> {
        let user = user_id.to_owned();
        self.write(move |conn| {
            conn.execute("DELETE FROM login_failures WHERE user_id = ?1", [&user])
                .map(|_| ())
                .map_err(backend)
        })
        .await
    }
}
