//! The caller's saved searches: `POST|GET /api/v1/me/saved-searches`,
//! `GET|DELETE /api/v1/me/saved-searches/{id}`, `GET /api/v1/me/saved-searches/{id}/matches`.
//!
//! A saved search belongs to its creator only; anyone else (admins included) gets `404`.
//! `matches` returns the listings matching the search that were created after the last
//! fetch (before the first fetch: after the search was saved), newest first, and moves the
//! "last seen" time to now unless `mark_seen=false`. When the new matches fill more than one
//! page, the first page moves the time and its `next_cursor` keeps the walk on the old one.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use chrono::{DateTime, SubsecRound, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::extract::AuthUser;
use super::json_body::StrictJson;
use super::listing_view::ListingView;
use super::listings::visibility;
use super::problem::Problem;
use super::saved_query;
use crate::auth::Principal;
use crate::domain::saved_search::{MAX_SAVED_SEARCHES, search_name};
use crate::domain::search::parse_limit;
use crate::domain::{
    KeyPart, ListingCursor, ListingSort, MatchesCursor, SavedSearch, new_id, validate_id,
};

/// `POST /api/v1/me/saved-searches` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SavedSearchBody {
    /// A name for it, 1-100 characters.
    pub name: String,
    /// Parameters of `GET /api/v1/listings` (`q`, `type`, `state`, `min_price`, `near`,
    /// `radius_km`, `bbox`, `sort`, ...) as an object of strings or numbers; `limit` and
    /// `cursor` are not part of a search.
    #[schema(value_type = Object)]
    pub query: Map<String, Value>,
}

/// A saved search.
#[derive(Debug, Serialize, ToSchema)]
pub struct SavedSearchView {
    /// Id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// The canonical query: pass these parameters to `GET /api/v1/listings` to run it.
    #[schema(value_type = Object)]
    pub query: BTreeMap<String, String>,
    /// When it was saved.
    pub created_at: DateTime<Utc>,
    /// When its matches were last fetched (`null`: never).
    pub last_seen_at: Option<DateTime<Utc>>,
}

impl From<SavedSearch> for SavedSearchView {
    fn from(s: SavedSearch) -> Self {
        Self {
            id: s.id,
            name: s.name,
            query: s.query,
            created_at: s.created_at,
            last_seen_at: s.last_seen_at,
        }
    }
}

/// The caller's saved searches.
#[derive(Debug, Serialize, ToSchema)]
pub struct SavedSearchList {
    /// Newest first (at most 50).
    pub items: Vec<SavedSearchView>,
}

/// Query parameters of `matches`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MatchesParams {
    /// Page size, 1-100 (default 20).
    pub limit: Option<String>,
    /// `next_cursor` of the previous page of new matches.
    pub cursor: Option<String>,
    /// `false`: look without moving the last-seen time (default `true`).
    pub mark_seen: Option<bool>,
}

/// New matches of a saved search.
#[derive(Debug, Serialize, ToSchema)]
pub struct Matches {
    /// Listings created after `since`, newest first, as the caller may see them.
    pub items: Vec<ListingView>,
    /// Listings created after this instant are new in this walk.
    pub since: DateTime<Utc>,
    /// Pass as `cursor` for more new matches; `null` on the last page.
    pub next_cursor: Option<String>,
}

fn missing() -> Problem {
    Problem::not_found("No saved search with this id.")
}

/// The saved search if it is the caller's, else `404`.
async fn own_search(
    state: &AppState,
    id: &str,
    caller: &Principal,
) -> Result<SavedSearch, Problem> {
    if validate_id(id).is_err() {
        return Err(missing());
    }
    match state.users().saved_search(id).await? {
        Some(s) if s.user_id == caller.user_id => Ok(s),
        Some(_) => {
            state.auth().count_failure("forbidden");
            Err(missing())
        }
        None => Err(missing()),
    }
}

/// Saves a listing search (at most 50 per user).
#[utoipa::path(post, path = "/api/v1/me/saved-searches", tag = "watchlist",
    security(("bearer" = [])),
    request_body = SavedSearchBody,
    responses(
        (status = 201, description = "The saved search, with its canonical query", body = SavedSearchView),
        (status = 401, description = "No valid access token", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "The caller has 50 saved searches already (`too-many-saved-searches`)", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "Invalid name or query parameter", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn create(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    StrictJson(body): StrictJson<SavedSearchBody>,
) -> Result<(StatusCode, Json<SavedSearchView>), Problem> {
    let name = search_name(&body.name).map_err(|e| Problem::invalid_body(e.to_string()))?;
    let query = saved_query::canonical(&body.query)?;
    let search = SavedSearch {
        id: new_id(),
        user_id: caller.user_id.clone(),
        name,
        query,
        created_at: state.settings().clock.now().trunc_subsecs(3),
        last_seen_at: None,
    };
    if !state
        .users()
        .create_saved_search(&search, MAX_SAVED_SEARCHES)
        .await?
    {
        return Err(Problem::new(
            StatusCode::CONFLICT,
            "too-many-saved-searches",
            "Too many saved searches",
            format!("You have {MAX_SAVED_SEARCHES} saved searches; delete one first."),
        ));
    }
    Ok((StatusCode::CREATED, Json(search.into())))
}

/// The caller's saved searches, newest first.
#[utoipa::path(get, path = "/api/v1/me/saved-searches", tag = "watchlist",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Every saved search of the caller", body = SavedSearchList),
        (status = 401, description = "No valid access token", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn list(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
) -> Result<Json<SavedSearchList>, Problem> {
    let items = state.users().saved_searches(&caller.user_id).await?;
    Ok(Json(SavedSearchList {
        items: items.into_iter().map(SavedSearchView::from).collect(),
    }))
}

/// One of the caller's saved searches.
#[utoipa::path(get, path = "/api/v1/me/saved-searches/{id}", tag = "watchlist",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Saved search id")),
    responses(
        (status = 200, description = "The saved search", body = SavedSearchView),
        (status = 401, description = "No valid access token", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such saved search (or not the caller's)", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn get(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    Path(id): Path<String>,
) -> Result<Json<SavedSearchView>, Problem> {
    Ok(Json(own_search(&state, &id, &caller).await?.into()))
}

/// Deletes one of the caller's saved searches.
#[utoipa::path(delete, path = "/api/v1/me/saved-searches/{id}", tag = "watchlist",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Saved search id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "No valid access token", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such saved search (or not the caller's)", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn delete(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    Path(id): Path<String>,
) -> Result<StatusCode, Problem> {
    let search = own_search(&state, &id, &caller).await?;
    if state
        .users()
        .delete_saved_search(&search.id, &caller.user_id)
        .await?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(missing())
    }
}

/// Listings matching one of the caller's saved searches that are new since the last fetch
/// (first fetch: since the search was saved), newest first. The first page moves the
/// last-seen time to now unless `mark_seen=false`.
#[utoipa::path(get, path = "/api/v1/me/saved-searches/{id}/matches", tag = "watchlist",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Saved search id"), MatchesParams),
    responses(
        (status = 200, description = "A page of new matches", body = Matches),
        (status = 400, description = "Invalid limit, cursor or mark_seen", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 401, description = "No valid access token", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such saved search (or not the caller's)", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn matches(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    Path(id): Path<String>,
    params: Result<Query<MatchesParams>, QueryRejection>,
) -> Result<Json<Matches>, Problem> {
    let Query(params) = params.map_err(|e| Problem::invalid_parameter(e.body_text()))?;
    let limit = parse_limit(params.limit.as_deref().filter(|s| !s.trim().is_empty()))
        .map_err(|e| Problem::invalid_parameter(e.to_string()))?;
    let cursor = params
        .cursor
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(MatchesCursor::decode)
        .transpose()
        .map_err(|e| Problem::invalid_parameter(format!("cursor: {e}")))?;
    let search = own_search(&state, &id, &caller).await?;
    let now = state.settings().clock.now().trunc_subsecs(3);
    let since_ms = cursor
        .as_ref()
        .map_or(search.seen_until().timestamp_millis(), |c| c.since_ms);
    let mut query = saved_query::to_query(&search.query).map_err(|p| {
        tracing::error!(search = %search.id, detail = p.detail(), "stored saved search does not parse");
        Problem::internal()
    })?;
    query.sort = ListingSort::Newest;
    // One more than the page: whether another new match follows.
    query.limit = limit + 1;
    query.after = cursor.as_ref().map(|c| ListingCursor {
        sort: ListingSort::Newest,
        key: vec![KeyPart::Int(c.created_at_ms)],
        id: c.id.clone(),
    });
    query.filter.visibility = visibility(Some(&caller));
    let page = state.store().search(&query).await?;
    // Newest first: the new matches end at the first listing that is not new.
    let mut items: Vec<_> = page
        .items
        .into_iter()
        .take_while(|l| l.created_at.timestamp_millis() > since_ms)
        .collect();
    let more = items.len() > usize::try_from(limit).unwrap_or(usize::MAX);
    items.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let next_cursor = more.then(|| items.last()).flatten().map(|l| {
        MatchesCursor {
            since_ms,
            created_at_ms: l.created_at.timestamp_millis(),
            id: l.id.clone(),
        }
        .encode()
    });
    if cursor.is_none() && params.mark_seen.unwrap_or(true) {
        state.users().mark_search_seen(&search.id, now).await?;
    }
    let since = DateTime::from_timestamp_millis(since_ms).unwrap_or(search.created_at);
    Ok(Json(Matches {
        items: items
            .into_iter()
            .map(|l| ListingView::for_caller(l, Some(&caller)))
            .collect(),
        since,
        next_cursor,
    }))
}
