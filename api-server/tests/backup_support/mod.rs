//! Shared fixtures of the backup tests: keys, destinations (a temp dir, or the test
//! environment's MinIO under a unique prefix), MongoDB databases, and table snapshots.
//! Without the services' variables the S3 and MongoDB cases fail under `CI=true` and are
//! skipped (with a message) otherwise, like `support::backends`.
#![allow(dead_code, clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::str::FromStr;

use age::x25519;
use ogf_api::backup::dest::{Destination, DestinationConfig};
use ogf_api::backup::engine::BackupOptions;
use ogf_api::backup::store::StoreTarget;
use rusqlite::Connection;
use rusqlite::types::ValueRef;

/// A key pair: the identity file on disk and the parsed halves.
pub struct Keys {
    pub dir: tempfile::TempDir,
    pub identity_file: PathBuf,
    pub recipient: String,
    pub identities: Vec<x25519::Identity>,
}

impl Keys {
    pub fn new() -> Self {
        let id = x25519::Identity::generate();
        let dir = tempfile::tempdir().unwrap();
        let identity_file = dir.path().join("identity.txt");
        use age::secrecy::ExposeSecret;
        std::fs::write(
            &identity_file,
            format!("# test key\n{}\n", id.to_string().expose_secret()),
        )
        .unwrap();
        Self {
            recipient: id.to_public().to_string(),
            identities: vec![id],
            identity_file,
            dir,
        }
    }

    pub fn options(&self) -> BackupOptions {
        BackupOptions {
            id: None,
            recipients: vec![x25519::Recipient::from_str(&self.recipient).unwrap()],
            compression_level: 3,
            verify_with: None,
        }
    }
}

fn missing(what: &str) -> Option<()> {
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{what} not set: run via `make test`, which starts the test environment");
    }
    eprintln!("SKIPPED: {what} not set (needs the test environment)");
    None
}

/// The MongoDB URI of the test environment.
pub fn mongodb_uri() -> Option<String> {
    match std::env::var("OGF_MONGODB_URI") {
        Ok(uri) => Some(uri),
        Err(_) => missing("OGF_MONGODB_URI").map(|_| String::new()),
    }
}

/// A fresh database name.
pub fn unique_db() -> String {
    format!("ogf_bk_{}", uuid::Uuid::new_v4().simple())
}

/// MinIO of the test environment.
pub struct S3Env {
    pub endpoint: String,
    pub region: String,
    pub bucket: String,
    /// Mounted-secret style credentials directory.
    pub creds: tempfile::TempDir,
}

impl S3Env {
    pub fn get() -> Option<Self> {
        let var = |n: &str| std::env::var(n).ok();
        let (Some(endpoint), Some(bucket), Some(key), Some(secret)) = (
            var("OGF_S3_ENDPOINT"),
            var("OGF_S3_BUCKET"),
            var("OGF_S3_ACCESS_KEY_ID"),
            var("OGF_S3_SECRET_ACCESS_KEY"),
        ) else {
            missing("OGF_S3_ENDPOINT/OGF_S3_BUCKET/OGF_S3_ACCESS_KEY_ID/OGF_S3_SECRET_ACCESS_KEY")?;
            return None;
        };
        let creds = tempfile::tempdir().unwrap();
        std::fs::write(creds.path().join("AWS_ACCESS_KEY_ID"), format!("{key}\n")).unwrap();
        std::fs::write(creds.path().join("AWS_SECRET_ACCESS_KEY"), secret).unwrap();
        Some(Self {
            endpoint,
            region: var("OGF_S3_REGION").unwrap_or_else(|| "us-east-1".into()),
            bucket,
            creds,
        })
    }

    /// A unique prefix in the test bucket.
    pub fn config(&self, bucket: Option<&str>) -> DestinationConfig {
        DestinationConfig {
            url: format!(
                "s3://{}/backup-tests/{}",
                bucket.unwrap_or(&self.bucket),
                uuid::Uuid::new_v4().simple()
            ),
            s3_endpoint: Some(self.endpoint.clone()),
            s3_region: self.region.clone(),
            s3_force_path_style: true,
            s3_ca_file: None,
            s3_credentials_dir: Some(self.creds.path().to_path_buf()),
        }
    }

    /// CLI flags for this destination.
    pub fn flags(&self, cfg: &DestinationConfig) -> Vec<String> {
        vec![
            "--destination".into(),
            cfg.url.clone(),
            "--s3-endpoint".into(),
            self.endpoint.clone(),
            "--s3-region".into(),
            self.region.clone(),
            "--s3-force-path-style".into(),
            "--s3-credentials-dir".into(),
            self.creds.path().display().to_string(),
        ]
    }
}

/// A local directory destination.
pub fn local_dest(dir: &Path) -> Destination {
    Destination::open(&DestinationConfig {
        url: format!("file://{}", dir.display()),
        ..DestinationConfig::default()
    })
    .unwrap()
}

pub fn embedded(dir: &Path) -> StoreTarget {
    StoreTarget::Embedded {
        data_dir: dir.to_path_buf(),
    }
}

/// Creates the embedded database (current schema) in `dir`.
pub async fn create_embedded(dir: &Path) {
    ogf_api::store::EmbeddedStore::open(dir).await.unwrap();
}

/// One stored value, compared exactly (reals by bit pattern, text as bytes: SQLite can hold
/// text that is not UTF-8).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    Null,
    Int(i64),
    Real(u64),
    Text(Vec<u8>),
    Blob(Vec<u8>),
}

impl From<ValueRef<'_>> for Cell {
    fn from(v: ValueRef<'_>) -> Self {
        match v {
            ValueRef::Null => Cell::Null,
            ValueRef::Integer(i) => Cell::Int(i),
            ValueRef::Real(f) => Cell::Real(f.to_bits()),
            ValueRef::Text(t) => Cell::Text(t.to_vec()),
            ValueRef::Blob(b) => Cell::Blob(b.to_vec()),
        }
    }
}

/// Every row of every real table, in a deterministic order: the whole logical content.
pub fn snapshot(dir: &Path) -> Vec<(String, Vec<Vec<Cell>>)> {
    let conn = Connection::open(dir.join("ogf.sqlite3")).unwrap();
    let tables: Vec<String> = conn
        .prepare(
            "SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'table' \
             AND name NOT LIKE 'sqlite%' ORDER BY name",
        )
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    tables
        .into_iter()
        .map(|t| {
            // Every column, in order: deterministic also for WITHOUT ROWID tables.
            let n = conn
                .prepare(&format!("SELECT * FROM \"{t}\""))
                .unwrap()
                .column_count();
            let order = (1..=n)
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .join(", ");
            let mut stmt = conn
                .prepare(&format!("SELECT * FROM \"{t}\" ORDER BY {order}"))
                .unwrap();
            let rows = stmt
                .query_map([], |r| {
                    (0..n).map(|i| r.get_ref(i).map(Cell::from)).collect()
                })
                .unwrap()
                .collect::<Result<Vec<Vec<Cell>>, _>>()
                .unwrap();
            (t, rows)
        })
        .collect()
}

/// Flips one byte in the middle of a local file.
pub fn flip_middle(path: &Path) {
    let mut bytes = std::fs::read(path).unwrap();
    let i = bytes.len() / 2;
    bytes[i] ^= 0x01;
    std::fs::write(path, bytes).unwrap();
}

/// Fills the database with ~24 MiB of incompressible data so the upload takes several parts.
pub fn fill(dir: &Path) {
    use rand::RngCore;
    let conn = rusqlite::Connection::open(dir.join("ogf.sqlite3")).unwrap();
    let tx = conn.unchecked_transaction().unwrap();
    let mut blob = vec![0u8; 64 << 10];
    for i in 0..384 {
        rand::rng().fill_bytes(&mut blob);
        tx.execute(
            "INSERT INTO audit_events (id, at_ms, kind, detail) VALUES (?1, 0, 'fill', ?2)",
            rusqlite::params![format!("f{i}"), blob],
        )
        .unwrap();
    }
    tx.commit().unwrap();
}
