//! Liveness and readiness probes.

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use super::AppState;
use super::problem::Problem;

/// `GET /healthz`: the process serves HTTP. Public.
#[utoipa::path(get, path = "/healthz", tag = "ops",
    responses((status = 200, description = "`{\"status\":\"ok\"}`", body = Object)))]
pub async fn live() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// `GET /readyz`: the store answers a ping and the server is not draining; 503 problem
/// otherwise. Public.
#[utoipa::path(get, path = "/readyz", tag = "ops",
    responses(
        (status = 200, description = "`{\"status\":\"ready\",\"store\":..}`", body = Object),
        (status = 503, description = "Store unavailable, or the server is shutting down", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn ready(State(state): State<AppState>) -> Result<Json<Value>, Problem> {
    if state.is_draining() {
        return Err(Problem::shutting_down());
    }
    match state.store().ping().await {
        Ok(()) => Ok(Json(
            json!({ "status": "ready", "store": state.store().kind().as_str() }),
        )),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            Err(Problem::store_unavailable())
        }
    }
}
