//! Backup support of the embedded store: a consistent dump of every real table (one read
//! transaction; FTS shadow tables skipped) and a load into a staging database file that is
//! verified and then atomically renamed over the live one.
//!
//! Each row is one BSON document keyed by column name, in column order: INTEGER → int64,
//! REAL → double, TEXT → string (text that is not UTF-8 → binary subtype 0x80), BLOB → binary
//! subtype 0x00, NULL → null. Rows are ordered by primary key (rowid for tables without one),
//! so a dump of the restored database is byte-identical to the archive.

use std::path::Path;

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};

use super::{DB_FILE, schema};
use crate::backup::BackupError;
use crate::backup::archive::{CollectionHasher, CollectionSummary};
use crate::backup::block::BlockPool;
use crate::backup::pipeline::DumpEvent;

/// BSON binary subtype marking TEXT values that are not valid UTF-8.
pub(super) const NON_UTF8_TEXT: u8 = 0x80;

pub(super) fn store_err(what: &str, e: impl std::fmt::Display) -> BackupError {
    BackupError::Store(format!("{what}: {e}"))
}

/// One table: name, columns in order, and the ORDER BY that makes dumps deterministic.
#[derive(Debug, Clone)]
pub(super) struct Table {
    pub(super) name: String,
    pub(super) columns: Vec<String>,
    order_by: String,
}

pub(super) fn quote(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

/// Real tables (not views, virtual tables, FTS shadow tables or `sqlite_*`), by name.
pub(super) fn tables(conn: &Connection) -> Result<Vec<Table>, BackupError> {
    let names: Vec<String> = conn
        .prepare(
            "SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'table' \
             AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
        )
        .and_then(|mut s| {
            s.query_map([], |r| r.get(0))?
                .collect::<Result<Vec<String>, _>>()
        })
        .map_err(|e| store_err("listing tables", e))?;
    names
        .into_iter()
        .map(|name| {
            let mut cols: Vec<(String, i64)> = conn
                .prepare("SELECT name, pk FROM pragma_table_info(?1) ORDER BY cid")
                .and_then(|mut s| {
                    s.query_map([&name], |r| Ok((r.get(0)?, r.get(1)?)))?
                        .collect::<Result<Vec<_>, _>>()
                })
                .map_err(|e| store_err("reading table columns", e))?;
            let columns = cols.iter().map(|(c, _)| c.clone()).collect();
            cols.retain(|(_, pk)| *pk > 0);
            cols.sort_by_key(|(_, pk)| *pk);
            let order_by = if cols.is_empty() {
                "rowid".to_owned()
            } else {
                cols.iter()
                    .map(|(c, _)| quote(c))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            Ok(Table {
                name,
                columns,
                order_by,
            })
        })
        .collect()
}

pub(super) fn fts_tables(conn: &Connection) -> Result<Vec<String>, BackupError> {
    conn.prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%fts5%'",
    )
    .and_then(|mut s| {
        s.query_map([], |r| r.get(0))?
            .collect::<Result<Vec<String>, _>>()
    })
    .map_err(|e| store_err("listing FTS tables", e))
}

fn push_cstr(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(s.as_bytes());
    out.push(0);
}

fn push_len(out: &mut Vec<u8>, len: usize) {
    out.extend_from_slice(&(i32::try_from(len).unwrap_or(i32::MAX)).to_le_bytes());
}

/// Appends one row to `out` as a BSON document (exact: see the module docs).
fn encode_row(
    row: &rusqlite::Row<'_>,
    columns: &[String],
    out: &mut Vec<u8>,
) -> Result<(), BackupError> {
    let start = out.len();
    out.extend_from_slice(&[0; 4]);
    for (i, col) in columns.iter().enumerate() {
        match row.get_ref(i).map_err(|e| store_err("reading a row", e))? {
            ValueRef::Null => {
                out.push(0x0A);
                push_cstr(out, col);
            }
            ValueRef::Integer(v) => {
                out.push(0x12);
                push_cstr(out, col);
                out.extend_from_slice(&v.to_le_bytes());
            }
            ValueRef::Real(v) => {
                out.push(0x01);
                push_cstr(out, col);
                out.extend_from_slice(&v.to_le_bytes());
            }
            ValueRef::Text(t) if std::str::from_utf8(t).is_ok() => {
                out.push(0x02);
                push_cstr(out, col);
                push_len(out, t.len() + 1);
                out.extend_from_slice(t);
                out.push(0);
            }
            ValueRef::Text(t) => push_binary(out, col, NON_UTF8_TEXT, t),
            ValueRef::Blob(b) => push_binary(out, col, 0, b),
        }
    }
    out.push(0);
    let len = i32::try_from(out.len() - start)
        .unwrap_or(i32::MAX)
        .to_le_bytes();
    out[start..start + 4].copy_from_slice(&len);
    Ok(())
}

fn push_binary(out: &mut Vec<u8>, col: &str, subtype: u8, data: &[u8]) {
    out.push(0x05);
    push_cstr(out, col);
    push_len(out, data.len());
    out.push(subtype);
    out.extend_from_slice(data);
}

/// Calls `f` with every row of `table`, in dump order (encode it with [`encode_row`]).
fn each_row(
    conn: &Connection,
    table: &Table,
    mut f: impl FnMut(&rusqlite::Row<'_>) -> Result<(), BackupError>,
) -> Result<(), BackupError> {
    let cols = table
        .columns
        .iter()
        .map(|c| quote(c))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT {cols} FROM {} ORDER BY {}",
        quote(&table.name),
        table.order_by
    );
    let mut stmt = conn
        .prepare(&sql)
        .map_err(|e| store_err("reading a table", e))?;
    let mut rows = stmt
        .query([])
        .map_err(|e| store_err("reading a table", e))?;
    while let Some(row) = rows.next().map_err(|e| store_err("reading a row", e))? {
        f(row)?;
    }
    Ok(())
}

/// Opens the live database read-only; a missing file is a store error.
pub fn open_read_only(data_dir: &Path) -> Result<(Connection, u32), BackupError> {
    let path = data_dir.join(DB_FILE);
    if !path.is_file() {
        return Err(BackupError::Store(format!(
            "no embedded database at {}",
            path.display()
        )));
    }
    let conn = Connection::open_with_flags(
        &path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| store_err(&format!("opening {}", path.display()), e))?;
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .map_err(|e| store_err("configuring", e))?;
    let version = schema::current_version(&conn)?;
    Ok((conn, version))
}

/// Dumps every table inside one read transaction (a consistent snapshot, also while the API
/// writes: WAL readers see the state at their first read).
pub fn dump(
    conn: &mut Connection,
    tx: &tokio::sync::mpsc::Sender<DumpEvent>,
) -> Result<(), Option<BackupError>> {
    let send = |ev: DumpEvent| tx.blocking_send(ev).map_err(|_| None::<BackupError>);
    let txn = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Deferred)
        .map_err(|e| store_err("starting the read transaction", e))?;
    let tables = tables(&txn)?;
    let pool = BlockPool::new();
    for table in &tables {
        send(DumpEvent::Begin(table.name.clone()))?;
        // Rows are encoded straight into the block that goes to the writer.
        let mut block = pool.block();
        let mut gone = false;
        each_row(&txn, table, |row| {
            block.push_with(|out| encode_row(row, &table.columns, out))?;
            if block.is_full() {
                let full = std::mem::replace(&mut block, pool.block());
                if tx.blocking_send(DumpEvent::Records(full)).is_err() {
                    gone = true;
                    return Err(BackupError::Internal("writer stopped".into()));
                }
            }
            Ok(())
        })
        .map_err(|e| (!gone).then_some(e))?;
        if !block.is_empty() {
            send(DumpEvent::Records(block))?;
        }
    }
    txn.commit()
        .map_err(|e| store_err("ending the read transaction", e))?;
    send(DumpEvent::Done {
        consistency: "transaction".into(),
    })
}

/// Count and sha256 of every table, exactly as a dump would produce them.
pub(super) fn summarize(conn: &Connection) -> Result<Vec<CollectionSummary>, BackupError> {
    tables(conn)?
        .iter()
        .map(|t| {
            let mut h = CollectionHasher::default();
            let mut buf = Vec::with_capacity(4096);
            each_row(conn, t, |row| {
                buf.clear();
                encode_row(row, &t.columns, &mut buf)?;
                h.add(&buf);
                Ok(())
            })?;
            Ok(h.finish(&t.name).0)
        })
        .collect()
}

pub use super::load::{Staged, stage, swap};
