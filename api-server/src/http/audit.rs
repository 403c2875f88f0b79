//! `GET /api/v1/admin/audit`: the audit log, newest first, filtered and paginated. Admins only.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::extract::{AdminOnly, Authorized};
use super::paging::page_params;
use super::problem::Problem;
use crate::domain::{AuditEvent, AuditKind, AuditQuery};

/// Filters and paging.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// Only this event type (e.g. `login_failed`).
    #[serde(rename = "type")]
    #[param(rename = "type")]
    kind: Option<String>,
    /// Only events about this user id.
    user_id: Option<String>,
    /// Only events at or after this instant (RFC 3339).
    from: Option<String>,
    /// Only events before this instant (RFC 3339).
    to: Option<String>,
    /// Page size, 1-100 (default 20).
    limit: Option<String>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// One audit event.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditView {
    /// Id.
    pub id: String,
    /// When (RFC 3339, UTC, millisecond precision).
    pub at: DateTime<Utc>,
    /// Event type.
    #[serde(rename = "type")]
    pub kind: AuditKind,
    /// The account concerned.
    pub user_id: Option<String>,
    /// The admin who acted, for admin actions.
    pub actor_id: Option<String>,
    /// Client IP address.
    pub ip: Option<String>,
    /// Short detail (a reason, `buyer->seller`).
    pub detail: String,
}

impl From<AuditEvent> for AuditView {
    fn from(e: AuditEvent) -> Self {
        Self {
            id: e.id,
            at: e.at,
            kind: e.kind,
            user_id: e.user_id,
            actor_id: e.actor_id,
            ip: e.ip,
            detail: e.detail,
        }
    }
}

/// A page of audit events.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditList {
    /// Events, newest first.
    pub items: Vec<AuditView>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

fn present(v: Option<String>) -> Option<String> {
    v.filter(|s| !s.trim().is_empty())
}

fn instant(name: &str, raw: Option<String>) -> Result<Option<DateTime<Utc>>, Problem> {
    present(raw)
        .map(|s| {
            DateTime::parse_from_rfc3339(s.trim())
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| {
                    Problem::invalid_parameter(format!(
                        "{name}: must be an RFC 3339 date-time like 2026-01-31T12:00:00Z"
                    ))
                })
        })
        .transpose()
}

impl AuditParams {
    fn into_query(self) -> Result<AuditQuery, Problem> {
        let (limit, after) = page_params(self.limit.as_deref(), self.cursor.as_deref())?;
        let kind = present(self.kind)
            .map(|k| k.parse::<AuditKind>())
            .transpose()
            .map_err(|e| Problem::invalid_parameter(format!("type: {e}")))?;
        Ok(AuditQuery {
            kind,
            user_id: present(self.user_id),
            from: instant("from", self.from)?,
            to: instant("to", self.to)?,
            after,
            limit,
        })
    }
}

/// Reads the audit log.
#[utoipa::path(get, path = "/api/v1/admin/audit", tag = "admin",
    security(("bearer" = [])),
    params(AuditParams),
    responses(
        (status = 200, description = "A page of events, newest first", body = AuditList),
        (status = 400, description = "Bad filter, limit or cursor", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 401, description = "No valid access token", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn list(
    State(state): State<AppState>,
    _admin: Authorized<AdminOnly>,
    params: Result<Query<AuditParams>, QueryRejection>,
) -> Result<Json<AuditList>, Problem> {
    let Query(params) = params.map_err(|e| Problem::invalid_parameter(e.body_text()))?;
    let page = state.users().audit_page(&params.into_query()?).await?;
    Ok(Json(AuditList {
        items: page.items.into_iter().map(AuditView::from).collect(),
        next_cursor: page.next.map(|c| c.encode()),
    }))
}
