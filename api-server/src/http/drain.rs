//! Draining before a shutdown (lame duck).
//!
//! When Kubernetes terminates a pod, the pod receives SIGTERM while its address is still
//! being removed from the Service's endpoints, and clients keep sending on the keep-alive
//! connections they hold. Stopping at once makes those requests fail; during a blue-green
//! switch that would be every connection to the old color. So on SIGTERM the server first
//! drains for a while (`OGF_SHUTDOWN_DELAY_SECONDS`): `/readyz` answers 503 (the pod leaves
//! the endpoints), every response carries `Connection: close` (clients reconnect, to a
//! ready pod), and requests are still served. Then it stops accepting and finishes the
//! requests in flight.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

use super::AppState;

/// Adds `Connection: close` to every response while the server drains.
pub async fn close_connections(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    let mut response = next.run(req).await;
    if state.is_draining() {
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}
