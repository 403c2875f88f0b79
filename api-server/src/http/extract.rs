//! Who may call an endpoint: [`AuthUser`] (any signed-in user) and [`Authorized`] (a role
//! set such as [`AdminOnly`]). Missing or invalid tokens are `401`, wrong roles `403`.

use std::marker::PhantomData;

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use super::AppState;
use super::problem::Problem;
use crate::auth::Principal;
use crate::domain::Role;

/// A signed-in caller whose session is active.
#[derive(Debug, Clone)]
pub struct AuthUser(pub Principal);

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        let token = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty());
        let Some(token) = token else {
            state.auth().count_failure("missing_token");
            return Err(Problem::unauthorized("A bearer access token is required."));
        };
        let principal = state.auth().authenticate(token).await?;
        Ok(AuthUser(principal))
    }
}

/// An optional caller: `None` without an `Authorization` header; a header with a missing,
/// invalid, expired or revoked token is still `401` (never silently anonymous).
#[derive(Debug, Clone)]
pub struct MaybeUser(pub Option<Principal>);

impl FromRequestParts<AppState> for MaybeUser {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        if !parts.headers.contains_key(AUTHORIZATION) {
            return Ok(MaybeUser(None));
        }
        let AuthUser(principal) = AuthUser::from_request_parts(parts, state).await?;
        Ok(MaybeUser(Some(principal)))
    }
}

/// A set of roles allowed to call an endpoint.
pub trait Roles: Send + Sync + 'static {
    /// The allowed roles.
    const ALLOWED: &'static [Role];
}

/// Admins only.
#[derive(Debug, Clone, Copy)]
pub struct AdminOnly;

impl Roles for AdminOnly {
    const ALLOWED: &'static [Role] = &[Role::Admin];
}

/// Sellers and admins (listing writes).
#[derive(Debug, Clone, Copy)]
pub struct SellerOrAdmin;

impl Roles for SellerOrAdmin {
    const ALLOWED: &'static [Role] = &[Role::Seller, Role::Admin];
}

/// A signed-in caller whose role is in `R`.
#[derive(Debug, Clone)]
pub struct Authorized<R: Roles>(pub Principal, pub PhantomData<R>);

impl<R: Roles> FromRequestParts<AppState> for Authorized<R> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        let AuthUser(principal) = AuthUser::from_request_parts(parts, state).await?;
        if !R::ALLOWED.contains(&principal.role) {
            state.auth().count_failure("forbidden");
            return Err(Problem::forbidden());
        }
        Ok(Authorized(principal, PhantomData))
    }
}
