//! `GET/PATCH /api/v1/users/me`: the signed-in user's own account.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::AppState;
use super::client_ip::ClientIp;
use super::extract::AuthUser;
use super::json_body::StrictJson;
use super::problem::Problem;
use super::sensitive::Sensitive;
use crate::auth::password;
use crate::domain::{AuditKind, Email, Role, User, check_password_policy};
use crate::store::StoreError;

/// An account as the API shows it (never the password hash).
#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    /// Id.
    pub id: String,
    /// E-mail address (normalised to lower case).
    pub email: String,
    /// Role.
    pub role: Role,
    /// Locked by an admin.
    pub locked: bool,
    /// Creation time (RFC 3339, UTC).
    pub created_at: DateTime<Utc>,
}

impl From<User> for UserView {
    fn from(u: User) -> Self {
        Self {
            id: u.id,
            email: u.email.as_str().to_owned(),
            role: u.role,
            locked: u.locked,
            created_at: u.created_at,
        }
    }
}

impl From<&User> for UserView {
    fn from(u: &User) -> Self {
        Self {
            id: u.id.clone(),
            email: u.email.as_str().to_owned(),
            role: u.role,
            locked: u.locked,
            created_at: u.created_at,
        }
    }
}

/// `PATCH /api/v1/users/me` body: a new e-mail and/or password, confirmed with the current
/// password. Changing the password signs out every session.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMeRequest {
    /// The current password (required).
    pub current_password: Sensitive,
    /// New e-mail address.
    #[serde(default)]
    pub email: Option<String>,
    /// New password (at least 12 characters).
    #[serde(default)]
    pub password: Option<Sensitive>,
}

async fn current_user(state: &AppState, id: &str) -> Result<User, Problem> {
    state
        .users()
        .user(id)
        .await?
        .ok_or_else(|| Problem::unauthorized("The account no longer exists."))
}

/// The caller's account. Any signed-in user.
#[utoipa::path(get, path = "/api/v1/users/me", tag = "users",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's account", body = UserView),
        (status = 401, description = "No valid access token", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn get_me(AuthUser(principal): AuthUser) -> Result<Json<UserView>, Problem> {
    // The account as checked with the session (from the session cache when warm): this
    // endpoint reads nothing more from the store.
    Ok(Json(principal.user.as_ref().into()))
}

/// Changes the caller's e-mail and/or password. Any signed-in user.
#[utoipa::path(patch, path = "/api/v1/users/me", tag = "users",
    security(("bearer" = [])),
    request_body = UpdateMeRequest,
    responses(
        (status = 200, description = "Updated account", body = UserView),
        (status = 401, description = "No valid access token", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "Wrong current password", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "E-mail registered already", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "Invalid body, e-mail or password", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn update_me(
    State(state): State<AppState>,
    ip: ClientIp,
    AuthUser(principal): AuthUser,
    StrictJson(body): StrictJson<UpdateMeRequest>,
) -> Result<Json<UserView>, Problem> {
    if body.email.is_none() && body.password.is_none() {
        return Err(Problem::invalid_body(
            "Nothing to change: give email and/or password.",
        ));
    }
    let mut user = current_user(&state, &principal.user_id).await?;
    let new_email = body
        .email
        .as_deref()
        .map(Email::parse)
        .transpose()
        .map_err(|e| Problem::invalid_body(e.to_string()))?;
    let new_password = body.password.map(Sensitive::into_inner);
    if let Some(p) = &new_password {
        check_password_policy(p).map_err(|e| Problem::invalid_body(e.to_string()))?;
    }
    let current = body.current_password.into_inner();
    if !password::verify(current, user.password_hash.clone())
        .await
        .map_err(Problem::from)?
    {
        return Err(Problem::new(
            StatusCode::FORBIDDEN,
            "invalid-credentials",
            "Invalid credentials",
            "The current password does not match.",
        ));
    }
    if let Some(email) = new_email {
        user.email = email;
    }
    if let Some(p) = new_password.clone() {
        user.password_hash = password::hash(p).await.map_err(Problem::from)?;
    }
    match state.auth().update_account(&user).await {
        Ok(true) => state.forget_profile(&user.id),
        Ok(false) => return Err(Problem::unauthorized("The account no longer exists.")),
        Err(StoreError::Conflict(_)) => {
            return Err(Problem::conflict(
                "This e-mail address is already registered.",
            ));
        }
        Err(e) => return Err(e.into()),
    }
    if new_password.is_some() {
        state.auth().revoke_user_sessions(&user.id).await?;
        state
            .auth()
            .audit(
                AuditKind::PasswordChanged,
                Some(&user.id),
                None,
                ip.to_audit().as_deref(),
                "",
            )
            .await;
    }
    Ok(Json(user.into()))
}
