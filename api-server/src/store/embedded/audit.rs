//! [`AuditStore`] on SQLite: table `audit_events` (migration 3).

use async_trait::async_trait;
use rusqlite::types::Value;
use rusqlite::{Row, params};

use super::EmbeddedStore;
use super::row::backend;
use super::users::time;
use crate::domain::{AuditEvent, AuditPage, AuditQuery};
use crate::store::audit::into_audit_page;
use crate::store::{AuditStore, StoreError};

const COLUMNS: &str = "id, at_ms, kind, user_id, actor_id, ip, detail";

fn from_row(row: &Row<'_>) -> Result<AuditEvent, StoreError> {
    let id: String = row.get(0).map_err(backend)?;
    let kind: String = row.get(2).map_err(backend)?;
    Ok(AuditEvent {
        at: time(row.get(1).map_err(backend)?, &id)?,
        kind: kind.parse().map_err(|e| StoreError::Corrupt {
            id: id.clone(),
            reason: format!("{e}"),
        })?,
        user_id: row.get(3).map_err(backend)?,
        actor_id: row.get(4).map_err(backend)?,
        ip: row.get(5).map_err(backend)?,
        detail: row.get(6).map_err(backend)?,
        id,
    })
}

/// The WHERE clause of a query, with bound parameters only.
fn clause(q: &AuditQuery) -> (String, Vec<Value>) {
    let mut parts = Vec::new();
    let mut values = Vec::new();
    if let Some(k) = q.kind {
        parts.push("kind = ?");
        values.push(Value::Text(k.as_str().to_owned()));
    }
    if let Some(u) = &q.user_id {
        parts.push("user_id = ?");
        values.push(Value::Text(u.clone()));
    }
    if let Some(f) = q.from {
        parts.push("at_ms >= ?");
        values.push(Value::Integer(f.timestamp_millis()));
    }
    if let Some(t) = q.to {
        parts.push("at_ms < ?");
        values.push(Value::Integer(t.timestamp_millis()));
    }
    if let Some(c) = &q.after {
        parts.push("(at_ms, id) < (?, ?)");
        values.push(Value::Integer(c.created_at_ms));
        values.push(Value::Text(c.id.clone()));
    }
    let sql = if parts.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", parts.join(" AND "))
    };
    (sql, values)
}

#[async_trait]
impl AuditStore for EmbeddedStore {
    async fn record_audit(&self, event: &AuditEvent) -> Result<(), StoreError> {
        let e = event.clone();
        self.write(move |conn| {
            conn.execute(
                &format!(
                    "INSERT INTO audit_events ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
                ),
                params![
                    e.id,
                    e.at.timestamp_millis(),
                    e.kind.as_str(),
                    e.user_id,
                    e.actor_id,
                    e.ip,
                    e.detail
                ],
            )
            .map(|_| ())
            .map_err(backend)
        })
        .await
    }

    async fn audit_page(&self, query: &AuditQuery) -> Result<AuditPage, StoreError> {
        let q = query.clone();
        self.read(move |conn| {
            let (sql, mut values) = clause(&q);
            values.push(Value::Integer(i64::from(q.limit) + 1));
            let sql = format!(
                "SELECT {COLUMNS} FROM audit_events{sql} ORDER BY at_ms DESC, id DESC LIMIT ?"
            );
            let mut stmt = conn.prepare_cached(&sql).map_err(backend)?;
            let mut rows = stmt
                .query(rusqlite::params_from_iter(values))
                .map_err(backend)?;
            let mut items = Vec::new();
            while let Some(r) = rows.next().map_err(backend)? {
                items.push(from_row(r)?);
            }
            Ok(into_audit_page(items, q.limit))
        })
        .await
    }
}
