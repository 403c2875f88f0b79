//! `GET /api/v1/me/analytics` (a seller's dashboard of their own listings) and
//! `GET /api/v1/admin/analytics` (the admin overview).
//!
//! Both are cached 30 minutes by default (`cache="analytics"`). Keys name who the response
//! is for: `seller:<caller id>:<from>:<to>` (a dashboard is only ever computed from the
//! caller's own events and listings, so one seller's entry can never answer another) and
//! `admin:<from>:<to>`. Invalidation policy: only the TTL ends entries; a dashboard may lag
//! new activity by up to the TTL (set `OGF_CACHE_TTL_ANALYTICS_SECONDS=0` for live numbers).
//! On a miss, activity queued in this process is written first ([`ActivityRecorder::flush`]),
//! so a fresh dashboard includes everything recorded before the request.
//!
//! [`ActivityRecorder::flush`]: crate::analytics::ActivityRecorder::flush

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::HeaderValue;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde::Deserialize;
use utoipa::IntoParams;

use super::AppState;
use super::extract::{AdminOnly, Authorized, SellerOrAdmin};
use super::problem::Problem;
use crate::analytics::{DateRange, dashboard, overview};
use crate::domain::activity::ActivityQuery;
use crate::domain::{ListingFilter, ListingStatus, SaleType};
use crate::store::activity::MAX_SELLER_LISTINGS;

/// Query of the analytics endpoints.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RangeParams {
    /// First day, `YYYY-MM-DD` (UTC; default: 29 days before `to`).
    from: Option<String>,
    /// Last day, `YYYY-MM-DD` (UTC; default: today). At most 366 days from `from`.
    to: Option<String>,
}

fn range(
    state: &AppState,
    params: Result<Query<RangeParams>, QueryRejection>,
) -> Result<DateRange, Problem> {
    let Query(params) = params.map_err(|e| Problem::invalid_parameter(e.body_text()))?;
    let today = state.settings().clock.now().date_naive();
    DateRange::parse(params.from.as_deref(), params.to.as_deref(), today)
        .map_err(|e| Problem::invalid_parameter(e.to_string()))
}

/// A JSON body with `x-cache: hit|miss`.
pub(super) fn json_response(body: Bytes, hit: bool) -> Response {
    let mut res = body.into_response();
    let headers = res.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(
        "x-cache",
        HeaderValue::from_static(if hit { "hit" } else { "miss" }),
    );
    res
}

/// Serialises a response body (a failure is a bug: logged, `500`).
pub(super) fn serialise<T: serde::Serialize>(value: &T) -> Result<Bytes, Problem> {
    serde_json::to_vec(value).map(Bytes::from).map_err(|e| {
        tracing::error!(error = %e, "serialising a response");
        Problem::internal()
    })
}

/// The caller's dashboard: for each of their listings (newest first, at most 1,000), views,
/// unique viewers, watchers, NDA requests, bids, offers and conversion, over the range and
/// per day. Sellers (and admins, for listings they own). Cached.
#[utoipa::path(get, path = "/api/v1/me/analytics", tag = "analytics",
    security(("bearer" = [])),
    params(RangeParams),
    responses(
        (status = 200, description = "The caller's dashboard (header x-cache: hit|miss)", body = dashboard::SellerDashboard),
        (status = 400, description = "Invalid or too long range", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 401, description = "No valid access token", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "Buyers have no listings", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn seller_dashboard(
    State(state): State<AppState>,
    Authorized(caller, _): Authorized<SellerOrAdmin>,
    params: Result<Query<RangeParams>, QueryRejection>,
) -> Result<Response, Problem> {
    let range = range(&state, params)?;
    let key = format!("seller:{}:{}:{}", caller.user_id, range.from, range.to);
    let cache = state.analytics_cache();
    if let Some(body) = cache.get(&key) {
        return Ok(json_response(body, true));
    }
    let seen = cache.generation();
    state.activity().flush().await;
    let store = state.users();
    let mut listings = store
        .seller_listings(&caller.user_id, MAX_SELLER_LISTINGS + 1)
        .await?;
    let truncated = listings.len() > MAX_SELLER_LISTINGS as usize;
    listings.truncate(MAX_SELLER_LISTINGS as usize);
    let query = |from, by_day| ActivityQuery {
        seller_id: caller.user_id.clone(),
        from,
        to: range.to,
        by_day,
    };
    let daily = store
        .activity_counts(&query(Some(range.from), true))
        .await?;
    let totals = store
        .activity_counts(&query(Some(range.from), false))
        .await?;
    let to_date = store.activity_counts(&query(None, false)).await?;
    let view = dashboard::build(range, &listings, truncated, &daily, &totals, &to_date);
    let body = serialise(&view)?;
    cache.fill(seen, key, body.clone());
    Ok(json_response(body, false))
}

/// The admin overview: registrations per day over the range, listings by type, basin and
/// status, active auctions. Admins only. Cached.
#[utoipa::path(get, path = "/api/v1/admin/analytics", tag = "analytics",
    security(("bearer" = [])),
    params(RangeParams),
    responses(
        (status = 200, description = "The overview (header x-cache: hit|miss)", body = overview::AdminOverview),
        (status = 400, description = "Invalid or too long range", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 401, description = "No valid access token", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn admin_overview(
    State(state): State<AppState>,
    _admin: Authorized<AdminOnly>,
    params: Result<Query<RangeParams>, QueryRejection>,
) -> Result<Response, Problem> {
    let range = range(&state, params)?;
    let key = format!("admin:{}:{}", range.from, range.to);
    let cache = state.analytics_cache();
    if let Some(body) = cache.get(&key) {
        return Ok(json_response(body, true));
    }
    let seen = cache.generation();
    let store = state.users();
    let registrations = store.registrations_per_day(range.from, range.to).await?;
    let groups = store.listing_groups().await?;
    let now_ms = state.settings().clock.now().timestamp_millis();
    let mut active_auctions = 0;
    for sale_type in [SaleType::Auction, SaleType::SealedBid] {
        let filter = ListingFilter {
            status: Some(ListingStatus::Active),
            sale_type: Some(sale_type),
            ends_at_or_after_ms: Some(now_ms),
            ..ListingFilter::default()
        };
        active_auctions += state.store().count(&filter).await?;
    }
    let view = overview::build(range, &registrations, &groups, active_auctions);
    let body = serialise(&view)?;
    cache.fill(seen, key, body.clone());
    Ok(json_response(body, false))
}
