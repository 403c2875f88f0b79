//! Embedded store: SQLite (bundled, WAL, FTS5) in a data directory.
//!
//! SQLite calls block, so every operation runs on tokio's blocking pool
//! ([`tokio::task::spawn_blocking`]), never on the async worker threads. One writer connection
//! serialises writes; a few read-only connections serve reads concurrently (WAL lets readers
//! run alongside the writer). Callers wait for a connection in a fair (FIFO) async queue
//! before a blocking thread is taken: without it, fifty concurrent searches parked fifty
//! blocking threads on the connections' mutexes, newcomers overtook the parked ones, and the
//! tail latency was several times the median.

mod activity;
mod audit;
mod bids;
mod conversations;
mod dataroom;
pub mod dump;
mod functions;
mod listings;
mod load;
mod market;
mod pool;
mod query;
mod row;
pub mod schema;
mod text_counts;
mod users;
mod watchlist;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use rusqlite::{Connection, OpenFlags};
use tokio::sync::Semaphore;

use chrono::{DateTime, Utc};

use self::pool::Connections;
use self::text_counts::TextCounts;
use super::{ListingStore, StoreError, StoreKind};
use crate::domain::{Listing, ListingFilter, Page, SearchQuery};

/// File name of the database inside the data directory.
pub const DB_FILE: &str = "ogf.sqlite3";
/// Read connections kept open.
const READERS: usize = 4;
/// Prepared statements cached per connection: searches have one statement per combination
/// of filters, order and access path, more than rusqlite's default of 16.
const STATEMENT_CACHE: usize = 256;

/// The embedded store. Cheap to clone.
#[derive(Debug, Clone)]
pub struct EmbeddedStore {
    conns: Arc<Connections>,
    /// One permit per reader connection: the fair queue of reads.
    read_turns: Arc<Semaphore>,
    /// One permit: the fair queue of writes.
    write_turns: Arc<Semaphore>,
    path: Arc<PathBuf>,
}

impl EmbeddedStore {
    /// Opens (creating if needed) the database in `data_dir` and migrates its schema.
    pub async fn open(data_dir: &Path) -> Result<Self, StoreError> {
        let dir = data_dir.to_path_buf();
        tokio::task::spawn_blocking(move || Self::open_blocking(&dir))
            .await
            .map_err(|e| StoreError::Backend(format!("open task failed: {e}")))?
    }

    fn open_blocking(dir: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(dir).map_err(|e| {
            StoreError::Unavailable(format!("creating data directory {}: {e}", dir.display()))
        })?;
        let path = dir.join(DB_FILE);
        let open = |extra: OpenFlags| -> Result<Connection, StoreError> {
            let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
                | extra;
            let conn = Connection::open_with_flags(&path, flags)
                .map_err(|e| StoreError::Unavailable(format!("opening {}: {e}", path.display())))?;
            schema::configure(&conn)?;
            conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
            functions::register(&conn)?;
            Ok(conn)
        };
        let mut writer = open(OpenFlags::empty())?;
        schema::migrate(&mut writer)?;
        let readers = (0..READERS)
            .map(|_| {
                let conn = open(OpenFlags::empty())?;
                conn.pragma_update(None, "query_only", true)
                    .map_err(row::backend)?;
                Ok(conn)
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(Self {
            conns: Arc::new(Connections::new(writer, readers)),
            read_turns: Arc::new(Semaphore::new(READERS)),
            write_turns: Arc::new(Semaphore::new(1)),
            path: Arc::new(path),
        })
    }

    /// Path of the database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let conns = Arc::clone(&self.conns);
        in_turn(&self.read_turns, "read", move || conns.with_reader(f)).await
    }

    /// [`EmbeddedStore::read`] for searches: with the connection's [`TextCounts`].
    async fn read_searching<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection, &mut TextCounts) -> Result<T, StoreError> + Send + 'static,
    {
        let conns = Arc::clone(&self.conns);
        in_turn(&self.read_turns, "search", move || {
            conns.with_searching_reader(f)
        })
        .await
    }

    async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let conns = Arc::clone(&self.conns);
        in_turn(&self.write_turns, "write", move || conns.with_writer(f)).await
    }
}

/// Runs `job` on a blocking thread once a permit of `turns` is ours (in arrival order).
async fn in_turn<T: Send + 'static>(
    turns: &Arc<Semaphore>,
    what: &'static str,
    job: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    let turn = wait_turn(turns).await?;
    tokio::task::spawn_blocking(move || {
        let _turn = turn;
        job()
    })
    .await
    .map_err(|e| StoreError::Backend(format!("{what} task failed: {e}")))?
}

/// Waits, in arrival order, for a permit of `turns` (never closed).
async fn wait_turn(
    turns: &Arc<Semaphore>,
) -> Result<tokio::sync::OwnedSemaphorePermit, StoreError> {
    Arc::clone(turns)
        .acquire_owned()
        .await
        .map_err(|e| StoreError::Backend(format!("connection queue closed: {e}")))
}

#[async_trait]
impl ListingStore for EmbeddedStore {
    fn kind(&self) -> StoreKind {
        StoreKind::Embedded
    }

    async fn insert(&self, listing: &Listing) -> Result<(), StoreError> {
        let listing = listing.clone();
        self.write(move |conn| row::insert(conn, &listing)).await
    }

    async fn insert_many(&self, listings: &[Listing]) -> Result<(), StoreError> {
        let listings = listings.to_vec();
        self.write(move |conn| {
            let tx = conn.transaction().map_err(row::backend)?;
            for l in &listings {
                row::insert(&tx, l)?;
            }
            tx.commit().map_err(row::backend)
        })
        .await
    }

    async fn get(&self, id: &str) -> Result<Option<Listing>, StoreError> {
        let id = id.to_owned();
        self.read(move |conn| listings::get(conn, &id)).await
    }

    async fn search(&self, query: &SearchQuery) -> Result<Page, StoreError> {
        let query = query.clone();
        self.read_searching(move |conn, counts| listings::search(conn, &query, counts))
            .await
    }

    async fn count(&self, filter: &ListingFilter) -> Result<u64, StoreError> {
        let filter = filter.clone();
        self.read(move |conn| listings::count(conn, &filter)).await
    }

    async fn update(
        &self,
        listing: &Listing,
        expected_updated_at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let listing = listing.clone();
        let expected = expected_updated_at.timestamp_millis();
        self.write(move |conn| row::update(conn, &listing, expected))
            .await
    }

    async fn delete(
        &self,
        id: &str,
        expected_updated_at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let id = id.to_owned();
        let expected = expected_updated_at.timestamp_millis();
        self.write(move |conn| listings::delete(conn, &id, expected))
            .await
    }

    async fn record_view(&self, id: &str) -> Result<bool, StoreError> {
        let id = id.to_owned();
        self.write(move |conn| listings::record_view(conn, &id))
            .await
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.read(|conn| {
            conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
                r.get::<_, i64>(0)
            })
            .map(|_| ())
            .map_err(|e| StoreError::Unavailable(e.to_string()))
        })
        .await
    }
}
