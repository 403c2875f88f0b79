//! The seller dashboard and the admin overview: numbers after scripted activity, access
//! rules, range validation.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::app::TestApp;
use crate::{get, in_minutes, listing, post, today};

fn listing_entry<'a>(dashboard: &'a Value, id: &str) -> &'a Value {
    dashboard["listings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["listing_id"] == id)
        .unwrap_or_else(|| panic!("{id} missing from {dashboard}"))
}

pub async fn dashboard_counts_views_unique_viewers_bids_offers_and_sales(app: TestApp) {
    let (_, seller, _) = app.user("seller@example.com", "seller").await;
    let (_, b1, _) = app.user("b1@example.com", "buyer").await;
    let (_, b2, _) = app.user("b2@example.com", "buyer").await;
    let auction = listing(
        &app,
        &seller,
        "auction",
        json!({ "ends_at": in_minutes(&app, 3 * 24 * 60), "bid_increment_cents": 100_000 }),
    )
    .await;
    let best_offer = listing(&app, &seller, "best_offer", json!({})).await;
    let day1 = today(&app);
    let auction_uri = format!("/api/v1/listings/{auction}");
    let offer_uri = format!("/api/v1/listings/{best_offer}");

    // Day 1: two anonymous views, b1 three times, b2 once, the seller's own view not counted.
    for token in [
        None,
        None,
        Some(&b1),
        Some(&b1),
        Some(&b1),
        Some(&b2),
        Some(&seller),
    ] {
        let res = get(&app, &auction_uri, token.map(String::as_str)).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    }
    get(&app, &offer_uri, Some(&b1)).await;
    let bid = post(
        &app,
        &format!("{auction_uri}/bids"),
        &b1,
        json!({ "amount_cents": 1_000_000 }),
    )
    .await;
    assert_eq!(bid.status, StatusCode::CREATED, "{}", bid.body);
    let offer = post(
        &app,
        &format!("{offer_uri}/offers"),
        &b2,
        json!({ "amount_cents": 900_000 }),
    )
    .await;
    assert_eq!(offer.status, StatusCode::CREATED, "{}", offer.body);

    // Day 2: b2 views the auction again; the seller accepts the offer (a sale).
    app.clock.advance(chrono::TimeDelta::days(1));
    let day2 = today(&app);
    get(&app, &auction_uri, Some(&b2)).await;
    let offer_id = offer.json()["id"].as_str().unwrap().to_owned();
    let accepted = post(
        &app,
        &format!("/api/v1/offers/{offer_id}/accept"),
        &seller,
        json!({}),
    )
    .await;
    assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.body);

    let uri = format!("/api/v1/me/analytics?from={day1}&to={day2}");
    let res = get(&app, &uri, Some(&seller)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let d = res.json();
    assert_eq!(d["from"], day1.as_str());
    assert_eq!(d["to"], day2.as_str());
    let a = listing_entry(&d, &auction);
    assert_eq!(a["totals"]["views"], 7, "{a}");
    assert_eq!(a["totals"]["unique_viewers"], 2, "{a}");
    assert_eq!(a["totals"]["bids"], 1);
    assert_eq!(a["totals"]["conversion"], 0.5);
    let days = a["days"].as_array().unwrap();
    assert_eq!(days.len(), 2, "{a}");
    assert_eq!(days[0]["day"], day1.as_str());
    assert_eq!(
        (
            days[0]["views"].as_u64(),
            days[0]["unique_viewers"].as_u64()
        ),
        (Some(6), Some(2))
    );
    assert_eq!(days[0]["bids"], 1);
    assert_eq!(
        (
            days[1]["views"].as_u64(),
            days[1]["unique_viewers"].as_u64()
        ),
        (Some(1), Some(1))
    );
    let o = listing_entry(&d, &best_offer);
    assert_eq!(o["status"], "under_contract");
    assert_eq!(o["totals"]["views"], 1);
    assert_eq!(o["totals"]["offers"], 1);
    assert_eq!(o["totals"]["sales"], 1);
    assert_eq!(o["totals"]["conversion"], 1.0);
    assert_eq!(o["totals"]["watchers"], 0);
    let t = &d["totals"];
    assert_eq!(
        (t["views"].as_u64(), t["unique_viewers"].as_u64()),
        (Some(8), Some(3))
    );
    assert_eq!(
        (t["bids"].as_u64(), t["offers"].as_u64()),
        (Some(1), Some(1))
    );
    assert!((t["conversion"].as_f64().unwrap() - 2.0 / 3.0).abs() < 1e-9);
    assert_eq!(d["truncated"], false);

    // Day 1 alone: the second day's view is outside the range.
    let res = get(
        &app,
        &format!("/api/v1/me/analytics?from={day1}&to={day1}"),
        Some(&seller),
    )
    .await;
    let a = listing_entry(&res.json(), &auction).clone();
    assert_eq!(a["totals"]["views"], 6);
}

pub async fn analytics_authorization_and_validation(app: TestApp) {
    let (_, seller, _) = app.user("seller@example.com", "seller").await;
    let (_, buyer, _) = app.user("buyer@example.com", "buyer").await;
    let admin = app.admin_token().await;
    // API5: buyers have no dashboard, only admins read the overview; no token is 401.
    get(&app, "/api/v1/me/analytics", Some(&buyer))
        .await
        .assert_problem(403, "forbidden");
    get(&app, "/api/v1/me/analytics", None)
        .await
        .assert_problem(401, "unauthorized");
    for token in [&seller, &buyer] {
        get(&app, "/api/v1/admin/analytics", Some(token))
            .await
            .assert_problem(403, "forbidden");
    }
    get(&app, "/api/v1/admin/analytics", None)
        .await
        .assert_problem(401, "unauthorized");
    assert_eq!(
        get(&app, "/api/v1/admin/analytics", Some(&admin))
            .await
            .status,
        StatusCode::OK
    );
    // Defaults: the 30 days up to today.
    let d = get(&app, "/api/v1/me/analytics", Some(&seller))
        .await
        .json();
    assert_eq!(d["to"], today(&app).as_str());
    assert_eq!(d["listings"], json!([]));
    // Bad ranges are 400 problems naming the parameter.
    for (query, needle) in [
        ("from=2026-13-01", "from"),
        ("to=yesterday", "to"),
        ("from=2026-03-02&to=2026-03-01", "from"),
        ("from=2024-01-01&to=2025-01-01", "366"),
        ("seller_id=someone-else", "seller_id"),
    ] {
        for base in ["/api/v1/me/analytics", "/api/v1/admin/analytics"] {
            let token = if base.contains("admin") {
                &admin
            } else {
                &seller
            };
            let detail = get(&app, &format!("{base}?{query}"), Some(token))
                .await
                .assert_problem(400, "invalid-parameter");
            assert!(detail.contains(needle), "{query}: {detail}");
        }
    }
}

pub async fn admin_overview_counts_registrations_and_listings(app: TestApp) {
    let day1 = today(&app);
    let (_, seller, _) = app.user("seller@example.com", "seller").await;
    app.clock.advance(chrono::TimeDelta::days(1));
    let day2 = today(&app);
    app.user("b1@example.com", "buyer").await;
    app.user("b2@example.com", "buyer").await;
    listing(
        &app,
        &seller,
        "auction",
        json!({ "ends_at": in_minutes(&app, 60), "basin": "Bakken", "state": "ND",
                "county": "McKenzie", "location": { "lon": -103.4, "lat": 47.7 } }),
    )
    .await;
    listing(&app, &seller, "fixed", json!({ "status": "draft" })).await;
    listing(&app, &seller, "fixed", json!({ "type": "lease" })).await;
    let admin = app.admin_token().await;
    let res = get(
        &app,
        &format!("/api/v1/admin/analytics?from={day1}&to={day2}"),
        Some(&admin),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let o = res.json();
    // The admin account is created on day 1 too (by the test app).
    let regs: Vec<u64> = o["registrations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["count"].as_u64().unwrap())
        .collect();
    assert_eq!(regs, [2, 2], "{o}");
    assert_eq!(o["registrations_total"], 4);
    assert_eq!(o["listings_total"], 3);
    assert_eq!(
        o["listings_by_type"],
        json!({ "lease": 1, "working_interest": 2 })
    );
    assert_eq!(o["listings_by_basin"], json!({ "Bakken": 1, "Permian": 2 }));
    assert_eq!(o["listings_by_status"], json!({ "active": 2, "draft": 1 }));
    assert_eq!(o["active_auctions"], 1);
}

pub async fn dashboard_counts_watchers_and_nda_requests(app: TestApp) {
    let (_, seller, _) = app.user("seller@example.com", "seller").await;
    let (_, b1, _) = app.user("b1@example.com", "buyer").await;
    let (_, b2, _) = app.user("b2@example.com", "buyer").await;
    let id = listing(&app, &seller, "best_offer", json!({})).await;
    let watch_uri = format!("/api/v1/me/watchlist/{id}");
    for (token, want) in [
        (&b1, StatusCode::CREATED),
        (&b2, StatusCode::CREATED),
        // Already watched: no second watch event.
        (&b2, StatusCode::NO_CONTENT),
    ] {
        let res = app.req(Method::PUT, &watch_uri).token(token).send().await;
        assert_eq!(res.status, want, "{}", res.body);
    }
    let res = app.req(Method::DELETE, &watch_uri).token(&b1).send().await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.body);

    // An NDA request counts once; accepting the NDA again changes nothing.
    for want in [StatusCode::CREATED, StatusCode::OK] {
        let res = post(
            &app,
            &format!("/api/v1/listings/{id}/nda"),
            &b1,
            json!({ "accept": true }),
        )
        .await;
        assert_eq!(res.status, want, "{}", res.body);
    }

    let day = today(&app);
    let res = get(
        &app,
        &format!("/api/v1/me/analytics?from={day}&to={day}"),
        Some(&seller),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let d = res.json();
    let l = listing_entry(&d, &id);
    assert_eq!(l["totals"]["watchers"], 1, "{l}");
    assert_eq!(l["totals"]["new_watches"], 2, "{l}");
    assert_eq!(l["days"][0]["unwatches"], 1, "{l}");
    assert_eq!(l["totals"]["nda_requests"], 1, "{l}");
}
