//! The embedded store's connections: one writer, a few readers. Used only from blocking threads.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError, TryLockError};

use rusqlite::Connection;

use super::text_counts::TextCounts;

/// One writer and `n` readers, each behind its own mutex.
#[derive(Debug)]
pub struct Connections {
    writer: Mutex<Connection>,
    readers: Vec<Mutex<Reader>>,
    next: AtomicUsize,
}

/// A read-only connection and the full-text counts remembered on it.
#[derive(Debug)]
struct Reader {
    conn: Connection,
    counts: TextCounts,
}

impl Connections {
    /// Wraps open connections; `readers` must not be empty.
    pub fn new(writer: Connection, readers: Vec<Connection>) -> Self {
        Self {
            writer: Mutex::new(writer),
            readers: readers
                .into_iter()
                .map(|conn| {
                    Mutex::new(Reader {
                        conn,
                        counts: TextCounts::default(),
                    })
                })
                .collect(),
            next: AtomicUsize::new(0),
        }
    }

    /// Runs `f` on the writer (blocks until it is free).
    pub fn with_writer<T>(&self, f: impl FnOnce(&mut Connection) -> T) -> T {
        let mut conn = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut conn)
    }

    /// Runs `f` on a free reader, or waits for one (round robin) when all are busy.
    /// A poisoned mutex is recovered: SQLite connections stay consistent after a panic.
    pub fn with_reader<T>(&self, f: impl FnOnce(&Connection) -> T) -> T {
        self.with_searching_reader(|conn, _| f(conn))
    }

    /// [`Connections::with_reader`] with the reader's remembered full-text counts.
    pub fn with_searching_reader<T>(&self, f: impl FnOnce(&Connection, &mut TextCounts) -> T) -> T {
        for reader in &self.readers {
            match reader.try_lock() {
                Ok(mut r) => return run(&mut r, f),
                Err(TryLockError::Poisoned(p)) => return run(&mut p.into_inner(), f),
                Err(TryLockError::WouldBlock) => {}
            }
        }
        let Some(reader) = self
            .readers
            .get(self.next.fetch_add(1, Ordering::Relaxed) % self.readers.len().max(1))
        else {
            return self.with_writer(|conn| f(conn, &mut TextCounts::default()));
        };
        let mut r = reader.lock().unwrap_or_else(PoisonError::into_inner);
        run(&mut r, f)
    }
}

fn run<T>(reader: &mut Reader, f: impl FnOnce(&Connection, &mut TextCounts) -> T) -> T {
    f(&reader.conn, &mut reader.counts)
}
