//! The two stores behind one interface for the engine: open, dump, stage, swap.

use std::path::PathBuf;

use tokio::sync::mpsc;

use super::BackupError;
use super::archive::Manifest;
use super::pipeline::{DumpEvent, LoadEvent};
use crate::store::StoreKind;
use crate::store::embedded::dump as embedded;
use crate::store::mongo::dump::{LAYOUT_VERSION, MongoBackup};
use crate::store::mongo::restore::StagedMongo;

/// Which database to back up or restore into.
#[derive(Clone)]
pub enum StoreTarget {
    /// The embedded store in this data directory (file `ogf.sqlite3`).
    Embedded {
        /// Data directory.
        data_dir: PathBuf,
    },
    /// A MongoDB database.
    Mongodb {
        /// Connection string (never printed).
        uri: String,
        /// Database name.
        database: String,
    },
}

impl std::fmt::Debug for StoreTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreTarget::Embedded { data_dir } => write!(f, "embedded at {}", data_dir.display()),
            StoreTarget::Mongodb { uri, database } => write!(
                f,
                "mongodb at {}, database {database}",
                crate::store::redacted_uri(uri)
            ),
        }
    }
}

impl StoreTarget {
    /// The store kind.
    pub fn kind(&self) -> StoreKind {
        match self {
            StoreTarget::Embedded { .. } => StoreKind::Embedded,
            StoreTarget::Mongodb { .. } => StoreKind::Mongodb,
        }
    }
}

/// An opened store.
#[derive(Debug, Clone)]
pub(crate) enum StoreHandle {
    Embedded(PathBuf),
    Mongodb(MongoBackup),
}

/// A loaded, verified staging copy.
#[derive(Debug)]
pub(crate) enum Staged {
    Embedded(embedded::Staged),
    Mongodb(StagedMongo),
}

impl Staged {
    pub(crate) fn manifest(&self) -> &Manifest {
        match self {
            Staged::Embedded(s) => s.manifest(),
            Staged::Mongodb(s) => s.manifest(),
        }
    }
}

impl StoreHandle {
    /// Connects (mongodb) or locates the data directory (embedded; nothing is opened yet).
    pub(crate) async fn open(target: &StoreTarget) -> Result<Self, BackupError> {
        match target {
            StoreTarget::Embedded { data_dir } => Ok(StoreHandle::Embedded(data_dir.clone())),
            StoreTarget::Mongodb { uri, database } => Ok(StoreHandle::Mongodb(
                MongoBackup::connect(uri, database).await?,
            )),
        }
    }

    /// Runs the dump, sending events to `tx`. Returns the schema version through `version_tx`
    /// before the first event.
    pub(crate) async fn dump(
        &self,
        version_tx: tokio::sync::oneshot::Sender<u32>,
        tx: mpsc::Sender<DumpEvent>,
    ) -> Result<(), Option<BackupError>> {
        match self {
            StoreHandle::Embedded(dir) => {
                let dir = dir.clone();
                tokio::task::spawn_blocking(move || {
                    let (mut conn, version) = embedded::open_read_only(&dir)?;
                    let _ = version_tx.send(version);
                    embedded::dump(&mut conn, &tx)
                })
                .await
                .map_err(|e| Some(BackupError::from(e)))?
            }
            StoreHandle::Mongodb(m) => {
                let _ = version_tx.send(LAYOUT_VERSION);
                m.dump(tx).await
            }
        }
    }

    /// Loads the archive events into staging (or scratch) and verifies them.
    pub(crate) async fn stage(
        &self,
        rx: mpsc::Receiver<LoadEvent>,
        scratch: bool,
    ) -> Result<Staged, BackupError> {
        match self {
            StoreHandle::Embedded(dir) => {
                let dir = dir.clone();
                let staged =
                    tokio::task::spawn_blocking(move || embedded::stage(&dir, rx, scratch))
                        .await??;
                Ok(Staged::Embedded(staged))
            }
            StoreHandle::Mongodb(m) => Ok(Staged::Mongodb(m.stage(rx, scratch).await?)),
        }
    }

    /// Puts a staged copy in place of the live data.
    pub(crate) async fn swap(&self, staged: Staged) -> Result<(), BackupError> {
        match (self, staged) {
            (StoreHandle::Embedded(_), Staged::Embedded(s)) => {
                tokio::task::spawn_blocking(move || embedded::swap(s)).await?
            }
            (StoreHandle::Mongodb(m), Staged::Mongodb(s)) => m.swap(s).await.map(|_| ()),
            _ => Err(BackupError::Internal("staged copy of another store".into())),
        }
    }

    /// Throws a staged copy away.
    pub(crate) async fn discard(&self, staged: Staged) {
        match (self, staged) {
            (StoreHandle::Mongodb(m), Staged::Mongodb(s)) => m.discard(s).await,
            // Dropping the embedded staging file deletes it.
            (_, s) => drop(s),
        }
    }
}
