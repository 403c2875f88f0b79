//! Listing writes: create, update, change status, delete. Sellers (their own listings) and
//! admins (any listing); buyers get `403`. Every write is audited.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::header::LOCATION;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::client_ip::ClientIp;
use super::extract::{Authorized, SellerOrAdmin};
use super::json_body::StrictJson;
use super::listing_body::{CreateListingRequest, StatusRequest, UpdateListingRequest};
use super::listing_view::ListingView;
use super::listings::visible_listing;
use super::problem::Problem;
use crate::auth::Principal;
use crate::domain::activity::ActivityKind;
use crate::domain::transition::{is_deletable, is_initial};
use crate::domain::{
    AuditKind, Listing, ListingMeta, ListingStatus, ValidationError, check_transition,
    new_listing_id,
};

type Caller = Authorized<SellerOrAdmin>;

fn invalid(e: ValidationError) -> Problem {
    Problem::invalid_body(e.to_string())
}

fn changed_meanwhile() -> Problem {
    Problem::conflict("The listing was changed meanwhile; read it again and retry.")
}

/// The visible listing `id` that `caller` manages: `404` if invisible, `403` if not theirs.
async fn managed_listing(
    state: &AppState,
    id: &str,
    caller: &Principal,
) -> Result<Listing, Problem> {
    let listing = visible_listing(state, id, Some(caller)).await?;
    if !listing.is_managed_by(&caller.user_id, caller.role) {
        state.auth().count_failure("forbidden");
        return Err(Problem::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Forbidden",
            "Only the listing's seller or an admin may change it.",
        ));
    }
    Ok(listing)
}

/// Records a listing event: about the seller, by the caller when it is someone else.
async fn audit(
    state: &AppState,
    kind: AuditKind,
    listing: &Listing,
    caller: &Principal,
    ip: ClientIp,
    detail: String,
) {
    let seller = listing.seller_id.as_deref();
    let actor = (seller != Some(caller.user_id.as_str())).then_some(caller.user_id.as_str());
    state
        .auth()
        .audit(kind, seller, actor, ip.to_audit().as_deref(), &detail)
        .await;
}

/// Records a `sale` activity when `listing` just went under contract (every sold listing
/// passes through it, so one deal counts once).
fn record_sale(state: &AppState, listing: &Listing, caller: &Principal) {
    if listing.status == ListingStatus::UnderContract {
        state.record_activity(listing, ActivityKind::Sale, Some(&caller.user_id));
    }
}

/// Creates a listing owned by the caller, as `draft` (default) or `active`.
#[utoipa::path(post, path = "/api/v1/listings", tag = "listings",
    security(("bearer" = [])),
    request_body = CreateListingRequest,
    responses(
        (status = 201, description = "Created (Location: its URL)", body = ListingView),
        (status = 401, description = "No valid access token", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "Buyers may not list", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "Unknown or server-set field, wrong type, or a broken rule", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn create(
    State(state): State<AppState>,
    ip: ClientIp,
    Authorized(caller, _): Caller,
    StrictJson(body): StrictJson<CreateListingRequest>,
) -> Result<Response, Problem> {
    let input = body.into_input();
    if !is_initial(input.status) {
        return Err(Problem::invalid_body(
            "status: a listing is created as draft or active",
        ));
    }
    let now = state.settings().clock.now();
    let mut meta = ListingMeta::new(new_listing_id(), now);
    meta.seller_id = Some(caller.user_id.clone());
    let listing = input.validate_with(meta).map_err(invalid)?;
    listing.check_write_rules(now).map_err(invalid)?;
    state.store().insert(&listing).await?;
    let detail = format!("listing={} status={}", listing.id, listing.status);
    audit(
        &state,
        AuditKind::ListingCreated,
        &listing,
        &caller,
        ip,
        detail,
    )
    .await;
    let location = format!("/api/v1/listings/{}", listing.id);
    let mut res = (
        StatusCode::CREATED,
        Json(ListingView::for_caller(listing, Some(&caller))),
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        res.headers_mut().insert(LOCATION, v);
    }
    Ok(res)
}

/// Changes the given fields of a listing (its seller or an admin). A `status` in the body must
/// be a valid transition; server-set fields are refused.
#[utoipa::path(patch, path = "/api/v1/listings/{id}", tag = "listings",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Listing id")),
    request_body = UpdateListingRequest,
    responses(
        (status = 200, description = "The updated listing", body = ListingView),
        (status = 401, description = "No valid access token", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "Not the listing's seller or an admin", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such listing", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "Changed concurrently", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "Unknown or server-set field, invalid transition or broken rule", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn update(
    State(state): State<AppState>,
    ip: ClientIp,
    Authorized(caller, _): Caller,
    Path(id): Path<String>,
    StrictJson(body): StrictJson<UpdateListingRequest>,
) -> Result<Json<ListingView>, Problem> {
    let current = managed_listing(&state, &id, &caller).await?;
    let new_status = body.status.filter(|s| *s != current.status);
    if let Some(to) = new_status {
        check_transition(current.status, to)
            .map_err(|e| Problem::invalid_body(format!("status: {e}")))?;
    }
    let mut input = current.to_input();
    let mut fields = body.apply(&mut input);
    if let Some(to) = new_status {
        input.status = to;
        fields.push("status");
    }
    if fields.is_empty() {
        return Err(Problem::invalid_body(
            "Nothing to change: give at least one field.",
        ));
    }
    let now = state.settings().clock.now();
    let mut meta = ListingMeta::of(&current);
    meta.updated_at = current.next_updated_at(now);
    let next = input.validate_with(meta).map_err(invalid)?;
    next.check_write_rules(now).map_err(invalid)?;
    if !state.store().update(&next, current.updated_at).await? {
        return Err(changed_meanwhile());
    }
    let detail = format!("listing={} fields={}", next.id, fields.join(","));
    audit(
        &state,
        AuditKind::ListingUpdated,
        &next,
        &caller,
        ip,
        detail,
    )
    .await;
    if let Some(to) = new_status {
        record_sale(&state, &next, &caller);
        let detail = format!("listing={} {}->{}", next.id, current.status, to);
        audit(
            &state,
            AuditKind::ListingStatusChanged,
            &next,
            &caller,
            ip,
            detail,
        )
        .await;
    }
    Ok(Json(ListingView::for_caller(next, Some(&caller))))
}

/// Moves a listing through its life cycle: draft→active→under_contract→sold,
/// draft/active→withdrawn, under_contract→active. Publishing checks the publishing rules.
#[utoipa::path(post, path = "/api/v1/listings/{id}/status", tag = "listings",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Listing id")),
    request_body = StatusRequest,
    responses(
        (status = 200, description = "The listing in its new status", body = ListingView),
        (status = 401, description = "No valid access token", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "Not the listing's seller or an admin", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such listing", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "Not a valid transition from the current status (`invalid-transition`), or changed concurrently", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "Unknown status, or the listing breaks a publishing rule", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn change_status(
    State(state): State<AppState>,
    ip: ClientIp,
    Authorized(caller, _): Caller,
    Path(id): Path<String>,
    StrictJson(body): StrictJson<StatusRequest>,
) -> Result<Json<ListingView>, Problem> {
    let current = managed_listing(&state, &id, &caller).await?;
    check_transition(current.status, body.status).map_err(|e| {
        Problem::new(
            StatusCode::CONFLICT,
            "invalid-transition",
            "Invalid status transition",
            e.to_string(),
        )
    })?;
    let now = state.settings().clock.now();
    let mut next = current.clone();
    next.status = body.status;
    next.updated_at = current.next_updated_at(now);
    next.check_write_rules(now).map_err(invalid)?;
    if !state.store().update(&next, current.updated_at).await? {
        return Err(changed_meanwhile());
    }
    record_sale(&state, &next, &caller);
    let detail = format!("listing={} {}->{}", next.id, current.status, next.status);
    audit(
        &state,
        AuditKind::ListingStatusChanged,
        &next,
        &caller,
        ip,
        detail,
    )
    .await;
    Ok(Json(ListingView::for_caller(next, Some(&caller))))
}

/// Deletes a listing that is a draft or withdrawn (its seller or an admin).
#[utoipa::path(delete, path = "/api/v1/listings/{id}", tag = "listings",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Listing id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "No valid access token", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "Not the listing's seller or an admin", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such listing", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "Not a draft or withdrawn, or changed concurrently", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn delete(
    State(state): State<AppState>,
    ip: ClientIp,
    Authorized(caller, _): Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, Problem> {
    let current = managed_listing(&state, &id, &caller).await?;
    if !is_deletable(current.status) {
        return Err(Problem::conflict(format!(
            "A {} listing cannot be deleted; only drafts and withdrawn listings can.",
            current.status
        )));
    }
    if !state
        .store()
        .delete(&current.id, current.updated_at)
        .await?
    {
        return Err(changed_meanwhile());
    }
    // Its data room goes with it (and stops counting against the seller's quota).
    let documents = state.users().delete_data_room(&current.id).await?;
    let detail = if documents > 0 {
        format!("listing={} documents={documents}", current.id)
    } else {
        format!("listing={}", current.id)
    };
    audit(
        &state,
        AuditKind::ListingDeleted,
        &current,
        &caller,
        ip,
        detail,
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}
