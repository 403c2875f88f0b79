//! MongoDB store (official driver). Tested against FerretDB v1 (SQLite backend); see
//! [`filter`] for how `q` is matched and `api-server/README.md` for FerretDB differences.

mod activity;
mod audit;
mod bids;
mod conversations;
mod dataroom;
mod doc;
pub mod dump;
mod error;
mod filter;
pub mod indexes;
mod listings;
mod market;
pub mod restore;
mod uri;
mod user_docs;
mod users;
mod watchlist;

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use mongodb::bson::doc;
use mongodb::options::ClientOptions;
use mongodb::{Client, Collection, Database};

pub use self::activity::ACTIVITY;
pub use self::bids::{BIDS, OFFERS};
pub use self::conversations::{CONVERSATIONS, MESSAGES};
pub use self::dataroom::{DOCUMENT_BLOBS, DOCUMENTS, NDA_REQUESTS};
use self::doc::ListingDoc;
pub use self::market::MARKET_PRICES;
pub use self::uri::redacted_uri;
use self::user_docs::{AuditDoc, FailureDoc, SessionDoc, UserDoc};
pub use self::watchlist::{SAVED_SEARCHES, WATCHLIST};
use super::{ListingStore, StoreError, StoreKind};
use crate::domain::{Listing, ListingFilter, Page, SearchQuery};

/// Name of the listings collection.
pub const LISTINGS: &str = "listings";
/// Name of the accounts collection.
pub const USERS: &str = "users";
/// Name of the sessions collection (one document per refresh-token generation).
pub const SESSIONS: &str = "sessions";
/// Name of the failed sign-ins collection.
pub const LOGIN_FAILURES: &str = "login_failures";
/// Name of the audit log collection.
pub const AUDIT: &str = "audit";
/// How long a readiness ping may take.
const PING_TIMEOUT: Duration = Duration::from_secs(2);

/// The MongoDB store. Cheap to clone (the driver's client is a handle to a pool).
#[derive(Debug, Clone)]
pub struct MongoStore {
    db: Database,
    listings: Collection<ListingDoc>,
    users: Collection<UserDoc>,
    sessions: Collection<SessionDoc>,
    failures: Collection<FailureDoc>,
    audit: Collection<AuditDoc>,
}

impl MongoStore {
    /// Connects to `uri`, uses database `database`, and creates the indexes.
    pub async fn connect(uri: &str, database: &str) -> Result<Self, StoreError> {
        let mut options = ClientOptions::parse(uri)
            .await
            .map_err(|e| match e.kind.as_ref() {
                // Parse errors may quote the URI, which can hold a password: say only what failed.
                mongodb::error::ErrorKind::InvalidArgument { .. } => {
                    StoreError::Unavailable("invalid MongoDB URI".to_owned())
                }
                _ => StoreError::Unavailable("resolving the MongoDB URI failed".to_owned()),
            })?;
        options.app_name = Some("ogf-api".to_owned());
        options.server_selection_timeout = Some(Duration::from_secs(5));
        options.connect_timeout = Some(Duration::from_secs(5));
        let client = Client::with_options(options)
            .map_err(|e| StoreError::Unavailable(format!("MongoDB client: {}", e.kind)))?;
        let db = client.database(database);
        let store = Self {
            listings: db.collection(LISTINGS),
            users: db.collection(USERS),
            sessions: db.collection(SESSIONS),
            failures: db.collection(LOGIN_FAILURES),
            audit: db.collection(AUDIT),
            db,
        };
        indexes::ensure(&store.listings, indexes::listing_indexes()).await?;
        listings::backfill(&store.listings).await?;
        indexes::ensure(&store.users, indexes::user_indexes()).await?;
        indexes::ensure(&store.sessions, indexes::session_indexes()).await?;
        indexes::ensure(&store.failures, indexes::failure_indexes()).await?;
        indexes::ensure(&store.audit, indexes::audit_indexes()).await?;
        indexes::ensure(
            &store.db.collection::<mongodb::bson::Document>(BIDS),
            indexes::bid_indexes(),
        )
        .await?;
        indexes::ensure(
            &store.db.collection::<mongodb::bson::Document>(OFFERS),
            indexes::offer_indexes(),
        )
        .await?;
        indexes::ensure(
            &store
                .db
                .collection::<mongodb::bson::Document>(MARKET_PRICES),
            indexes::market_indexes(),
        )
        .await?;
        for name in [
            CONVERSATIONS,
            MESSAGES,
            WATCHLIST,
            SAVED_SEARCHES,
            ACTIVITY,
            DOCUMENTS,
            NDA_REQUESTS,
        ] {
            let coll = store.db.collection::<mongodb::bson::Document>(name);
            indexes::ensure(&coll, dump::indexes_for(name)).await?;
        }
        Ok(store)
    }

    /// Drops the whole database (tests and tooling only).
    pub async fn drop_database(&self) -> Result<(), StoreError> {
        self.db
            .drop()
            .await
            .map_err(|e| error::map(e, "dropping database"))
    }

    /// Name of the database in use.
    pub fn database_name(&self) -> &str {
        self.db.name()
    }

    /// Names of the indexes on the listings collection.
    pub async fn index_names(&self) -> Result<Vec<String>, StoreError> {
        self.collection_index_names(LISTINGS).await
    }

    /// Names of the indexes on collection `name`.
    pub async fn collection_index_names(&self, name: &str) -> Result<Vec<String>, StoreError> {
        self.db
            .collection::<mongodb::bson::Document>(name)
            .list_index_names()
            .await
            .map_err(|e| error::map(e, "listing indexes"))
    }
}

#[async_trait]
impl ListingStore for MongoStore {
    fn kind(&self) -> StoreKind {
        StoreKind::Mongodb
    }

    async fn insert(&self, listing: &Listing) -> Result<(), StoreError> {
        match self.listings.insert_one(ListingDoc::from(listing)).await {
            Ok(_) => Ok(()),
            Err(e) if error::is_duplicate_key(&e) => Err(StoreError::Conflict(listing.id.clone())),
            Err(e) => Err(error::map(e, "insert")),
        }
    }

    async fn insert_many(&self, listings: &[Listing]) -> Result<(), StoreError> {
        if listings.is_empty() {
            return Ok(());
        }
        let docs = listings.iter().map(ListingDoc::from);
        match self.listings.insert_many(docs).ordered(true).await {
            Ok(_) => Ok(()),
            Err(e) if error::is_duplicate_key(&e) => {
                Err(StoreError::Conflict("(bulk insert)".to_owned()))
            }
            Err(e) => Err(error::map(e, "insert_many")),
        }
    }

    async fn get(&self, id: &str) -> Result<Option<Listing>, StoreError> {
        let found = self
            .listings
            .find_one(doc! { "_id": id })
            .await
            .map_err(|e| error::map(e, "get"))?;
        found.map(Listing::try_from).transpose()
    }

    async fn search(&self, query: &SearchQuery) -> Result<Page, StoreError> {
        listings::search(&self.listings, query).await
    }

    async fn count(&self, filter: &ListingFilter) -> Result<u64, StoreError> {
        listings::count(&self.listings, filter).await
    }

    async fn update(
        &self,
        listing: &Listing,
        expected_updated_at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let expected = expected_updated_at.timestamp_millis();
        listings::update(&self.listings, listing, expected).await
    }

    async fn delete(
        &self,
        id: &str,
        expected_updated_at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let expected = expected_updated_at.timestamp_millis();
        listings::delete(&self.listings, id, expected).await
    }

    async fn record_view(&self, id: &str) -> Result<bool, StoreError> {
        listings::record_view(&self.listings, id).await
    }

    async fn ping(&self) -> Result<(), StoreError> {
        match tokio::time::timeout(PING_TIMEOUT, self.db.run_command(doc! { "ping": 1 })).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(StoreError::Unavailable(format!("ping: {e}"))),
            Err(_) => Err(StoreError::Unavailable(format!(
                "ping: no answer within {PING_TIMEOUT:?}"
            ))),
        }
    }
}
