//! Full-text match counts kept per reader connection between searches.
//!
//! A search measures its full-text conditions (how many listings match, up to
//! [`super::listings::DENSE`]) to choose an access path, and skips relevance groups that
//! match nothing. With prefix terms FTS5 reads a term's whole doclist to count, which grows
//! with the data (about 2–4 ms a count at 100,000 listings), while the answer only changes
//! when the database does. So each reader connection keeps its counts together with the
//! `PRAGMA data_version` they were taken at, and a search that sees another version (any
//! commit by any other connection or process since) starts afresh. Searches read inside
//! one transaction, so the version, the counts and the rows all come from one snapshot.

use std::collections::HashMap;

use rusqlite::Connection;

use super::row;
use crate::store::StoreError;

/// Most expressions remembered; the map is emptied when full (searches repeat a few).
const CAPACITY: usize = 1_024;

/// Counts of FTS5 expressions on one connection, valid at one `data_version`.
#[derive(Debug, Default)]
pub struct TextCounts {
    data_version: Option<i64>,
    counts: HashMap<String, i64>,
}

impl TextCounts {
    /// Forgets every count when the database changed since they were taken. Must run inside
    /// the search's read transaction (its first statement starts the snapshot).
    pub fn refresh(&mut self, conn: &Connection) -> Result<(), StoreError> {
        let version: i64 = conn
            .query_row("PRAGMA data_version", [], |r| r.get(0))
            .map_err(row::backend)?;
        if self.data_version != Some(version) {
            self.counts.clear();
            self.data_version = Some(version);
        }
        Ok(())
    }

    /// The count of `expr` (see [`super::listings::count_text`]), measured once per version.
    pub fn count(&mut self, conn: &Connection, expr: &str) -> Result<i64, StoreError> {
        if let Some(n) = self.counts.get(expr) {
            return Ok(*n);
        }
        let n = super::listings::count_text(conn, expr)?;
        if self.counts.len() >= CAPACITY {
            self.counts.clear();
        }
        self.counts.insert(expr.to_owned(), n);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE VIRTUAL TABLE listings_fts USING fts5(title, description);
             INSERT INTO listings_fts (rowid, title, description) VALUES (1, 'Permian lease', '');",
        )
        .unwrap();
        conn
    }

    #[test]
    fn counts_are_reused_until_another_connection_commits() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite3");
        let writer = Connection::open(&path).unwrap();
        writer
            .execute_batch(
                "PRAGMA journal_mode = WAL;
                 CREATE VIRTUAL TABLE listings_fts USING fts5(title, description);
                 INSERT INTO listings_fts (rowid, title, description) VALUES (1, 'Permian', '');",
            )
            .unwrap();
        let reader = Connection::open(&path).unwrap();
        let mut counts = TextCounts::default();
        let expr = "\"perm\"*";
        counts.refresh(&reader).unwrap();
        assert_eq!(counts.count(&reader, expr).unwrap(), 1);
        // The same version: the remembered count (even if the table were read differently).
        counts.refresh(&reader).unwrap();
        assert_eq!(counts.counts.get(expr), Some(&1));
        writer
            .execute(
                "INSERT INTO listings_fts (rowid, title, description) VALUES (2, 'Permian', '')",
                [],
            )
            .unwrap();
        counts.refresh(&reader).unwrap();
        assert!(
            counts.counts.is_empty(),
            "a commit elsewhere forgets the counts"
        );
        assert_eq!(counts.count(&reader, expr).unwrap(), 2);
    }

    #[test]
    fn the_map_stays_bounded() {
        let conn = db();
        let mut counts = TextCounts::default();
        counts.refresh(&conn).unwrap();
        for i in 0..CAPACITY + 10 {
            counts.count(&conn, &format!("\"w{i}\"*")).unwrap();
        }
        assert!(counts.counts.len() <= CAPACITY);
        assert_eq!(counts.count(&conn, "\"perm\"*").unwrap(), 1);
    }
}
