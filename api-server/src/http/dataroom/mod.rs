//! Data rooms over HTTP: documents (`upload`, `documents`) and NDA access requests (`nda`).
//!
//! Who may do what:
//! - the listing's seller and admins upload, delete and download everything, and decide NDA
//!   requests;
//! - any signed-in user who can see the listing lists its documents (metadata) and downloads
//!   its `public` documents;
//! - `nda` documents: only a buyer whose NDA request on the listing was approved.
//!
//! Every step is audited (`document_uploaded`, `document_downloaded`, `document_deleted`,
//! `nda_accepted`, `data_room_access_approved`, `data_room_access_denied`).

pub mod documents;
pub mod nda;
pub mod upload;

use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::AppState;
use super::problem::Problem;
use crate::auth::Principal;
use crate::domain::{
    Document, DocumentKind, DocumentVisibility, Listing, NdaRequest, NdaStatus, validate_id,
};

/// A document's metadata as a signed-in user sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentView {
    /// Id.
    pub id: String,
    /// The listing.
    pub listing_id: String,
    /// Display title.
    pub title: String,
    /// The kind found by content sniffing.
    pub kind: DocumentKind,
    /// The `Content-Type` of downloads.
    pub content_type: &'static str,
    /// Size, bytes.
    pub size_bytes: u64,
    /// SHA-256 of the content, lower-case hex.
    pub sha256: String,
    /// `public` or `nda`.
    pub visibility: DocumentVisibility,
    /// When it was uploaded.
    pub uploaded_at: DateTime<Utc>,
    /// The generated download name (`<id>.<ext>`).
    pub file_name: String,
    /// Whether the caller may download it now.
    pub can_download: bool,
}

impl DocumentView {
    /// The view of `d` for a caller who may (or may not) download it.
    pub fn new(d: Document, can_download: bool) -> Self {
        Self {
            file_name: d.file_name(),
            content_type: d.kind.mime_type(),
            id: d.id,
            listing_id: d.listing_id,
            title: d.title,
            kind: d.kind,
            size_bytes: d.size_bytes,
            sha256: d.sha256,
            visibility: d.visibility,
            uploaded_at: d.uploaded_at,
            can_download,
        }
    }
}

/// An NDA access request as its buyer, the listing's seller or an admin sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct NdaRequestView {
    /// Id.
    pub id: String,
    /// The listing.
    pub listing_id: String,
    /// The buyer who accepted the NDA.
    pub buyer_id: String,
    /// `pending`, `approved` or `denied`.
    pub status: NdaStatus,
    /// Incremented by every decision.
    pub version: i64,
    /// When the buyer accepted the NDA.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl From<NdaRequest> for NdaRequestView {
    fn from(r: NdaRequest) -> Self {
        Self {
            id: r.id,
            listing_id: r.listing_id,
            buyer_id: r.buyer_id,
            status: r.status,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// `403` for callers who may not manage a listing's data room.
fn not_manager(state: &AppState) -> Problem {
    state.auth().count_failure("forbidden");
    Problem::new(
        StatusCode::FORBIDDEN,
        "forbidden",
        "Forbidden",
        "Only the listing's seller or an admin may manage its data room.",
    )
}

/// The document `id` and its listing, if the caller may see that listing; else `404`.
async fn visible_document(
    state: &AppState,
    id: &str,
    caller: &Principal,
) -> Result<(Document, Listing), Problem> {
    let missing = || Problem::not_found("No document with this id.");
    if validate_id(id).is_err() {
        return Err(missing());
    }
    let store = state.users();
    let doc = store.document(id).await?.ok_or_else(missing)?;
    match store.get(&doc.listing_id).await? {
        Some(l) if l.is_visible_to(Some((caller.user_id.as_str(), caller.role))) => Ok((doc, l)),
        _ => Err(missing()),
    }
}

/// The caller's NDA request on a listing, unless they manage it (they need none).
async fn own_request(
    state: &AppState,
    listing: &Listing,
    caller: &Principal,
) -> Result<Option<NdaRequest>, Problem> {
    if listing.is_managed_by(&caller.user_id, caller.role) {
        return Ok(None);
    }
    Ok(state
        .users()
        .nda_request_for(&listing.id, &caller.user_id)
        .await?)
}

/// The audit `(user_id, actor_id)` of an action on a listing's data room: the seller is the
/// user concerned; the caller is the actor when it is someone else (an admin).
fn seller_and_actor<'a>(listing: &'a Listing, caller: &'a Principal) -> (&'a str, Option<&'a str>) {
    match listing.seller_id.as_deref() {
        Some(s) if s != caller.user_id => (s, Some(caller.user_id.as_str())),
        _ => (caller.user_id.as_str(), None),
    }
}
