//! Restore side of the embedded store: load an archive into a new database file next to the
//! live one (or in a scratch directory), verify it, then rename it over `ogf.sqlite3`.

use std::collections::HashMap;
use std::fs::{self, File};
use std::path::{Path, PathBuf};

use mongodb::bson::RawBsonRef;
use mongodb::bson::RawDocument;
use mongodb::bson::spec::BinarySubtype;
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, Statement};
use tokio::sync::mpsc;

use super::dump::{NON_UTF8_TEXT, Table, fts_tables, quote, store_err, summarize, tables};
use super::{DB_FILE, schema};
use crate::backup::BackupError;
use crate::backup::archive::{Manifest, check_header};
use crate::backup::pipeline::LoadEvent;

/// A loaded and verified staging database, not yet in place. Dropping it deletes it.
#[derive(Debug)]
pub struct Staged {
    path: PathBuf,
    data_dir: PathBuf,
    manifest: Manifest,
    scratch: Option<tempfile::TempDir>,
    keep: bool,
}

impl Staged {
    /// The archive's manifest (counts).
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.keep && self.scratch.is_none() {
            let _ = fs::remove_file(&self.path);
        }
    }
}

fn integrity(what: String) -> BackupError {
    BackupError::Integrity(what)
}

/// Loads the events into a new database file (next to the live one, or in a scratch directory
/// when `scratch`), rebuilds the full-text indexes, and verifies every table's count and
/// sha256 against the archive by dumping the new database again.
pub fn stage(
    data_dir: &Path,
    mut rx: mpsc::Receiver<LoadEvent>,
    scratch: bool,
) -> Result<Staged, BackupError> {
    let header = match rx.blocking_recv() {
        Some(LoadEvent::Header(h)) => h,
        _ => return Err(BackupError::Internal("archive stream ended early".into())),
    };
    check_header("embedded", schema::latest_version(), &header)?;
    let (path, scratch_dir) = if scratch {
        let dir = tempfile::tempdir().map_err(|e| store_err("creating a scratch directory", e))?;
        (dir.path().join(DB_FILE), Some(dir))
    } else {
        fs::create_dir_all(data_dir)
            .map_err(|e| store_err(&format!("creating {}", data_dir.display()), e))?;
        let tag: u64 = rand::random();
        (
            data_dir.join(format!(".{DB_FILE}.restore-{tag:016x}")),
            None,
        )
    };
    let mut staged = Staged {
        path,
        data_dir: data_dir.to_path_buf(),
        manifest: Manifest::empty(),
        scratch: scratch_dir,
        keep: false,
    };
    staged.manifest = load_into(&staged.path, &mut rx)?;
    Ok(staged)
}

fn load_into(path: &Path, rx: &mut mpsc::Receiver<LoadEvent>) -> Result<Manifest, BackupError> {
    let mut conn =
        Connection::open(path).map_err(|e| store_err("creating the staging database", e))?;
    // A staging file that is deleted on any failure needs no journal until it is complete.
    conn.execute_batch(
        "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA foreign_keys = OFF;",
    )
    .map_err(|e| store_err("configuring the staging database", e))?;
    schema::migrate(&mut conn)?;
    // Secondary indexes and triggers (the FTS ones) are dropped for the bulk load and created
    // again from their exact SQL afterwards: one index build instead of one update per row,
    // and the full-text index is built once by `rebuild` instead of twice.
    let deferred: Vec<(String, String, String)> = conn
        .prepare(
            "SELECT type, name, sql FROM sqlite_master WHERE type IN ('index', 'trigger') \
             AND sql IS NOT NULL ORDER BY rowid",
        )
        .and_then(|mut st| {
            st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect::<Result<Vec<_>, _>>()
        })
        .map_err(|e| store_err("reading the schema", e))?;
    for (kind, name, _) in &deferred {
        conn.execute_batch(&format!("DROP {} {}", kind.to_uppercase(), quote(name)))
            .map_err(|e| store_err("preparing the staging database", e))?;
    }
    let by_name: HashMap<String, Table> = tables(&conn)?
        .into_iter()
        .map(|t| (t.name.clone(), t))
        .collect();
    let txn = conn
        .transaction()
        .map_err(|e| store_err("starting the load", e))?;
    let manifest = {
        let mut current: Option<(&Table, Statement<'_>)> = None;
        loop {
            match rx.blocking_recv() {
                Some(LoadEvent::Begin(name)) => {
                    let table = by_name.get(&name).ok_or_else(|| {
                        integrity(format!(
                            "the archive holds table {name:?}, which this schema does not have"
                        ))
                    })?;
                    let sql = format!(
                        "INSERT INTO {} ({}) VALUES ({})",
                        quote(&table.name),
                        table
                            .columns
                            .iter()
                            .map(|c| quote(c))
                            .collect::<Vec<_>>()
                            .join(", "),
                        vec!["?"; table.columns.len()].join(", ")
                    );
                    let stmt = txn
                        .prepare(&sql)
                        .map_err(|e| store_err("preparing the load", e))?;
                    current = Some((table, stmt));
                }
                Some(LoadEvent::Records(records)) => {
                    let (table, stmt) = current
                        .as_mut()
                        .ok_or_else(|| BackupError::Internal("records outside a table".into()))?;
                    for rec in &records {
                        insert(table, stmt, rec)?;
                    }
                }
                Some(LoadEvent::End(_)) => current = None,
                Some(LoadEvent::Trailer(m)) => break m,
                Some(LoadEvent::Header(_)) | None => {
                    return Err(BackupError::Internal("archive stream ended early".into()));
                }
            }
        }
    };
    txn.commit()
        .map_err(|e| store_err("committing the load", e))?;
    for (_, _, sql) in &deferred {
        conn.execute_batch(sql)
            .map_err(|e| integrity(format!("rebuilding indexes after the load: {e}")))?;
    }
    for fts in fts_tables(&conn)? {
        conn.execute(
            &format!("INSERT INTO {0} ({0}) VALUES ('rebuild')", quote(&fts)),
            [],
        )
        .map_err(|e| store_err("rebuilding the full-text index", e))?;
    }
    let violations: i64 = conn
        .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
            r.get(0)
        })
        .map_err(|e| store_err("checking foreign keys", e))?;
    if violations > 0 {
        return Err(integrity(format!(
            "the restored data breaks {violations} foreign key reference(s)"
        )));
    }
    let got = summarize(&conn)?;
    if got != manifest.collections {
        let which = manifest
            .collections
            .iter()
            .find(|c| !got.contains(c))
            .map_or_else(
                || "a table not in the archive".to_owned(),
                |c| c.name.clone(),
            );
        return Err(integrity(format!(
            "after loading, {which} does not match the archive's count and sha256"
        )));
    }
    conn.pragma_update(None, "journal_mode", "DELETE")
        .map_err(|e| store_err("finishing the staging database", e))?;
    drop(conn);
    File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(|e| store_err("syncing the staging database", e))?;
    Ok(manifest)
}

fn insert(table: &Table, stmt: &mut Statement<'_>, rec: &[u8]) -> Result<(), BackupError> {
    let bad = |why: &str| integrity(format!("a record of table {} {why}", table.name));
    let doc = RawDocument::from_bytes(rec).map_err(|_| bad("is not a valid document"))?;
    let mut values: Vec<ToSqlOutput<'_>> = Vec::with_capacity(table.columns.len());
    for (i, el) in doc.into_iter().enumerate() {
        let (key, value) = el.map_err(|_| bad("is not a valid document"))?;
        if table.columns.get(i).map(String::as_str) != Some(key) {
            return Err(bad("does not match the table's columns"));
        }
        let v = match value {
            RawBsonRef::Null => ValueRef::Null,
            RawBsonRef::Int64(v) => ValueRef::Integer(v),
            RawBsonRef::Double(v) => ValueRef::Real(v),
            RawBsonRef::String(s) => ValueRef::Text(s.as_bytes()),
            RawBsonRef::Binary(b) if b.subtype == BinarySubtype::Generic => ValueRef::Blob(b.bytes),
            RawBsonRef::Binary(b) if b.subtype == BinarySubtype::UserDefined(NON_UTF8_TEXT) => {
                ValueRef::Text(b.bytes)
            }
            _ => return Err(bad("holds a value type SQLite does not have")),
        };
        values.push(ToSqlOutput::Borrowed(v));
    }
    if values.len() != table.columns.len() {
        return Err(bad("does not match the table's columns"));
    }
    stmt.execute(rusqlite::params_from_iter(values))
        .map_err(|e| integrity(format!("loading table {}: {e}", table.name)))?;
    Ok(())
}

/// Puts the staged database in place of `ogf.sqlite3`: checkpoints the live database and
/// switches it out of WAL mode (which fails while another process has it open: stop the API
/// first), so that no `-wal` file of the old database can be applied to the new one, then
/// renames the staged file over it and syncs the directory.
pub fn swap(mut staged: Staged) -> Result<(), BackupError> {
    if staged.scratch.is_some() {
        return Err(BackupError::Internal(
            "a scratch database cannot be swapped in".into(),
        ));
    }
    let live = staged.data_dir.join(DB_FILE);
    let wal = staged.data_dir.join(format!("{DB_FILE}-wal"));
    let shm = staged.data_dir.join(format!("{DB_FILE}-shm"));
    if live.exists() {
        let in_use = |e: &dyn std::fmt::Display| {
            BackupError::Store(format!(
                "the live database {} is in use; stop the API (scale it to zero) before \
                 restoring ({e})",
                live.display()
            ))
        };
        let conn =
            Connection::open(&live).map_err(|e| store_err("opening the live database", e))?;
        conn.busy_timeout(std::time::Duration::from_secs(2))
            .map_err(|e| store_err("configuring", e))?;
        let _: (i64, i64, i64) = conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .map_err(|e| in_use(&e))?;
        let mode: String = conn
            .query_row("PRAGMA journal_mode = DELETE", [], |r| r.get(0))
            .map_err(|e| in_use(&e))?;
        drop(conn);
        if !mode.eq_ignore_ascii_case("delete") || wal.exists() {
            return Err(in_use(&"its write-ahead log could not be closed"));
        }
    } else if wal.exists() {
        // A WAL without its database: never let it be applied to the restored file.
        fs::remove_file(&wal).map_err(|e| store_err("removing a stale WAL file", e))?;
    }
    if shm.exists() {
        fs::remove_file(&shm).map_err(|e| store_err("removing a stale -shm file", e))?;
    }
    fs::rename(&staged.path, &live)
        .map_err(|e| store_err("renaming the restored database into place", e))?;
    staged.keep = true;
    File::open(&staged.data_dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| store_err("syncing the data directory", e))
}
