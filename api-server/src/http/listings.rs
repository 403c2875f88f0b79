//! `GET /api/v1/listings` (search) and `GET /api/v1/listings/{id}`: public, with an optional
//! bearer token (drafts and reserve prices only for their seller and admins).
//!
//! Search results come from the listing-search cache when warm ([`crate::cache::search`]):
//! the cache holds the store's page, and each caller's view (reserve prices) is rendered
//! from it per request. Views of one listing are recorded as activity for its seller's
//! dashboard (queued, off the request path).

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use serde::Serialize;
use utoipa::ToSchema;

use super::AppState;
use super::extract::MaybeUser;
use super::listing_view::ListingView;
use super::problem::Problem;
use super::search_params::SearchParams;
use crate::auth::Principal;
use crate::domain::activity::ActivityKind;
use crate::domain::{Listing, ListingSort, Page, Role, SearchQuery, Visibility, validate_id};

/// A page of search results.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchResponse {
    /// Listings, in the requested order.
    pub items: Vec<ListingView>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// Which drafts a caller's searches include.
pub(crate) fn visibility(caller: Option<&Principal>) -> Visibility {
    match caller {
        Some(p) if p.role == Role::Admin => Visibility::All,
        Some(p) if p.role == Role::Seller => Visibility::OwnDrafts(p.user_id.clone()),
        _ => Visibility::NoDrafts,
    }
}

/// Searches listings with filters, geo, sorts and keyset pagination. Public; with a token,
/// sellers also find their own drafts (admins every draft) and see their reserve prices.
#[utoipa::path(get, path = "/api/v1/listings", tag = "listings",
    security((), ("bearer" = [])),
    params(SearchParams),
    responses(
        (status = 200, description = "A page of listings", body = SearchResponse),
        (status = 400, description = "Invalid parameter", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 401, description = "A token was sent but is invalid", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn search(
    State(state): State<AppState>,
    MaybeUser(caller): MaybeUser,
    params: Result<Query<SearchParams>, QueryRejection>,
) -> Result<Json<SearchResponse>, Problem> {
    let Query(params) = params.map_err(|e| Problem::invalid_parameter(e.body_text()))?;
    let mut query = params.into_query()?;
    query.filter.visibility = visibility(caller.as_ref());
    if query.sort == ListingSort::EndingSoonest {
        query.filter.ends_at_or_after_ms = Some(state.settings().clock.now().timestamp_millis());
    }
    let page = cached_search(&state, &query).await?;
    Ok(Json(SearchResponse {
        items: page
            .items
            .iter()
            .map(|l| ListingView::for_caller(l.clone(), caller.as_ref()))
            .collect(),
        next_cursor: page.next.as_ref().map(|c| c.encode()),
    }))
}

/// The store page of `query`, from the search cache when warm.
async fn cached_search(state: &AppState, query: &SearchQuery) -> Result<Arc<Page>, Problem> {
    let cache = state.search_cache();
    // The generation is read before the store read: a write finishing meanwhile bumps it,
    // and this fill lands under the old key, where no later search looks.
    let key = cache.key(state.listing_generation(), query);
    if let Some(page) = key.as_ref().and_then(|k| cache.get(k)) {
        return Ok(page);
    }
    let page = Arc::new(state.store().search(query).await?);
    if let Some(key) = key {
        cache.fill(key, Arc::clone(&page));
    }
    Ok(page)
}

/// The listing `id` if `caller` may see it, else `404`.
pub async fn visible_listing(
    state: &AppState,
    id: &str,
    caller: Option<&Principal>,
) -> Result<Listing, Problem> {
    if validate_id(id).is_err() {
        return Err(Problem::not_found("No listing with this id."));
    }
    match state.store().get(id).await? {
        Some(l) if l.is_visible_to(caller.map(|p| (p.user_id.as_str(), p.role))) => Ok(l),
        _ => Err(Problem::not_found(format!("No listing with id '{id}'."))),
    }
}

/// One listing. Public; drafts only for their seller and admins. Every view by someone other
/// than the owning seller adds one to `view_count` (an atomic increment).
#[utoipa::path(get, path = "/api/v1/listings/{id}", tag = "listings",
    security((), ("bearer" = [])),
    params(("id" = String, Path, description = "Listing id")),
    responses(
        (status = 200, description = "The listing", body = ListingView),
        (status = 401, description = "A token was sent but is invalid", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such listing (or a draft of someone else)", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn get(
    State(state): State<AppState>,
    MaybeUser(caller): MaybeUser,
    Path(id): Path<String>,
) -> Result<Json<ListingView>, Problem> {
    let mut listing = visible_listing(&state, &id, caller.as_ref()).await?;
    let owner = caller
        .as_ref()
        .is_some_and(|p| listing.is_owned_by(&p.user_id));
    if !owner && state.store().record_view(&listing.id).await? {
        listing.view_count += 1;
        let viewer = caller.as_ref().map(|p| p.user_id.as_str());
        state.record_activity(&listing, ActivityKind::View, viewer);
    }
    Ok(Json(ListingView::for_caller(listing, caller.as_ref())))
}
