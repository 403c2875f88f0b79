//! [`WatchlistStore`] on SQLite: tables `watchlist` and `saved_searches` (migration 7). A
//! saved search's query is stored as JSON text (an object of strings).

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::types::Value;
use rusqlite::{Connection, Row, TransactionBehavior, params};

use super::EmbeddedStore;
use super::row::backend;
use super::users::time;
use crate::domain::{Cursor, SavedSearch, WatchEntry};
use crate::store::StoreError;
use crate::store::bids::{ItemPage, into_page};
use crate::store::watchlist::{WatchlistStore, watch_cursor};

const SEARCH_COLUMNS: &str = "id, user_id, name, query, created_at_ms, last_seen_at_ms";

fn search_from_row(r: &Row<'_>) -> Result<SavedSearch, StoreError> {
    let id: String = r.get(0).map_err(backend)?;
    let query: String = r.get(3).map_err(backend)?;
    let last_seen: Option<i64> = r.get(5).map_err(backend)?;
    Ok(SavedSearch {
        user_id: r.get(1).map_err(backend)?,
        name: r.get(2).map_err(backend)?,
        query: serde_json::from_str::<BTreeMap<String, String>>(&query).map_err(|e| {
            StoreError::Corrupt {
                id: id.clone(),
                reason: format!("saved search query: {e}"),
            }
        })?,
        created_at: time(r.get(4).map_err(backend)?, &id)?,
        last_seen_at: last_seen.map(|ms| time(ms, &id)).transpose()?,
        id,
    })
}

fn searches(conn: &Connection, condition: &str, key: &str) -> Result<Vec<SavedSearch>, StoreError> {
    let sql = format!(
        "SELECT {SEARCH_COLUMNS} FROM saved_searches WHERE {condition} \
         ORDER BY created_at_ms DESC, id DESC"
    );
    let mut stmt = conn.prepare_cached(&sql).map_err(backend)?;
    let mut rows = stmt.query([key]).map_err(backend)?;
    let mut items = Vec::new();
    while let Some(r) = rows.next().map_err(backend)? {
        items.push(search_from_row(r)?);
    }
    Ok(items)
}

fn create(conn: &mut Connection, s: &SavedSearch, max: usize) -> Result<bool, StoreError> {
    let query = serde_json::to_string(&s.query)
        .map_err(|e| StoreError::Backend(format!("encoding saved search query: {e}")))?;
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(backend)?;
    let n: i64 = tx
        .query_row(
            "SELECT count(*) FROM saved_searches WHERE user_id = ?1",
            [&s.user_id],
            |r| r.get(0),
        )
        .map_err(backend)?;
    if usize::try_from(n).unwrap_or(usize::MAX) >= max {
        return Ok(false);
    }
    let res = tx.execute(
        &format!("INSERT INTO saved_searches ({SEARCH_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"),
        params![
            s.id,
            s.user_id,
            s.name,
            query,
            s.created_at.timestamp_millis(),
            s.last_seen_at.map(|t| t.timestamp_millis())
        ],
    );
    match res {
        Ok(_) => {}
        Err(rusqlite::Error::SqliteFailure(e, _))
            if e.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            return Err(StoreError::Conflict(format!("saved search {}", s.id)));
        }
        Err(e) => return Err(backend(e)),
    }
    tx.commit().map_err(backend)?;
    Ok(true)
}

#[async_trait]
impl WatchlistStore for EmbeddedStore {
    async fn watch(&self, entry: &WatchEntry) -> Result<bool, StoreError> {
        let e = entry.clone();
        self.write(move |conn| {
            let n = conn
                .execute(
                    "INSERT INTO watchlist (user_id, listing_id, added_at_ms) VALUES (?1, ?2, ?3) \
                     ON CONFLICT (user_id, listing_id) DO NOTHING",
                    params![e.user_id, e.listing_id, e.added_at.timestamp_millis()],
                )
                .map_err(backend)?;
            Ok(n == 1)
        })
        .await
    }

    async fn unwatch(&self, user_id: &str, listing_id: &str) -> Result<bool, StoreError> {
        let (user, listing) = (user_id.to_owned(), listing_id.to_owned());
        self.write(move |conn| {
            let n = conn
                .execute(
                    "DELETE FROM watchlist WHERE user_id = ?1 AND listing_id = ?2",
                    [&user, &listing],
                )
                .map_err(backend)?;
            Ok(n == 1)
        })
        .await
    }

    async fn watchlist_page(
        &self,
        user_id: &str,
        after: Option<&Cursor>,
        limit: u32,
    ) -> Result<ItemPage<WatchEntry>, StoreError> {
        let user = user_id.to_owned();
        let after = after.cloned();
        self.read(move |conn| {
            let mut values = vec![Value::Text(user)];
            let mut keyset = "";
            if let Some(c) = after {
                keyset = " AND (added_at_ms, listing_id) < (?2, ?3)";
                values.push(Value::Integer(c.created_at_ms));
                values.push(Value::Text(c.id));
            }
            values.push(Value::Integer(i64::from(limit) + 1));
            let sql = format!(
                "SELECT user_id, listing_id, added_at_ms FROM watchlist WHERE user_id = ?1{keyset} \
                 ORDER BY added_at_ms DESC, listing_id DESC LIMIT ?{}",
                values.len()
            );
            let mut stmt = conn.prepare_cached(&sql).map_err(backend)?;
            let mut rows = stmt
                .query(rusqlite::params_from_iter(values))
                .map_err(backend)?;
            let mut items = Vec::new();
            while let Some(r) = rows.next().map_err(backend)? {
                let listing_id: String = r.get(1).map_err(backend)?;
                items.push(WatchEntry {
                    user_id: r.get(0).map_err(backend)?,
                    added_at: time(r.get(2).map_err(backend)?, &listing_id)?,
                    listing_id,
                });
            }
            Ok(into_page(items, limit, watch_cursor))
        })
        .await
    }

    async fn watcher_count(&self, listing_id: &str) -> Result<u64, StoreError> {
        let listing = listing_id.to_owned();
        self.read(move |conn| {
            let n: i64 = conn
                .query_row(
                    "SELECT count(*) FROM watchlist WHERE listing_id = ?1",
                    [&listing],
                    |r| r.get(0),
                )
                .map_err(backend)?;
            Ok(u64::try_from(n).unwrap_or(0))
        })
        .await
    }

    async fn create_saved_search(
        &self,
        search: &SavedSearch,
        max: usize,
    ) -> Result<bool, StoreError> {
        let s = search.clone();
        self.write(move |conn| create(conn, &s, max)).await
    }

    async fn saved_search(&self, id: &str) -> Result<Option<SavedSearch>, StoreError> {
        let id = id.to_owned();
        self.read(move |conn| Ok(searches(conn, "id = ?1", &id)?.into_iter().next()))
            .await
    }

    async fn saved_searches(&self, user_id: &str) -> Result<Vec<SavedSearch>, StoreError> {
        let user = user_id.to_owned();
        self.read(move |conn| searches(conn, "user_id = ?1", &user))
            .await
    }

    async fn delete_saved_search(&self, id: &str, user_id: &str) -> Result<bool, StoreError> {
        let (id, user) = (id.to_owned(), user_id.to_owned());
        self.write(move |conn| {
            let n = conn
                .execute(
                    "DELETE FROM saved_searches WHERE id = ?1 AND user_id = ?2",
                    [&id, &user],
                )
                .map_err(backend)?;
            Ok(n == 1)
        })
        .await
    }

    async fn mark_search_seen(&self, id: &str, at: DateTime<Utc>) -> Result<bool, StoreError> {
        let id = id.to_owned();
        let ms = at.timestamp_millis();
        self.write(move |conn| {
            let n = conn
                .execute(
                    "UPDATE saved_searches SET last_seen_at_ms = MAX(COALESCE(last_seen_at_ms, ?2), ?2) \
                     WHERE id = ?1",
                    params![id, ms],
                )
                .map_err(backend)?;
            Ok(n == 1)
        })
        .await
    }
}
