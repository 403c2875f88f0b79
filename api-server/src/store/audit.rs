//! Persistence of the audit log.

use async_trait::async_trait;

use super::StoreError;
use crate::domain::{AuditEvent, AuditPage, AuditQuery, audit_cursor};

/// The append-only audit log, read newest first `(at desc, id desc)`.
#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Appends an event.
    async fn record_audit(&self, event: &AuditEvent) -> Result<(), StoreError>;

    /// One page of events matching the query (see [`AuditQuery::matches`]).
    async fn audit_page(&self, query: &AuditQuery) -> Result<AuditPage, StoreError>;
}

/// Turns a page fetched with `limit + 1` rows into an [`AuditPage`].
pub(crate) fn into_audit_page(mut items: Vec<AuditEvent>, limit: u32) -> AuditPage {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let next = if items.len() > limit {
        items.truncate(limit);
        items.last().map(audit_cursor)
    } else {
        None
    };
    AuditPage { items, next }
}
