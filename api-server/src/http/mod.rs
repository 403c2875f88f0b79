//! The HTTP API: [`app`] builds the router over an [`AppState`].

pub mod health;
pub mod listing_view;
pub mod listings;
pub mod metrics;
pub mod problem;
pub mod search_params;
pub mod status;

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::Request;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::routing::get;
use prometheus::Registry;
use tower::ServiceBuilder;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use self::metrics::HttpMetrics;
use crate::store::{InstrumentedStore, ListingStore};

/// Shared state of the app: the (instrumented) store and its own metrics registry.
#[derive(Debug, Clone)]
pub struct AppState {
    inner: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    store: InstrumentedStore,
    registry: Registry,
    http_metrics: HttpMetrics,
    started: Instant,
}

impl AppState {
    /// Wraps `store` with store metrics; every metric lives in a registry owned by this state.
    pub fn new(store: Arc<dyn ListingStore>) -> Result<Self, prometheus::Error> {
        let registry = Registry::new();
        let store = InstrumentedStore::new(store, &registry)?;
        let http_metrics = HttpMetrics::register(&registry)?;
        Ok(Self {
            inner: Arc::new(Shared {
                store,
                registry,
                http_metrics,
                started: Instant::now(),
            }),
        })
    }

    /// The store (instrumented).
    pub fn store(&self) -> &dyn ListingStore {
        &self.inner.store
    }

    /// The metrics registry of this app.
    pub fn registry(&self) -> &Registry {
        &self.inner.registry
    }
}

/// The router with every route, problem bodies for errors, metrics, request ids and tracing.
pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(health::live))
        .route("/readyz", get(health::ready))
        .route("/metrics", get(metrics::export))
        .route("/api/v1/status", get(status::get))
        .route("/api/v1/listings", get(listings::search))
        .route("/api/v1/listings/{id}", get(listings::get))
        .fallback(problem::no_route)
        .layer(from_fn(problem::ensure_problem_body))
        .layer(from_fn_with_state(state.clone(), metrics::track))
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
                .layer(
                    TraceLayer::new_for_http()
                        .make_span_with(request_span)
                        .on_response(DefaultOnResponse::new().level(Level::INFO)),
                )
                .layer(PropagateRequestIdLayer::x_request_id()),
        )
        .with_state(state)
}

fn request_span(req: &Request) -> tracing::Span {
    let request_id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    tracing::info_span!(
        "request",
        method = %req.method(),
        path = %req.uri().path(),
        request_id,
    )
}
