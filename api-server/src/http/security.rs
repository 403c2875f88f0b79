//! Security response headers and CORS.

use axum::extract::Request;
use axum::http::header::{
    AUTHORIZATION, CACHE_CONTROL, CONTENT_SECURITY_POLICY, REFERRER_POLICY,
    STRICT_TRANSPORT_SECURITY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderName, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::Response;
use tower_http::cors::{AllowOrigin, CorsLayer};

use super::rate_limit;

/// Headers set on every response (unless a handler set them).
const HEADERS: [(HeaderName, &str); 5] = [
    (
        STRICT_TRANSPORT_SECURITY,
        "max-age=31536000; includeSubDomains",
    ),
    (
        CONTENT_SECURITY_POLICY,
        "default-src 'none'; frame-ancestors 'none'",
    ),
    (X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (X_FRAME_OPTIONS, "DENY"),
    (REFERRER_POLICY, "no-referrer"),
];

/// Middleware adding the security headers, and `Cache-Control: no-store` on what no cache
/// may keep: answers to authenticated requests and everything under `/api/v1/auth/` (tokens).
pub async fn headers(req: Request, next: Next) -> Response {
    let private =
        req.headers().contains_key(AUTHORIZATION) || req.uri().path().starts_with("/api/v1/auth/");
    let mut res = next.run(req).await;
    for (name, value) in HEADERS {
        res.headers_mut()
            .entry(name)
            .or_insert(HeaderValue::from_static(value));
    }
    if private {
        res.headers_mut()
            .entry(CACHE_CONTROL)
            .or_insert(HeaderValue::from_static("no-store"));
    }
    res
}

/// CORS for exactly `origins` (none: every cross-origin request is refused by browsers), for
/// every method the route table serves.
pub fn cors(origins: &[HeaderValue]) -> CorsLayer {
    let mut methods: Vec<Method> = super::routes::routes()
        .into_iter()
        .map(|(method, _)| method)
        .collect();
    methods.push(Method::OPTIONS);
    methods.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    methods.dedup();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins.iter().cloned()))
        .allow_methods(methods)
        .allow_headers([
            axum::http::header::AUTHORIZATION,
            axum::http::header::CONTENT_TYPE,
            HeaderName::from_static("x-request-id"),
        ])
        .expose_headers([
            HeaderName::from_static("x-request-id"),
            rate_limit::LIMIT,
            rate_limit::REMAINING,
            rate_limit::RESET,
            axum::http::header::RETRY_AFTER,
        ])
        .max_age(std::time::Duration::from_secs(600))
}
