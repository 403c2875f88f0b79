//! Persistence of watchlists and saved searches.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreError;
use super::bids::ItemPage;
use crate::domain::{Cursor, SavedSearch, WatchEntry};

/// Watched listings and saved searches.
#[async_trait]
pub trait WatchlistStore: Send + Sync {
    /// Adds the entry unless the user watches the listing already (then keeps the first
    /// `added_at`); `true` when it was added now.
    async fn watch(&self, entry: &WatchEntry) -> Result<bool, StoreError>;

    /// Removes the listing from the user's watchlist; `true` when it was there.
    async fn unwatch(&self, user_id: &str, listing_id: &str) -> Result<bool, StoreError>;

    /// One page of the user's watchlist, latest added first `(added_at desc, listing_id desc)`.
    async fn watchlist_page(
        &self,
        user_id: &str,
        after: Option<&Cursor>,
        limit: u32,
    ) -> Result<ItemPage<WatchEntry>, StoreError>;

    /// How many users watch the listing.
    async fn watcher_count(&self, listing_id: &str) -> Result<u64, StoreError>;

    /// Stores a saved search unless its owner has `max` already (`false`, nothing stored).
    async fn create_saved_search(
        &self,
        search: &SavedSearch,
        max: usize,
    ) -> Result<bool, StoreError>;

    /// The saved search with this id.
    async fn saved_search(&self, id: &str) -> Result<Option<SavedSearch>, StoreError>;

    /// Every saved search of the user, newest first `(created_at desc, id desc)`.
    async fn saved_searches(&self, user_id: &str) -> Result<Vec<SavedSearch>, StoreError>;

    /// Deletes the user's saved search; `false` when the user has no search with this id.
    async fn delete_saved_search(&self, id: &str, user_id: &str) -> Result<bool, StoreError>;

    /// Moves `last_seen_at` of the saved search up to `at` (never back); `false` when it is
    /// gone.
    async fn mark_search_seen(&self, id: &str, at: DateTime<Utc>) -> Result<bool, StoreError>;
}

/// The cursor just after a watch entry in the latest-added-first order.
pub fn watch_cursor(e: &WatchEntry) -> Cursor {
    Cursor {
        created_at_ms: e.added_at.timestamp_millis(),
        id: e.listing_id.clone(),
    }
}
