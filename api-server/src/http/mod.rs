//! The HTTP API: [`app`] builds the router over an [`AppState`].

pub mod admin;
pub mod analytics;
pub mod audit;
pub mod auth;
pub mod bids;
pub mod client_ip;
pub mod conversation_views;
pub mod conversations;
pub mod dataroom;
pub mod drain;
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
pub mod profiles;
pub mod rate_limit;
pub mod routes;
pub mod saved_query;
pub mod saved_searches;
pub mod search_params;
pub mod security;
pub mod sensitive;
pub mod status;
pub mod users;
pub mod watchlist;

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
use crate::analytics::ActivityRecorder;
use crate::auth::{Auth, SessionCache, TokenKeys};
use crate::cache::{SearchCache, TtlCache};
use crate::domain::Listing;
use crate::domain::activity::{ActivityEvent, ActivityKind};
use crate::market::MarketCache;
use crate::settings::Settings;
use crate::store::{InstrumentedStore, ListingStore, Store};

/// The resource caches (see [`crate::cache`]): listing search, analytics responses, public
/// profiles.
#[derive(Debug)]
struct Caches {
    search: SearchCache,
    analytics: TtlCache<String, bytes::Bytes>,
    profiles: TtlCache<String, bytes::Bytes>,
}

/// Most analytics responses kept.
const MAX_ANALYTICS_ENTRIES: u64 = 10_000;
/// Most public profiles kept.
const MAX_PROFILE_ENTRIES: u64 = 50_000;

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
    caches: Caches,
    activity: ActivityRecorder,
    settings: Settings,
    registry: Registry,
    http_metrics: HttpMetrics,
    trading: bids::TradingMetrics,
    started: Instant,
    draining: std::sync::atomic::AtomicBool,
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
        let market_cache = MarketCache::build(settings.market_cache_ttl, cache_lookups.clone());
        let caches = Caches {
            search: SearchCache::build(settings.listing_search_cache_ttl, cache_lookups.clone()),
            analytics: TtlCache::build(
                crate::cache::ANALYTICS,
                settings.analytics_cache_ttl,
                MAX_ANALYTICS_ENTRIES,
                cache_lookups.clone(),
            ),
            profiles: TtlCache::build(
                crate::cache::PROFILE,
                settings.profile_cache_ttl,
                MAX_PROFILE_ENTRIES,
                cache_lookups,
            ),
        };
        let activity = ActivityRecorder::start(
            Arc::clone(&instrumented) as Arc<dyn crate::store::ActivityStore>,
            &registry,
        )?;
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
                caches,
                activity,
                settings,
                registry,
                http_metrics,
                trading,
                started: Instant::now(),
                draining: std::sync::atomic::AtomicBool::new(false),
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

    /// The listing-search cache.
    pub fn search_cache(&self) -> &SearchCache {
        &self.inner.caches.search
    }

    /// The analytics response cache (JSON bodies keyed by who asks and the range).
    pub fn analytics_cache(&self) -> &TtlCache<String, bytes::Bytes> {
        &self.inner.caches.analytics
    }

    /// The public profile cache (JSON bodies keyed by [`profiles::cache_key`]).
    pub fn profile_cache(&self) -> &TtlCache<String, bytes::Bytes> {
        &self.inner.caches.profiles
    }

    /// How many listing writes this process has made (the search cache's key prefix).
    pub fn listing_generation(&self) -> u64 {
        self.inner.store.listing_generation()
    }

    /// The listing activity recorder.
    pub fn activity(&self) -> &ActivityRecorder {
        &self.inner.activity
    }

    /// Records that `actor` (`None`: anonymous) did `kind` to `listing`, now. Never waits for
    /// the store and never fails (see [`crate::analytics::recorder`]); listings without a
    /// seller (demo data) have no dashboard and are skipped. Call it after the action
    /// succeeded, e.g. `state.record_activity(&listing, ActivityKind::Watch, Some(&caller.user_id))`.
    pub fn record_activity(&self, listing: &Listing, kind: ActivityKind, actor: Option<&str>) {
        let Some(seller_id) = &listing.seller_id else {
            return;
        };
        self.inner.activity.record(ActivityEvent {
            listing_id: listing.id.clone(),
            seller_id: seller_id.clone(),
            kind,
            actor_id: actor.map(str::to_owned),
            at: self.inner.settings.clock.now(),
        });
    }

    /// Forgets the cached public profile of `user_id` (after any change to the account).
    pub fn forget_profile(&self, user_id: &str) {
        let key = profiles::cache_key(user_id, self.listing_generation());
        self.inner.caches.profiles.invalidate(key.as_str());
    }

    /// The metrics registry of this app.
    pub fn registry(&self) -> &Registry {
        &self.inner.registry
    }

    /// The settings the app was built with.
    pub fn settings(&self) -> &Settings {
        &self.inner.settings
    }

    /// From now on `/readyz` fails and every response closes its connection (see [`drain`]).
    pub fn start_draining(&self) {
        self.inner
            .draining
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// Whether the server is shutting down (see [`drain`]).
    pub fn is_draining(&self) -> bool {
        self.inner
            .draining
            .load(std::sync::atomic::Ordering::Relaxed)
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
        .layer(from_fn_with_state(state.clone(), drain::close_connections))
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
