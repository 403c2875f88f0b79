//! Bids on auction and sealed-bid listings: `POST`/`GET /api/v1/listings/{id}/bids`,
//! `POST /api/v1/listings/{id}/settle`, `GET /api/v1/me/bids`.
//!
//! Who sees what: a listing's seller and admins see every bid on it; everyone else (signed
//! in) sees the public state of the sale and only their own bids. Sealed amounts (the high
//! bid, the bid count) stay hidden from bidders until the end. The reserve price is never
//! shown; after the end the outcome says whether it was met.

use std::collections::HashMap;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use prometheus::{IntCounterVec, Opts, Registry};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::client_ip::ClientIp;
use super::extract::{AuthUser, Authorized, Roles};
use super::json_body::StrictJson;
use super::listings::visible_listing;
use super::paging::page_params;
use super::problem::Problem;
use crate::auth::Principal;
use crate::domain::activity::ActivityKind;
use crate::domain::auction::{self, AuctionOutcome, is_biddable};
use crate::domain::{
    AuditKind, Bid, BidRejection, BidRequest, Listing, ListingStatus, Role, SaleType,
    check_transition,
};
use crate::store::bids::BidQuery;

/// Buyers and sellers (admins manage, they do not trade).
#[derive(Debug, Clone, Copy)]
pub struct Traders;

impl Roles for Traders {
    const ALLOWED: &'static [Role] = &[Role::Buyer, Role::Seller];
}

/// Counters of bids and offer actions.
#[derive(Debug, Clone)]
pub struct TradingMetrics {
    bids: IntCounterVec,
    offers: IntCounterVec,
}

impl TradingMetrics {
    /// Creates and registers `ogf_http_bids_total{outcome}` and
    /// `ogf_http_offer_actions_total{action}`.
    pub fn register(registry: &Registry) -> Result<Self, prometheus::Error> {
        let bids = IntCounterVec::new(
            Opts::new(
                "ogf_http_bids_total",
                "Bids placed, by outcome (accepted or the rejection reason).",
            ),
            &["outcome"],
        )?;
        let offers = IntCounterVec::new(
            Opts::new(
                "ogf_http_offer_actions_total",
                "Offers made and offer transitions written, by action.",
            ),
            &["action"],
        )?;
        registry.register(Box::new(bids.clone()))?;
        registry.register(Box::new(offers.clone()))?;
        Ok(Self { bids, offers })
    }

    /// Counts a bid outcome.
    pub fn bid(&self, outcome: &str) {
        self.bids.with_label_values(&[outcome]).inc();
    }

    /// Counts an offer action.
    pub fn offer(&self, action: &str) {
        self.offers.with_label_values(&[action]).inc();
    }
}

/// `limit` and `cursor` of a list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Page size, 1-100 (default 20).
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// `POST /api/v1/listings/{id}/bids` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BidBody {
    /// Amount in US cents: at least the asking price, then (auctions) the high bid plus the
    /// bid increment.
    pub amount_cents: i64,
}

/// A bid as its bidder, the listing's seller or an admin sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct BidView {
    /// Id.
    pub id: String,
    /// The listing.
    pub listing_id: String,
    /// Who bid.
    pub bidder_id: String,
    /// Amount, cents.
    pub amount_cents: i64,
    /// A sealed bid.
    pub sealed: bool,
    /// When it was placed.
    pub placed_at: DateTime<Utc>,
    /// `leading` or `outbid` (open auction), `sealed` (sealed, before the end), `won`, `lost`
    /// or `reserve_not_met` (after the end), `closed` (the listing is gone).
    pub status: &'static str,
}

/// The state of a bidding sale as the caller may see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuctionView {
    /// The listing.
    pub listing_id: String,
    /// `auction` or `sealed_bid`.
    pub sale_type: SaleType,
    /// When bidding opens (if set).
    pub starts_at: Option<DateTime<Utc>>,
    /// When bidding ends, including soft-close extensions.
    pub ends_at: Option<DateTime<Utc>>,
    /// `open`, `no_bids`, `reserve_not_met` or `won`. The reserve price itself is never shown.
    pub outcome: &'static str,
    /// Bids so far (`null` for sealed bids before the end, except for the seller and admins).
    pub bid_count: Option<u64>,
    /// The high bid (`null` without bids, and for sealed bids before the end, except for the
    /// seller and admins).
    pub high_bid_cents: Option<i64>,
    /// The lowest acceptable next bid while bidding is open.
    pub minimum_bid_cents: Option<i64>,
}

/// A sale's state and a page of the bids the caller may see, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct ListingBids {
    /// The sale.
    pub auction: AuctionView,
    /// Bids: all for the seller and admins, the caller's own for everyone else.
    pub items: Vec<BidView>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// A page of the caller's bids, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct BidList {
    /// Bids.
    pub items: Vec<BidView>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// The result of settling an ended sale.
#[derive(Debug, Serialize, ToSchema)]
pub struct Settlement {
    /// `no_bids`, `reserve_not_met` (no sale; the listing stays active) or `won` (the
    /// listing is now `under_contract`).
    pub outcome: &'static str,
    /// The listing's status now.
    pub listing_status: ListingStatus,
    /// The winning bid.
    pub winning_bid: Option<BidView>,
}

/// A bid's status for its viewers, given its listing's outcome and high bid.
fn bid_status(bid: &Bid, outcome: Option<&AuctionOutcome>, top: Option<&Bid>) -> &'static str {
    match outcome {
        None => "closed",
        Some(AuctionOutcome::Open) if bid.sealed => "sealed",
        Some(AuctionOutcome::Open) if top.is_some_and(|t| t.id == bid.id) => "leading",
        Some(AuctionOutcome::Open) => "outbid",
        Some(AuctionOutcome::Won(w)) if w.id == bid.id => "won",
        Some(AuctionOutcome::Won(_)) => "lost",
        Some(AuctionOutcome::ReserveNotMet | AuctionOutcome::NoBids) => "reserve_not_met",
    }
}

fn view(bid: Bid, outcome: Option<&AuctionOutcome>, top: Option<&Bid>) -> BidView {
    let status = bid_status(&bid, outcome, top);
    BidView {
        status,
        id: bid.id,
        listing_id: bid.listing_id,
        bidder_id: bid.bidder_id,
        amount_cents: bid.amount_cents,
        sealed: bid.sealed,
        placed_at: bid.placed_at,
    }
}

/// The problem answering a rejected bid.
fn rejection_problem(r: &BidRejection) -> Problem {
    let detail = format!("{}.", capitalise(&r.to_string()));
    match r {
        BidRejection::NoListing => Problem::not_found("No listing with this id."),
        BidRejection::NotBiddable => {
            Problem::new(StatusCode::CONFLICT, "not-biddable", "Not biddable", detail)
        }
        BidRejection::NotActive(_) | BidRejection::NotStarted(_) | BidRejection::Ended => {
            Problem::new(
                StatusCode::CONFLICT,
                "bidding-closed",
                "Bidding closed",
                detail,
            )
        }
        BidRejection::OwnListing => {
            Problem::new(StatusCode::FORBIDDEN, "forbidden", "Forbidden", detail)
        }
        BidRejection::TooLow { .. } => Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "bid-too-low",
            "Bid too low",
            detail,
        ),
        BidRejection::InvalidAmount => Problem::invalid_body(r.to_string()),
        BidRejection::AlreadyBid | BidRejection::Busy => Problem::conflict(detail),
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

fn rejection_label(r: &BidRejection) -> &'static str {
    match r {
        BidRejection::NoListing => "no_listing",
        BidRejection::NotBiddable => "not_biddable",
        BidRejection::NotActive(_) | BidRejection::NotStarted(_) | BidRejection::Ended => "closed",
        BidRejection::OwnListing => "own_listing",
        BidRejection::TooLow { .. } => "too_low",
        BidRejection::InvalidAmount => "invalid_amount",
        BidRejection::AlreadyBid => "already_bid",
        BidRejection::Busy => "busy",
    }
}

/// A visible listing that takes bids, else `404`/`409`.
async fn biddable_listing(
    state: &AppState,
    id: &str,
    caller: &Principal,
) -> Result<Listing, Problem> {
    let listing = visible_listing(state, id, Some(caller)).await?;
    if !is_biddable(&listing) {
        return Err(rejection_problem(&BidRejection::NotBiddable));
    }
    Ok(listing)
}

/// Places a bid (buyers and sellers; never on one's own listing). The rules are applied in
/// the same atomic step that stores the bid, so of concurrent bids for one slot exactly one
/// is accepted.
#[utoipa::path(post, path = "/api/v1/listings/{id}/bids", tag = "bids",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Listing id")),
    request_body = BidBody,
    responses(
        (status = 201, description = "Accepted", body = BidView),
        (status = 401, description = "No valid access token", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "Admins do not bid; sellers not on their own listings", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such listing", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "Not an auction or sealed-bid listing (`not-biddable`), bidding not open (`bidding-closed`), a second sealed bid, or too many concurrent bids", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "Below the minimum (`bid-too-low`, the minimum in `detail`) or an invalid amount", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn place(
    State(state): State<AppState>,
    ip: ClientIp,
    Authorized(caller, _): Authorized<Traders>,
    Path(id): Path<String>,
    StrictJson(body): StrictJson<BidBody>,
) -> Result<(StatusCode, Json<BidView>), Problem> {
    let listing = biddable_listing(&state, &id, &caller).await?;
    let request = BidRequest {
        id: uuid::Uuid::now_v7().to_string(),
        listing_id: listing.id.clone(),
        bidder_id: caller.user_id.clone(),
        amount_cents: body.amount_cents,
        at: state.settings().clock.now(),
    };
    let bid = match state.users().place_bid(&request).await? {
        Ok(bid) => bid,
        Err(r) => {
            state.trading().bid(rejection_label(&r));
            if r == BidRejection::OwnListing {
                state.auth().count_failure("forbidden");
            }
            return Err(rejection_problem(&r));
        }
    };
    state.trading().bid("accepted");
    state.record_activity(&listing, ActivityKind::Bid, Some(&caller.user_id));
    let detail = format!(
        "listing={} bid={} amount_cents={}",
        bid.listing_id, bid.id, bid.amount_cents
    );
    state
        .auth()
        .audit(
            AuditKind::BidPlaced,
            Some(&caller.user_id),
            None,
            ip.to_audit().as_deref(),
            &detail,
        )
        .await;
    let status = if bid.sealed { "sealed" } else { "leading" };
    let mut v = view(bid, Some(&AuctionOutcome::Open), None);
    v.status = status;
    Ok((StatusCode::CREATED, Json(v)))
}

/// The sale's state and the bids the caller may see: the seller and admins all of them,
/// everyone else their own. Sealed amounts are hidden from bidders until the end.
#[utoipa::path(get, path = "/api/v1/listings/{id}/bids", tag = "bids",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Listing id"), PageParams),
    responses(
        (status = 200, description = "The sale and a page of bids", body = ListingBids),
        (status = 400, description = "Invalid limit or cursor", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 401, description = "No valid access token", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such listing", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "Not an auction or sealed-bid listing", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn list(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    Path(id): Path<String>,
    params: Result<Query<PageParams>, QueryRejection>,
) -> Result<Json<ListingBids>, Problem> {
    let Query(params) = params.map_err(|e| Problem::invalid_parameter(e.body_text()))?;
    let (limit, after) = page_params(params.limit.as_deref(), params.cursor.as_deref())?;
    let listing = biddable_listing(&state, &id, &caller).await?;
    let manager = listing.is_managed_by(&caller.user_id, caller.role);
    let store = state.users();
    let top = store.top_bid(&listing.id).await?;
    let now = state.settings().clock.now();
    let outcome = auction::outcome(&listing, top.as_ref(), now);
    let open = outcome == AuctionOutcome::Open;
    let hidden = open && listing.sale_type == SaleType::SealedBid && !manager;
    let bid_count = if hidden {
        None
    } else {
        Some(store.bid_count(&listing.id).await?)
    };
    let auction = AuctionView {
        listing_id: listing.id.clone(),
        sale_type: listing.sale_type,
        starts_at: listing.terms.starts_at,
        ends_at: auction::effective_end(&listing, top.as_ref()),
        outcome: outcome.as_str(),
        bid_count,
        high_bid_cents: if hidden {
            None
        } else {
            top.as_ref().map(|b| b.amount_cents)
        },
        minimum_bid_cents: open.then(|| auction::minimum_bid(&listing, top.as_ref())),
    };
    let query = BidQuery {
        listing_id: Some(listing.id.clone()),
        bidder_id: (!manager).then(|| caller.user_id.clone()),
        after,
        limit,
    };
    let page = store.bids_page(&query).await?;
    Ok(Json(ListingBids {
        auction,
        items: page
            .items
            .into_iter()
            .map(|b| view(b, Some(&outcome), top.as_ref()))
            .collect(),
        next_cursor: page.next.map(|c| c.encode()),
    }))
}

/// The caller's own bids on every listing, newest first, each with its status.
#[utoipa::path(get, path = "/api/v1/me/bids", tag = "bids",
    security(("bearer" = [])),
    params(PageParams),
    responses(
        (status = 200, description = "A page of the caller's bids", body = BidList),
        (status = 400, description = "Invalid limit or cursor", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 401, description = "No valid access token", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn mine(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    params: Result<Query<PageParams>, QueryRejection>,
) -> Result<Json<BidList>, Problem> {
    let Query(params) = params.map_err(|e| Problem::invalid_parameter(e.body_text()))?;
    let (limit, after) = page_params(params.limit.as_deref(), params.cursor.as_deref())?;
    let store = state.users();
    let page = store
        .bids_page(&BidQuery {
            listing_id: None,
            bidder_id: Some(caller.user_id.clone()),
            after,
            limit,
        })
        .await?;
    let now = state.settings().clock.now();
    let mut sales: HashMap<String, Option<(AuctionOutcome, Option<Bid>)>> = HashMap::new();
    for b in &page.items {
        if sales.contains_key(&b.listing_id) {
            continue;
        }
        let sale = match store.get(&b.listing_id).await? {
            Some(l) => {
                let top = store.top_bid(&l.id).await?;
                Some((auction::outcome(&l, top.as_ref(), now), top))
            }
            None => None,
        };
        sales.insert(b.listing_id.clone(), sale);
    }
    let items = page
        .items
        .into_iter()
        .map(|b| {
            let sale = sales.get(&b.listing_id).and_then(Option::as_ref);
            view(b, sale.map(|s| &s.0), sale.and_then(|s| s.1.as_ref()))
        })
        .collect();
    Ok(Json(BidList {
        items,
        next_cursor: page.next.map(|c| c.encode()),
    }))
}

/// Settles an ended auction or sealed-bid sale (its seller or an admin): when the high bid
/// reaches the reserve price the listing goes `under_contract` (a validated transition);
/// otherwise nothing changes and the outcome says why there is no sale.
#[utoipa::path(post, path = "/api/v1/listings/{id}/settle", tag = "bids",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Listing id")),
    responses(
        (status = 200, description = "The outcome", body = Settlement),
        (status = 401, description = "No valid access token", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "Not the listing's seller or an admin", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such listing", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "Not biddable, bidding still open (`bidding-open`), not active (`invalid-transition`), or changed concurrently", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn settle(
    State(state): State<AppState>,
    ip: ClientIp,
    AuthUser(caller): AuthUser,
    Path(id): Path<String>,
) -> Result<Json<Settlement>, Problem> {
    let listing = biddable_listing(&state, &id, &caller).await?;
    if !listing.is_managed_by(&caller.user_id, caller.role) {
        state.auth().count_failure("forbidden");
        return Err(Problem::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Forbidden",
            "Only the listing's seller or an admin may settle it.",
        ));
    }
    let store = state.users();
    let top = store.top_bid(&listing.id).await?;
    let now = state.settings().clock.now();
    let outcome = auction::outcome(&listing, top.as_ref(), now);
    let audit = |detail: String, kind: AuditKind| {
        let state = state.clone();
        let caller = caller.clone();
        let seller = listing.seller_id.clone();
        async move {
            let actor =
                (seller.as_deref() != Some(caller.user_id.as_str())).then_some(caller.user_id);
            state
                .auth()
                .audit(
                    kind,
                    seller.as_deref(),
                    actor.as_deref(),
                    ip.to_audit().as_deref(),
                    &detail,
                )
                .await;
        }
    };
    let winner = match &outcome {
        AuctionOutcome::Open => {
            return Err(Problem::new(
                StatusCode::CONFLICT,
                "bidding-open",
                "Bidding open",
                "Bidding has not ended yet.",
            ));
        }
        AuctionOutcome::Won(w) => w.clone(),
        AuctionOutcome::NoBids | AuctionOutcome::ReserveNotMet => {
            let detail = format!("listing={} outcome={}", listing.id, outcome.as_str());
            audit(detail, AuditKind::AuctionSettled).await;
            return Ok(Json(Settlement {
                outcome: outcome.as_str(),
                listing_status: listing.status,
                winning_bid: None,
            }));
        }
    };
    check_transition(listing.status, ListingStatus::UnderContract).map_err(|e| {
        Problem::new(
            StatusCode::CONFLICT,
            "invalid-transition",
            "Invalid status transition",
            e.to_string(),
        )
    })?;
    let mut next = listing.clone();
    next.status = ListingStatus::UnderContract;
    next.updated_at = listing.next_updated_at(now);
    if !store.update(&next, listing.updated_at).await? {
        return Err(Problem::conflict(
            "The listing was changed meanwhile; read it again and retry.",
        ));
    }
    let detail = format!(
        "listing={} outcome=won bid={} amount_cents={}",
        listing.id, winner.id, winner.amount_cents
    );
    audit(detail, AuditKind::AuctionSettled).await;
    let detail = format!(
        "listing={} {}->{}",
        listing.id,
        listing.status,
        ListingStatus::UnderContract
    );
    audit(detail, AuditKind::ListingStatusChanged).await;
    state.record_activity(&next, ActivityKind::Sale, Some(&caller.user_id));
    Ok(Json(Settlement {
        outcome: outcome.as_str(),
        listing_status: next.status,
        winning_bid: Some(view(winner, Some(&outcome), None)),
    }))
}
