//! Mapping of driver errors to [`StoreError`] categories.

use mongodb::error::{Error, ErrorKind, WriteFailure};

use crate::store::StoreError;

/// MongoDB's duplicate key error code.
const DUPLICATE_KEY: i32 = 11000;

/// Categorises a driver error; `context` says what was being done.
pub fn map(e: Error, context: &str) -> StoreError {
    match e.kind.as_ref() {
        ErrorKind::ServerSelection { .. }
        | ErrorKind::Io(_)
        | ErrorKind::ConnectionPoolCleared { .. }
        | ErrorKind::DnsResolve { .. }
        | ErrorKind::Shutdown => StoreError::Unavailable(format!("{context}: {e}")),
        _ => StoreError::Backend(format!("{context}: {e}")),
    }
}

/// Whether `e` is a duplicate key error (single or bulk insert).
pub fn is_duplicate_key(e: &Error) -> bool {
    match e.kind.as_ref() {
        ErrorKind::Write(WriteFailure::WriteError(w)) => w.code == DUPLICATE_KEY,
        ErrorKind::InsertMany(m) => m
            .write_errors
            .as_ref()
            .is_some_and(|errs| errs.iter().any(|w| w.code == DUPLICATE_KEY)),
        _ => false,
    }
}
