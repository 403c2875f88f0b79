//! `GET /api/v1/listings/{id}/documents` (metadata), `GET /api/v1/documents/{id}/content`
//! (download) and `DELETE /api/v1/documents/{id}`.
//!
//! Downloads are always attachments under the generated name, with the sniffed kind's
//! `Content-Type`, `X-Content-Type-Options: nosniff` and `Cache-Control: private, no-store`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS,
};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use super::super::AppState;
use super::super::client_ip::ClientIp;
use super::super::extract::{AuthUser, Authorized, SellerOrAdmin};
use super::super::listings::visible_listing;
use super::super::problem::Problem;
use super::{
    DocumentView, NdaRequestView, not_manager, own_request, seller_and_actor, visible_document,
};
use crate::domain::{AuditKind, may_download};

/// A listing's data room as the caller sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentList {
    /// Documents, oldest first (metadata of `nda` documents is listed for every signed-in
    /// user; their content only for those with access).
    pub items: Vec<DocumentView>,
    /// Whether the caller may download every document (the seller, admins, approved buyers).
    pub full_access: bool,
    /// The caller's NDA request on this listing, if any.
    pub nda_request: Option<NdaRequestView>,
}

/// Lists the documents of a listing's data room, saying which the caller may download.
#[utoipa::path(get, path = "/api/v1/listings/{id}/documents", tag = "data room",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Listing id")),
    responses(
        (status = 200, description = "The data room", body = DocumentList),
        (status = 401, description = "No valid access token", body = super::super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such listing", body = super::super::openapi::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn list(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    Path(id): Path<String>,
) -> Result<Json<DocumentList>, Problem> {
    let listing = visible_listing(&state, &id, Some(&caller)).await?;
    let request = own_request(&state, &listing, &caller).await?;
    let docs = state.users().listing_documents(&listing.id).await?;
    let full_access = listing.is_managed_by(&caller.user_id, caller.role)
        || request
            .as_ref()
            .is_some_and(|r| r.status == crate::domain::NdaStatus::Approved);
    let items = docs
        .into_iter()
        .map(|d| {
            let can = may_download(&d, &listing, &caller.user_id, caller.role, request.as_ref());
            DocumentView::new(d, can)
        })
        .collect();
    Ok(Json(DocumentList {
        items,
        full_access,
        nda_request: request.map(NdaRequestView::from),
    }))
}

/// Downloads a document: `public` ones for any signed-in user who can see the listing, `nda`
/// ones for its seller, admins and buyers whose NDA request was approved.
#[utoipa::path(get, path = "/api/v1/documents/{id}/content", tag = "data room",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Document id")),
    responses(
        (status = 200, description = "The bytes, as an attachment named `<id>.<ext>`, with the sniffed kind's Content-Type and `X-Content-Type-Options: nosniff`", content_type = "application/octet-stream"),
        (status = 401, description = "No valid access token", body = super::super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "An `nda` document and no approved NDA request (`data-room-access-required`)", body = super::super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such document", body = super::super::openapi::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn content(
    State(state): State<AppState>,
    ip: ClientIp,
    AuthUser(caller): AuthUser,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let (doc, listing) = visible_document(&state, &id, &caller).await?;
    let request = own_request(&state, &listing, &caller).await?;
    if !may_download(
        &doc,
        &listing,
        &caller.user_id,
        caller.role,
        request.as_ref(),
    ) {
        state.auth().count_failure("forbidden");
        return Err(Problem::new(
            StatusCode::FORBIDDEN,
            "data-room-access-required",
            "Data room access required",
            "This document is under NDA: accept the listing's NDA (POST /api/v1/listings/{id}/nda) \
             and wait for the seller's approval.",
        ));
    }
    let bytes = state
        .users()
        .document_content(&doc.id)
        .await?
        .ok_or_else(|| {
            tracing::error!(document = %doc.id, "document bytes missing");
            Problem::internal()
        })?;
    let detail = format!("listing={} document={}", doc.listing_id, doc.id);
    state
        .auth()
        .audit(
            AuditKind::DocumentDownloaded,
            Some(&caller.user_id),
            None,
            ip.to_audit().as_deref(),
            &detail,
        )
        .await;
    let disposition =
        HeaderValue::from_str(&format!("attachment; filename=\"{}\"", doc.file_name()))
            .map_err(|_| Problem::internal())?;
    let mut res = bytes.into_response();
    let headers = res.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(doc.kind.mime_type()));
    headers.insert(CONTENT_DISPOSITION, disposition);
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    Ok(res)
}

/// Deletes a document and its bytes (the listing's seller or an admin).
#[utoipa::path(delete, path = "/api/v1/documents/{id}", tag = "data room",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Document id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "No valid access token", body = super::super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "Not the listing's seller or an admin", body = super::super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such document", body = super::super::openapi::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn delete(
    State(state): State<AppState>,
    ip: ClientIp,
    Authorized(caller, _): Authorized<SellerOrAdmin>,
    Path(id): Path<String>,
) -> Result<StatusCode, Problem> {
    let (doc, listing) = visible_document(&state, &id, &caller).await?;
    if !listing.is_managed_by(&caller.user_id, caller.role) {
        return Err(not_manager(&state));
    }
    if !state.users().delete_document(&doc.id).await? {
        return Err(Problem::not_found("No document with this id."));
    }
    let (user, actor) = seller_and_actor(&listing, &caller);
    let detail = format!("listing={} document={}", doc.listing_id, doc.id);
    state
        .auth()
        .audit(
            AuditKind::DocumentDeleted,
            Some(user),
            actor,
            ip.to_audit().as_deref(),
            &detail,
        )
        .await;
    Ok(StatusCode::NO_CONTENT)
}
