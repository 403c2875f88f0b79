//! [`WatchlistStore`] on MongoDB: collections `watchlist` (one document per user and listing,
//! keyed `<user>:<listing>`, so adding twice is a duplicate key) and `saved_searches`.
//!
//! The saved-search cap is checked by counting and then inserting; this process serialises
//! those two steps ([`SEARCH_WRITES`]), so concurrent requests to one replica cannot exceed
//! the cap (two replicas could, by one search each: FerretDB v1 has no transactions).

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use mongodb::Collection;
use mongodb::bson::{DateTime as BsonDateTime, doc};
use serde::{Deserialize, Serialize};

use super::MongoStore;
use super::conversations::{before, chrono_date};
use super::error::{is_duplicate_key, map};
use super::user_docs::bson_date;
use crate::domain::{Cursor, SavedSearch, WatchEntry};
use crate::store::StoreError;
use crate::store::bids::{ItemPage, into_page};
use crate::store::watchlist::{WatchlistStore, watch_cursor};

/// Name of the watchlist collection.
pub const WATCHLIST: &str = "watchlist";
/// Name of the saved searches collection.
pub const SAVED_SEARCHES: &str = "saved_searches";

/// Serialises this process's saved-search creations (see above).
static SEARCH_WRITES: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Stored form of a watchlist entry.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WatchDoc {
    #[serde(rename = "_id")]
    key: String,
    user_id: String,
    listing_id: String,
    added_at: BsonDateTime,
}

/// Stored form of a saved search.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SavedSearchDoc {
    #[serde(rename = "_id")]
    id: String,
    user_id: String,
    name: String,
    query: BTreeMap<String, String>,
    created_at: BsonDateTime,
    last_seen_at: Option<BsonDateTime>,
}

impl From<&SavedSearch> for SavedSearchDoc {
    fn from(s: &SavedSearch) -> Self {
        Self {
            id: s.id.clone(),
            user_id: s.user_id.clone(),
            name: s.name.clone(),
            query: s.query.clone(),
            created_at: bson_date(s.created_at),
            last_seen_at: s.last_seen_at.map(bson_date),
        }
    }
}

impl TryFrom<SavedSearchDoc> for SavedSearch {
    type Error = StoreError;

    fn try_from(d: SavedSearchDoc) -> Result<Self, StoreError> {
        Ok(SavedSearch {
            created_at: chrono_date(d.created_at, &d.id)?,
            last_seen_at: d.last_seen_at.map(|t| chrono_date(t, &d.id)).transpose()?,
            id: d.id,
            user_id: d.user_id,
            name: d.name,
            query: d.query,
        })
    }
}

fn key(user_id: &str, listing_id: &str) -> String {
    format!("{user_id}:{listing_id}")
}

impl MongoStore {
    fn watchlist(&self) -> Collection<WatchDoc> {
        self.db.collection(WATCHLIST)
    }

    fn saved(&self) -> Collection<SavedSearchDoc> {
        self.db.collection(SAVED_SEARCHES)
    }
}

#[async_trait]
impl WatchlistStore for MongoStore {
    async fn watch(&self, entry: &WatchEntry) -> Result<bool, StoreError> {
        let d = WatchDoc {
            key: key(&entry.user_id, &entry.listing_id),
            user_id: entry.user_id.clone(),
            listing_id: entry.listing_id.clone(),
            added_at: bson_date(entry.added_at),
        };
        match self.watchlist().insert_one(d).await {
            Ok(_) => Ok(true),
            Err(e) if is_duplicate_key(&e) => Ok(false),
            Err(e) => Err(map(e, "watch")),
        }
    }

    async fn unwatch(&self, user_id: &str, listing_id: &str) -> Result<bool, StoreError> {
        let res = self
            .watchlist()
            .delete_one(doc! { "_id": key(user_id, listing_id) })
            .await
            .map_err(|e| map(e, "unwatch"))?;
        Ok(res.deleted_count == 1)
    }

    async fn watchlist_page(
        &self,
        user_id: &str,
        after: Option<&Cursor>,
        limit: u32,
    ) -> Result<ItemPage<WatchEntry>, StoreError> {
        let mut filter = doc! { "user_id": user_id };
        if let Some(c) = after {
            filter = doc! { "$and": [filter, before("added_at", "listing_id", c)] };
        }
        let docs: Vec<WatchDoc> = self
            .watchlist()
            .find(filter)
            .sort(doc! { "added_at": -1, "listing_id": -1 })
            .limit(i64::from(limit) + 1)
            .await
            .map_err(|e| map(e, "read watchlist"))?
            .try_collect()
            .await
            .map_err(|e| map(e, "read watchlist"))?;
        let items = docs
            .into_iter()
            .map(|d| {
                Ok(WatchEntry {
                    added_at: chrono_date(d.added_at, &d.key)?,
                    user_id: d.user_id,
                    listing_id: d.listing_id,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(into_page(items, limit, watch_cursor))
    }

    async fn watcher_count(&self, listing_id: &str) -> Result<u64, StoreError> {
        self.watchlist()
            .count_documents(doc! { "listing_id": listing_id })
            .await
            .map_err(|e| map(e, "count watchers"))
    }

    async fn create_saved_search(
        &self,
        search: &SavedSearch,
        max: usize,
    ) -> Result<bool, StoreError> {
        let _serial = SEARCH_WRITES.lock().await;
        let n = self
            .saved()
            .count_documents(doc! { "user_id": search.user_id.as_str() })
            .await
            .map_err(|e| map(e, "count saved searches"))?;
        if usize::try_from(n).unwrap_or(usize::MAX) >= max {
            return Ok(false);
        }
        match self.saved().insert_one(SavedSearchDoc::from(search)).await {
            Ok(_) => Ok(true),
            Err(e) if is_duplicate_key(&e) => {
                Err(StoreError::Conflict(format!("saved search {}", search.id)))
            }
            Err(e) => Err(map(e, "save search")),
        }
    }

    async fn saved_search(&self, id: &str) -> Result<Option<SavedSearch>, StoreError> {
        self.saved()
            .find_one(doc! { "_id": id })
            .await
            .map_err(|e| map(e, "read saved search"))?
            .map(SavedSearch::try_from)
            .transpose()
    }

    async fn saved_searches(&self, user_id: &str) -> Result<Vec<SavedSearch>, StoreError> {
        let docs: Vec<SavedSearchDoc> = self
            .saved()
            .find(doc! { "user_id": user_id })
            .sort(doc! { "created_at": -1, "_id": -1 })
            .await
            .map_err(|e| map(e, "read saved searches"))?
            .try_collect()
            .await
            .map_err(|e| map(e, "read saved searches"))?;
        docs.into_iter().map(SavedSearch::try_from).collect()
    }

    async fn delete_saved_search(&self, id: &str, user_id: &str) -> Result<bool, StoreError> {
        let res = self
            .saved()
            .delete_one(doc! { "_id": id, "user_id": user_id })
            .await
            .map_err(|e| map(e, "delete saved search"))?;
        Ok(res.deleted_count == 1)
    }

    async fn mark_search_seen(&self, id: &str, at: DateTime<Utc>) -> Result<bool, StoreError> {
        let at = bson_date(at);
        let res = self
            .saved()
            .update_one(
                doc! { "_id": id, "$or": [
                    { "last_seen_at": null },
                    { "last_seen_at": { "$lt": at } },
                ] },
                doc! { "$set": { "last_seen_at": at } },
            )
            .await
            .map_err(|e| map(e, "mark saved search seen"))?;
        if res.matched_count == 1 {
            return Ok(true);
        }
        // Already seen later, or gone.
        Ok(self.saved_search(id).await?.is_some())
    }
}
