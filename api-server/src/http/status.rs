//! `GET /api/v1/status`: build and runtime facts.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

use super::AppState;

/// Git commit of the build, from `OGF_GIT_SHA` at compile time.
pub const GIT_SHA: &str = match option_env!("OGF_GIT_SHA") {
    Some(sha) => sha,
    None => "unknown",
};

/// The status document.
#[derive(Debug, Serialize, ToSchema)]
pub struct Status {
    /// Crate version.
    pub version: &'static str,
    /// Git commit, or `unknown`.
    pub git_sha: &'static str,
    /// Seconds since the app state was created.
    pub uptime_seconds: u64,
    /// `embedded` or `mongodb`.
    pub store: &'static str,
}

/// Version, git sha, uptime and store kind. Public (rate limited as anonymous API).
#[utoipa::path(get, path = "/api/v1/status", tag = "ops",
    responses((status = 200, description = "Build and runtime facts", body = Status)))]
pub async fn get(State(state): State<AppState>) -> Json<Status> {
    Json(Status {
        version: env!("CARGO_PKG_VERSION"),
        git_sha: GIT_SHA,
        uptime_seconds: state.inner.started.elapsed().as_secs(),
        store: state.store().kind().as_str(),
    })
}
