//! Backup support of the MongoDB store: dump every collection sorted by `_id` as raw BSON
//! (exact bytes), and restore into staging collections of the same database that are verified,
//! indexed, and then swapped in with `renameCollection`.
//!
//! Consistency of the dump: with a server that supports snapshot reads (MongoDB replica sets
//! and sharded clusters, 5.0+), every collection is read in one snapshot session: a single
//! point in time across collections (`snapshot`). Otherwise (standalone servers, FerretDB)
//! each collection is read by one cursor with the default read concern (`per-collection`):
//! writes made during the dump may be seen in some collections and not others.

use std::time::Duration;

use futures::TryStreamExt;
use mongodb::bson::{Document, RawDocumentBuf, doc};
use mongodb::options::ClientOptions;
use mongodb::{Client, ClientSession, Collection, Database};
use tokio::sync::mpsc;

use super::indexes::{self, IndexSpec};
use super::{AUDIT, LISTINGS, LOGIN_FAILURES, SESSIONS, USERS, error};
use crate::backup::BackupError;
use crate::backup::archive::CollectionHasher;
use crate::backup::block::{BlockPool, RecordBlock};
use crate::backup::pipeline::DumpEvent;

/// Version of the MongoDB data layout recorded in archives (bump when documents change shape
/// incompatibly).
pub const LAYOUT_VERSION: u32 = 1;
/// Prefix of the engine's own temporary collections (never dumped).
pub const TEMP_PREFIX: &str = "_ogf_";
/// Documents per cursor batch.
const CURSOR_BATCH: u32 = 1000;

pub(super) fn store_err(e: mongodb::error::Error, what: &str) -> BackupError {
    BackupError::Store(error::map(e, what).to_string())
}

/// A connection for backups and restores (does not create indexes on live collections).
#[derive(Debug, Clone)]
pub struct MongoBackup {
    pub(super) client: Client,
    pub(super) db: Database,
}

/// The indexes the store needs on collection `name` (none for unknown collections).
pub fn indexes_for(name: &str) -> Vec<IndexSpec> {
    match name {
        LISTINGS => indexes::listing_indexes(),
        USERS => indexes::user_indexes(),
        SESSIONS => indexes::session_indexes(),
        LOGIN_FAILURES => indexes::failure_indexes(),
        AUDIT => indexes::audit_indexes(),
        super::BIDS => indexes::bid_indexes(),
        super::OFFERS => indexes::offer_indexes(),
        super::MARKET_PRICES => indexes::market_indexes(),
        super::CONVERSATIONS => indexes::conversation_indexes(),
        super::MESSAGES => indexes::message_indexes(),
        super::WATCHLIST => indexes::watchlist_indexes(),
        super::SAVED_SEARCHES => indexes::saved_search_indexes(),
        super::ACTIVITY => indexes::activity_indexes(),
        super::DOCUMENTS => indexes::document_indexes(),
        super::NDA_REQUESTS => indexes::nda_indexes(),
        _ => Vec::new(),
    }
}

impl MongoBackup {
    /// Connects and pings (an unreachable server is a store error, exit 6).
    pub async fn connect(uri: &str, database: &str) -> Result<Self, BackupError> {
        let mut options = ClientOptions::parse(uri)
            .await
            .map_err(|_| BackupError::Usage("invalid MongoDB URI (not shown)".into()))?;
        options.app_name = Some("ogf-api-backup".to_owned());
        options
            .server_selection_timeout
            .get_or_insert(Duration::from_secs(5));
        options
            .connect_timeout
            .get_or_insert(Duration::from_secs(5));
        let client = Client::with_options(options)
            .map_err(|e| BackupError::Store(format!("MongoDB client: {}", e.kind)))?;
        let db = client.database(database);
        db.run_command(doc! { "ping": 1 })
            .await
            .map_err(|e| store_err(e, "connecting to MongoDB"))?;
        Ok(Self { client, db })
    }

    /// The database.
    pub fn database(&self) -> &Database {
        &self.db
    }

    /// Collection names to back up: everything but `system.*` and the engine's temporaries.
    pub async fn collection_names(&self) -> Result<Vec<String>, BackupError> {
        let mut names = self
            .db
            .list_collection_names()
            .await
            .map_err(|e| store_err(e, "listing collections"))?;
        names.retain(|n| !n.starts_with("system.") && !n.starts_with(TEMP_PREFIX));
        names.sort();
        Ok(names)
    }

    /// Dumps every collection; sends `Done` with the consistency obtained. `Err(None)`: the
    /// writer stopped taking events.
    pub async fn dump(&self, tx: mpsc::Sender<DumpEvent>) -> Result<(), Option<BackupError>> {
        let names = self.collection_names().await?;
        let mut session = self.client.start_session().snapshot(true).await.ok();
        if let Some(s) = session.as_mut() {
            // Probe: servers without snapshot reads (standalone servers) refuse the first read.
            // Reading a collection that may not exist is fine for the probe.
            let probe = names.first().map_or("_ogf_probe", String::as_str);
            let coll = self.db.collection::<RawDocumentBuf>(probe);
            // A server that really reads at a snapshot answers with its `atClusterTime`;
            // FerretDB accepts the read concern but ignores it (no cluster time).
            if probe_snapshot(&coll, s).await.is_err() || s.snapshot_time().is_none() {
                session = None;
            }
        }
        let consistency = if session.is_some() {
            "snapshot"
        } else {
            tracing::warn!(
                "the server does not support snapshot reads: each collection is read at its \
                 own point in time"
            );
            "per-collection"
        };
        for name in &names {
            tx.send(DumpEvent::Begin(name.clone()))
                .await
                .map_err(|_| None::<BackupError>)?;
            let coll = self.db.collection::<RawDocumentBuf>(name);
            match session.as_mut() {
                Some(s) => dump_in_session(&coll, s, &tx).await?,
                None => dump_plain(&coll, &tx).await?,
            }
        }
        tx.send(DumpEvent::Done {
            consistency: consistency.to_owned(),
        })
        .await
        .map_err(|_| None::<BackupError>)
    }

    /// Count and sha256 of collection `name`, read exactly as a dump reads it.
    pub async fn summarize(&self, name: &str) -> Result<(u64, String), BackupError> {
        let coll = self.db.collection::<RawDocumentBuf>(name);
        let mut cursor = coll
            .find(doc! {})
            .sort(doc! { "_id": 1 })
            .batch_size(CURSOR_BATCH)
            .await
            .map_err(|e| store_err(e, "reading back"))?;
        let mut h = CollectionHasher::default();
        while let Some(d) = cursor
            .try_next()
            .await
            .map_err(|e| store_err(e, "reading back"))?
        {
            h.add(d.as_bytes());
        }
        let (s, _) = h.finish(name);
        Ok((s.count, s.sha256))
    }

    /// Drops collection `name` (missing is fine).
    pub async fn drop_collection(&self, name: &str) -> Result<(), BackupError> {
        self.db
            .collection::<Document>(name)
            .drop()
            .await
            .map_err(|e| store_err(e, "dropping a temporary collection"))
    }
}

async fn send_block(
    tx: &mpsc::Sender<DumpEvent>,
    block: RecordBlock,
) -> Result<(), Option<BackupError>> {
    tx.send(DumpEvent::Records(block))
        .await
        .map_err(|_| None::<BackupError>)
}

/// Adds `doc` to `block` and sends the block once it is full (a new one from `pool` takes
/// its place).
async fn add(
    tx: &mpsc::Sender<DumpEvent>,
    pool: &BlockPool,
    block: &mut RecordBlock,
    doc: &[u8],
) -> Result<(), Option<BackupError>> {
    block.push(doc)?;
    if block.is_full() {
        send_block(tx, std::mem::replace(block, pool.block())).await?;
    }
    Ok(())
}

async fn dump_in_session(
    coll: &Collection<RawDocumentBuf>,
    session: &mut ClientSession,
    tx: &mpsc::Sender<DumpEvent>,
) -> Result<(), Option<BackupError>> {
    let mut cursor = coll
        .find(doc! {})
        .sort(doc! { "_id": 1 })
        .batch_size(CURSOR_BATCH)
        .session(&mut *session)
        .await
        .map_err(|e| store_err(e, "reading a collection"))?;
    let pool = BlockPool::new();
    let mut block = pool.block();
    while let Some(d) = cursor.next(session).await {
        let d = d.map_err(|e| store_err(e, "reading a collection"))?;
        add(tx, &pool, &mut block, d.as_bytes()).await?;
    }
    if !block.is_empty() {
        send_block(tx, block).await?;
    }
    Ok(())
}

async fn dump_plain(
    coll: &Collection<RawDocumentBuf>,
    tx: &mpsc::Sender<DumpEvent>,
) -> Result<(), Option<BackupError>> {
    let mut cursor = coll
        .find(doc! {})
        .sort(doc! { "_id": 1 })
        .batch_size(CURSOR_BATCH)
        .await
        .map_err(|e| store_err(e, "reading a collection"))?;
    let pool = BlockPool::new();
    let mut block = pool.block();
    while let Some(d) = cursor
        .try_next()
        .await
        .map_err(|e| store_err(e, "reading a collection"))?
    {
        add(tx, &pool, &mut block, d.as_bytes()).await?;
    }
    if !block.is_empty() {
        send_block(tx, block).await?;
    }
    Ok(())
}

async fn probe_snapshot(
    coll: &Collection<RawDocumentBuf>,
    session: &mut ClientSession,
) -> Result<(), mongodb::error::Error> {
    let mut cursor = coll
        .find(doc! {})
        .sort(doc! { "_id": 1 })
        .limit(1)
        .session(&mut *session)
        .await?;
    cursor.next(session).await.transpose().map(|_| ())
}
