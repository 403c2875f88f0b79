//! The market cache: repeated reads are hits (counted in `ogf_cache_lookups_total`), a post
//! empties it so the next read sees the new price.

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::load_fixed;
use crate::support::app::TestApp;

async fn lookups(app: &TestApp, result: &str) -> u64 {
    let needle = format!("ogf_cache_lookups_total{{cache=\"market\",result=\"{result}\"}} ");
    app.metrics()
        .await
        .lines()
        .find_map(|l| l.strip_prefix(needle.as_str()))
        .map_or(0, |v| v.trim().parse().unwrap())
}

const WEEKS: &str = "/api/v1/market/prices?series=WTI&from=2025-12-01&to=2026-02-28&interval=week";

/// `(x-cache header, first bucket's last price)` of a week query.
async fn weeks(app: &TestApp) -> (String, String) {
    let res = app.req(Method::GET, WEEKS).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let cache = res.headers["x-cache"].to_str().unwrap().to_owned();
    let last = res.json()["buckets"][0]["last"]
        .as_str()
        .unwrap()
        .to_owned();
    (cache, last)
}

async fn summary(app: &TestApp) -> (String, String) {
    let res = app.req(Method::GET, "/api/v1/market/summary").send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let cache = res.headers["x-cache"].to_str().unwrap().to_owned();
    let latest = res.json()["series"][0]["latest"]["price"]
        .as_str()
        .unwrap()
        .to_owned();
    (cache, latest)
}

pub async fn reads_are_cached_and_a_post_invalidates_them(app: TestApp) {
    load_fixed(&app).await;
    assert_eq!(weeks(&app).await, ("miss".into(), "72.50".into()));
    assert_eq!(weeks(&app).await, ("hit".into(), "72.50".into()));
    assert_eq!(summary(&app).await, ("miss".into(), "65.125".into()));
    assert_eq!(summary(&app).await, ("hit".into(), "65.125".into()));
    assert_eq!(
        (lookups(&app, "hit").await, lookups(&app, "miss").await),
        (2, 2)
    );

    // A write behind the app's back is not seen until the entry expires...
    crate::load(
        &app,
        &[(
            ogf_api::domain::market::Series::Wti,
            "2026-01-02",
            "1",
            ogf_api::domain::market::PriceSource::Import,
        )],
    )
    .await;
    assert_eq!(weeks(&app).await, ("hit".into(), "72.50".into()));
    // ...but a post through the API empties the cache at once.
    let admin = app.admin_token().await;
    let res = app
        .req(Method::POST, "/api/v1/admin/market/prices")
        .token(&admin)
        .json(json!({ "series": "WTI", "points": [{ "date": "2026-01-02", "price": "74.10" }] }))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(weeks(&app).await, ("miss".into(), "74.10".into()));
    assert_eq!(summary(&app).await.0, "miss");
    assert_eq!(weeks(&app).await.0, "hit");
}

pub async fn nothing_is_cached(app: TestApp) {
    load_fixed(&app).await;
    for _ in 0..2 {
        assert_eq!(weeks(&app).await.0, "miss");
        assert_eq!(summary(&app).await.0, "miss");
    }
    assert_eq!(lookups(&app, "hit").await + lookups(&app, "miss").await, 0);
}
