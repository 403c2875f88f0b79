//! Restore side of the MongoDB store: load into staging collections `_ogf_stage_<token>_<name>`,
//! verify counts and hashes by reading them back, create the store's indexes, then swap them in
//! with `renameCollection`. The live collections are first renamed aside
//! (`_ogf_old_<token>_<name>`) and dropped only after every swap succeeded; any failure renames
//! them back. (So `dropTarget` is never needed: the target name is always free, which also
//! suits FerretDB v1.24, whose `renameCollection` rejects `dropTarget: true`.)

use mongodb::bson::{Document, RawDocumentBuf, doc};
use tokio::sync::mpsc;

use super::dump::{LAYOUT_VERSION, MongoBackup, TEMP_PREFIX, indexes_for, store_err};
use super::indexes;
use crate::backup::BackupError;
use crate::backup::archive::{Manifest, check_header};
use crate::backup::pipeline::LoadEvent;

/// Documents per `insertMany`.
const INSERT_BATCH: usize = 1000;
/// Bytes per `insertMany` (data-room documents are up to several MiB each).
const INSERT_BATCH_BYTES: usize = 16 << 20;

/// Staging collections, loaded and verified, not yet in place. Call [`MongoBackup::swap`] or
/// [`MongoBackup::discard`].
#[derive(Debug)]
pub struct StagedMongo {
    token: String,
    /// (archive name, staging name), in archive order.
    names: Vec<(String, String)>,
    manifest: Manifest,
}

impl StagedMongo {
    /// The archive's manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }
}

impl MongoBackup {
    /// Loads the events into staging collections (`scratch`: named for a verify) and verifies
    /// them. On failure the staging collections are dropped.
    pub async fn stage(
        &self,
        mut rx: mpsc::Receiver<LoadEvent>,
        scratch: bool,
    ) -> Result<StagedMongo, BackupError> {
        let header = match rx.recv().await {
            Some(LoadEvent::Header(h)) => h,
            _ => return Err(BackupError::Internal("archive stream ended early".into())),
        };
        check_header("mongodb", LAYOUT_VERSION, &header)?;
        let token = format!("{:08x}", rand::random::<u32>());
        let kind = if scratch { "verify" } else { "stage" };
        let mut staged = StagedMongo {
            token: token.clone(),
            names: Vec::new(),
            manifest: Manifest::empty(),
        };
        let result = self
            .load(
                &mut rx,
                &mut staged,
                &format!("{TEMP_PREFIX}{kind}_{token}_"),
            )
            .await;
        match result {
            Ok(()) => Ok(staged),
            Err(e) => {
                self.discard(staged).await;
                Err(e)
            }
        }
    }

    async fn load(
        &self,
        rx: &mut mpsc::Receiver<LoadEvent>,
        staged: &mut StagedMongo,
        prefix: &str,
    ) -> Result<(), BackupError> {
        let mut current: Option<mongodb::Collection<RawDocumentBuf>> = None;
        let mut pending: Vec<RawDocumentBuf> = Vec::new();
        let mut pending_bytes = 0usize;
        let manifest = loop {
            match rx.recv().await {
                Some(LoadEvent::Begin(name)) => {
                    let stage = format!("{prefix}{name}");
                    self.db
                        .create_collection(&stage)
                        .await
                        .map_err(|e| store_err(e, "creating a staging collection"))?;
                    staged.names.push((name, stage.clone()));
                    current = Some(self.db.collection(&stage));
                }
                Some(LoadEvent::Records(records)) => {
                    let coll = current.as_ref().ok_or_else(|| {
                        BackupError::Internal("records outside a collection".into())
                    })?;
                    for r in records {
                        let d = RawDocumentBuf::from_bytes(r).map_err(|_| {
                            BackupError::Integrity("a record is not a valid BSON document".into())
                        })?;
                        pending_bytes += d.as_bytes().len();
                        pending.push(d);
                        if pending.len() >= INSERT_BATCH || pending_bytes >= INSERT_BATCH_BYTES {
                            insert(coll, &mut pending).await?;
                            pending_bytes = 0;
                        }
                    }
                }
                Some(LoadEvent::End(_)) => {
                    if let Some(coll) = current.take() {
                        insert(&coll, &mut pending).await?;
                        pending_bytes = 0;
                    }
                }
                Some(LoadEvent::Trailer(m)) => break m,
                Some(LoadEvent::Header(_)) | None => {
                    return Err(BackupError::Internal("archive stream ended early".into()));
                }
            }
        };
        for (summary, (_, stage)) in manifest.collections.iter().zip(&staged.names) {
            let (count, sha) = self.summarize(stage).await?;
            if count != summary.count || sha != summary.sha256 {
                return Err(BackupError::Integrity(format!(
                    "after loading, collection {} does not match the archive ({count} of {} \
                     documents, or different content)",
                    summary.name, summary.count
                )));
            }
            let coll = self.db.collection::<Document>(stage);
            indexes::ensure(&coll, indexes_for(&summary.name))
                .await
                .map_err(|e| {
                    BackupError::Integrity(format!("creating the indexes of {}: {e}", summary.name))
                })?;
        }
        staged.manifest = manifest;
        Ok(())
    }

    /// Drops the staging collections.
    pub async fn discard(&self, staged: StagedMongo) {
        for (_, stage) in &staged.names {
            if let Err(e) = self.drop_collection(stage).await {
                tracing::warn!(collection = %stage, error = %e, "dropping a staging collection failed");
            }
        }
    }

    async fn rename(&self, from: &str, to: &str) -> Result<(), BackupError> {
        let db = self.db.name();
        self.client
            .database("admin")
            .run_command(doc! {
                "renameCollection": format!("{db}.{from}"),
                "to": format!("{db}.{to}"),
            })
            .await
            .map(|_| ())
            .map_err(|e| store_err(e, &format!("renaming {from} to {to}")))
    }

    /// Swaps the staging collections in. Live collections (including ones the archive does
    /// not have) are renamed aside first and dropped only when every rename succeeded; on a
    /// failure everything is renamed back and the live data is as before.
    pub async fn swap(&self, staged: StagedMongo) -> Result<Manifest, BackupError> {
        let live = self.collection_names().await?;
        let mut moved: Vec<(String, String)> = Vec::new();
        let mut installed: Vec<(String, String)> = Vec::new();
        let result = async {
            for name in &live {
                let old = format!("{TEMP_PREFIX}old_{}_{name}", staged.token);
                self.rename(name, &old).await?;
                moved.push((name.clone(), old));
            }
            for (name, stage) in &staged.names {
                self.rename(stage, name).await?;
                installed.push((name.clone(), stage.clone()));
            }
            Ok::<(), BackupError>(())
        }
        .await;
        if let Err(e) = result {
            for (name, stage) in installed.iter().rev() {
                if let Err(e) = self.rename(name, stage).await {
                    tracing::error!(error = %e, "rollback: renaming a restored collection back failed");
                }
            }
            for (name, old) in moved.iter().rev() {
                if let Err(e) = self.rename(old, name).await {
                    tracing::error!(error = %e, "rollback: renaming a live collection back failed");
                }
            }
            self.discard(staged).await;
            return Err(e.context("swapping the restored collections in (rolled back)"));
        }
        for (_, old) in &moved {
            if let Err(e) = self.drop_collection(old).await {
                tracing::warn!(collection = %old, error = %e, "dropping a replaced collection failed");
            }
        }
        Ok(staged.manifest)
    }
}

async fn insert(
    coll: &mongodb::Collection<RawDocumentBuf>,
    pending: &mut Vec<RawDocumentBuf>,
) -> Result<(), BackupError> {
    if pending.is_empty() {
        return Ok(());
    }
    let docs = std::mem::take(pending);
    coll.insert_many(docs)
        .ordered(true)
        .await
        .map(|_| ())
        .map_err(|e| store_err(e, "loading a staging collection"))
}
