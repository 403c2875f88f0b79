//! Analytics and caching over HTTP (`oneshot`), on both stores: the seller dashboard after a
//! scripted sequence of views, bids and offers (days moved by the app's hand-moved clock, no
//! sleeping), the admin overview, who may read what (OWASP API1/API5), range validation, and
//! the caches: hit counters, invalidation by writes, and no private data across callers.
// clippy.toml's allow-unwrap-in-tests covers #[test] fns only, not this crate's helpers.
#![allow(clippy::unwrap_used)]

mod support;

#[path = "http_analytics/cache.rs"]
mod cache;
#[path = "http_analytics/dashboard.rs"]
mod dashboard;

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use support::app::TestApp;
use support::http::Response;

macro_rules! on_both_stores {
    ($($module:ident :: $case:ident),+ $(,)?) => {
        mod embedded {
            $(
                #[tokio::test]
                async fn $case() {
                    let (store, _dir) = crate::support::backends::embedded().await;
                    crate::$module::$case(crate::TestApp::new(store, crate::long_tokens).await).await;
                }
            )+
        }
        mod mongodb {
            $(
                #[tokio::test]
                async fn $case() {
                    crate::support::backends::run_on_mongodb(|store| async move {
                        let app =
                            crate::TestApp::new(std::sync::Arc::new(store), crate::long_tokens).await;
                        crate::$module::$case(app).await;
                    })
                    .await;
                }
            )+
        }
    };
}

on_both_stores!(
    dashboard::dashboard_counts_views_unique_viewers_bids_offers_and_sales,
    dashboard::analytics_authorization_and_validation,
    dashboard::admin_overview_counts_registrations_and_listings,
    dashboard::dashboard_counts_watchers_and_nda_requests,
    cache::search_cache_hits_and_is_invalidated_by_writes,
    cache::cached_search_never_shows_a_reserve_price_to_others,
    cache::analytics_cache_is_per_seller,
    cache::profile_is_public_cached_and_invalidated,
);

/// Access tokens that outlive the days the tests move the clock by.
pub(crate) fn long_tokens(s: &mut ogf_api::settings::Settings) {
    s.access_ttl = chrono::TimeDelta::days(10);
}

/// Creates an active listing as `token` with `sale_type` and extra fields; returns its id.
pub(crate) async fn listing(app: &TestApp, token: &str, sale_type: &str, extra: Value) -> String {
    let mut body = json!({
        "title": format!("{sale_type} lot"),
        "description": "Producing WI package.",
        "type": "working_interest",
        "status": "active",
        "basin": "Permian",
        "state": "TX",
        "county": "Midland",
        "location": { "lon": -102.08, "lat": 31.99 },
        "asking_price_cents": 1_000_000,
        "sale_type": sale_type,
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let res = app
        .req(Method::POST, "/api/v1/listings")
        .token(token)
        .json(body)
        .send()
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    res.json()["id"].as_str().unwrap().to_owned()
}

/// `now + minutes` on the app's clock, as RFC 3339.
pub(crate) fn in_minutes(app: &TestApp, minutes: i64) -> String {
    (ogf_api::clock::Clock::now(app.clock.as_ref()) + chrono::Duration::minutes(minutes))
        .to_rfc3339()
}

/// Today on the app's clock, `YYYY-MM-DD`.
pub(crate) fn today(app: &TestApp) -> String {
    ogf_api::clock::Clock::now(app.clock.as_ref())
        .date_naive()
        .to_string()
}

pub(crate) async fn post(app: &TestApp, uri: &str, token: &str, body: Value) -> Response {
    app.req(Method::POST, uri)
        .token(token)
        .json(body)
        .send()
        .await
}

/// `GET uri`, anonymous (`None`) or with a token.
pub(crate) async fn get(app: &TestApp, uri: &str, token: Option<&str>) -> Response {
    let req = app.req(Method::GET, uri);
    match token {
        Some(t) => req.token(t).send().await,
        None => req.send().await,
    }
}

/// The value of `ogf_cache_lookups_total{cache, result}` (0 when absent).
pub(crate) async fn lookups(app: &TestApp, cache: &str, result: &str) -> u64 {
    let prefix = format!("ogf_cache_lookups_total{{cache=\"{cache}\",result=\"{result}\"}} ");
    app.metrics()
        .await
        .lines()
        .find_map(|l| l.strip_prefix(&prefix).map(|v| v.trim().parse().unwrap()))
        .unwrap_or(0)
}

/// The `x-cache` header of a response.
pub(crate) fn x_cache(res: &Response) -> &str {
    res.headers
        .get("x-cache")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}
