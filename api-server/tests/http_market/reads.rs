//! Price buckets and the summary.

use axum::http::{Method, StatusCode};
use ogf_api::domain::market::{PriceSource, Series};
use serde_json::Value;

use crate::support::app::TestApp;
use crate::{load, load_fixed};

async fn get(app: &TestApp, uri: &str) -> Value {
    let res = app.req(Method::GET, uri).send().await;
    assert_eq!(res.status, StatusCode::OK, "{uri}: {}", res.body);
    assert_eq!(res.content_type(), "application/json");
    res.json()
}

/// `(period, start, end, count, average, min, max, last, last_date)` of every bucket.
fn rows(v: &Value) -> Vec<String> {
    v["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            [
                "period",
                "start",
                "end",
                "count",
                "average",
                "min",
                "max",
                "last",
                "last_date",
            ]
            .iter()
            .map(|k| match &b[*k] {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect::<Vec<_>>()
            .join(" ")
        })
        .collect()
}

pub async fn buckets_by_day_week_and_month_on_a_fixed_dataset(app: TestApp) {
    load_fixed(&app).await;
    let week = get(
        &app,
        "/api/v1/market/prices?series=wti&from=2025-12-01&to=2026-02-28&interval=week",
    )
    .await;
    assert_eq!(week["series"], "WTI");
    assert_eq!(week["unit"], "USD/bbl");
    assert_eq!(week["interval"], "week");
    assert_eq!(week["from"], "2025-12-01");
    assert_eq!(week["synthetic"], false);
    assert_eq!(
        rows(&week),
        [
            "2026-W01 2025-12-29 2026-01-04 3 71.166667 70.00 72.50 72.50 2026-01-02",
            "2026-W02 2026-01-05 2026-01-11 1 73.00 73.00 73.00 73.00 2026-01-05",
            "2026-W05 2026-01-26 2026-02-01 1 60.00 60.00 60.00 60.00 2026-01-30",
            "2026-W06 2026-02-02 2026-02-08 1 65.125 65.125 65.125 65.125 2026-02-02",
        ]
    );
    let month = get(
        &app,
        "/api/v1/market/prices?series=WTI&from=2025-12-01&to=2026-02-28&interval=month",
    )
    .await;
    assert_eq!(
        rows(&month),
        [
            "2025-12 2025-12-01 2025-12-31 2 70.50 70.00 71.00 71.00 2025-12-31",
            "2026-01 2026-01-01 2026-01-31 3 68.50 60.00 73.00 60.00 2026-01-30",
            "2026-02 2026-02-01 2026-02-28 1 65.125 65.125 65.125 65.125 2026-02-02",
        ]
    );
    // Day buckets, bounds inclusive; a week bucket keeps its full span even when the range
    // cuts it (only points inside the range count).
    let day = get(
        &app,
        "/api/v1/market/prices?series=WTI&from=2026-01-02&to=2026-01-30&interval=day",
    )
    .await;
    assert_eq!(
        rows(&day)
            .iter()
            .map(|r| r.split(' ').next().unwrap().to_owned())
            .collect::<Vec<_>>(),
        ["2026-01-02", "2026-01-05", "2026-01-30"]
    );
    let cut = get(
        &app,
        "/api/v1/market/prices?series=WTI&from=2025-12-31&to=2026-01-04&interval=week",
    )
    .await;
    assert_eq!(
        rows(&cut),
        ["2026-W01 2025-12-29 2026-01-04 2 71.75 71.00 72.50 72.50 2026-01-02"]
    );
    // Defaults: interval=day, to=today (the app's clock), from=a year before.
    let defaults = get(&app, "/api/v1/market/prices?series=BRENT").await;
    assert_eq!(defaults["interval"], "day");
    let today = ogf_api::clock::Clock::now(app.clock.as_ref()).date_naive();
    let year_ago = today.checked_sub_months(chrono::Months::new(12)).unwrap();
    assert_eq!(defaults["to"], today.to_string());
    assert_eq!(defaults["from"], year_ago.to_string());
    let empty = get(
        &app,
        "/api/v1/market/prices?series=HENRY_HUB&from=2026-01-01&to=2026-01-31",
    )
    .await;
    assert_eq!(empty["unit"], "USD/MMBtu");
    assert_eq!(empty["buckets"].as_array().unwrap().len(), 0);
}

pub async fn summary_uses_the_latest_point_on_or_before_each_horizon(app: TestApp) {
    use PriceSource::{Demo, Import};
    load(
        &app,
        &[
            (Series::Wti, "2025-01-03", "80", Import),
            (Series::Wti, "2025-12-05", "68", Import),
            (Series::Wti, "2026-01-02", "72.5", Import),
            (Series::Wti, "2026-01-05", "73", Import),
            (Series::HenryHub, "2026-01-05", "3.215", Demo),
        ],
    )
    .await;
    let s = get(&app, "/api/v1/market/summary").await;
    let series = s["series"].as_array().unwrap();
    assert_eq!(
        series
            .iter()
            .map(|e| e["series"].clone())
            .collect::<Vec<_>>(),
        ["WTI", "BRENT", "HENRY_HUB"]
    );
    let wti = &series[0];
    assert_eq!(wti["latest"]["date"], "2026-01-05");
    assert_eq!(wti["latest"]["price"], "73.00");
    assert_eq!(wti["latest"]["synthetic"], false);
    let changes: Vec<String> = wti["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            format!(
                "{} {} {} {} {} {}",
                c["horizon"].as_str().unwrap(),
                c["target_date"].as_str().unwrap(),
                c["reference_date"].as_str().unwrap(),
                c["reference_price"].as_str().unwrap(),
                c["change"].as_str().unwrap(),
                c["change_pct"]
            )
        })
        .collect();
    assert_eq!(
        changes,
        [
            // Monday's 1-day change compares with Friday (Sunday has no point).
            "1d 2026-01-04 2026-01-02 72.50 0.50 0.69",
            "30d 2025-12-06 2025-12-05 68.00 5.00 7.35",
            "1y 2025-01-05 2025-01-03 80.00 -7.00 -8.75",
        ]
    );
    assert_eq!(series[1]["latest"], Value::Null, "no Brent data");
    assert_eq!(series[1]["changes"], Value::Array(vec![]));
    let hh = &series[2];
    assert_eq!(hh["unit"], "USD/MMBtu");
    assert_eq!(hh["latest"]["synthetic"], true);
    assert_eq!(hh["latest"]["source"], "demo");
    for c in hh["changes"].as_array().unwrap() {
        assert_eq!(c["reference_date"], Value::Null, "{c}");
        assert_eq!(c["change_pct"], Value::Null, "{c}");
    }
}

pub async fn invalid_queries_are_400_problems(app: TestApp) {
    let cases = [
        ("", "series: required"),
        ("series=GOLD", "series:"),
        ("series=WTI&from=2026-13-01", "from:"),
        ("series=WTI&to=01/02/2026", "to:"),
        ("series=WTI&from=1899-12-31&to=1900-01-02", "from:"),
        ("series=WTI&from=2026-02-01&to=2026-01-01", "is after to"),
        ("series=WTI&interval=year", "interval:"),
        (
            "series=WTI&from=2000-01-01&to=2026-01-01&interval=day",
            "allows at most 3660",
        ),
        (
            "series=WTI&from=1950-01-01&to=2026-01-01&interval=month",
            "allows at most 18300",
        ),
        ("series=WTI&foo=1", "foo"),
        ("series=WTI&series=BRENT", ""),
    ];
    for (query, want) in cases {
        let res = app
            .req(Method::GET, &format!("/api/v1/market/prices?{query}"))
            .send()
            .await;
        let detail = res.assert_problem(400, "invalid-parameter");
        assert!(detail.contains(want), "{query}: {detail}");
    }
    // The largest allowed ranges are fine.
    for ok in [
        "series=WTI&from=2016-01-01&to=2026-01-07&interval=day",
        "series=WTI&from=1976-01-01&to=2026-01-01&interval=month",
    ] {
        let res = app
            .req(Method::GET, &format!("/api/v1/market/prices?{ok}"))
            .send()
            .await;
        assert_eq!(res.status, StatusCode::OK, "{ok}: {}", res.body);
    }
}
