//! Typed errors of the backup engine, each mapped to the contract's `reason` and exit code.

use crate::store::StoreError;

/// A backup, restore, verify, list or prune failure, by what the operator can do about it.
///
/// Messages are for humans and never carry secrets: no URIs with credentials, no keys.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// Bad flags, ids, recipients, or an identity file that is unreadable or malformed (exit 2).
    #[error("{0}")]
    Usage(String),
    /// Checksum mismatch, tampered or truncated artifact, counts or hashes differ (exit 3).
    #[error("{0}")]
    Integrity(String),
    /// The identity matches none of the artifact's recipients (exit 4).
    #[error("{0}")]
    Decryption(String),
    /// Bucket or directory missing, credentials refused, upload failed, artifact not found (exit 5).
    #[error("{0}")]
    Destination(String),
    /// The database is unreachable or failing (exit 6).
    #[error("{0}")]
    Store(String),
    /// Anything else: a bug or an unexpected state (exit 1).
    #[error("{0}")]
    Internal(String),
}

impl BackupError {
    /// The contract's `reason` string.
    pub fn reason(&self) -> &'static str {
        match self {
            BackupError::Usage(_) => "UsageError",
            BackupError::Integrity(_) => "IntegrityError",
            BackupError::Decryption(_) => "DecryptionError",
            BackupError::Destination(_) => "DestinationError",
            BackupError::Store(_) => "StoreError",
            BackupError::Internal(_) => "InternalError",
        }
    }

    /// The process exit code of this failure.
    pub fn exit_code(&self) -> i32 {
        match self {
            BackupError::Usage(_) => 2,
            BackupError::Integrity(_) => 3,
            BackupError::Decryption(_) => 4,
            BackupError::Destination(_) => 5,
            BackupError::Store(_) => 6,
            BackupError::Internal(_) => 1,
        }
    }

    /// Adds what was being done in front of the message, keeping the category.
    pub fn context(self, what: &str) -> Self {
        let wrap = |m: String| format!("{what}: {m}");
        match self {
            BackupError::Usage(m) => BackupError::Usage(wrap(m)),
            BackupError::Integrity(m) => BackupError::Integrity(wrap(m)),
            BackupError::Decryption(m) => BackupError::Decryption(wrap(m)),
            BackupError::Destination(m) => BackupError::Destination(wrap(m)),
            BackupError::Store(m) => BackupError::Store(wrap(m)),
            BackupError::Internal(m) => BackupError::Internal(wrap(m)),
        }
    }

    pub(crate) fn internal(e: impl std::fmt::Display) -> Self {
        BackupError::Internal(e.to_string())
    }
}

impl From<StoreError> for BackupError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Schema(m) => BackupError::Usage(format!("schema: {m}")),
            StoreError::Corrupt { .. } | StoreError::Conflict(_) => {
                BackupError::Integrity(e.to_string())
            }
            StoreError::Unavailable(_) | StoreError::Backend(_) => {
                BackupError::Store(e.to_string())
            }
        }
    }
}

impl From<tokio::task::JoinError> for BackupError {
    fn from(e: tokio::task::JoinError) -> Self {
        BackupError::Internal(format!("worker thread failed: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_and_exit_codes_follow_the_contract() {
        let cases = [
            (BackupError::Usage(String::new()), "UsageError", 2),
            (BackupError::Integrity(String::new()), "IntegrityError", 3),
            (BackupError::Decryption(String::new()), "DecryptionError", 4),
            (
                BackupError::Destination(String::new()),
                "DestinationError",
                5,
            ),
            (BackupError::Store(String::new()), "StoreError", 6),
            (BackupError::Internal(String::new()), "InternalError", 1),
        ];
        for (e, reason, code) in cases {
            assert_eq!((e.reason(), e.exit_code()), (reason, code));
        }
    }

    #[test]
    fn context_keeps_the_category() {
        let e = BackupError::Integrity("bad".into()).context("restore");
        assert_eq!(e.exit_code(), 3);
        assert_eq!(e.to_string(), "restore: bad");
    }
}
