//! HTTP metrics and the `/metrics` endpoint (Prometheus text format).

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry, TextEncoder,
};

use super::AppState;
use super::problem::Problem;

/// Route label for requests that matched no route (raw paths are never labels).
pub const UNMATCHED_ROUTE: &str = "unmatched";

const BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// Request counter and latency histogram, labelled by route template.
#[derive(Debug, Clone)]
pub struct HttpMetrics {
    requests: IntCounterVec,
    duration: HistogramVec,
}

impl HttpMetrics {
    /// Creates and registers the HTTP metrics.
    pub fn register(registry: &Registry) -> Result<Self, prometheus::Error> {
        let requests = IntCounterVec::new(
            Opts::new(
                "ogf_http_requests_total",
                "HTTP requests, by route template, method and status.",
            ),
            &["route", "method", "status"],
        )?;
        let duration = HistogramVec::new(
            HistogramOpts::new(
                "ogf_http_request_duration_seconds",
                "HTTP request latency, by route template and method.",
            )
            .buckets(BUCKETS.to_vec()),
            &["route", "method"],
        )?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(duration.clone()))?;
        Ok(Self { requests, duration })
    }
}

/// Security counters: authentication failures and rate-limit rejections.
#[derive(Debug, Clone)]
pub struct SecurityMetrics {
    /// `ogf_auth_failures_total{reason}`.
    pub auth_failures: IntCounterVec,
    /// `ogf_rate_limit_rejections_total{scope}`.
    pub rate_limit_rejections: IntCounterVec,
}

impl SecurityMetrics {
    /// Creates and registers the counters.
    pub fn register(registry: &Registry) -> Result<Self, prometheus::Error> {
        let auth_failures = IntCounterVec::new(
            Opts::new(
                "ogf_auth_failures_total",
                "Authentication failures, by reason (wrong_password, unknown_email, locked_out, \
                 account_locked, invalid_token, missing_token, revoked_session, forbidden, \
                 invalid_refresh_token, refresh_token_reused).",
            ),
            &["reason"],
        )?;
        let rate_limit_rejections = IntCounterVec::new(
            Opts::new(
                "ogf_rate_limit_rejections_total",
                "Requests rejected with 429, by limit scope (auth, anonymous, user).",
            ),
            &["scope"],
        )?;
        registry.register(Box::new(auth_failures.clone()))?;
        registry.register(Box::new(rate_limit_rejections.clone()))?;
        Ok(Self {
            auth_failures,
            rate_limit_rejections,
        })
    }
}

/// Middleware: counts and times every request under its route template.
pub async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| UNMATCHED_ROUTE.to_owned(), |p| p.as_str().to_owned());
    let method = method_label(req.method());
    let started = Instant::now();
    let res = next.run(req).await;
    let m = &state.inner.http_metrics;
    m.duration
        .with_label_values(&[route.as_str(), method])
        .observe(started.elapsed().as_secs_f64());
    m.requests
        .with_label_values(&[route.as_str(), method, res.status().as_str()])
        .inc();
    res
}

/// Known methods by name; anything else as `other` (bounded label values).
fn method_label(m: &Method) -> &'static str {
    match *m {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// `GET /metrics`: every metric of the app's registry (Prometheus text format). Public.
#[utoipa::path(get, path = "/metrics", tag = "ops",
    responses((status = 200, description = "Prometheus text exposition", body = String, content_type = "text/plain")))]
pub async fn export(State(state): State<AppState>) -> Response {
    let encoder = TextEncoder::new();
    let mut buf = Vec::new();
    if let Err(e) = encoder.encode(&state.inner.registry.gather(), &mut buf) {
        tracing::error!(error = %e, "encoding metrics");
        return Problem::internal().into_response();
    }
    let mut res = buf.into_response();
    if let Ok(v) = HeaderValue::from_str(encoder.format_type()) {
        res.headers_mut().insert(CONTENT_TYPE, v);
    }
    res
}
