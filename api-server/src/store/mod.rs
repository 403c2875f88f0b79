//! Persistence behind small traits ([`ListingStore`], [`UserStore`], [`AuditStore`]; together
//! [`Store`]), with an embedded (SQLite) and a MongoDB backend. Both implement the reference semantics of [`crate::domain::search`]; the
//! conformance tests in `tests/store_conformance.rs` run the same cases against both.

pub mod activity;
pub mod audit;
pub mod bids;
pub mod conversations;
pub mod dataroom;
pub mod embedded;
pub mod instrumented;
mod instrumented_activity;
pub mod market;
pub mod mongo;
pub mod users;
pub mod watchlist;

use std::fmt;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::domain::{Listing, ListingFilter, Page, SearchQuery};

pub use activity::ActivityStore;
pub use audit::AuditStore;
pub use bids::BidStore;
pub use conversations::ConversationStore;
pub use dataroom::DataRoomStore;
pub use embedded::EmbeddedStore;
pub use instrumented::InstrumentedStore;
pub use market::MarketStore;
pub use mongo::{MongoStore, redacted_uri};
pub use users::{UserPage, UserStore};
pub use watchlist::WatchlistStore;

/// Which backend a store is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreKind {
    /// SQLite in a local data directory.
    Embedded,
    /// A MongoDB-compatible server.
    Mongodb,
}

impl StoreKind {
    /// `embedded` or `mongodb`.
    pub fn as_str(self) -> &'static str {
        match self {
            StoreKind::Embedded => "embedded",
            StoreKind::Mongodb => "mongodb",
        }
    }
}

impl fmt::Display for StoreKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A store failure, by category: what the caller may do about it.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A record with this key (listing id, e-mail address, ...) already exists (user error).
    #[error("{0} already exists")]
    Conflict(String),
    /// The database cannot be reached right now (transient; retry later).
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// Stored data breaks the listing rules (bug or manual tampering).
    #[error("corrupt stored listing {id}: {reason}")]
    Corrupt {
        /// The offending listing.
        id: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The database schema is newer than this binary, or a migration failed.
    #[error("schema: {0}")]
    Schema(String),
    /// Any other backend failure (bug or unexpected backend state).
    #[error("store backend: {0}")]
    Backend(String),
}

/// Listing persistence. Searches follow [`SearchQuery::reference_page`] exactly.
#[async_trait]
pub trait ListingStore: Send + Sync + fmt::Debug {
    /// Which backend this is.
    fn kind(&self) -> StoreKind;

    /// Stores a new listing; [`StoreError::Conflict`] if the id exists.
    async fn insert(&self, listing: &Listing) -> Result<(), StoreError>;

    /// Stores many listings (bulk load). On a conflict an error is returned; listings before the
    /// conflicting one may or may not have been stored, depending on the backend.
    async fn insert_many(&self, listings: &[Listing]) -> Result<(), StoreError>;

    /// The listing with this id, if any.
    async fn get(&self, id: &str) -> Result<Option<Listing>, StoreError>;

    /// One page of listings matching the query, in its order.
    async fn search(&self, query: &SearchQuery) -> Result<Page, StoreError>;

    /// Replaces every field of the stored listing except its id, seller, creation time and
    /// view count, if its `updated_at` is still `expected_updated_at` (optimistic
    /// concurrency). `false`: the listing is gone or was changed meanwhile.
    async fn update(
        &self,
        listing: &Listing,
        expected_updated_at: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Deletes a listing if its `updated_at` is still `expected_updated_at`; `false`
    /// otherwise.
    async fn delete(
        &self,
        id: &str,
        expected_updated_at: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Adds one to the view count atomically (never changes `updated_at`); `false` when there
    /// is no such listing.
    async fn record_view(&self, id: &str) -> Result<bool, StoreError>;

    /// How many listings match the filter.
    async fn count(&self, filter: &ListingFilter) -> Result<u64, StoreError>;

    /// Checks that the database answers (readiness).
    async fn ping(&self) -> Result<(), StoreError>;
}

/// Everything the API persists: listings, accounts and sessions, the audit log, market data,
/// bids and offers, conversations, watchlists and saved searches, listing activity, data rooms.
pub trait Store:
    ListingStore
    + UserStore
    + AuditStore
    + MarketStore
    + BidStore
    + ConversationStore
    + WatchlistStore
    + ActivityStore
    + DataRoomStore
{
}

impl<T> Store for T where
    T: ListingStore
        + UserStore
        + AuditStore
        + MarketStore
        + BidStore
        + ConversationStore
        + WatchlistStore
        + ActivityStore
        + DataRoomStore
{
}
