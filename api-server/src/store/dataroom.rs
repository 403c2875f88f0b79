//! Persistence of data rooms: document metadata, document bytes, NDA access requests.
//!
//! Document bytes live in the database (a BLOB table in SQLite, a collection of BSON binary
//! documents in MongoDB: an upload is at most a few MiB, well under the 16 MiB BSON limit),
//! next to their metadata but in a table/collection of their own so that lists never read
//! them. Being ordinary rows, they are in every backup and restored with the rest, consistent
//! with the metadata that points at them.
//!
//! Quota: an upload is stored only if the owner's stored bytes plus its size stay within the
//! quota, decided and written in one step (one SQLite write transaction; in MongoDB, under a
//! per-process lock, see `mongo/dataroom.rs`).

use async_trait::async_trait;

use super::StoreError;
use super::bids::ItemPage;
use crate::domain::{Cursor, Document, NdaRequest};

/// An upload that would take its owner past the quota (nothing stored).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaExceeded {
    /// Bytes the owner stores already.
    pub used_bytes: u64,
    /// The quota.
    pub quota_bytes: u64,
}

/// Which NDA requests to read, newest first `(created_at desc, id desc)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NdaQuery {
    /// Only requests on this listing.
    pub listing_id: Option<String>,
    /// Only requests by this buyer.
    pub buyer_id: Option<String>,
    /// Continue after this position.
    pub after: Option<Cursor>,
    /// Page size.
    pub limit: u32,
}

impl NdaQuery {
    /// The reference semantics both stores implement (ignores paging).
    pub fn matches(&self, r: &NdaRequest) -> bool {
        self.listing_id.as_ref().is_none_or(|l| *l == r.listing_id)
            && self.buyer_id.as_ref().is_none_or(|b| *b == r.buyer_id)
    }
}

/// The cursor just after an NDA request in the newest-first order.
pub fn nda_cursor(r: &NdaRequest) -> Cursor {
    Cursor {
        created_at_ms: r.created_at.timestamp_millis(),
        id: r.id.clone(),
    }
}

/// Data rooms.
#[async_trait]
pub trait DataRoomStore: Send + Sync {
    /// Stores a document and its bytes if the owner's stored bytes plus `doc.size_bytes`
    /// stay within `quota_bytes`; `Ok(Err(_))` when they would not (nothing stored).
    /// [`StoreError::Conflict`] if the id exists.
    async fn insert_document(
        &self,
        doc: &Document,
        content: &[u8],
        quota_bytes: u64,
    ) -> Result<Result<(), QuotaExceeded>, StoreError>;

    /// The document's metadata.
    async fn document(&self, id: &str) -> Result<Option<Document>, StoreError>;

    /// The document's bytes.
    async fn document_content(&self, id: &str) -> Result<Option<Vec<u8>>, StoreError>;

    /// Every document of a listing, oldest first `(uploaded_at, id)`.
    async fn listing_documents(&self, listing_id: &str) -> Result<Vec<Document>, StoreError>;

    /// Deletes a document and its bytes; `false` if there was none.
    async fn delete_document(&self, id: &str) -> Result<bool, StoreError>;

    /// Deletes a listing's data room (the listing was deleted): every document with its bytes,
    /// and every NDA request. Returns how many documents.
    async fn delete_data_room(&self, listing_id: &str) -> Result<u64, StoreError>;

    /// Bytes stored for this owner.
    async fn stored_bytes(&self, owner_id: &str) -> Result<u64, StoreError>;

    /// Stores a new request, or returns the one this buyer already has on the listing
    /// (whatever its status: a denied request stays denied). `true`: newly stored.
    async fn request_nda(&self, request: &NdaRequest) -> Result<(NdaRequest, bool), StoreError>;

    /// The request with this id.
    async fn nda_request(&self, id: &str) -> Result<Option<NdaRequest>, StoreError>;

    /// The buyer's request on a listing.
    async fn nda_request_for(
        &self,
        listing_id: &str,
        buyer_id: &str,
    ) -> Result<Option<NdaRequest>, StoreError>;

    /// Replaces the request if its version is still `expected_version`; `false` otherwise.
    async fn update_nda_request(
        &self,
        request: &NdaRequest,
        expected_version: i64,
    ) -> Result<bool, StoreError>;

    /// One page of requests matching the query, newest first.
    async fn nda_requests_page(&self, query: &NdaQuery)
    -> Result<ItemPage<NdaRequest>, StoreError>;
}
