//! The HTTP API: [`app`] builds the router over an [`AppState`].

pub mod admin;
pub mod audit;
pub mod auth;
pub mod bids;
pub mod client_ip;
pub mod dataroom;
pub mod extract;
pub mod health;
pub mod json_body;
pub mod listing_body;
pub mod listing_view;
pub mod listing_writes;
pub mod listings;
pub mod market;
pub mod market_views;
pub mod metrics;
pub mod offers;
pub mod openapi;
pub mod paging;
pub mod problem;
pub mod rate_limit;
pub mod routes;
pub mod search_params;
pub mod security;
pub mod sensitive;
pub mod status;
pub mod users;

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::{from_fn, from_fn_with_state};
use ipnet::IpNet;
use prometheus::Registry;
use tower::ServiceBuilder;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use self::metrics::HttpMetrics;
use self::rate_limit::RateLimiters;
use crate::auth::{Auth, SessionCache, TokenKeys};
use crate::market::MarketCache;
use crate::settings::Settings;
use crate::store::{InstrumentedStore, ListingStore, Store};

/// Shared state of the app: the (instrumented) store, authentication, rate limiters, settings and its own
/// metrics registry.
#[derive(Debug, Clone)]
pub struct AppState {
    inner: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    store: Arc<InstrumentedStore>,
    auth: Auth,
    limiters: RateLimiters,
    market_cache: MarketCache,
    settings: Settings,
    registry: Registry,
    http_metrics: HttpMetrics,
    trading: bids::TradingMetrics,
    started: Instant,
}

impl AppState {
    /// Wraps `store` with store metrics and builds authentication (with its session cache) and rate limiting from
    /// `settings`; every metric lives in a registry owned by this state.
    pub fn new(store: Arc<dyn Store>, settings: Settings) -> Result<Self, prometheus::Error> {
        let registry = Registry::new();
        let instrumented = Arc::new(InstrumentedStore::new(store, &registry)?);
        let http_metrics = HttpMetrics::register(&registry)?;
        let trading = bids::TradingMetrics::register(&registry)?;
        let security = metrics::SecurityMetrics::register(&registry)?;
        // One `ogf_cache_lookups_total{cache,result}` counter for every in-process cache.
        let cache_lookups = crate::market::cache::lookups_counter(&registry)?;
        let sessions = SessionCache::build(settings.session_cache_ttl, cache_lookups.clone());
        let market_cache = MarketCache::build(settings.market_cache_ttl, cache_lookups);
        let auth = Auth::new(
            Arc::clone(&instrumented) as Arc<dyn Store>,
            TokenKeys::new(&settings.jwt_secret, settings.access_ttl),
            Arc::clone(&settings.clock),
            settings.auth,
            security.auth_failures,
            sessions,
        );
        let limiters = RateLimiters::new(settings.rate_limits, security.rate_limit_rejections);
        Ok(Self {
            inner: Arc::new(Shared {
                store: instrumented,
                auth,
                limiters,
                market_cache,
                settings,
                registry,
                http_metrics,
                trading,
                started: Instant::now(),
            }),
        })
    }

    /// The listing store (instrumented).
    pub fn store(&self) -> &dyn ListingStore {
        self.inner.store.as_ref()
    }

    /// The whole store: accounts, sessions, audit log (instrumented). Account writes that
    /// end sessions go through [`Auth`] instead, which also invalidates the session cache.
    pub fn users(&self) -> &dyn Store {
        self.inner.store.as_ref()
    }

    /// The authentication service.
    pub fn auth(&self) -> &Auth {
        &self.inner.auth
    }

    /// The market-data response cache.
    pub fn market_cache(&self) -> &MarketCache {
        &self.inner.market_cache
    }

    /// The metrics registry of this app.
    pub fn registry(&self) -> &Registry {
        &self.inner.registry
    }

    /// The settings the app was built with.
    pub fn settings(&self) -> &Settings {
        &self.inner.settings
    }

    /// Counters of bids and offer actions.
    pub fn trading(&self) -> &bids::TradingMetrics {
        &self.inner.trading
    }

    fn rate_limiters(&self) -> &RateLimiters {
        &self.inner.limiters
    }

    fn trusted_proxies(&self) -> &[IpNet] {
        &self.inner.settings.trusted_proxies
    }
}

/// The router with every route, and around it (outermost first): request ids, tracing,
/// security headers, CORS, metrics, problem bodies, timeout, rate limits; each route has its
/// body size limit ([`routes::router`]).
pub fn app(state: AppState) -> Router {
    let settings = state.settings();
    routes::router(settings.body_limit_bytes, settings.upload_max_bytes)
        .fallback(problem::no_route)
        .layer(from_fn_with_state(state.clone(), rate_limit::enforce))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            settings.request_timeout,
        ))
        .layer(from_fn(problem::ensure_problem_body))
        .layer(from_fn_with_state(state.clone(), metrics::track))
        .layer(security::cors(&settings.cors_origins))
        .layer(from_fn(security::headers))
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

/// The request's span: method, path (never the query string, which could carry secrets)
/// and request id.
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
