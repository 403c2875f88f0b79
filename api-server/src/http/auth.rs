//! `/api/v1/auth`: register, login, refresh, logout.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::AppState;
use super::client_ip::ClientIp;
use super::extract::AuthUser;
use super::json_body::StrictJson;
use super::problem::Problem;
use super::sensitive::Sensitive;
use super::users::UserView;
use crate::auth::TokenPair;
use crate::domain::Role;

/// `POST /api/v1/auth/register` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    /// E-mail address (case-insensitive, unique).
    pub email: String,
    /// At least 12 characters.
    pub password: Sensitive,
    /// `buyer` (default) or `seller`; `admin` is refused.
    #[serde(default)]
    pub role: Option<Role>,
}

/// `POST /api/v1/auth/login` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// E-mail address.
    pub email: String,
    /// Password.
    pub password: Sensitive,
}

/// `POST /api/v1/auth/refresh` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    /// The refresh token of the last login or refresh (usable once).
    pub refresh_token: Sensitive,
}

/// Tokens.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    /// Bearer access token (JWT, HS256).
    pub access_token: Sensitive,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// Opaque refresh token, usable once; presenting it again revokes the session family.
    pub refresh_token: Sensitive,
    /// Seconds until the refresh token expires.
    pub refresh_expires_in: i64,
}

impl From<TokenPair> for TokenResponse {
    fn from(p: TokenPair) -> Self {
        Self {
            access_token: Sensitive(p.access_token),
            token_type: "Bearer",
            expires_in: p.expires_in,
            refresh_token: Sensitive(p.refresh_token),
            refresh_expires_in: p.refresh_expires_in,
        }
    }
}

/// Creates a buyer or seller account. Public.
#[utoipa::path(post, path = "/api/v1/auth/register", tag = "auth",
    request_body = RegisterRequest,
    responses(
        (status = 201, description = "Account created", body = UserView),
        (status = 409, description = "E-mail registered already", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "Invalid e-mail, password policy, role or body", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn register(
    State(state): State<AppState>,
    ip: ClientIp,
    StrictJson(body): StrictJson<RegisterRequest>,
) -> Result<(StatusCode, Json<UserView>), Problem> {
    let role = body.role.unwrap_or(Role::Buyer);
    let user = state
        .auth()
        .register(
            &body.email,
            body.password.into_inner(),
            role,
            ip.to_audit().as_deref(),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(UserView::from(user))))
}

/// Signs in. Public. Wrong e-mail, wrong password, locked account and lockout get the same
/// `401 invalid-credentials`.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in", body = TokenResponse),
        (status = 401, description = "Invalid credentials", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn login(
    State(state): State<AppState>,
    ip: ClientIp,
    StrictJson(body): StrictJson<LoginRequest>,
) -> Result<Json<TokenResponse>, Problem> {
    let pair = state
        .auth()
        .login(
            &body.email,
            body.password.into_inner(),
            ip.to_audit().as_deref(),
        )
        .await?;
    Ok(Json(pair.into()))
}

/// Exchanges a refresh token for new tokens (rotation). Public.
#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "New tokens", body = TokenResponse),
        (status = 401, description = "Invalid, expired, revoked or reused refresh token", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn refresh(
    State(state): State<AppState>,
    ip: ClientIp,
    StrictJson(body): StrictJson<RefreshRequest>,
) -> Result<Json<TokenResponse>, Problem> {
    let pair = state
        .auth()
        .refresh(&body.refresh_token.0, ip.to_audit().as_deref())
        .await?;
    Ok(Json(pair.into()))
}

/// Signs out: the session (all its refresh-token generations) is revoked at once. Any
/// signed-in user.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Signed out"),
        (status = 401, description = "No valid access token", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn logout(
    State(state): State<AppState>,
    ip: ClientIp,
    AuthUser(principal): AuthUser,
) -> Result<StatusCode, Problem> {
    state
        .auth()
        .logout(&principal, ip.to_audit().as_deref())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
