//! Why a Restore reconcile failed.

use thiserror::Error;

use crate::build::restore_job::RestoreJobError;
use crate::controller::ReconcileError;
use crate::controller::error::category_label;
use crate::error::ErrorCategory;

/// A failed Restore reconcile (retried with backoff; the Restore's status is unchanged).
#[derive(Debug, Error)]
pub enum RestoreError {
    /// An API call failed.
    #[error(transparent)]
    Reconcile(#[from] ReconcileError),
    /// The restore Job could not be built.
    #[error(transparent)]
    Job(#[from] RestoreJobError),
}

impl RestoreError {
    /// Transient, user or bug.
    pub fn category(&self) -> ErrorCategory {
        match self {
            Self::Reconcile(e) => e.category(),
            Self::Job(e) => e.category(),
        }
    }

    /// The category as a metrics label.
    pub fn category_label(&self) -> &'static str {
        category_label(self.category())
    }
}
