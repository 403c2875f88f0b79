//! Listing writes by their seller: the whole life cycle, and invalid bodies.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::app::TestApp;
use crate::support::http::Response;

async fn send(app: &TestApp, method: Method, uri: &str, token: &str, body: Value) -> Response {
    app.req(method, uri).token(token).json(body).send().await
}

pub async fn seller_lifecycle_create_edit_publish_withdraw_delete(app: TestApp) {
    let (seller_id, seller, _) = app.user("seller@example.com", "seller").await;
    let mut body = crate::lease_body(&app, "Midland County lease");
    body.as_object_mut().unwrap().remove("ends_at");
    let res = send(&app, Method::POST, "/api/v1/listings", &seller, body).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let created = res.json();
    let id = created["id"].as_str().unwrap().to_owned();
    let uri = format!("/api/v1/listings/{id}");
    assert_eq!(res.headers["location"], uri.as_str());
    assert_eq!(created["seller_id"], seller_id.as_str());
    assert_eq!(created["status"], "draft", "draft by default");
    assert_eq!(created["state"], "TX");
    assert_eq!(created["boe_d"], 40.0, "30 + 60/6");
    assert_eq!(
        created["api_numbers"],
        json!(["42-329-12345", "42-329-12346"])
    );
    assert_eq!(
        created["reserve_price_cents"], 40_000_000,
        "owner sees the reserve"
    );
    assert_eq!(created["view_count"], 0);
    assert_eq!(created["created_at"], created["updated_at"]);

    // A draft is invisible to others, visible to its seller (without counting a view).
    app.req(Method::GET, &uri)
        .send()
        .await
        .assert_problem(404, "not-found");
    let mine = app.get(&uri, &seller).await;
    assert_eq!(mine.status, StatusCode::OK);
    assert_eq!(mine.json()["view_count"], 0);

    // Publishing an auction needs an end time.
    let active = json!({ "status": "active" });
    let status_uri = format!("{uri}/status");
    let res = send(&app, Method::POST, &status_uri, &seller, active.clone()).await;
    assert!(res.assert_problem(422, "invalid-body").contains("ends_at"));
    app.clock.advance(chrono::TimeDelta::seconds(1));
    let ends = ogf_api::clock::Clock::now(app.clock.as_ref()) + chrono::Duration::days(3);
    let patch =
        json!({ "ends_at": ends.to_rfc3339(), "operator": null, "title": "Midland lease, HBP" });
    let res = send(&app, Method::PATCH, &uri, &seller, patch).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let patched = res.json();
    assert_eq!(patched["operator"], Value::Null);
    assert_eq!(patched["title"], "Midland lease, HBP");
    assert_ne!(patched["updated_at"], created["updated_at"]);
    let res = send(&app, Method::POST, &status_uri, &seller, active).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.json()["status"], "active");

    // Public now, and searchable by word prefix of the new title.
    let found = app.req(Method::GET, "/api/v1/listings?q=hbp").send().await;
    assert_eq!(found.ids(), std::slice::from_ref(&id));

    // Active listings cannot be deleted; withdrawn ones can.
    let res = app.req(Method::DELETE, &uri).token(&seller).send().await;
    assert!(res.assert_problem(409, "conflict").contains("active"));
    let withdraw = json!({ "status": "withdrawn" });
    let res = send(&app, Method::POST, &status_uri, &seller, withdraw).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let res = app.req(Method::DELETE, &uri).token(&seller).send().await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.body);
    app.get(&uri, &seller)
        .await
        .assert_problem(404, "not-found");

    // Every write is in the audit log, about the seller.
    let admin = app.admin_token().await;
    let audit = app
        .get(
            &format!("/api/v1/admin/audit?user_id={seller_id}&limit=100"),
            &admin,
        )
        .await
        .json();
    let kinds: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .filter(|k| k.starts_with("listing_"))
        .collect();
    assert_eq!(
        kinds,
        [
            "listing_deleted",
            "listing_status_changed",
            "listing_status_changed",
            "listing_updated",
            "listing_created"
        ]
    );
    assert!(audit["items"][0]["detail"].as_str().unwrap().contains(&id));
}

pub async fn validation_errors_are_422_problems(app: TestApp) {
    let (_, seller, _) = app.user("seller@example.com", "seller").await;
    let create = |patch: Value| {
        let mut body = crate::lease_body(&app, "Validated lease");
        for (k, v) in patch.as_object().unwrap() {
            if v.is_null() {
                body.as_object_mut().unwrap().remove(k);
            } else {
                body[k] = v.clone();
            }
        }
        body
    };
    let cases = [
        (json!({ "seller_id": "someone-else" }), "seller_id"),
        (json!({ "view_count": 1_000 }), "view_count"),
        (json!({ "id": "chosen-id" }), "id"),
        (json!({ "status": "sold" }), "status"),
        (json!({ "status": "done" }), "status"),
        (json!({ "type": "equipment" }), "equipment"),
        (
            json!({ "equipment": { "make": "Ariel", "model": "JGK/4", "condition": "good" } }),
            "equipment",
        ),
        (json!({ "nri_pct": 101 }), "nri_pct"),
        (json!({ "api_numbers": ["12-34"] }), "api_numbers"),
        (json!({ "sale_type": "fixed" }), "reserve_price_cents"),
        (json!({ "state": "Texas" }), "state"),
        (
            json!({ "location": { "lon": -200, "lat": 0 } }),
            "location.lon",
        ),
        (json!({ "title": null }), "title"),
        (json!({ "asking_price_cents": "lots" }), "lots"),
        (json!({ "operator": { "$ne": null } }), "$ne"),
    ];
    for (patch, needle) in cases {
        let res = send(
            &app,
            Method::POST,
            "/api/v1/listings",
            &seller,
            create(patch.clone()),
        )
        .await;
        let detail = res.assert_problem(422, "invalid-body");
        assert!(detail.contains(needle), "{patch}: {detail}");
    }
    let res = app
        .req(Method::POST, "/api/v1/listings")
        .token(&seller)
        .raw("application/json", b"{\"title\":")
        .send()
        .await;
    res.assert_problem(400, "malformed-body");

    let res = send(
        &app,
        Method::POST,
        "/api/v1/listings",
        &seller,
        create(json!({})),
    )
    .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let uri = format!("/api/v1/listings/{}", res.json()["id"].as_str().unwrap());
    for (patch, needle) in [
        (json!({ "status": "sold" }), "draft to sold"),
        (json!({ "seller_id": "x" }), "seller_id"),
        (json!({ "view_count": 5 }), "view_count"),
        (
            json!({ "updated_at": "2020-01-01T00:00:00Z" }),
            "updated_at",
        ),
        (json!({}), "Nothing to change"),
        (json!({ "gross_acres": 10 }), "net_acres"),
        (json!({ "production_as_of": "2025-13-01" }), ""),
    ] {
        let res = send(&app, Method::PATCH, &uri, &seller, patch.clone()).await;
        let detail = res.assert_problem(422, "invalid-body");
        assert!(detail.contains(needle), "{patch}: {detail}");
    }
    let res = send(
        &app,
        Method::POST,
        &format!("{uri}/status"),
        &seller,
        json!({ "status": "sold" }),
    )
    .await;
    let detail = res.assert_problem(409, "invalid-transition");
    assert_eq!(detail, "a listing cannot go from draft to sold");
    let res = send(
        &app,
        Method::POST,
        &format!("{uri}/status"),
        &seller,
        json!({ "status": "gone" }),
    )
    .await;
    res.assert_problem(422, "invalid-body");
    let res = send(
        &app,
        Method::PATCH,
        "/api/v1/listings/bad.id",
        &seller,
        json!({ "title": "x y z" }),
    )
    .await;
    res.assert_problem(404, "not-found");
}
