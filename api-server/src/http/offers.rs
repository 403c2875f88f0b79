//! Offers on best-offer listings: `POST`/`GET /api/v1/listings/{id}/offers`,
//! `POST /api/v1/offers/{id}/accept|reject|counter|withdraw`, `GET /api/v1/me/offers`.
//!
//! A buyer sees and acts on their own offers; the listing's seller (and admins) on the offers
//! made on it. Anyone else gets `404` for an offer, as if it did not exist. Every transition
//! is a compare-and-set on the offer's version; accepting also moves the listing to
//! `under_contract` through the validated listing life cycle.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::AppState;
use super::bids::{PageParams, Traders};
use super::client_ip::ClientIp;
use super::extract::{AuthUser, Authorized};
use super::json_body::StrictJson;
use super::listings::visible_listing;
use super::paging::page_params;
use super::problem::Problem;
use crate::auth::Principal;
use crate::domain::activity::ActivityKind;
use crate::domain::{
    AuditKind, ListingStatus, Offer, OfferAction, OfferError, OfferParty, OfferStatus, Role,
    ValidationError, check_transition, validate_id,
};
use crate::store::StoreError;
use crate::store::bids::{AcceptOutcome, ItemPage, OfferQuery};

/// `POST /api/v1/listings/{id}/offers` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OfferBody {
    /// Offered price in US cents (> 0).
    pub amount_cents: i64,
    /// A note for the seller (up to 2,000 characters).
    #[serde(default)]
    pub message: Option<String>,
}

/// `POST /api/v1/offers/{id}/counter` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CounterBody {
    /// The seller's price in US cents; higher than the offer.
    pub amount_cents: i64,
}

/// An offer as its buyer, the listing's seller or an admin sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct OfferView {
    /// Id.
    pub id: String,
    /// The listing.
    pub listing_id: String,
    /// Who offered.
    pub buyer_id: String,
    /// The listing's seller (`null` for listings without one).
    pub seller_id: Option<String>,
    /// The offered price, cents.
    pub amount_cents: i64,
    /// The seller's counter, cents.
    pub counter_cents: Option<i64>,
    /// The agreed price once accepted (the counter if the buyer accepted one).
    pub agreed_cents: Option<i64>,
    /// The buyer's note.
    pub message: Option<String>,
    /// `pending`, `countered`, `accepted`, `rejected` or `withdrawn`.
    pub status: OfferStatus,
    /// Incremented by every transition.
    pub version: i64,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// Last transition.
    pub updated_at: DateTime<Utc>,
}

impl From<Offer> for OfferView {
    fn from(o: Offer) -> Self {
        Self {
            agreed_cents: o.agreed_cents(),
            id: o.id,
            listing_id: o.listing_id,
            buyer_id: o.buyer_id,
            seller_id: o.seller_id,
            amount_cents: o.amount_cents,
            counter_cents: o.counter_cents,
            message: o.message,
            status: o.status,
            version: o.version,
            created_at: o.created_at,
            updated_at: o.updated_at,
        }
    }
}

/// A page of offers, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct OfferList {
    /// Offers.
    pub items: Vec<OfferView>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

impl From<ItemPage<Offer>> for OfferList {
    fn from(p: ItemPage<Offer>) -> Self {
        Self {
            items: p.items.into_iter().map(OfferView::from).collect(),
            next_cursor: p.next.map(|c| c.encode()),
        }
    }
}

fn changed_meanwhile(what: &str) -> Problem {
    Problem::conflict(format!(
        "The {what} was changed meanwhile; read it again and retry."
    ))
}

fn forbidden(detail: &str) -> Problem {
    Problem::new(StatusCode::FORBIDDEN, "forbidden", "Forbidden", detail)
}

fn invalid_transition(detail: String) -> Problem {
    Problem::new(
        StatusCode::CONFLICT,
        "invalid-transition",
        "Invalid status transition",
        detail,
    )
}

/// Makes an offer on a best-offer listing (buyers and sellers, never on their own listing).
/// One open offer per buyer and listing.
#[utoipa::path(post, path = "/api/v1/listings/{id}/offers", tag = "offers",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Listing id")),
    request_body = OfferBody,
    responses(
        (status = 201, description = "The pending offer", body = OfferView),
        (status = 401, description = "No valid access token", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "Admins do not trade; sellers not on their own listings", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such listing", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "Not a best-offer listing or not active (`not-accepting-offers`), or an open offer by the caller exists", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "Invalid amount or message", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn create(
    State(state): State<AppState>,
    ip: ClientIp,
    Authorized(caller, _): Authorized<Traders>,
    Path(id): Path<String>,
    StrictJson(body): StrictJson<OfferBody>,
) -> Result<(StatusCode, Json<OfferView>), Problem> {
    let listing = visible_listing(&state, &id, Some(&caller)).await?;
    if listing.is_owned_by(&caller.user_id) {
        state.auth().count_failure("forbidden");
        return Err(forbidden(
            "Sellers cannot make offers on their own listings.",
        ));
    }
    let now = state.settings().clock.now();
    let id = uuid::Uuid::now_v7().to_string();
    let offer = Offer::new(
        id,
        &listing,
        &caller.user_id,
        body.amount_cents,
        body.message,
        now,
    )
    .map_err(|e: ValidationError| {
        if e.field == "listing" {
            Problem::new(
                StatusCode::CONFLICT,
                "not-accepting-offers",
                "Not accepting offers",
                e.to_string(),
            )
        } else {
            Problem::invalid_body(e.to_string())
        }
    })?;
    match state.users().create_offer(&offer).await {
        Ok(()) => {}
        Err(StoreError::Conflict(_)) => {
            return Err(Problem::conflict(
                "You already have an open offer on this listing; withdraw it or wait for an answer.",
            ));
        }
        Err(e) => return Err(e.into()),
    }
    state.trading().offer("made");
    state.record_activity(&listing, ActivityKind::Offer, Some(&caller.user_id));
    let detail = format!("listing={} offer={}", offer.listing_id, offer.id);
    state
        .auth()
        .audit(
            AuditKind::OfferMade,
            Some(&caller.user_id),
            None,
            ip.to_audit().as_deref(),
            &detail,
        )
        .await;
    Ok((StatusCode::CREATED, Json(offer.into())))
}

/// Offers on a listing: all of them for its seller and admins, the caller's own for everyone
/// else. Newest first.
#[utoipa::path(get, path = "/api/v1/listings/{id}/offers", tag = "offers",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Listing id"), PageParams),
    responses(
        (status = 200, description = "A page of offers", body = OfferList),
        (status = 400, description = "Invalid limit or cursor", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 401, description = "No valid access token", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such listing", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn list(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    Path(id): Path<String>,
    params: Result<Query<PageParams>, QueryRejection>,
) -> Result<Json<OfferList>, Problem> {
    let Query(params) = params.map_err(|e| Problem::invalid_parameter(e.body_text()))?;
    let (limit, after) = page_params(params.limit.as_deref(), params.cursor.as_deref())?;
    let listing = visible_listing(&state, &id, Some(&caller)).await?;
    let manager = listing.is_managed_by(&caller.user_id, caller.role);
    let query = OfferQuery {
        listing_id: Some(listing.id),
        party_id: (!manager).then(|| caller.user_id.clone()),
        after,
        limit,
    };
    Ok(Json(state.users().offers_page(&query).await?.into()))
}

/// Offers the caller made (as a buyer) or received (as a seller), newest first.
#[utoipa::path(get, path = "/api/v1/me/offers", tag = "offers",
    security(("bearer" = [])),
    params(PageParams),
    responses(
        (status = 200, description = "A page of offers", body = OfferList),
        (status = 400, description = "Invalid limit or cursor", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 401, description = "No valid access token", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn mine(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    params: Result<Query<PageParams>, QueryRejection>,
) -> Result<Json<OfferList>, Problem> {
    let Query(params) = params.map_err(|e| Problem::invalid_parameter(e.body_text()))?;
    let (limit, after) = page_params(params.limit.as_deref(), params.cursor.as_deref())?;
    let query = OfferQuery {
        listing_id: None,
        party_id: Some(caller.user_id.clone()),
        after,
        limit,
    };
    Ok(Json(state.users().offers_page(&query).await?.into()))
}

/// The offer and the caller's side of it; `404` for anyone who is not its buyer, its
/// listing's seller or an admin.
async fn offer_for(
    state: &AppState,
    id: &str,
    caller: &Principal,
) -> Result<(Offer, OfferParty), Problem> {
    let missing = || Problem::not_found(format!("No offer with id '{id}'."));
    if validate_id(id).is_err() {
        return Err(Problem::not_found("No offer with this id."));
    }
    let offer = state.users().offer(id).await?.ok_or_else(missing)?;
    let party = if offer.buyer_id == caller.user_id {
        OfferParty::Buyer
    } else if offer.seller_id.as_deref() == Some(caller.user_id.as_str())
        || caller.role == Role::Admin
    {
        OfferParty::Seller
    } else {
        state.auth().count_failure("forbidden");
        return Err(missing());
    };
    Ok((offer, party))
}

/// Applies `action` for the caller and writes it (with the listing, when accepting).
async fn act(
    state: &AppState,
    ip: ClientIp,
    caller: &Principal,
    id: &str,
    action: OfferAction,
) -> Result<Json<OfferView>, Problem> {
    let (offer, party) = offer_for(state, id, caller).await?;
    let now = state.settings().clock.now();
    let next = offer.apply(party, action, now).map_err(|e| match e {
        OfferError::InvalidTransition { .. } => invalid_transition(format!("{}.", e)),
        OfferError::Invalid(v) => Problem::invalid_body(v.to_string()),
    })?;
    let store = state.users();
    let mut listing_change = None;
    if next.status == OfferStatus::Accepted {
        let listing = store
            .get(&offer.listing_id)
            .await?
            .ok_or_else(|| Problem::conflict("The listing no longer exists."))?;
        check_transition(listing.status, ListingStatus::UnderContract)
            .map_err(|e| invalid_transition(format!("The listing cannot be sold now: {e}.")))?;
        let mut under_contract = listing.clone();
        under_contract.status = ListingStatus::UnderContract;
        under_contract.updated_at = listing.next_updated_at(now);
        match store
            .accept_offer(&next, offer.version, &under_contract, listing.updated_at)
            .await?
        {
            AcceptOutcome::Accepted => {}
            AcceptOutcome::OfferChanged => return Err(changed_meanwhile("offer")),
            AcceptOutcome::ListingChanged => return Err(changed_meanwhile("listing")),
        }
        listing_change = Some(format!(
            "listing={} {}->{}",
            listing.id,
            listing.status,
            ListingStatus::UnderContract
        ));
        state.record_activity(&under_contract, ActivityKind::Sale, Some(&caller.user_id));
    } else if !store.update_offer(&next, offer.version).await? {
        return Err(changed_meanwhile("offer"));
    }
    state.trading().offer(action.as_str());
    let ip = ip.to_audit();
    let detail = format!(
        "listing={} offer={} {}->{}",
        next.listing_id, next.id, offer.status, next.status
    );
    let auth = state.auth();
    auth.audit(
        AuditKind::OfferStatusChanged,
        Some(&caller.user_id),
        None,
        ip.as_deref(),
        &detail,
    )
    .await;
    if let Some(detail) = listing_change {
        let seller = next.seller_id.as_deref();
        let actor = (seller != Some(caller.user_id.as_str())).then_some(caller.user_id.as_str());
        auth.audit(
            AuditKind::ListingStatusChanged,
            seller,
            actor,
            ip.as_deref(),
            &detail,
        )
        .await;
    }
    Ok(Json(next.into()))
}

/// Accepts: the seller a pending offer, the buyer a counter. The listing goes
/// `under_contract` in the same step.
#[utoipa::path(post, path = "/api/v1/offers/{id}/accept", tag = "offers",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Offer id")),
    responses(
        (status = 200, description = "The accepted offer", body = OfferView),
        (status = 401, description = "No valid access token", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such offer (or not the caller's)", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "Not allowed in the offer's or listing's status (`invalid-transition`), or changed concurrently", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn accept(
    State(state): State<AppState>,
    ip: ClientIp,
    AuthUser(caller): AuthUser,
    Path(id): Path<String>,
) -> Result<Json<OfferView>, Problem> {
    act(&state, ip, &caller, &id, OfferAction::Accept).await
}

/// Rejects a pending or countered offer (the listing's seller or an admin).
#[utoipa::path(post, path = "/api/v1/offers/{id}/reject", tag = "offers",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Offer id")),
    responses(
        (status = 200, description = "The rejected offer", body = OfferView),
        (status = 401, description = "No valid access token", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such offer (or not the caller's)", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "Not allowed in the offer's status or for the caller (`invalid-transition`), or changed concurrently", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn reject(
    State(state): State<AppState>,
    ip: ClientIp,
    AuthUser(caller): AuthUser,
    Path(id): Path<String>,
) -> Result<Json<OfferView>, Problem> {
    act(&state, ip, &caller, &id, OfferAction::Reject).await
}

/// Counters a pending offer with a higher price (the listing's seller or an admin).
#[utoipa::path(post, path = "/api/v1/offers/{id}/counter", tag = "offers",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Offer id")),
    request_body = CounterBody,
    responses(
        (status = 200, description = "The countered offer", body = OfferView),
        (status = 401, description = "No valid access token", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such offer (or not the caller's)", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "Not allowed in the offer's status or for the caller (`invalid-transition`), or changed concurrently", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "Invalid amount, or not higher than the offer", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn counter(
    State(state): State<AppState>,
    ip: ClientIp,
    AuthUser(caller): AuthUser,
    Path(id): Path<String>,
    StrictJson(body): StrictJson<CounterBody>,
) -> Result<Json<OfferView>, Problem> {
    act(
        &state,
        ip,
        &caller,
        &id,
        OfferAction::Counter(body.amount_cents),
    )
    .await
}

/// Withdraws a pending or countered offer (its buyer).
#[utoipa::path(post, path = "/api/v1/offers/{id}/withdraw", tag = "offers",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Offer id")),
    responses(
        (status = 200, description = "The withdrawn offer", body = OfferView),
        (status = 401, description = "No valid access token", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such offer (or not the caller's)", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "Not allowed in the offer's status or for the caller (`invalid-transition`), or changed concurrently", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn withdraw(
    State(state): State<AppState>,
    ip: ClientIp,
    AuthUser(caller): AuthUser,
    Path(id): Path<String>,
) -> Result<Json<OfferView>, Problem> {
    act(&state, ip, &caller, &id, OfferAction::Withdraw).await
}
