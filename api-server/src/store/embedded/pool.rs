//! The embedded store's connections: one writer, a few readers. Used only from blocking threads.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError, TryLockError};

use rusqlite::Connection;

/// One writer and `n` readers, each behind its own mutex.
#[derive(Debug)]
pub struct Connections {
    writer: Mutex<Connection>,
    readers: Vec<Mutex<Connection>>,
    next: AtomicUsize,
}

impl Connections {
    /// Wraps open connections; `readers` must not be empty.
    pub fn new(writer: Connection, readers: Vec<Connection>) -> Self {
        Self {
            writer: Mutex::new(writer),
            readers: readers.into_iter().map(Mutex::new).collect(),
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
        for reader in &self.readers {
            match reader.try_lock() {
                Ok(conn) => return f(&conn),
                Err(TryLockError::Poisoned(p)) => return f(&p.into_inner()),
                Err(TryLockError::WouldBlock) => {}
            }
        }
        let Some(reader) = self
            .readers
            .get(self.next.fetch_add(1, Ordering::Relaxed) % self.readers.len().max(1))
        else {
            return self.with_writer(|conn| f(conn));
        };
        let conn = reader.lock().unwrap_or_else(PoisonError::into_inner);
        f(&conn)
    }
}
