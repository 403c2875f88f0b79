//! The commands: backup, restore, verify, list, prune. Each returns a typed result or a
//! [`BackupError`] that the CLI maps to the result line and exit code.

use std::time::Instant;

use age::x25519;
use chrono::{DateTime, Utc};
use tokio::sync::{mpsc, oneshot};

use super::archive::{ArchiveHeader, FORMAT_VERSION, Manifest};
use super::dest::{ARTIFACT_SUFFIX, Destination, MARKER_SUFFIX};
use super::marker::{Marker, PruneReport, Report};
use super::pipeline::{self, BATCH_DEPTH, ReadOutcome, Written};
use super::retention::{self, Artifact, Policy};
use super::store::{Staged, StoreHandle, StoreTarget};
use super::{BackupError, id};

/// Version written into archives and markers.
pub const APP_VERSION: &str = env!("CARGO_PKG_VERSION");
/// Orphaned artifacts (no marker) older than this are deleted by prune.
pub const ORPHAN_AGE: chrono::TimeDelta = chrono::TimeDelta::hours(24);

/// Options of `backup`.
pub struct BackupOptions {
    /// Artifact id (generated when absent).
    pub id: Option<String>,
    /// Recipients (public keys).
    pub recipients: Vec<x25519::Recipient>,
    /// zstd level 1..=19.
    pub compression_level: i32,
    /// When set, a full test restore into scratch with these identities.
    pub verify_with: Option<Vec<x25519::Identity>>,
}

impl std::fmt::Debug for BackupOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BackupOptions")
            .field("id", &self.id)
            .field("recipients", &self.recipients.len())
            .field("compression_level", &self.compression_level)
            .field("verify", &self.verify_with.is_some())
            .finish()
    }
}

fn artifact(id: &str) -> String {
    format!("{id}{ARTIFACT_SUFFIX}")
}

fn marker_name(id: &str) -> String {
    format!("{id}{MARKER_SUFFIX}")
}

fn seconds(since: Instant) -> f64 {
    (since.elapsed().as_secs_f64() * 1000.0).round() / 1000.0
}

/// First real error of a group of cooperating tasks (`None` means "my peer stopped").
fn first_error(errors: Vec<Option<BackupError>>, fallback: &str) -> BackupError {
    errors
        .into_iter()
        .flatten()
        .next()
        .unwrap_or_else(|| BackupError::Internal(fallback.to_owned()))
}

/// Dumps the store, writes the encrypted artifact, reads it back to verify sha256 and size,
/// optionally test-restores it, and only then writes the completion marker.
pub async fn backup(
    store: &StoreTarget,
    dest: &Destination,
    opts: BackupOptions,
) -> Result<Report, BackupError> {
    let clock = Instant::now();
    let started_at = Utc::now();
    let id = match &opts.id {
        Some(id) => {
            id::validate(id)?;
            id.clone()
        }
        None => id::generate(started_at),
    };
    if !(1..=19).contains(&opts.compression_level) {
        return Err(BackupError::Usage(
            "--compression-level must be between 1 and 19".into(),
        ));
    }
    dest.check().await?;
    if dest.get_small(&marker_name(&id)).await?.is_some() {
        return Err(BackupError::Usage(format!(
            "artifact {id} already exists at {}; choose another --id",
            dest.location(&artifact(&id))
        )));
    }
    let handle = StoreHandle::open(store).await?;
    let upload = dest.upload(&artifact(&id)).await?;

    let (tx, rx) = mpsc::channel(BATCH_DEPTH);
    let (version_tx, version_rx) = oneshot::channel();
    let dumper = {
        let handle = handle.clone();
        tokio::spawn(async move { handle.dump(version_tx, tx).await })
    };
    let Ok(schema_version) = version_rx.await else {
        drop(upload);
        let e = dumper.await.map_err(BackupError::from)?.err().flatten();
        return Err(e.unwrap_or_else(|| BackupError::Internal("the dump did not start".into())));
    };
    let header = ArchiveHeader {
        format_version: FORMAT_VERSION,
        app_version: APP_VERSION.to_owned(),
        store: store.kind().as_str().to_owned(),
        schema_version,
        started_at,
    };
    let recipients = opts.recipients.clone();
    let level = opts.compression_level;
    let sink = upload.sink;
    let writer = tokio::task::spawn_blocking(move || {
        pipeline::write_archive(rx, header, &recipients, level, sink)
    });
    let uploader = async {
        match upload.task {
            Some(t) => t.await.map_err(BackupError::from)?,
            None => Ok(()),
        }
    };
    let (dumped, written, uploaded) = tokio::join!(dumper, writer, uploader);
    let dumped = dumped.map_err(BackupError::from)?;
    let written = written.map_err(BackupError::from)?;
    let Written {
        sha256,
        size,
        manifest,
        plaintext_bytes,
    } = match (dumped, written, uploaded) {
        (Ok(()), Ok(w), Ok(())) => w,
        (d, w, u) => {
            let is_peer = |e: &BackupError| matches!(e, BackupError::Internal(_));
            let errors = vec![
                d.err().flatten(),
                w.err().filter(
                    |e| !matches!(e, BackupError::Destination(m) if m == "the upload stopped"),
                ),
                u.err().filter(|e| !is_peer(e)),
            ];
            let e = first_error(errors, "the backup failed");
            let _ = dest.delete(&artifact(&id)).await;
            return Err(e);
        }
    };
    let fail = |e: BackupError| async {
        let _ = dest.delete(&artifact(&id)).await;
        e
    };
    let (back_sha, back_size) = dest.checksum(&artifact(&id)).await?;
    if back_sha != sha256 || back_size != size {
        return Err(fail(BackupError::Integrity(format!(
            "the stored artifact does not match what was written ({back_size} of {size} bytes, \
             or different content); no marker written"
        )))
        .await);
    }
    let mut marker = Marker {
        format_version: FORMAT_VERSION,
        id: id.clone(),
        app_version: APP_VERSION.to_owned(),
        store: store.kind().as_str().to_owned(),
        started_at,
        finished_at: Utc::now(),
        size_bytes: size,
        sha256: sha256.clone(),
        recipients: opts.recipients.len(),
        counts: manifest.counts(),
        consistency: Some(manifest.consistency.clone()),
    };
    let verified = match &opts.verify_with {
        Some(identities) => {
            if let Err(e) = restore_artifact(&handle, dest, &marker, identities, true).await {
                return Err(fail(e.context("verifying the new artifact")).await);
            }
            true
        }
        None => false,
    };
    marker.finished_at = Utc::now();
    let json = serde_json::to_vec(&marker).map_err(BackupError::internal)?;
    dest.put_small(&marker_name(&id), json).await?;
    Ok(Report {
        ok: true,
        command: "backup".into(),
        id: id.clone(),
        location: dest.location(&artifact(&id)),
        size_bytes: size,
        sha256,
        counts: manifest.counts(),
        duration_seconds: seconds(clock),
        verified,
        checksum_verified: None,
        consistency: Some(manifest.consistency),
        archive_bytes: Some(plaintext_bytes),
        started_at,
        finished_at: Utc::now(),
    })
}

/// Markers at the destination, newest first. Unreadable markers are skipped with a warning.
pub async fn list(dest: &Destination) -> Result<Vec<Marker>, BackupError> {
    dest.check().await?;
    let mut markers = Vec::new();
    for obj in dest.list().await? {
        let Some(id) = obj.name.strip_suffix(MARKER_SUFFIX) else {
            continue;
        };
        if id::validate(id).is_err() {
            continue;
        }
        let Some(bytes) = dest.get_small(&obj.name).await? else {
            continue;
        };
        match Marker::parse(&bytes, id) {
            Ok(m) => markers.push(m),
            Err(e) => tracing::warn!(id, error = %e, "skipping an unreadable marker"),
        }
    }
    markers.sort_by(|a, b| (b.started_at, &b.id).cmp(&(a.started_at, &a.id)));
    Ok(markers)
}

/// The marker of `artifact` (`latest`: the newest).
pub async fn resolve(dest: &Destination, artifact_id: &str) -> Result<Marker, BackupError> {
    if artifact_id == "latest" {
        return list(dest).await?.into_iter().next().ok_or_else(|| {
            BackupError::Destination(format!("no completed backup at {}", dest.location("")))
        });
    }
    id::validate(artifact_id)?;
    dest.check().await?;
    match dest.get_small(&marker_name(artifact_id)).await? {
        Some(bytes) => Marker::parse(&bytes, artifact_id),
        None => Err(BackupError::Destination(format!(
            "artifact {artifact_id} not found (no completion marker at {})",
            dest.location(&marker_name(artifact_id))
        ))),
    }
}

/// Downloads, checks, decrypts and loads `marker`'s artifact into staging (`scratch`: a
/// scratch location for verify), verified against the archive and the marker's checksum.
async fn stage_artifact(
    handle: &StoreHandle,
    dest: &Destination,
    marker: &Marker,
    identities: &[x25519::Identity],
    scratch: bool,
) -> Result<Staged, BackupError> {
    let reader = dest.reader(&artifact(&marker.id)).await?;
    let (tx, rx) = mpsc::channel(BATCH_DEPTH);
    let ids = identities.to_vec();
    let reading = tokio::task::spawn_blocking(move || pipeline::read_archive(reader, &ids, tx));
    let (read, staged) = tokio::join!(reading, handle.stage(rx, scratch));
    let ReadOutcome {
        result,
        sha256,
        size,
    } = read.map_err(BackupError::from)?;
    let checksum_ok = sha256 == marker.sha256 && size == marker.size_bytes;
    let tampered = || {
        BackupError::Integrity(format!(
            "artifact {} does not match its recorded sha256 and size: it was modified or \
             truncated",
            marker.id
        ))
    };
    let error = match (result, staged) {
        (Ok(_), Ok(staged)) if checksum_ok => return Ok(staged),
        (Ok(_), Ok(staged)) => {
            handle.discard(staged).await;
            tampered()
        }
        (Err(Some(BackupError::Decryption(_))), _) if !checksum_ok => tampered(),
        (Err(Some(e)), staged) => {
            if let Ok(s) = staged {
                handle.discard(s).await;
            }
            e
        }
        (_, Err(e)) => e,
        (Err(None), Ok(s)) => {
            handle.discard(s).await;
            BackupError::Internal("the load stopped early".into())
        }
    };
    Err(error)
}

async fn restore_artifact(
    handle: &StoreHandle,
    dest: &Destination,
    marker: &Marker,
    identities: &[x25519::Identity],
    scratch: bool,
) -> Result<Manifest, BackupError> {
    let staged = stage_artifact(handle, dest, marker, identities, scratch).await?;
    let manifest = staged.manifest().clone();
    if scratch {
        handle.discard(staged).await;
    } else {
        handle.swap(staged).await?;
    }
    Ok(manifest)
}

fn check_store(store: &StoreTarget, marker: &Marker) -> Result<(), BackupError> {
    if marker.store != store.kind().as_str() {
        return Err(BackupError::Usage(format!(
            "artifact {} is a backup of a {} store; it cannot be restored into the {} store",
            marker.id,
            marker.store,
            store.kind()
        )));
    }
    Ok(())
}

async fn restore_or_verify(
    store: &StoreTarget,
    dest: &Destination,
    artifact_id: &str,
    identities: &[x25519::Identity],
    scratch: bool,
) -> Result<Report, BackupError> {
    let clock = Instant::now();
    let started_at = Utc::now();
    let marker = resolve(dest, artifact_id).await?;
    check_store(store, &marker)?;
    let handle = StoreHandle::open(store).await?;
    let manifest = restore_artifact(&handle, dest, &marker, identities, scratch).await?;
    Ok(Report {
        ok: true,
        command: if scratch { "verify" } else { "restore" }.into(),
        id: marker.id.clone(),
        location: dest.location(&artifact(&marker.id)),
        size_bytes: marker.size_bytes,
        sha256: marker.sha256.clone(),
        counts: manifest.counts(),
        duration_seconds: seconds(clock),
        verified: true,
        checksum_verified: Some(true),
        consistency: Some(manifest.consistency),
        archive_bytes: None,
        started_at,
        finished_at: Utc::now(),
    })
}

/// Restores `artifact_id` (or `latest`) into the store: staging, verification, swap. On any
/// failure the live data is untouched.
pub async fn restore(
    store: &StoreTarget,
    dest: &Destination,
    artifact_id: &str,
    identities: &[x25519::Identity],
) -> Result<Report, BackupError> {
    restore_or_verify(store, dest, artifact_id, identities, false).await
}

/// A full test restore into a scratch location; live data is never touched.
pub async fn verify(
    store: &StoreTarget,
    dest: &Destination,
    artifact_id: &str,
    identities: &[x25519::Identity],
) -> Result<Report, BackupError> {
    restore_or_verify(store, dest, artifact_id, identities, true).await
}

/// Applies `policy` at `now`; deletes markers first (so a half-deleted artifact is never
/// listed), then artifacts, then orphaned artifacts and temporary files older than 24 h.
pub async fn prune(
    dest: &Destination,
    policy: &Policy,
    dry_run: bool,
    now: DateTime<Utc>,
) -> Result<PruneReport, BackupError> {
    let clock = Instant::now();
    if policy.is_empty() {
        return Err(BackupError::Usage(
            "prune needs at least one of --keep-last, --keep-daily, --keep-weekly, --max-age"
                .into(),
        ));
    }
    let markers = list(dest).await?;
    let artifacts: Vec<Artifact> = markers
        .iter()
        .map(|m| Artifact {
            id: m.id.clone(),
            started_at: m.started_at,
        })
        .collect();
    let decision = retention::decide(&artifacts, policy, now);
    let listed = dest.list().await?;
    let orphans: Vec<String> = listed
        .iter()
        .filter(|o| now - o.modified > ORPHAN_AGE)
        .filter(|o| {
            let id = o.name.strip_suffix(ARTIFACT_SUFFIX);
            let temp = o.name.starts_with('.') && o.name.contains(".tmp-");
            temp || id.is_some_and(|id| !markers.iter().any(|m| m.id == id))
        })
        .map(|o| o.name.clone())
        .collect();
    if !dry_run {
        for id in &decision.delete {
            dest.delete(&marker_name(id)).await?;
            dest.delete(&artifact(id)).await?;
        }
        for name in &orphans {
            dest.delete(name).await?;
        }
    }
    Ok(PruneReport {
        ok: true,
        command: "prune".into(),
        kept: decision.keep,
        deleted: decision.delete,
        orphans_deleted: orphans,
        dry_run,
        duration_seconds: seconds(clock),
    })
}
