//! Admin posts: who may post, idempotent upserts, auditing, validation.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::app::TestApp;

fn body(points: Value) -> Value {
    json!({ "series": "WTI", "points": points })
}

pub async fn only_admins_post_and_posts_are_idempotent_and_audited(app: TestApp) {
    let payload = body(json!([
        { "date": "2026-01-02", "price": "71.23" },
        { "date": "2026-01-05", "price": 72.5 },
        { "date": "2020-04-20", "price": "-37.63" },
    ]));
    let anon = app
        .req(Method::POST, "/api/v1/admin/market/prices")
        .json(payload.clone())
        .send()
        .await;
    anon.assert_problem(401, "unauthorized");
    for role in ["buyer", "seller"] {
        let (_, token, _) = app.user(&format!("{role}@example.com"), role).await;
        let res = app
            .req(Method::POST, "/api/v1/admin/market/prices")
            .token(&token)
            .json(payload.clone())
            .send()
            .await;
        res.assert_problem(403, "forbidden");
    }
    let admin = app.admin_token().await;
    let post = |payload: Value| {
        let admin = admin.clone();
        let app = &app;
        async move {
            let res = app
                .req(Method::POST, "/api/v1/admin/market/prices")
                .token(&admin)
                .json(payload)
                .send()
                .await;
            assert_eq!(res.status, StatusCode::OK, "{}", res.body);
            let v = res.json();
            (
                v["inserted"].clone(),
                v["updated"].clone(),
                v["unchanged"].clone(),
            )
        }
    };
    assert_eq!(post(payload.clone()).await, (json!(3), json!(0), json!(0)));
    assert_eq!(
        post(payload.clone()).await,
        (json!(0), json!(0), json!(3)),
        "idempotent"
    );
    let changed = body(json!([
        { "date": "2026-01-02", "price": "71.24" },
        { "date": "2026-01-06", "price": "70" },
    ]));
    assert_eq!(post(changed).await, (json!(1), json!(1), json!(0)));

    let day = app
        .req(
            Method::GET,
            "/api/v1/market/prices?series=WTI&from=2026-01-01&to=2026-01-31",
        )
        .send()
        .await
        .json();
    let lasts: Vec<&str> = day["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["last"].as_str().unwrap())
        .collect();
    assert_eq!(lasts, ["71.24", "72.50", "70.00"]);
    let summary = app
        .req(Method::GET, "/api/v1/market/summary")
        .send()
        .await
        .json();
    assert_eq!(summary["series"][0]["latest"]["source"], "admin");
    assert_eq!(summary["series"][0]["latest"]["synthetic"], false);

    let audit = app
        .get("/api/v1/admin/audit?type=market_prices_posted", &admin)
        .await
        .json();
    let details: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["detail"].as_str().unwrap())
        .collect();
    assert_eq!(details.len(), 3, "{audit}");
    assert_eq!(
        details[0],
        "series=WTI points=2 inserted=1 updated=1 unchanged=0 from=2026-01-02 to=2026-01-06"
    );
    assert!(audit["items"][0]["user_id"].is_string());
}

pub async fn invalid_posts_are_422_problems(app: TestApp) {
    let admin = app.admin_token().await;
    let tomorrow_plus =
        (ogf_api::clock::Clock::now(app.clock.as_ref()) + chrono::Duration::days(2)).date_naive();
    let cases = [
        (
            json!({ "series": "GOLD", "points": [{ "date": "2026-01-02", "price": "1" }] }),
            "series:",
        ),
        (body(json!([])), "between 1 and 5000"),
        (
            body(json!([{ "date": "2026-01-02", "price": "abc" }])),
            "points[0].price:",
        ),
        (
            body(json!([{ "date": "2026-01-02", "price": "1.0000001" }])),
            "more than 6 decimals",
        ),
        (
            body(json!([{ "date": "2026-01-02", "price": 1e300 }])),
            "points[0].price:",
        ),
        (
            body(json!([{ "date": "2026-02-30", "price": "1" }])),
            "points[0].date:",
        ),
        (
            body(
                json!([{ "date": "2026-01-02", "price": "1" }, { "date": "2026-01-03", "price": "1" }, { "date": "2026-01-02", "price": "2" }]),
            ),
            "date 2026-01-02 appears twice",
        ),
        (
            body(json!([{ "date": tomorrow_plus.to_string(), "price": "1" }])),
            "in the future",
        ),
        (
            body(json!([{ "date": "2026-01-02", "price": "1", "source": "demo" }])),
            "source",
        ),
        (
            json!({ "series": "WTI", "points": [], "synthetic": true }),
            "synthetic",
        ),
        (
            body(json!([{ "date": "2026-01-02", "price": { "$gt": 0 } }])),
            "$gt",
        ),
    ];
    for (payload, want) in cases {
        let res = app
            .req(Method::POST, "/api/v1/admin/market/prices")
            .token(&admin)
            .json(payload.clone())
            .send()
            .await;
        let detail = res.assert_problem(422, "invalid-body");
        assert!(detail.contains(want), "{payload}: {detail}");
    }
    let too_many: Vec<Value> = (0..5_001)
        .map(|i| json!({ "date": format!("19{:02}-01-01", i % 100), "price": "1" }))
        .collect();
    let res = app
        .req(Method::POST, "/api/v1/admin/market/prices")
        .token(&admin)
        .json(body(Value::Array(too_many)))
        .send()
        .await;
    res.assert_problem(422, "invalid-body");
    assert_eq!(
        app.store.count_prices().await.unwrap(),
        0,
        "nothing written"
    );
}
