//! Where artifacts live: S3-compatible object storage or a local (mounted) directory.
//!
//! Objects for artifact `ID` under the prefix: `ID.ogfbak` (the encrypted artifact) and
//! `ID.json` (the completion marker, written last).

pub mod channel;
mod local;
mod s3;

use std::io::{Read, Write};
use std::path::PathBuf;

use chrono::{DateTime, Utc};

pub use self::local::LocalDir;
pub use self::s3::S3;
use super::BackupError;

/// Suffix of artifacts.
pub const ARTIFACT_SUFFIX: &str = ".ogfbak";
/// Suffix of completion markers.
pub const MARKER_SUFFIX: &str = ".json";

/// Destination options (the contract's flags).
#[derive(Debug, Clone, Default)]
pub struct DestinationConfig {
    /// `s3://BUCKET/PREFIX` or `file:///ABSOLUTE/DIR`.
    pub url: String,
    /// S3 endpoint (absent: AWS).
    pub s3_endpoint: Option<String>,
    /// S3 region.
    pub s3_region: String,
    /// Path-style requests (MinIO and most non-AWS servers).
    pub s3_force_path_style: bool,
    /// PEM bundle trusted in addition to the system roots.
    pub s3_ca_file: Option<PathBuf>,
    /// Directory with files `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY`.
    pub s3_credentials_dir: Option<PathBuf>,
}

/// An object found by listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// File name under the prefix (`ID.json`, `ID.ogfbak`).
    pub name: String,
    /// Size in bytes.
    pub size: u64,
    /// Last modification.
    pub modified: DateTime<Utc>,
}

/// A writer that receives the artifact's bytes on the pipeline thread.
pub trait ArtifactSink: Write + Send {
    /// Called once after the last byte on success (flush, fsync, hand over). Dropping the sink
    /// without calling it abandons the artifact.
    fn finish(self: Box<Self>) -> Result<(), BackupError>;
}

/// An upload in progress: the sink for the pipeline thread and, for S3, the async task that
/// uploads the parts (await it after the sink finished).
pub struct Upload {
    /// The bytes go here.
    pub sink: Box<dyn ArtifactSink>,
    /// The uploader, if the destination needs one.
    pub task: Option<tokio::task::JoinHandle<Result<(), BackupError>>>,
}

impl std::fmt::Debug for Upload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upload").finish_non_exhaustive()
    }
}

/// An opened destination.
#[derive(Debug, Clone)]
pub enum Destination {
    /// S3-compatible object storage.
    S3(S3),
    /// A local or mounted directory.
    Local(LocalDir),
}

impl Destination {
    /// Parses the URL and options; reads credentials and the CA bundle (no network yet).
    pub fn open(cfg: &DestinationConfig) -> Result<Self, BackupError> {
        if let Some(rest) = cfg.url.strip_prefix("s3://") {
            Ok(Destination::S3(S3::open(rest, cfg)?))
        } else if let Some(path) = cfg.url.strip_prefix("file://") {
            Ok(Destination::Local(LocalDir::open(path)?))
        } else {
            Err(BackupError::Usage(format!(
                "--destination must be s3://BUCKET/PREFIX or file:///ABSOLUTE/DIR, got {:?}",
                cfg.url.split('?').next().unwrap_or_default()
            )))
        }
    }

    /// Display URL of object `name` (`s3://bucket/prefix/name`, `file:///dir/name`).
    pub fn location(&self, name: &str) -> String {
        match self {
            Destination::S3(d) => d.location(name),
            Destination::Local(d) => d.location(name),
        }
    }

    /// Checks that the bucket or directory exists and is reachable.
    pub async fn check(&self) -> Result<(), BackupError> {
        match self {
            Destination::S3(d) => d.check().await,
            Destination::Local(d) => d.check().await,
        }
    }

    /// Starts writing object `name`; it exists only once the upload finished.
    pub async fn upload(&self, name: &str) -> Result<Upload, BackupError> {
        match self {
            Destination::S3(d) => d.upload(name).await,
            Destination::Local(d) => d.upload(name).await,
        }
    }

    /// A blocking reader over object `name` (for the pipeline thread).
    pub async fn reader(&self, name: &str) -> Result<Box<dyn Read + Send>, BackupError> {
        match self {
            Destination::S3(d) => d.reader(name).await,
            Destination::Local(d) => d.reader(name).await,
        }
    }

    /// Reads a small object (a marker); `None` if it does not exist.
    pub async fn get_small(&self, name: &str) -> Result<Option<Vec<u8>>, BackupError> {
        match self {
            Destination::S3(d) => d.get_small(name).await,
            Destination::Local(d) => d.get_small(name).await,
        }
    }

    /// Writes a small object atomically (a marker).
    pub async fn put_small(&self, name: &str, data: Vec<u8>) -> Result<(), BackupError> {
        match self {
            Destination::S3(d) => d.put_small(name, data).await,
            Destination::Local(d) => d.put_small(name, data).await,
        }
    }

    /// Objects directly under the prefix.
    pub async fn list(&self) -> Result<Vec<Listed>, BackupError> {
        match self {
            Destination::S3(d) => d.list().await,
            Destination::Local(d) => d.list().await,
        }
    }

    /// Deletes object `name` (missing is fine).
    pub async fn delete(&self, name: &str) -> Result<(), BackupError> {
        match self {
            Destination::S3(d) => d.delete(name).await,
            Destination::Local(d) => d.delete(name).await,
        }
    }

    /// Reads object `name` back and returns its sha256 (hex) and size.
    pub async fn checksum(&self, name: &str) -> Result<(String, u64), BackupError> {
        let reader = self.reader(name).await?;
        tokio::task::spawn_blocking(move || {
            let mut hashing = super::pipeline::HashingReader::new(reader);
            std::io::copy(&mut hashing, &mut std::io::sink())
                .map_err(|e| super::archive::io_err(e).context("reading the artifact back"))?;
            Ok(hashing.finish())
        })
        .await?
    }
}
