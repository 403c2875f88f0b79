//! NDA access requests: `POST /api/v1/listings/{id}/nda` (a buyer accepts the NDA and asks
//! for access; idempotent), `GET /api/v1/listings/{id}/nda-requests` (the seller's view),
//! `POST /api/v1/nda-requests/{id}/approve|deny` (the seller or an admin),
//! `GET /api/v1/me/nda-requests` (the buyer's own).
//!
//! A denied request stays denied: accepting the NDA again returns it unchanged, and only
//! pending requests can be approved (approved ones can still be revoked by denying them).

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::super::AppState;
use super::super::bids::{PageParams, Traders};
use super::super::client_ip::ClientIp;
use super::super::extract::{AuthUser, Authorized};
use super::super::json_body::StrictJson;
use super::super::listings::visible_listing;
use super::super::paging::page_params;
use super::super::problem::Problem;
use super::{NdaRequestView, not_manager};
use crate::auth::Principal;
use crate::domain::activity::ActivityKind;
use crate::domain::{AuditKind, NdaRequest, NdaStatus, Role, validate_id};
use crate::store::bids::ItemPage;
use crate::store::dataroom::NdaQuery;

/// `POST /api/v1/listings/{id}/nda` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NdaAcceptance {
    /// Must be `true`: the caller accepts the listing's non-disclosure agreement.
    pub accept: bool,
}

/// A page of NDA requests, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct NdaRequestList {
    /// Requests.
    pub items: Vec<NdaRequestView>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

impl From<ItemPage<NdaRequest>> for NdaRequestList {
    fn from(p: ItemPage<NdaRequest>) -> Self {
        Self {
            items: p.items.into_iter().map(NdaRequestView::from).collect(),
            next_cursor: p.next.map(|c| c.encode()),
        }
    }
}

/// Accepts a listing's NDA and asks its seller for data-room access (buyers and sellers, not
/// on their own listing). Idempotent: a second call returns the existing request, whatever
/// its status (`200`; `201` when new).
#[utoipa::path(post, path = "/api/v1/listings/{id}/nda", tag = "data room",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Listing id")),
    request_body = NdaAcceptance,
    responses(
        (status = 201, description = "A new pending request", body = NdaRequestView),
        (status = 200, description = "The caller's existing request (unchanged)", body = NdaRequestView),
        (status = 401, description = "No valid access token", body = super::super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "Admins, and sellers on their own listing, need no NDA", body = super::super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such listing", body = super::super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "`accept` is not `true`", body = super::super::openapi::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn accept(
    State(state): State<AppState>,
    ip: ClientIp,
    Authorized(caller, _): Authorized<Traders>,
    Path(id): Path<String>,
    StrictJson(body): StrictJson<NdaAcceptance>,
) -> Result<(StatusCode, Json<NdaRequestView>), Problem> {
    if !body.accept {
        return Err(Problem::invalid_body(
            "accept: must be true to accept the NDA.",
        ));
    }
    let listing = visible_listing(&state, &id, Some(&caller)).await?;
    if listing.is_owned_by(&caller.user_id) {
        state.auth().count_failure("forbidden");
        return Err(Problem::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Forbidden",
            "Sellers have access to their own data rooms.",
        ));
    }
    let now = state.settings().clock.now();
    let request = NdaRequest::new(
        uuid::Uuid::now_v7().to_string(),
        &listing,
        &caller.user_id,
        now,
    );
    let (stored, new) = state.users().request_nda(&request).await?;
    if !new {
        return Ok((StatusCode::OK, Json(stored.into())));
    }
    state.record_activity(&listing, ActivityKind::NdaRequest, Some(&caller.user_id));
    let detail = format!("listing={} request={}", stored.listing_id, stored.id);
    state
        .auth()
        .audit(
            AuditKind::NdaAccepted,
            Some(&caller.user_id),
            None,
            ip.to_audit().as_deref(),
            &detail,
        )
        .await;
    Ok((StatusCode::CREATED, Json(stored.into())))
}

/// The NDA requests on a listing, newest first (its seller and admins).
#[utoipa::path(get, path = "/api/v1/listings/{id}/nda-requests", tag = "data room",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Listing id"), PageParams),
    responses(
        (status = 200, description = "A page of requests", body = NdaRequestList),
        (status = 400, description = "Invalid limit or cursor", body = super::super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 401, description = "No valid access token", body = super::super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "Not the listing's seller or an admin", body = super::super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such listing", body = super::super::openapi::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn for_listing(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    Path(id): Path<String>,
    params: Result<Query<PageParams>, QueryRejection>,
) -> Result<Json<NdaRequestList>, Problem> {
    let Query(params) = params.map_err(|e| Problem::invalid_parameter(e.body_text()))?;
    let (limit, after) = page_params(params.limit.as_deref(), params.cursor.as_deref())?;
    let listing = visible_listing(&state, &id, Some(&caller)).await?;
    if !listing.is_managed_by(&caller.user_id, caller.role) {
        return Err(not_manager(&state));
    }
    let query = NdaQuery {
        listing_id: Some(listing.id),
        buyer_id: None,
        after,
        limit,
    };
    Ok(Json(state.users().nda_requests_page(&query).await?.into()))
}

/// The caller's own NDA requests, newest first.
#[utoipa::path(get, path = "/api/v1/me/nda-requests", tag = "data room",
    security(("bearer" = [])),
    params(PageParams),
    responses(
        (status = 200, description = "A page of requests", body = NdaRequestList),
        (status = 400, description = "Invalid limit or cursor", body = super::super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 401, description = "No valid access token", body = super::super::openapi::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn mine(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    params: Result<Query<PageParams>, QueryRejection>,
) -> Result<Json<NdaRequestList>, Problem> {
    let Query(params) = params.map_err(|e| Problem::invalid_parameter(e.body_text()))?;
    let (limit, after) = page_params(params.limit.as_deref(), params.cursor.as_deref())?;
    let query = NdaQuery {
        listing_id: None,
        buyer_id: Some(caller.user_id.clone()),
        after,
        limit,
    };
    Ok(Json(state.users().nda_requests_page(&query).await?.into()))
}

/// Moves a request to `to` for its listing's seller or an admin. The buyer gets `403`;
/// anyone else `404`, as if it did not exist.
async fn decide(
    state: &AppState,
    ip: ClientIp,
    caller: &Principal,
    id: &str,
    to: NdaStatus,
) -> Result<Json<NdaRequestView>, Problem> {
    let missing = || Problem::not_found("No NDA request with this id.");
    if validate_id(id).is_err() {
        return Err(missing());
    }
    let request = state.users().nda_request(id).await?.ok_or_else(missing)?;
    let manages = caller.role == Role::Admin
        || (caller.role == Role::Seller
            && request.seller_id.as_deref() == Some(caller.user_id.as_str()));
    if !manages {
        state.auth().count_failure("forbidden");
        if request.buyer_id == caller.user_id {
            return Err(Problem::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "Forbidden",
                "Only the listing's seller or an admin may decide an NDA request.",
            ));
        }
        return Err(missing());
    }
    let now = state.settings().clock.now();
    let next = request.decide(to, &caller.user_id, now).map_err(|e| {
        Problem::new(
            StatusCode::CONFLICT,
            "invalid-transition",
            "Invalid status transition",
            format!("The request cannot change: {e}."),
        )
    })?;
    if !state
        .users()
        .update_nda_request(&next, request.version)
        .await?
    {
        return Err(Problem::conflict(
            "The request was changed meanwhile; read it again and retry.",
        ));
    }
    let kind = if to == NdaStatus::Approved {
        AuditKind::DataRoomAccessApproved
    } else {
        AuditKind::DataRoomAccessDenied
    };
    let detail = format!(
        "listing={} request={} {}->{}",
        next.listing_id, next.id, request.status, next.status
    );
    state
        .auth()
        .audit(
            kind,
            Some(&next.buyer_id),
            Some(&caller.user_id),
            ip.to_audit().as_deref(),
            &detail,
        )
        .await;
    Ok(Json(next.into()))
}

/// Opens the listing's `nda` documents to the request's buyer (a pending request; the
/// listing's seller or an admin).
#[utoipa::path(post, path = "/api/v1/nda-requests/{id}/approve", tag = "data room",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "NDA request id")),
    responses(
        (status = 200, description = "The approved request", body = NdaRequestView),
        (status = 401, description = "No valid access token", body = super::super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "The buyer cannot decide their own request", body = super::super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such request (or not the caller's listing)", body = super::super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "Not pending (`invalid-transition`), or changed concurrently", body = super::super::openapi::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn approve(
    State(state): State<AppState>,
    ip: ClientIp,
    AuthUser(caller): AuthUser,
    Path(id): Path<String>,
) -> Result<Json<NdaRequestView>, Problem> {
    decide(&state, ip, &caller, &id, NdaStatus::Approved).await
}

/// Refuses a pending request, or revokes an approved one (the listing's seller or an
/// admin). Denied is final.
#[utoipa::path(post, path = "/api/v1/nda-requests/{id}/deny", tag = "data room",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "NDA request id")),
    responses(
        (status = 200, description = "The denied request", body = NdaRequestView),
        (status = 401, description = "No valid access token", body = super::super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "The buyer cannot decide their own request", body = super::super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such request (or not the caller's listing)", body = super::super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "Already denied (`invalid-transition`), or changed concurrently", body = super::super::openapi::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn deny(
    State(state): State<AppState>,
    ip: ClientIp,
    AuthUser(caller): AuthUser,
    Path(id): Path<String>,
) -> Result<Json<NdaRequestView>, Problem> {
    decide(&state, ip, &caller, &id, NdaStatus::Denied).await
}
