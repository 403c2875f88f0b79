//! `/api/v1/admin/users`: user management. Admins only.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::client_ip::ClientIp;
use super::extract::{AdminOnly, Authorized};
use super::json_body::StrictJson;
use super::paging::page_params;
use super::problem::Problem;
use super::users::UserView;
use crate::auth::Principal;
use crate::domain::{AuditKind, Role, User};

/// Query of the user list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UserListParams {
    /// Page size, 1-100 (default 20).
    limit: Option<String>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// A page of users, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserList {
    /// Users.
    pub items: Vec<UserView>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// `PATCH /api/v1/admin/users/{id}` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdminUpdateRequest {
    /// New role.
    #[serde(default)]
    pub role: Option<Role>,
    /// Lock (`true`) or unlock (`false`) the account.
    #[serde(default)]
    pub locked: Option<bool>,
}

/// How many sessions were revoked.
#[derive(Debug, Serialize, ToSchema)]
pub struct RevokedSessions {
    /// Sessions that were active.
    pub revoked: u64,
}

async fn target(state: &AppState, id: &str) -> Result<User, Problem> {
    state
        .users()
        .user(id)
        .await?
        .ok_or_else(|| Problem::not_found(format!("No user with id '{id}'.")))
}

fn not_self(admin: &Principal, id: &str, what: &str) -> Result<(), Problem> {
    if admin.user_id == id {
        return Err(Problem::conflict(format!(
            "Admins cannot {what} their own account."
        )));
    }
    Ok(())
}

/// Lists users, oldest first, with cursor pagination.
#[utoipa::path(get, path = "/api/v1/admin/users", tag = "admin",
    security(("bearer" = [])),
    params(UserListParams),
    responses(
        (status = 200, description = "A page of users", body = UserList),
        (status = 400, description = "Bad limit or cursor", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 401, description = "No valid access token", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn list_users(
    State(state): State<AppState>,
    _admin: Authorized<AdminOnly>,
    params: Result<Query<UserListParams>, QueryRejection>,
) -> Result<Json<UserList>, Problem> {
    let Query(params) = params.map_err(|e| Problem::invalid_parameter(e.body_text()))?;
    let (limit, cursor) = page_params(params.limit.as_deref(), params.cursor.as_deref())?;
    let page = state.users().users_page(cursor.as_ref(), limit).await?;
    Ok(Json(UserList {
        items: page.items.into_iter().map(UserView::from).collect(),
        next_cursor: page.next.map(|c| c.encode()),
    }))
}

/// Changes a user's role and/or locks or unlocks the account. Either change ends the
/// user's sessions (the new role applies from the next sign-in).
#[utoipa::path(patch, path = "/api/v1/admin/users/{id}", tag = "admin",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "User id")),
    request_body = AdminUpdateRequest,
    responses(
        (status = 200, description = "Updated user", body = UserView),
        (status = 401, description = "No valid access token", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such user", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "Changing one's own account", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "Invalid body", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn update_user(
    State(state): State<AppState>,
    ip: ClientIp,
    Authorized(admin, _): Authorized<AdminOnly>,
    Path(id): Path<String>,
    StrictJson(body): StrictJson<AdminUpdateRequest>,
) -> Result<Json<UserView>, Problem> {
    if body.role.is_none() && body.locked.is_none() {
        return Err(Problem::invalid_body(
            "Nothing to change: give role and/or locked.",
        ));
    }
    not_self(&admin, &id, "change the role or lock of")?;
    let mut user = target(&state, &id).await?;
    let old_role = user.role;
    let old_locked = user.locked;
    user.role = body.role.unwrap_or(old_role);
    user.locked = body.locked.unwrap_or(old_locked);
    if !state.auth().update_account(&user).await? {
        return Err(Problem::not_found(format!("No user with id '{id}'.")));
    }
    state.forget_profile(&user.id);
    let ip = ip.to_audit();
    let audit = |kind, detail: String| {
        let state = state.clone();
        let (user_id, actor, ip) = (user.id.clone(), admin.user_id.clone(), ip.clone());
        async move {
            state
                .auth()
                .audit(kind, Some(&user_id), Some(&actor), ip.as_deref(), &detail)
                .await;
        }
    };
    if user.role != old_role || user.locked != old_locked {
        state.auth().revoke_user_sessions(&user.id).await?;
    }
    if user.role != old_role {
        audit(AuditKind::RoleChanged, format!("{old_role}->{}", user.role)).await;
    }
    if user.locked != old_locked {
        let kind = if user.locked {
            AuditKind::UserLocked
        } else {
            AuditKind::UserUnlocked
        };
        audit(kind, String::new()).await;
    }
    Ok(Json(user.into()))
}

/// Deletes a user and their sessions.
#[utoipa::path(delete, path = "/api/v1/admin/users/{id}", tag = "admin",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "User id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "No valid access token", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such user", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "Deleting one's own account", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn delete_user(
    State(state): State<AppState>,
    ip: ClientIp,
    Authorized(admin, _): Authorized<AdminOnly>,
    Path(id): Path<String>,
) -> Result<StatusCode, Problem> {
    not_self(&admin, &id, "delete")?;
    let user = target(&state, &id).await?;
    if !state.auth().delete_account(&user.id).await? {
        return Err(Problem::not_found(format!("No user with id '{id}'.")));
    }
    state.forget_profile(&user.id);
    state
        .auth()
        .audit(
            AuditKind::UserDeleted,
            Some(&user.id),
            Some(&admin.user_id),
            ip.to_audit().as_deref(),
            user.email.as_str(),
        )
        .await;
    Ok(StatusCode::NO_CONTENT)
}

/// Revokes every active session of a user at once.
#[utoipa::path(delete, path = "/api/v1/admin/users/{id}/sessions", tag = "admin",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "User id")),
    responses(
        (status = 200, description = "Sessions revoked", body = RevokedSessions),
        (status = 401, description = "No valid access token", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such user", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn revoke_sessions(
    State(state): State<AppState>,
    ip: ClientIp,
    Authorized(admin, _): Authorized<AdminOnly>,
    Path(id): Path<String>,
) -> Result<Json<RevokedSessions>, Problem> {
    let user = target(&state, &id).await?;
    let revoked = state.auth().revoke_user_sessions(&user.id).await?;
    state
        .auth()
        .audit(
            AuditKind::SessionsRevoked,
            Some(&user.id),
            Some(&admin.user_id),
            ip.to_audit().as_deref(),
            &revoked.to_string(),
        )
        .await;
    Ok(Json(RevokedSessions { revoked }))
}
