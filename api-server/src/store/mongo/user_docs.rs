//! BSON documents of the `users`, `sessions`, `login_failures` and `audit` collections.

use chrono::{DateTime, Utc};
use mongodb::bson::DateTime as BsonDateTime;
use serde::{Deserialize, Serialize};

use crate::domain::{AuditEvent, Email, Session, User};
use crate::store::StoreError;

/// Stored form of a user; `email` is the normalised (lower-cased) address.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UserDoc {
    #[serde(rename = "_id")]
    pub id: String,
    pub email: String,
    pub password_hash: String,
    pub role: String,
    pub locked: bool,
    pub created_at: BsonDateTime,
}

/// Stored form of a session generation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionDoc {
    #[serde(rename = "_id")]
    pub id: String,
    pub user_id: String,
    pub family_id: String,
    pub refresh_hash: String,
    pub created_at: BsonDateTime,
    pub expires_at: BsonDateTime,
    pub state: String,
}

/// One failed sign-in.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FailureDoc {
    #[serde(rename = "_id")]
    pub id: String,
    pub user_id: String,
    pub at: BsonDateTime,
}

/// Stored form of an audit event; absent values are `null`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuditDoc {
    #[serde(rename = "_id")]
    pub id: String,
    pub at: BsonDateTime,
    pub kind: String,
    pub user_id: Option<String>,
    pub actor_id: Option<String>,
    pub ip: Option<String>,
    pub detail: String,
}

/// A BSON date from a chrono instant (millisecond precision).
pub fn bson_date(t: DateTime<Utc>) -> BsonDateTime {
    BsonDateTime::from_millis(t.timestamp_millis())
}

fn chrono_date(d: BsonDateTime, id: &str) -> Result<DateTime<Utc>, StoreError> {
    let ms = d.timestamp_millis();
    DateTime::from_timestamp_millis(ms)
        .ok_or_else(|| corrupt(id, format!("date {ms} out of range")))
}

fn corrupt(id: &str, reason: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt {
        id: id.to_owned(),
        reason: reason.to_string(),
    }
}

impl From<&User> for UserDoc {
    fn from(u: &User) -> Self {
        Self {
            id: u.id.clone(),
            email: u.email.as_str().to_owned(),
            password_hash: u.password_hash.clone(),
            role: u.role.as_str().to_owned(),
            locked: u.locked,
            created_at: bson_date(u.created_at),
        }
    }
}

impl TryFrom<UserDoc> for User {
    type Error = StoreError;

    fn try_from(d: UserDoc) -> Result<Self, Self::Error> {
        Ok(User {
            email: Email::parse(&d.email).map_err(|e| corrupt(&d.id, e))?,
            role: d.role.parse().map_err(|e| corrupt(&d.id, e))?,
            created_at: chrono_date(d.created_at, &d.id)?,
            password_hash: d.password_hash,
            locked: d.locked,
            id: d.id,
        })
    }
}

impl From<&Session> for SessionDoc {
    fn from(s: &Session) -> Self {
        Self {
            id: s.id.clone(),
            user_id: s.user_id.clone(),
            family_id: s.family_id.clone(),
            refresh_hash: s.refresh_hash.clone(),
            created_at: bson_date(s.created_at),
            expires_at: bson_date(s.expires_at),
            state: s.state.as_str().to_owned(),
        }
    }
}

impl TryFrom<SessionDoc> for Session {
    type Error = StoreError;

    fn try_from(d: SessionDoc) -> Result<Self, Self::Error> {
        Ok(Session {
            created_at: chrono_date(d.created_at, &d.id)?,
            expires_at: chrono_date(d.expires_at, &d.id)?,
            state: d.state.parse().map_err(|e| corrupt(&d.id, e))?,
            user_id: d.user_id,
            family_id: d.family_id,
            refresh_hash: d.refresh_hash,
            id: d.id,
        })
    }
}

impl From<&AuditEvent> for AuditDoc {
    fn from(e: &AuditEvent) -> Self {
        Self {
            id: e.id.clone(),
            at: bson_date(e.at),
            kind: e.kind.as_str().to_owned(),
            user_id: e.user_id.clone(),
            actor_id: e.actor_id.clone(),
            ip: e.ip.clone(),
            detail: e.detail.clone(),
        }
    }
}

impl TryFrom<AuditDoc> for AuditEvent {
    type Error = StoreError;

    fn try_from(d: AuditDoc) -> Result<Self, Self::Error> {
        Ok(AuditEvent {
            at: chrono_date(d.at, &d.id)?,
            kind: d.kind.parse().map_err(|e| corrupt(&d.id, e))?,
            user_id: d.user_id,
            actor_id: d.actor_id,
            ip: d.ip,
            detail: d.detail,
            id: d.id,
        })
    }
}
