//! `GET /api/v1/listings` (search) and `GET /api/v1/listings/{id}`.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use serde::Serialize;
use utoipa::ToSchema;

use super::AppState;
use super::listing_view::ListingView;
use super::problem::Problem;
use super::search_params::SearchParams;
use crate::domain::validate_id;

/// A page of search results.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchResponse {
    /// Listings, newest first.
    pub items: Vec<ListingView>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// Searches listings, newest first, with keyset pagination. Public.
#[utoipa::path(get, path = "/api/v1/listings", tag = "listings",
    params(SearchParams),
    responses(
        (status = 200, description = "A page of listings", body = SearchResponse),
        (status = 400, description = "Invalid parameter", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn search(
    State(state): State<AppState>,
    params: Result<Query<SearchParams>, QueryRejection>,
) -> Result<Json<SearchResponse>, Problem> {
    let Query(params) = params.map_err(|e| Problem::invalid_parameter(e.body_text()))?;
    let query = params.into_query()?;
    let page = state.store().search(&query).await?;
    Ok(Json(SearchResponse {
        items: page.items.into_iter().map(ListingView::from).collect(),
        next_cursor: page.next.map(|c| c.encode()),
    }))
}

/// One listing; ids that cannot exist are simply not found. Public.
#[utoipa::path(get, path = "/api/v1/listings/{id}", tag = "listings",
    params(("id" = String, Path, description = "Listing id")),
    responses(
        (status = 200, description = "The listing", body = ListingView),
        (status = 404, description = "No such listing", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<ListingView>, Problem> {
    if validate_id(&id).is_err() {
        return Err(Problem::not_found("No listing with this id."));
    }
    match state.store().get(&id).await? {
        Some(listing) => Ok(Json(ListingView::from(listing))),
        None => Err(Problem::not_found(format!("No listing with id '{id}'."))),
    }
}
