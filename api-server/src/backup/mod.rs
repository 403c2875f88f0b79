//! The backup engine: consistent dumps of either store into encrypted, verified artifacts, and
//! verified restores. See `docs/backup-restore.md`.
//!
//! - [`archive`]: the plaintext archive format (header, records per collection, trailer);
//! - [`block`]: blocks of records framed as in the archive, from the dump to the writer;
//! - [`crypt`]: age encryption to X25519 recipients, decryption with identities;
//! - [`pipeline`]: the streaming pipelines (records → zstd → age → sha256 → destination and
//!   back) on a blocking thread, with bounded channels on both sides;
//! - [`dest`]: S3-compatible object storage and local directories;
//! - [`store`]: the two stores behind one interface (dump, stage, swap);
//! - [`engine`]: the commands; [`cli`]: their flags and result lines;
//! - [`retention`]: which artifacts `prune` keeps; [`marker`]: completion marker and results;
//! - [`id`]: artifact ids.

pub mod archive;
pub mod block;
pub mod cli;
pub mod crypt;
pub mod dest;
pub mod engine;
mod error;
pub mod id;
pub mod marker;
pub mod pipeline;
pub mod retention;
pub mod store;

pub use self::error::BackupError;
