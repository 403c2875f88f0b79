//! Errors at the reconcile boundary, each with the category that decides what happens next.

use thiserror::Error;

use crate::apply::ApplyError;
use crate::error::{BuildError, ErrorCategory};

/// Why a reconcile failed.
#[derive(Debug, Error)]
pub enum ReconcileError {
    /// The spec could not be turned into objects.
    #[error(transparent)]
    Build(#[from] BuildError),
    /// Applying or deleting an owned object failed.
    #[error(transparent)]
    Apply(#[from] ApplyError),
    /// Another API call failed.
    #[error("{0}: {1}")]
    Kube(&'static str, #[source] kube::Error),
    /// An object could not be serialized.
    #[error("serializing {0}: {1}")]
    Serialize(&'static str, #[source] serde_json::Error),
}

impl ReconcileError {
    /// Transient errors are retried with backoff; user errors wait for a spec change; bugs are reported.
    pub fn category(&self) -> ErrorCategory {
        match self {
            Self::Build(e) => e.category(),
            Self::Apply(e) => e.kube_error().map_or(ErrorCategory::Bug, kube_category),
            Self::Kube(_, e) => kube_category(e),
            Self::Serialize(..) => ErrorCategory::Bug,
        }
    }

    /// CamelCase reason for Events and conditions.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Build(e) => e.reason(),
            Self::Apply(_) => "ApplyFailed",
            Self::Kube(..) => "ApiError",
            Self::Serialize(..) => "SerializationFailed",
        }
    }
}

/// 422 (invalid) and 403 (forbidden) will not heal by retrying the same request;
/// everything else (conflicts, timeouts, 5xx, connection errors) may.
fn kube_category(error: &kube::Error) -> ErrorCategory {
    match error {
        kube::Error::Api(status) if status.code == 422 => ErrorCategory::User,
        kube::Error::Api(status) if status.code == 403 => ErrorCategory::Bug,
        _ => ErrorCategory::Transient,
    }
}

/// Label value of a category for metrics.
pub fn category_label(category: ErrorCategory) -> &'static str {
    match category {
        ErrorCategory::Transient => "transient",
        ErrorCategory::User => "user",
        ErrorCategory::Bug => "bug",
    }
}
