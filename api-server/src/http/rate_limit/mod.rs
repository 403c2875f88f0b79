//! Rate limiting of `/api/`: the authentication endpoints per client IP, the rest per
//! authenticated user or, for anonymous clients, per IP; trading actions ([`TRADING_ROUTES`])
//! also per user under a tighter limit of their own. Answers carry `RateLimit-Limit`,
//! `RateLimit-Remaining` and `RateLimit-Reset`; a rejection is a `429` problem with
//! `Retry-After`.

pub mod limiter;

use std::net::{IpAddr, Ipv6Addr};

use axum::extract::{MatchedPath, Request, State};
use axum::http::header::{AUTHORIZATION, RETRY_AFTER};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::TimeDelta;
use prometheus::IntCounterVec;

use self::limiter::{Decision, KeyedLimiter, Quota};
use super::AppState;
use super::client_ip::{ClientIp, resolve};
use super::problem::Problem;
use crate::settings::RateLimits;

/// `RateLimit-Limit`.
pub const LIMIT: HeaderName = HeaderName::from_static("ratelimit-limit");
/// `RateLimit-Remaining`.
pub const REMAINING: HeaderName = HeaderName::from_static("ratelimit-remaining");
/// `RateLimit-Reset` (seconds).
pub const RESET: HeaderName = HeaderName::from_static("ratelimit-reset");

/// Path prefix of the authentication endpoints.
const AUTH_PREFIX: &str = "/api/v1/auth/";
/// Path prefix of everything that is limited.
const API_PREFIX: &str = "/api/";

/// `POST` routes that are sensitive business flows (OWASP API6): placing bids, making and
/// countering offers, writing messages, asking for data-room access. A signed-in user gets
/// [`RateLimits::trading_per_minute`] of them in all, on top of the general user limit.
pub const TRADING_ROUTES: &[&str] = &[
    "/api/v1/listings/{id}/bids",
    "/api/v1/listings/{id}/offers",
    "/api/v1/offers/{id}/counter",
    "/api/v1/listings/{id}/conversations",
    "/api/v1/conversations/{id}/messages",
    "/api/v1/listings/{id}/nda",
];

/// The limiters (absent when disabled) and the rejection counter.
#[derive(Debug)]
pub struct RateLimiters {
    auth: Option<KeyedLimiter>,
    anonymous: Option<KeyedLimiter>,
    user: Option<KeyedLimiter>,
    trading: Option<KeyedLimiter>,
    rejections: IntCounterVec,
}

impl RateLimiters {
    /// Limiters for `limits`; `rejections` is `ogf_rate_limit_rejections_total{scope}`.
    pub fn new(limits: RateLimits, rejections: IntCounterVec) -> Self {
        let make = |limit: u32, window: TimeDelta| {
            (limit > 0).then(|| KeyedLimiter::new(Quota { limit, window }))
        };
        Self {
            auth: make(limits.auth_per_minute, TimeDelta::minutes(1)),
            anonymous: make(limits.anonymous_per_day, TimeDelta::days(1)),
            user: make(limits.user_per_minute, TimeDelta::minutes(1)),
            trading: make(limits.trading_per_minute, TimeDelta::minutes(1)),
            rejections,
        }
    }
}

/// The matched route template (the raw path when none matched).
fn route(req: &Request) -> &str {
    req.extensions()
        .get::<MatchedPath>()
        .map_or_else(|| req.uri().path(), MatchedPath::as_str)
}

/// Which limit applies to a request, and its key.
fn scope(state: &AppState, req: &Request) -> Option<(&'static str, String)> {
    let path = route(req);
    if !path.starts_with(API_PREFIX) {
        return None;
    }
    let peer = req
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip());
    let ip = ClientIp(resolve(peer, req.headers(), state.trusted_proxies()));
    let ip_key = client_key(ip.0);
    if path.starts_with(AUTH_PREFIX) {
        return Some(("auth", ip_key));
    }
    let limiters = state.rate_limiters();
    let trading = limiters.trading.is_some() && is_trading(req);
    if limiters.user.is_none() && limiters.anonymous.is_none() && !trading {
        // Neither limit is on: skip checking the bearer token just to pick one.
        return None;
    }
    match bearer_subject(state, req.headers()) {
        Some(user) => Some(("user", user)),
        None => Some(("anonymous", ip_key)),
    }
}

/// The key of a client address: an IPv4 address, or an IPv6 address's /64 network (one
/// subscriber's usual allotment, so that walking through it does not mint new budgets).
fn client_key(ip: Option<IpAddr>) -> String {
    match ip.map(|ip| ip.to_canonical()) {
        None => "unknown".to_owned(),
        Some(IpAddr::V4(v4)) => v4.to_string(),
        Some(IpAddr::V6(v6)) => {
            let network = Ipv6Addr::from_bits(v6.to_bits() & !u128::from(u64::MAX));
            format!("{network}/64")
        }
    }
}

/// The user id of a valid bearer token (signature and expiry, or a token the access-token cache
/// already verified; the session is checked by the handler's extractor).
fn bearer_subject(state: &AppState, headers: &HeaderMap) -> Option<String> {
    let token = headers
        .get(AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")?;
    state.auth().token_subject(token)
}

/// A `POST` to one of the [`TRADING_ROUTES`].
fn is_trading(req: &Request) -> bool {
    req.method() == axum::http::Method::POST && TRADING_ROUTES.contains(&route(req))
}

/// The `429` problem for a rejected request.
fn rejection(decision: Decision, what: &str) -> Response {
    let mut res = Problem::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate-limited",
        "Too many requests",
        format!(
            "Rate limit exceeded ({} {what} per window); retry after {} seconds.",
            decision.limit, decision.reset_secs
        ),
    )
    .into_response();
    set_headers(res.headers_mut(), decision);
    res.headers_mut()
        .insert(RETRY_AFTER, HeaderValue::from(decision.reset_secs));
    res
}

/// Middleware enforcing the limits.
pub async fn enforce(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let Some((scope, key)) = scope(&state, &req) else {
        return next.run(req).await;
    };
    let limiters = state.rate_limiters();
    let now = state.auth().clock().now();
    // A trading action answers with the trading budget's headers: it is the tighter one.
    let mut trading = None;
    if scope == "user"
        && is_trading(&req)
        && let Some(limiter) = &limiters.trading
    {
        let decision = limiter.check(&key, now);
        if !decision.allowed {
            limiters.rejections.with_label_values(&["trading"]).inc();
            return rejection(decision, "bids, offers, messages and NDA requests");
        }
        trading = Some(decision);
    }
    let limiter = match scope {
        "auth" => limiters.auth.as_ref(),
        "user" => limiters.user.as_ref(),
        _ => limiters.anonymous.as_ref(),
    };
    let general = match limiter {
        Some(limiter) => {
            let decision = limiter.check(&key, now);
            if !decision.allowed {
                limiters.rejections.with_label_values(&[scope]).inc();
                return rejection(decision, "requests");
            }
            Some(decision)
        }
        None => None,
    };
    let mut res = next.run(req).await;
    if let Some(decision) = trading.or(general) {
        set_headers(res.headers_mut(), decision);
    }
    res
}

fn set_headers(headers: &mut HeaderMap, d: Decision) {
    headers.insert(LIMIT, HeaderValue::from(d.limit));
    headers.insert(REMAINING, HeaderValue::from(d.remaining));
    headers.insert(RESET, HeaderValue::from(d.reset_secs));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_clients_are_keyed_by_their_64_network() {
        let key = |s: &str| client_key(Some(s.parse().unwrap()));
        assert_eq!(key("2001:db8:1:2::1"), "2001:db8:1:2::/64");
        assert_eq!(key("2001:db8:1:2:ffff:0:0:9"), key("2001:db8:1:2::1"));
        assert_ne!(key("2001:db8:1:3::1"), key("2001:db8:1:2::1"));
        assert_eq!(key("203.0.113.7"), "203.0.113.7");
        assert_eq!(
            key("::ffff:203.0.113.7"),
            "203.0.113.7",
            "v4-mapped is the v4 client"
        );
        assert_eq!(client_key(None), "unknown");
    }
}
