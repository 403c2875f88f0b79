//! The caller's watchlist: `PUT|DELETE /api/v1/me/watchlist/{listing_id}`,
//! `GET /api/v1/me/watchlist`.
//!
//! Every change goes through [`add_to_watchlist`] or [`remove_from_watchlist`], which say
//! whether the watchlist changed: the place for anything that follows a watch or an unwatch
//! (the `watch` / `unwatch` activity behind the sellers' watcher counts).

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use chrono::{DateTime, SubsecRound, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::AppState;
use super::bids::PageParams;
use super::extract::AuthUser;
use super::listing_view::ListingView;
use super::listings::visible_listing;
use super::paging::page_params;
use super::problem::Problem;
use crate::auth::Principal;
use crate::domain::activity::ActivityKind;
use crate::domain::{Listing, WatchEntry, validate_id};

/// A watched listing.
#[derive(Debug, Serialize, ToSchema)]
pub struct WatchedListing {
    /// When the caller added it.
    pub added_at: DateTime<Utc>,
    /// The listing as the caller may see it (reserve price only for its seller and admins).
    pub listing: ListingView,
}

/// A page of the watchlist, latest added first.
#[derive(Debug, Serialize, ToSchema)]
pub struct Watchlist {
    /// Watched listings that still exist and the caller may see.
    pub items: Vec<WatchedListing>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// Adds `listing` to `caller`'s watchlist; `true` when it was not on it yet.
pub async fn add_to_watchlist(
    state: &AppState,
    caller: &Principal,
    listing: &Listing,
) -> Result<bool, Problem> {
    let entry = WatchEntry {
        user_id: caller.user_id.clone(),
        listing_id: listing.id.clone(),
        added_at: state.settings().clock.now().trunc_subsecs(3),
    };
    let added = state.users().watch(&entry).await?;
    if added {
        state.record_activity(listing, ActivityKind::Watch, Some(&caller.user_id));
    }
    Ok(added)
}

/// Removes listing `listing_id` from `caller`'s watchlist; `true` when it was on it.
pub async fn remove_from_watchlist(
    state: &AppState,
    caller: &Principal,
    listing_id: &str,
) -> Result<bool, Problem> {
    let removed = state.users().unwatch(&caller.user_id, listing_id).await?;
    if removed {
        // The seller's watcher count needs the listing's seller; a deleted listing has no
        // dashboard any more.
        if let Some(listing) = state.store().get(listing_id).await? {
            state.record_activity(&listing, ActivityKind::Unwatch, Some(&caller.user_id));
        }
    }
    Ok(removed)
}

/// Adds a listing the caller may see to their watchlist (idempotent: `201` when added, `204`
/// when it was there already). Sellers cannot watch their own listings.
#[utoipa::path(put, path = "/api/v1/me/watchlist/{listing_id}", tag = "watchlist",
    security(("bearer" = [])),
    params(("listing_id" = String, Path, description = "Listing id")),
    responses(
        (status = 201, description = "Added"),
        (status = 204, description = "Already on the watchlist"),
        (status = 401, description = "No valid access token", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such listing (or a draft of someone else)", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "The caller's own listing (`own-listing`)", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn watch(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    Path(listing_id): Path<String>,
) -> Result<StatusCode, Problem> {
    let listing = visible_listing(&state, &listing_id, Some(&caller)).await?;
    if listing.is_owned_by(&caller.user_id) {
        return Err(Problem::new(
            StatusCode::CONFLICT,
            "own-listing",
            "Own listing",
            "Sellers cannot watch their own listings.",
        ));
    }
    if add_to_watchlist(&state, &caller, &listing).await? {
        Ok(StatusCode::CREATED)
    } else {
        Ok(StatusCode::NO_CONTENT)
    }
}

/// Removes a listing from the caller's watchlist (also one that was deleted meanwhile).
#[utoipa::path(delete, path = "/api/v1/me/watchlist/{listing_id}", tag = "watchlist",
    security(("bearer" = [])),
    params(("listing_id" = String, Path, description = "Listing id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, description = "No valid access token", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "Not on the caller's watchlist", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn unwatch(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    Path(listing_id): Path<String>,
) -> Result<StatusCode, Problem> {
    let missing = || Problem::not_found("This listing is not on your watchlist.");
    if validate_id(&listing_id).is_err() {
        return Err(missing());
    }
    if remove_from_watchlist(&state, &caller, &listing_id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(missing())
    }
}

/// The caller's watched listings, latest added first, as the caller may see them. Listings
/// deleted since (or no longer visible to the caller) are left out of the page.
#[utoipa::path(get, path = "/api/v1/me/watchlist", tag = "watchlist",
    security(("bearer" = [])),
    params(PageParams),
    responses(
        (status = 200, description = "A page of watched listings", body = Watchlist),
        (status = 400, description = "Invalid limit or cursor", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 401, description = "No valid access token", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn list(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    params: Result<Query<PageParams>, QueryRejection>,
) -> Result<Json<Watchlist>, Problem> {
    let Query(params) = params.map_err(|e| Problem::invalid_parameter(e.body_text()))?;
    let (limit, after) = page_params(params.limit.as_deref(), params.cursor.as_deref())?;
    let store = state.users();
    let page = store
        .watchlist_page(&caller.user_id, after.as_ref(), limit)
        .await?;
    let who = Some((caller.user_id.as_str(), caller.role));
    let mut items = Vec::with_capacity(page.items.len());
    for entry in page.items {
        if let Some(l) = store.get(&entry.listing_id).await?
            && l.is_visible_to(who)
        {
            items.push(WatchedListing {
                added_at: entry.added_at,
                listing: ListingView::for_caller(l, Some(&caller)),
            });
        }
    }
    Ok(Json(Watchlist {
        items,
        next_cursor: page.next.map(|c| c.encode()),
    }))
}
