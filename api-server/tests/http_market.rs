//! Market data over HTTP (`oneshot`), on both stores: bucket aggregation on a fixed dataset
//! (ISO week and month boundaries), the summary's on-or-before rule, validation problems,
//! admin-only posts (401/403), auditing, and the market cache (hits, invalidation by a post).
// clippy.toml's allow-unwrap-in-tests covers #[test] fns only, not this crate's helpers.
#![allow(clippy::unwrap_used)]

mod support;

#[path = "http_market/cache.rs"]
mod cache;
#[path = "http_market/reads.rs"]
mod reads;
#[path = "http_market/writes.rs"]
mod writes;

use ogf_api::domain::market::{Price, PricePoint, PriceSource, Series, parse_date};
use support::app::TestApp;

macro_rules! on_both_stores {
    ($($module:ident :: $case:ident),+ $(,)?) => {
        mod embedded {
            $(
                #[tokio::test]
                async fn $case() {
                    let (store, _dir) = crate::support::backends::embedded().await;
                    crate::$module::$case(crate::TestApp::new(store, |_| {}).await).await;
                }
            )+
        }
        mod mongodb {
            $(
                #[tokio::test]
                async fn $case() {
                    crate::support::backends::run_on_mongodb(|store| async move {
                        let app = crate::TestApp::new(std::sync::Arc::new(store), |_| {}).await;
                        crate::$module::$case(app).await;
                    })
                    .await;
                }
            )+
        }
    };
}

on_both_stores!(
    reads::buckets_by_day_week_and_month_on_a_fixed_dataset,
    reads::summary_uses_the_latest_point_on_or_before_each_horizon,
    reads::invalid_queries_are_400_problems,
    writes::only_admins_post_and_posts_are_idempotent_and_audited,
    writes::invalid_posts_are_422_problems,
    cache::reads_are_cached_and_a_post_invalidates_them,
);

#[tokio::test]
async fn a_zero_ttl_disables_the_market_cache() {
    let (store, _dir) = support::backends::embedded().await;
    let app = TestApp::new(store, |s| s.market_cache_ttl = std::time::Duration::ZERO).await;
    cache::nothing_is_cached(app).await;
}

/// Stores `(series, date, price, source)` points directly.
pub(crate) async fn load(app: &TestApp, points: &[(Series, &str, &str, PriceSource)]) {
    let points: Vec<PricePoint> = points
        .iter()
        .map(|&(series, date, price, source)| PricePoint {
            series,
            date: parse_date(date).unwrap(),
            price: Price::parse(price).unwrap(),
            source,
        })
        .collect();
    app.store.upsert_prices(&points).await.unwrap();
}

/// The fixed WTI dataset: around New Year (ISO 2026-W01 starts Monday 2025-12-29) and the
/// January/February boundary, plus one Brent point that must never show in WTI.
pub(crate) async fn load_fixed(app: &TestApp) {
    use PriceSource::Import;
    load(
        app,
        &[
            (Series::Wti, "2025-12-30", "70", Import),
            (Series::Wti, "2025-12-31", "71", Import),
            (Series::Wti, "2026-01-02", "72.5", Import),
            (Series::Wti, "2026-01-05", "73", Import),
            (Series::Wti, "2026-01-30", "60", Import),
            (Series::Wti, "2026-02-02", "65.125", Import),
            (Series::Brent, "2026-01-02", "999", Import),
        ],
    )
    .await;
}

#[tokio::test]
async fn demo_history_is_seeded_once_and_labelled_synthetic() {
    let (store, _dir) = support::backends::embedded().await;
    let today = parse_date("2026-01-15").unwrap();
    let n = ogf_api::demo::market::seed_market_if_empty(store.as_ref(), 7, today)
        .await
        .unwrap();
    assert!(n > 3 * 1_300, "{n}");
    let again = ogf_api::demo::market::seed_market_if_empty(store.as_ref(), 7, today)
        .await
        .unwrap();
    assert_eq!(again, 0, "only into an empty store");
    let app = TestApp::new(store, |_| {}).await;
    let res = app
        .req(axum::http::Method::GET, "/api/v1/market/summary")
        .send()
        .await;
    let v = res.json();
    for s in v["series"].as_array().unwrap() {
        assert_eq!(s["latest"]["date"], "2026-01-15", "{s}");
        assert_eq!(s["latest"]["synthetic"], true);
        assert_eq!(s["changes"].as_array().unwrap().len(), 3);
        assert!(
            s["changes"]
                .as_array()
                .unwrap()
                .iter()
                .all(|c| c["change"].is_string())
        );
    }
    let res = app
        .req(
            axum::http::Method::GET,
            "/api/v1/market/prices?series=HENRY_HUB&from=2025-01-01&to=2025-12-31&interval=month",
        )
        .send()
        .await;
    let v = res.json();
    assert_eq!(v["synthetic"], true);
    assert_eq!(v["buckets"].as_array().unwrap().len(), 12);
}
