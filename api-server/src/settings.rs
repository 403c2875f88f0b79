//! Run-time settings of the HTTP app (built from the command line and `OGF_*` variables by
//! `main`, or directly by tests).

use std::sync::Arc;
use std::time::Duration;

use axum::http::HeaderValue;
use chrono::TimeDelta;
use ipnet::IpNet;

use crate::auth::{AuthPolicy, JwtSecret};
use crate::clock::{Clock, SystemClock};

/// Default lifetime of session-cache entries.
pub const DEFAULT_SESSION_CACHE_TTL: Duration = Duration::from_secs(5);
/// Default lifetime of cached market-data responses.
pub const DEFAULT_MARKET_CACHE_TTL: Duration = Duration::from_secs(300);
/// Default lifetime of cached listing search results.
pub const DEFAULT_LISTING_SEARCH_CACHE_TTL: Duration = Duration::from_secs(600);
/// Default lifetime of cached analytics responses.
pub const DEFAULT_ANALYTICS_CACHE_TTL: Duration = Duration::from_secs(1800);
/// Default lifetime of cached public profiles.
pub const DEFAULT_PROFILE_CACHE_TTL: Duration = Duration::from_secs(3600);

/// Default largest data-room upload: 10 MiB.
pub const DEFAULT_UPLOAD_MAX_BYTES: usize = 10 * 1024 * 1024;
/// Largest upload limit that may be configured: a document is stored as one BSON binary,
/// and MongoDB documents are at most 16 MiB.
pub const UPLOAD_MAX_BYTES_CEILING: usize = 15 * 1024 * 1024;
/// Default data-room storage per seller: 500 MiB.
pub const DEFAULT_UPLOAD_QUOTA_BYTES: u64 = 500 * 1024 * 1024;

/// Request rate limits; 0 disables a limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    /// Requests per minute per client IP on the authentication endpoints.
    pub auth_per_minute: u32,
    /// Requests per day per anonymous client IP on the rest of `/api/`.
    pub anonymous_per_day: u32,
    /// Requests per minute per authenticated user on the rest of `/api/`.
    pub user_per_minute: u32,
    /// Trading actions (bids, offers and counters, messages, NDA requests) per minute per
    /// user, on top of `user_per_minute`: sensitive business flows (OWASP API6) such as bid
    /// spamming or mass messaging are held to a human pace.
    pub trading_per_minute: u32,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            auth_per_minute: 5,
            anonymous_per_day: 200,
            user_per_minute: 600,
            trading_per_minute: 20,
        }
    }
}

/// Settings of the HTTP app.
#[derive(Debug, Clone)]
pub struct Settings {
    /// HS256 key of the access tokens.
    pub jwt_secret: JwtSecret,
    /// Lifetime of access tokens.
    pub access_ttl: TimeDelta,
    /// Refresh-token lifetime and lockout rules.
    pub auth: AuthPolicy,
    /// Longest time a checked session stays in the in-process session cache; zero disables
    /// the cache. Revocations in this process invalidate it at once; another replica may
    /// accept a revoked session for at most this long.
    pub session_cache_ttl: Duration,
    /// Lifetime of cached market-data responses; zero disables the cache. Market writes in
    /// this process invalidate it at once.
    pub market_cache_ttl: Duration,
    /// Lifetime of cached listing search results; zero disables the cache. Listing writes in
    /// this process invalidate it at once (see [`crate::cache::search`]).
    pub listing_search_cache_ttl: Duration,
    /// Lifetime of cached analytics responses (seller dashboards, admin overview); zero
    /// disables the cache. Only the TTL ends entries (see [`crate::http::analytics`]).
    pub analytics_cache_ttl: Duration,
    /// Lifetime of cached public profiles; zero disables the cache. Account changes and
    /// listing writes in this process invalidate entries at once.
    pub profile_cache_ttl: Duration,
    /// Rate limits.
    pub rate_limits: RateLimits,
    /// Largest accepted request body, bytes.
    pub body_limit_bytes: usize,
    /// Largest data-room upload (one file), bytes; its route alone admits bodies this large
    /// (plus the multipart framing).
    pub upload_max_bytes: usize,
    /// Bytes of data-room documents one seller may store in total.
    pub upload_quota_bytes: u64,
    /// Longest time a request may take before a `408` problem.
    pub request_timeout: Duration,
    /// Origins allowed by CORS (none: no cross-origin access).
    pub cors_origins: Vec<HeaderValue>,
    /// Proxies whose `X-Forwarded-For` is believed (none: the socket address is the client).
    pub trusted_proxies: Vec<IpNet>,
    /// Source of time (tests move it by hand).
    pub clock: Arc<dyn Clock>,
}

impl Settings {
    /// The defaults, with this key: 15-minute access tokens, 7-day refresh tokens, lockout
    /// after 5 failures in 15 minutes, a 5-second session cache, 5/min auth, 200/day anonymous, 600/min per user,
    /// 1 MiB bodies (10 MiB uploads, 500 MiB per seller), 30 s timeout, no CORS origins, no trusted proxies, the system clock.
    pub fn new(jwt_secret: JwtSecret) -> Self {
        Self {
            jwt_secret,
            access_ttl: TimeDelta::minutes(15),
            auth: AuthPolicy::default(),
            session_cache_ttl: DEFAULT_SESSION_CACHE_TTL,
            market_cache_ttl: DEFAULT_MARKET_CACHE_TTL,
            listing_search_cache_ttl: DEFAULT_LISTING_SEARCH_CACHE_TTL,
            analytics_cache_ttl: DEFAULT_ANALYTICS_CACHE_TTL,
            profile_cache_ttl: DEFAULT_PROFILE_CACHE_TTL,
            rate_limits: RateLimits::default(),
            body_limit_bytes: 1024 * 1024,
            upload_max_bytes: DEFAULT_UPLOAD_MAX_BYTES,
            upload_quota_bytes: DEFAULT_UPLOAD_QUOTA_BYTES,
            request_timeout: Duration::from_secs(30),
            cors_origins: Vec::new(),
            trusted_proxies: Vec::new(),
            clock: Arc::new(SystemClock),
        }
    }
}
