//! `GET /api/v1/users/{id}/profile`: a seller's public profile. Public (no token needed).
//!
//! Only what any visitor may know: the id, the role, when the account was created and how
//! many active listings it has. Never the e-mail address, the lock state or anything else of
//! the account. Buyers, admins, locked and unknown accounts are all `404` alike.
//!
//! Cached 1 hour by default (`cache="profile"`), keyed by the user id and the listing-write
//! generation ([`cache_key`]): a listing write in this process starts fresh entries (the
//! active-listing count is never stale here), and every change to the account in this process
//! (`PATCH /users/me`, admin update or delete) forgets the entry at once
//! ([`AppState::forget_profile`]). Changes made through another replica show after the TTL.

use axum::extract::{Path, State};
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::AppState;
use super::analytics::{json_response, serialise};
use super::problem::Problem;
use crate::domain::{ListingStatus, Role};

/// Most listings read to count a seller's active ones.
const COUNT_LIMIT: u32 = 10_000;

/// A seller as anyone may see them.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicProfile {
    /// User id.
    pub id: String,
    /// Always `seller`.
    pub role: Role,
    /// When the account was created (RFC 3339, UTC).
    pub member_since: DateTime<Utc>,
    /// Listings of this seller that are active now (counted up to 10,000).
    pub active_listings: u64,
}

/// The cache key of `user_id`'s profile at listing-write generation `generation`.
pub fn cache_key(user_id: &str, generation: u64) -> String {
    format!("{user_id}:{generation}")
}

fn not_found() -> Problem {
    Problem::not_found("No seller with this id.")
}

/// A seller's public profile: member since, active listing count. Public; cached.
#[utoipa::path(get, path = "/api/v1/users/{id}/profile", tag = "users",
    params(("id" = String, Path, description = "User id")),
    responses(
        (status = 200, description = "The profile (header x-cache: hit|miss)", body = PublicProfile),
        (status = 404, description = "No such seller (also buyers, admins and locked accounts)", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    if crate::domain::validate_id(&id).is_err() {
        return Err(not_found());
    }
    let cache = state.profile_cache();
    let generation = state.listing_generation();
    cache.observe_data_generation(generation);
    let key = cache_key(&id, generation);
    if let Some(body) = cache.get(&key) {
        return Ok(json_response(body, true));
    }
    let seen = cache.generation();
    let store = state.users();
    let user = match store.user(&id).await? {
        Some(u) if u.role == Role::Seller && !u.locked => u,
        _ => return Err(not_found()),
    };
    let listings = store.seller_listings(&user.id, COUNT_LIMIT).await?;
    let active = listings
        .iter()
        .filter(|l| l.status == ListingStatus::Active)
        .count() as u64;
    let view = PublicProfile {
        id: user.id,
        role: user.role,
        member_since: user.created_at,
        active_listings: active,
    };
    let body = serialise(&view)?;
    cache.fill(seen, key, body.clone());
    Ok(json_response(body, false))
}
