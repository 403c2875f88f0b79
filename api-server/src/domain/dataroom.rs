//! Data rooms: documents attached to a listing and the NDA access requests that open its
//! `nda` documents to a buyer. No I/O.
//!
//! Access rule ([`may_download`]): `public` documents for any signed-in user; `nda` documents
//! for the listing's seller and admins, and for a buyer whose NDA request the seller approved.
//!
//! ```text
//! pending ──seller approves──► approved ──seller revokes──► denied
//!    └────seller denies──────► denied   (final: the buyer cannot reopen it)
//! ```

use chrono::{DateTime, SubsecRound, Utc};

use super::terms::short_text;
use super::upload::DocumentKind;
use super::values::ValidationError;
use super::{Listing, Role};

/// Longest document title, in characters.
pub const MAX_TITLE_CHARS: usize = 200;

wire_enum!(
    /// Who may download a document.
    DocumentVisibility, "document visibility" {
        /// Any signed-in user.
        Public => "public",
        /// The seller, admins and buyers whose NDA request was approved.
        Nda => "nda",
    }
);

wire_enum!(
    /// Where an NDA access request stands.
    NdaStatus, "NDA request status" {
        /// The buyer accepted the NDA; waiting for the seller.
        Pending => "pending",
        /// The seller opened the data room to the buyer.
        Approved => "approved",
        /// The seller refused (or revoked) access (final).
        Denied => "denied",
    }
);

/// A document's metadata (its bytes are stored beside it, see `store::dataroom`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// Unique id (UUID v7); also the stem of its download name.
    pub id: String,
    /// The listing whose data room holds it.
    pub listing_id: String,
    /// Whose storage quota it counts against: the listing's seller (the uploader for
    /// listings without a seller).
    pub owner_id: String,
    /// Who uploaded it (the seller or an admin).
    pub uploader_id: String,
    /// Display title.
    pub title: String,
    /// The kind found by content sniffing (never the declared type).
    pub kind: DocumentKind,
    /// Who may download it.
    pub visibility: DocumentVisibility,
    /// Size, bytes.
    pub size_bytes: u64,
    /// SHA-256 of the content, lower-case hex.
    pub sha256: String,
    /// When it was uploaded (millisecond precision).
    pub uploaded_at: DateTime<Utc>,
}

impl Document {
    /// The generated download name: `<id>.<ext>` (only `[0-9a-f-]` and the extension, so it
    /// is safe in a `Content-Disposition` header without escaping).
    pub fn file_name(&self) -> String {
        format!("{}.{}", self.id, self.kind.extension())
    }
}

/// A document title from the form's `title`, else the uploaded file's name (without its
/// directory), else a generic one; trimmed and checked like other short texts.
pub fn document_title(
    title: Option<&str>,
    file_name: Option<&str>,
    kind: DocumentKind,
) -> Result<String, ValidationError> {
    if let Some(t) = title.filter(|t| !t.trim().is_empty()) {
        return short_text("title", t, MAX_TITLE_CHARS);
    }
    let from_name = file_name
        .map(|n| n.rsplit(['/', '\\']).next().unwrap_or(n))
        .map(|n| n.chars().filter(|c| !c.is_control()).collect::<String>())
        .filter(|n| !n.trim().is_empty())
        .map(|n| n.trim().chars().take(MAX_TITLE_CHARS).collect::<String>());
    Ok(from_name.unwrap_or_else(|| format!("{} document", kind.label())))
}

/// A buyer's request for the `nda` documents of a listing, made by accepting its NDA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NdaRequest {
    /// Unique id (UUID v7).
    pub id: String,
    /// The listing.
    pub listing_id: String,
    /// Who accepted the NDA.
    pub buyer_id: String,
    /// The listing's seller when the request was made (`None`: managed by admins).
    pub seller_id: Option<String>,
    /// Where it stands.
    pub status: NdaStatus,
    /// Version, from 1, incremented by every decision (compare-and-set key).
    pub version: i64,
    /// When the buyer accepted the NDA (millisecond precision).
    pub created_at: DateTime<Utc>,
    /// Last change (millisecond precision).
    pub updated_at: DateTime<Utc>,
    /// Who decided last (the seller or an admin).
    pub decided_by: Option<String>,
}

/// A decision the life cycle does not allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a request that is {from} cannot become {to}")]
pub struct NdaTransitionError {
    /// The current status.
    pub from: NdaStatus,
    /// The wanted status.
    pub to: NdaStatus,
}

impl NdaRequest {
    /// A new pending request by `buyer_id` on `listing` at `now`.
    pub fn new(id: String, listing: &Listing, buyer_id: &str, now: DateTime<Utc>) -> Self {
        let now = now.trunc_subsecs(3);
        Self {
            id,
            listing_id: listing.id.clone(),
            buyer_id: buyer_id.to_owned(),
            seller_id: listing.seller_id.clone(),
            status: NdaStatus::Pending,
            version: 1,
            created_at: now,
            updated_at: now,
            decided_by: None,
        }
    }

    /// The request after `decider` moves it to `to` at `now` (next version), or why not:
    /// pending → approved | denied, approved → denied (revocation). Denied is final.
    pub fn decide(
        &self,
        to: NdaStatus,
        decider: &str,
        now: DateTime<Utc>,
    ) -> Result<NdaRequest, NdaTransitionError> {
        use NdaStatus::{Approved, Denied, Pending};
        match (self.status, to) {
            (Pending, Approved | Denied) | (Approved, Denied) => {}
            (from, to) => return Err(NdaTransitionError { from, to }),
        }
        let now = now.trunc_subsecs(3);
        Ok(NdaRequest {
            status: to,
            version: self.version + 1,
            updated_at: now.max(self.updated_at + chrono::TimeDelta::milliseconds(1)),
            decided_by: Some(decider.to_owned()),
            ..self.clone()
        })
    }
}

/// Whether a caller may download `doc` of `listing`: public documents always, `nda` ones for
/// the listing's managers (its seller, admins) and for the holder of an approved request.
pub fn may_download(
    doc: &Document,
    listing: &Listing,
    user_id: &str,
    role: Role,
    request: Option<&NdaRequest>,
) -> bool {
    doc.visibility == DocumentVisibility::Public
        || listing.is_managed_by(user_id, role)
        || request.is_some_and(|r| r.status == NdaStatus::Approved && r.buyer_id == user_id)
}

#[cfg(test)]
#[path = "dataroom_tests.rs"]
mod tests;
