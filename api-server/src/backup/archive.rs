//! The plaintext archive format (before zstd and age):
//!
//! ```text
//! magic    "OGFBAK\r\n" (8 bytes)
//! header   u32 LE length + JSON {formatVersion, appVersion, store, schemaVersion, startedAt}
//! then, per collection (table):
//!   0x01   u16 LE length + collection name (UTF-8)
//!   0x02   u32 LE length + record bytes          (repeated; one BSON document each)
//!   0x03   u64 LE record count + 32-byte sha256  (of every record's u32 LE length + bytes)
//! 0x04     u32 LE length + JSON trailer manifest (see [`Manifest`]) + its 32-byte sha256
//! EOF      nothing may follow the trailer
//! ```
//!
//! Every byte is covered: records by their collection's hash, collection names and hashes by
//! the trailer, the header by the trailer's `headerSha256`, the trailer by its own sha256.
//! (The age layer authenticates the whole stream as well; this makes the plaintext format
//! self-checking on its own.)
//!
//! ```text
//! ```
//!
//! The reader checks every collection's count and sha256 as it streams and the trailer
//! against them; any mismatch, unknown tag or early end is an [`BackupError::Integrity`].

use std::io::{self, Read, Write};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::BackupError;
use super::block::RecordBlock;

/// First bytes of every archive.
pub const MAGIC: &[u8; 8] = b"OGFBAK\r\n";
/// Version of this layout, in the header, the trailer and the completion marker.
pub const FORMAT_VERSION: u32 = 1;
/// Largest record accepted (MongoDB documents are at most 16 MiB; SQLite rows are capped here).
pub const MAX_RECORD: usize = 256 << 20;
const MAX_JSON: usize = 1 << 20;

const TAG_BEGIN: u8 = 1;
/// Tag of a record frame (also written by [`super::block::RecordBlock`]).
pub(crate) const TAG_RECORD: u8 = 2;
const TAG_END: u8 = 3;
const TAG_TRAILER: u8 = 4;

/// What the archive starts with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArchiveHeader {
    /// [`FORMAT_VERSION`].
    pub format_version: u32,
    /// Version of the `ogf-api` that wrote it.
    pub app_version: String,
    /// `embedded` or `mongodb`.
    pub store: String,
    /// Schema version of the store (embedded: `PRAGMA user_version`; mongodb: layout version).
    pub schema_version: u32,
    /// When the dump started.
    pub started_at: DateTime<Utc>,
}

/// One collection (table) in the trailer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CollectionSummary {
    /// Collection or table name.
    pub name: String,
    /// Number of records.
    pub count: u64,
    /// Hex sha256 over every record's u32 LE length and bytes, in archive order.
    pub sha256: String,
}

/// The trailer manifest: everything needed to verify a restore.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    /// [`FORMAT_VERSION`].
    pub format_version: u32,
    /// Version of the `ogf-api` that wrote it.
    pub app_version: String,
    /// `embedded` or `mongodb`.
    pub store: String,
    /// Schema version of the store.
    pub schema_version: u32,
    /// Read consistency obtained (`snapshot`, `transaction`, `per-collection`).
    pub consistency: String,
    /// When the dump started.
    pub started_at: DateTime<Utc>,
    /// When the dump finished.
    pub finished_at: DateTime<Utc>,
    /// Every collection, in archive order.
    pub collections: Vec<CollectionSummary>,
    /// Hex sha256 of the header JSON (filled in by the writer).
    #[serde(default)]
    pub header_sha256: String,
}

impl Manifest {
    /// A placeholder until the trailer is read.
    pub fn empty() -> Self {
        Manifest {
            format_version: 0,
            app_version: String::new(),
            store: String::new(),
            schema_version: 0,
            consistency: String::new(),
            started_at: DateTime::UNIX_EPOCH,
            finished_at: DateTime::UNIX_EPOCH,
            collections: Vec::new(),
            header_sha256: String::new(),
        }
    }

    /// Record count per collection.
    pub fn counts(&self) -> std::collections::BTreeMap<String, u64> {
        self.collections
            .iter()
            .map(|c| (c.name.clone(), c.count))
            .collect()
    }
}

/// Checks that an archive was written by the `store` kind at schema `version` (restores
/// refuse anything else: the binary's migrations define what the data must look like).
pub fn check_header(store: &str, version: u32, h: &ArchiveHeader) -> Result<(), BackupError> {
    if h.store != store {
        return Err(BackupError::Usage(format!(
            "the artifact is a backup of a {} store; it cannot be restored into the {store} store",
            h.store
        )));
    }
    if h.schema_version != version {
        return Err(BackupError::Usage(format!(
            "the artifact has schema version {} but this binary's {store} schema is version \
             {version}; restore it with the ogf-api version that wrote it ({})",
            h.schema_version, h.app_version
        )));
    }
    Ok(())
}

/// Running count and sha256 of one collection's records.
#[derive(Debug, Clone, Default)]
pub struct CollectionHasher {
    count: u64,
    hash: Sha256,
}

impl CollectionHasher {
    /// Adds one record.
    pub fn add(&mut self, record: &[u8]) {
        let len = u32::try_from(record.len()).unwrap_or(u32::MAX);
        self.hash.update(len.to_le_bytes());
        self.hash.update(record);
        self.count += 1;
    }

    /// Count and digest so far.
    pub fn finish(self, name: &str) -> (CollectionSummary, [u8; 32]) {
        let digest: [u8; 32] = self.hash.finalize().into();
        let summary = CollectionSummary {
            name: name.to_owned(),
            count: self.count,
            sha256: hex::encode(digest),
        };
        (summary, digest)
    }
}

/// Writes an archive to `W`.
#[derive(Debug)]
pub struct ArchiveWriter<W: Write> {
    out: W,
    current: Option<(String, CollectionHasher)>,
    done: Vec<CollectionSummary>,
    header_sha256: String,
}

impl<W: Write> ArchiveWriter<W> {
    /// Writes the magic and the header.
    pub fn new(mut out: W, header: &ArchiveHeader) -> io::Result<Self> {
        out.write_all(MAGIC)?;
        let digest = write_json(&mut out, header)?;
        Ok(Self {
            out,
            current: None,
            done: Vec::new(),
            header_sha256: hex::encode(digest),
        })
    }

    /// Starts a collection (ends the previous one).
    pub fn begin(&mut self, name: &str) -> io::Result<()> {
        self.end()?;
        let len = u16::try_from(name.len()).map_err(|_| invalid("collection name too long"))?;
        self.out.write_all(&[TAG_BEGIN])?;
        self.out.write_all(&len.to_le_bytes())?;
        self.out.write_all(name.as_bytes())?;
        self.current = Some((name.to_owned(), CollectionHasher::default()));
        Ok(())
    }

    /// Appends a record to the current collection.
    pub fn record(&mut self, record: &[u8]) -> io::Result<()> {
        let (_, hasher) = self
            .current
            .as_mut()
            .ok_or_else(|| invalid("record outside a collection"))?;
        if record.len() > MAX_RECORD {
            return Err(invalid("record larger than 256 MiB"));
        }
        hasher.add(record);
        let len = u32::try_from(record.len()).map_err(|_| invalid("record too large"))?;
        self.out.write_all(&[TAG_RECORD])?;
        self.out.write_all(&len.to_le_bytes())?;
        self.out.write_all(record)
    }

    /// Appends a block of records to the current collection: hashes each record and writes the
    /// block's frames with one call (the same bytes as [`Self::record`] per record).
    pub fn records(&mut self, block: &RecordBlock) -> io::Result<()> {
        let (_, hasher) = self
            .current
            .as_mut()
            .ok_or_else(|| invalid("record outside a collection"))?;
        for record in block.records() {
            hasher.add(record);
        }
        self.out.write_all(block.framed())
    }

    /// Ends the current collection, if any.
    pub fn end(&mut self) -> io::Result<()> {
        if let Some((name, hasher)) = self.current.take() {
            let (summary, digest) = hasher.finish(&name);
            self.out.write_all(&[TAG_END])?;
            self.out.write_all(&summary.count.to_le_bytes())?;
            self.out.write_all(&digest)?;
            self.done.push(summary);
        }
        Ok(())
    }

    /// Summaries of the collections ended so far.
    pub fn collections(&self) -> &[CollectionSummary] {
        &self.done
    }

    /// Ends the last collection, writes the trailer (its `collections` are filled in here) and
    /// returns the inner writer.
    pub fn finish(mut self, mut manifest: Manifest) -> io::Result<(W, Manifest)> {
        self.end()?;
        manifest.collections = std::mem::take(&mut self.done);
        manifest.header_sha256 = std::mem::take(&mut self.header_sha256);
        self.out.write_all(&[TAG_TRAILER])?;
        let digest = write_json(&mut self.out, &manifest)?;
        self.out.write_all(&digest)?;
        Ok((self.out, manifest))
    }
}

/// One item read from an archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArchiveEvent {
    /// A collection starts.
    Begin(String),
    /// A record of the current collection (in the reader's buffer).
    Record,
    /// The current collection ended; count and hash were checked.
    End(CollectionSummary),
    /// The trailer, checked against every collection; the archive is complete.
    Trailer(Manifest),
}

/// Reads and checks an archive from `R`.
#[derive(Debug)]
pub struct ArchiveReader<R: Read> {
    input: R,
    header: ArchiveHeader,
    header_sha256: String,
    current: Option<(String, CollectionHasher)>,
    done: Vec<CollectionSummary>,
    finished: bool,
}

impl<R: Read> ArchiveReader<R> {
    /// Reads the magic and the header.
    pub fn new(mut input: R) -> Result<Self, BackupError> {
        let mut magic = [0u8; 8];
        read_exact(&mut input, &mut magic)?;
        if &magic != MAGIC {
            return Err(BackupError::Integrity(
                "not an OGF backup archive (bad magic)".into(),
            ));
        }
        let (header, digest): (ArchiveHeader, _) = read_json(&mut input)?;
        if header.format_version != FORMAT_VERSION {
            return Err(BackupError::Usage(format!(
                "archive format version {} is not supported by this binary (supports {})",
                header.format_version, FORMAT_VERSION
            )));
        }
        Ok(Self {
            input,
            header,
            header_sha256: hex::encode(digest),
            current: None,
            done: Vec::new(),
            finished: false,
        })
    }

    /// The header.
    pub fn header(&self) -> &ArchiveHeader {
        &self.header
    }

    /// The next event; a [`ArchiveEvent::Record`]'s bytes are left in `buf`. After the
    /// trailer, checks that the input ends and returns `None`.
    pub fn next_event(&mut self, buf: &mut Vec<u8>) -> Result<Option<ArchiveEvent>, BackupError> {
        if self.finished {
            return Ok(None);
        }
        let mut tag = [0u8; 1];
        read_exact(&mut self.input, &mut tag)?;
        match tag[0] {
            TAG_BEGIN => {
                if self.current.is_some() {
                    return Err(corrupt("collection started before the previous one ended"));
                }
                let mut len = [0u8; 2];
                read_exact(&mut self.input, &mut len)?;
                let mut name = vec![0u8; usize::from(u16::from_le_bytes(len))];
                read_exact(&mut self.input, &mut name)?;
                let name = String::from_utf8(name).map_err(|_| corrupt("collection name"))?;
                self.current = Some((name.clone(), CollectionHasher::default()));
                Ok(Some(ArchiveEvent::Begin(name)))
            }
            TAG_RECORD => {
                let (_, hasher) = self
                    .current
                    .as_mut()
                    .ok_or_else(|| corrupt("record outside a collection"))?;
                let mut len = [0u8; 4];
                read_exact(&mut self.input, &mut len)?;
                let len = u32::from_le_bytes(len) as usize;
                if len > MAX_RECORD {
                    return Err(corrupt("record length out of range"));
                }
                read_len(&mut self.input, len, buf)?;
                hasher.add(buf);
                Ok(Some(ArchiveEvent::Record))
            }
            TAG_END => {
                let (name, hasher) = self
                    .current
                    .take()
                    .ok_or_else(|| corrupt("collection end without start"))?;
                let mut count = [0u8; 8];
                let mut digest = [0u8; 32];
                read_exact(&mut self.input, &mut count)?;
                read_exact(&mut self.input, &mut digest)?;
                let (summary, computed) = hasher.finish(&name);
                if summary.count != u64::from_le_bytes(count) || computed != digest {
                    return Err(BackupError::Integrity(format!(
                        "collection {name}: count or sha256 does not match its records"
                    )));
                }
                self.done.push(summary.clone());
                Ok(Some(ArchiveEvent::End(summary)))
            }
            TAG_TRAILER => {
                if self.current.is_some() {
                    return Err(corrupt("trailer inside a collection"));
                }
                let (manifest, digest): (Manifest, _) = read_json(&mut self.input)?;
                let mut stored = [0u8; 32];
                read_exact(&mut self.input, &mut stored)?;
                if stored != digest {
                    return Err(corrupt("trailer checksum"));
                }
                if manifest.collections != self.done
                    || manifest.header_sha256 != self.header_sha256
                    || manifest.store != self.header.store
                    || manifest.schema_version != self.header.schema_version
                {
                    return Err(BackupError::Integrity(
                        "trailer manifest does not match the archive's collections".into(),
                    ));
                }
                let mut extra = [0u8; 1];
                if self.input.read(&mut extra).map_err(io_err)? != 0 {
                    return Err(corrupt("data after the trailer"));
                }
                self.finished = true;
                Ok(Some(ArchiveEvent::Trailer(manifest)))
            }
            other => Err(corrupt(&format!("unknown tag {other}"))),
        }
    }
}

fn write_json<W: Write, T: Serialize>(out: &mut W, value: &T) -> io::Result<[u8; 32]> {
    let json = serde_json::to_vec(value).map_err(io::Error::other)?;
    let len = u32::try_from(json.len()).map_err(|_| invalid("JSON too large"))?;
    out.write_all(&len.to_le_bytes())?;
    out.write_all(&json)?;
    Ok(Sha256::digest(&json).into())
}

fn read_json<R: Read, T: for<'de> Deserialize<'de>>(
    input: &mut R,
) -> Result<(T, [u8; 32]), BackupError> {
    let mut len = [0u8; 4];
    read_exact(input, &mut len)?;
    let len = u32::from_le_bytes(len) as usize;
    if len > MAX_JSON {
        return Err(corrupt("header or trailer length out of range"));
    }
    let mut json = Vec::new();
    read_len(input, len, &mut json)?;
    let value =
        serde_json::from_slice(&json).map_err(|e| corrupt(&format!("header or trailer: {e}")))?;
    Ok((value, Sha256::digest(&json).into()))
}

/// Reads exactly `len` bytes into `buf`, growing it only as bytes arrive: a length prefix of a
/// corrupt or hostile archive cannot make the reader allocate what the input does not hold.
fn read_len<R: Read>(input: &mut R, len: usize, buf: &mut Vec<u8>) -> Result<(), BackupError> {
    buf.clear();
    let wanted = u64::try_from(len).unwrap_or(u64::MAX);
    let read = input.take(wanted).read_to_end(buf).map_err(io_err)?;
    if read == len {
        Ok(())
    } else {
        Err(BackupError::Integrity("archive is truncated".into()))
    }
}

fn read_exact<R: Read>(input: &mut R, buf: &mut [u8]) -> Result<(), BackupError> {
    input.read_exact(buf).map_err(io_err)
}

/// Maps a read error of the decrypting/decompressing stack: an early end or a failed
/// authentication is an integrity failure; an error wrapped by a lower layer keeps its category.
pub fn io_err(e: io::Error) -> BackupError {
    if e.kind() == io::ErrorKind::UnexpectedEof {
        return BackupError::Integrity("archive is truncated".into());
    }
    if let Some(inner) = e.get_ref().and_then(|i| i.downcast_ref::<SourceError>()) {
        return inner.0.clone_category();
    }
    BackupError::Integrity(format!(
        "archive is corrupt or was tampered with (decryption or decompression failed: {e})"
    ))
}

/// An error of the byte source (download, file read) carried through `io::Error` so that the
/// layers above keep its category.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SourceError(pub BackupError);

impl BackupError {
    fn clone_category(&self) -> BackupError {
        let m = self.to_string();
        match self {
            BackupError::Usage(_) => BackupError::Usage(m),
            BackupError::Integrity(_) => BackupError::Integrity(m),
            BackupError::Decryption(_) => BackupError::Decryption(m),
            BackupError::Destination(_) => BackupError::Destination(m),
            BackupError::Store(_) => BackupError::Store(m),
            BackupError::Internal(_) => BackupError::Internal(m),
        }
    }
}

fn corrupt(what: &str) -> BackupError {
    BackupError::Integrity(format!("archive is corrupt: {what}"))
}

fn invalid(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, what.to_owned())
}

#[cfg(test)]
#[path = "archive_tests.rs"]
mod tests;
