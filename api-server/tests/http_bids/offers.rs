//! Offers over HTTP: the life cycle, privacy of offers and bids, concurrent acceptance.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::app::TestApp;
use crate::{audit_types, bid, in_minutes, listing, post};

async fn offer(app: &TestApp, listing: &str, token: &str, amount: i64) -> Value {
    let uri = format!("/api/v1/listings/{listing}/offers");
    let res = post(app, &uri, token, json!({ "amount_cents": amount })).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    res.json()
}

fn action_uri(offer: &Value, action: &str) -> String {
    format!("/api/v1/offers/{}/{action}", offer["id"].as_str().unwrap())
}

async fn act(app: &TestApp, offer: &Value, action: &str, token: &str) -> crate::Response {
    post(app, &action_uri(offer, action), token, json!({})).await
}

fn ids(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_owned())
        .collect()
}

pub async fn offer_life_cycle_accept_counter_reject_withdraw(app: TestApp) {
    let (seller_id, seller, _) = app.user("seller@example.com", "seller").await;
    let (b1_id, b1, _) = app.user("b1@example.com", "buyer").await;
    let (_, b2, _) = app.user("b2@example.com", "buyer").await;
    let (_, b3, _) = app.user("b3@example.com", "buyer").await;
    let id = listing(&app, &seller, "best_offer", json!({})).await;
    let uri = format!("/api/v1/listings/{id}/offers");

    let res = post(
        &app,
        &uri,
        &b1,
        json!({ "amount_cents": 800_000, "message": "Cash, close in 30 days." }),
    )
    .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let o1 = res.json();
    assert_eq!(o1["status"], "pending");
    assert_eq!(o1["buyer_id"], b1_id.as_str());
    assert_eq!(o1["seller_id"], seller_id.as_str());
    assert_eq!(o1["version"], 1);
    // One open offer per buyer and listing; invalid input; wrong listings.
    post(&app, &uri, &b1, json!({ "amount_cents": 850_000 }))
        .await
        .assert_problem(409, "conflict");
    post(&app, &uri, &b2, json!({ "amount_cents": 0 }))
        .await
        .assert_problem(422, "invalid-body");
    post(
        &app,
        &uri,
        &b2,
        json!({ "amount_cents": 5, "status": "accepted" }),
    )
    .await
    .assert_problem(422, "invalid-body");
    post(&app, &uri, &seller, json!({ "amount_cents": 5 }))
        .await
        .assert_problem(403, "forbidden");
    let auction = listing(
        &app,
        &seller,
        "auction",
        json!({ "ends_at": in_minutes(&app, 60) }),
    )
    .await;
    let auction_offers = format!("/api/v1/listings/{auction}/offers");
    post(&app, &auction_offers, &b2, json!({ "amount_cents": 5 }))
        .await
        .assert_problem(409, "not-accepting-offers");

    // Seller counters (higher than the offer); cannot counter twice; buyer accepts the counter.
    let counter = action_uri(&o1, "counter");
    post(&app, &counter, &seller, json!({ "amount_cents": 700_000 }))
        .await
        .assert_problem(422, "invalid-body");
    let res = post(&app, &counter, &seller, json!({ "amount_cents": 900_000 })).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.json()["status"], "countered");
    assert_eq!(res.json()["counter_cents"], 900_000);
    post(&app, &counter, &seller, json!({ "amount_cents": 950_000 }))
        .await
        .assert_problem(409, "invalid-transition");
    act(&app, &o1, "accept", &seller)
        .await
        .assert_problem(409, "invalid-transition");
    let o2 = offer(&app, &id, &b2, 750_000).await;
    let o3 = offer(&app, &id, &b3, 700_000).await;
    // Buyers cannot accept their own pending offers.
    act(&app, &o2, "accept", &b2)
        .await
        .assert_problem(409, "invalid-transition");
    let res = act(&app, &o3, "reject", &seller).await;
    assert_eq!(res.json()["status"], "rejected");
    act(&app, &o3, "withdraw", &b3)
        .await
        .assert_problem(409, "invalid-transition");
    let res = act(&app, &o1, "accept", &b1).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let accepted = res.json();
    assert_eq!(accepted["status"], "accepted");
    assert_eq!(accepted["agreed_cents"], 900_000);
    assert_eq!(accepted["version"], 3);
    let l = app
        .get(&format!("/api/v1/listings/{id}"), &seller)
        .await
        .json();
    assert_eq!(l["status"], "under_contract");
    // The listing is under contract: other offers can no longer be accepted, new ones not made.
    act(&app, &o2, "accept", &seller)
        .await
        .assert_problem(409, "invalid-transition");
    post(&app, &uri, &b3, json!({ "amount_cents": 1_000_000 }))
        .await
        .assert_problem(409, "not-accepting-offers");
    let res = act(&app, &o2, "withdraw", &b2).await;
    assert_eq!(res.json()["status"], "withdrawn");
    act(&app, &o2, "withdraw", &b2)
        .await
        .assert_problem(409, "invalid-transition");

    // A seller accepts a pending offer directly on another listing.
    let id2 = listing(&app, &seller, "best_offer", json!({})).await;
    let o4 = offer(&app, &id2, &b2, 990_000).await;
    let res = act(&app, &o4, "accept", &seller).await;
    assert_eq!(res.json()["agreed_cents"], 990_000);
    let l = app
        .get(&format!("/api/v1/listings/{id2}"), &seller)
        .await
        .json();
    assert_eq!(l["status"], "under_contract");

    let types = audit_types(&app).await;
    for t in [
        "offer_made",
        "offer_status_changed",
        "listing_status_changed",
    ] {
        assert!(types.iter().any(|x| x == t), "{t} audited: {types:?}");
    }
    let metrics = app.metrics().await;
    assert!(
        metrics.contains("ogf_http_offer_actions_total{action=\"accept\"} 2"),
        "{metrics}"
    );
}

pub async fn offers_and_bids_are_private(app: TestApp) {
    let (_, seller, _) = app.user("seller1@example.com", "seller").await;
    let (_, other_seller, _) = app.user("seller2@example.com", "seller").await;
    let (_, b1, _) = app.user("b1@example.com", "buyer").await;
    let (b2_id, b2, _) = app.user("b2@example.com", "buyer").await;
    let admin = app.admin_token().await;
    let id = listing(&app, &seller, "best_offer", json!({})).await;
    let o1 = offer(&app, &id, &b1, 800_000).await;
    let o2 = offer(&app, &id, &b2, 810_000).await;
    let o1_id = o1["id"].as_str().unwrap().to_owned();
    let o2_id = o2["id"].as_str().unwrap().to_owned();
    let uri = format!("/api/v1/listings/{id}/offers");

    // Buyers see only their own offers, on the listing and in /me/offers.
    let mine = app.get(&uri, &b2).await;
    assert_eq!(ids(&mine.json()), std::slice::from_ref(&o2_id));
    assert!(!mine.body.contains(&o1_id) && !mine.body.contains("800000"));
    assert_eq!(
        ids(&app.get("/api/v1/me/offers", &b2).await.json()),
        std::slice::from_ref(&o2_id)
    );
    // The seller and admins see all of them.
    assert_eq!(
        ids(&app.get(&uri, &seller).await.json()),
        [o2_id.clone(), o1_id.clone()]
    );
    assert_eq!(
        ids(&app.get("/api/v1/me/offers", &seller).await.json()),
        [o2_id.clone(), o1_id.clone()]
    );
    assert_eq!(
        ids(&app.get(&uri, &admin).await.json()),
        [o2_id.clone(), o1_id.clone()]
    );
    // Another seller sees none and can act on none (they do not exist for them).
    assert!(ids(&app.get(&uri, &other_seller).await.json()).is_empty());
    assert!(ids(&app.get("/api/v1/me/offers", &other_seller).await.json()).is_empty());
    for action in ["accept", "reject", "withdraw"] {
        act(&app, &o1, action, &other_seller)
            .await
            .assert_problem(404, "not-found");
        // Nor can another buyer.
        act(&app, &o1, action, &b2)
            .await
            .assert_problem(404, "not-found");
    }
    post(
        &app,
        &action_uri(&o1, "counter"),
        &other_seller,
        json!({ "amount_cents": 900_000 }),
    )
    .await
    .assert_problem(404, "not-found");
    post(
        &app,
        "/api/v1/offers/no-such-offer/accept",
        &seller,
        json!({}),
    )
    .await
    .assert_problem(404, "not-found");
    post(&app, "/api/v1/offers/bad%20id/accept", &seller, json!({}))
        .await
        .assert_problem(404, "not-found");
    app.req(Method::GET, &uri)
        .send()
        .await
        .assert_problem(401, "unauthorized");
    app.req(Method::GET, "/api/v1/me/offers")
        .send()
        .await
        .assert_problem(401, "unauthorized");
    app.req(Method::POST, &action_uri(&o1, "withdraw"))
        .send()
        .await
        .assert_problem(401, "unauthorized");
    // Nothing changed; an admin may act for the seller.
    let o1_now = app.get(&uri, &b1).await.json();
    assert_eq!(o1_now["items"][0]["status"], "pending");
    let res = act(&app, &o1, "reject", &admin).await;
    assert_eq!(res.json()["status"], "rejected");

    // Bids: another buyer never sees a buyer's bids; /me/bids holds only one's own.
    let auction = listing(
        &app,
        &seller,
        "auction",
        json!({ "ends_at": in_minutes(&app, 60) }),
    )
    .await;
    assert_eq!(
        bid(&app, &auction, &b1, 1_000_000).await.status,
        StatusCode::CREATED
    );
    assert_eq!(
        bid(&app, &auction, &b2, 1_100_000).await.status,
        StatusCode::CREATED
    );
    let theirs = app
        .get(&format!("/api/v1/listings/{auction}/bids"), &b1)
        .await
        .json();
    assert_eq!(theirs["items"].as_array().unwrap().len(), 1);
    assert!(!theirs["items"].to_string().contains(&b2_id));
    let mine = app.get("/api/v1/me/bids", &b1).await.json();
    assert_eq!(mine["items"].as_array().unwrap().len(), 1);
    assert_eq!(mine["items"][0]["amount_cents"], 1_000_000);
    let none = app.get("/api/v1/me/bids", &other_seller).await.json();
    assert_eq!(none["items"], json!([]));
    let draft = listing(&app, &seller, "auction", json!({ "status": "draft" })).await;
    app.get(&format!("/api/v1/listings/{draft}/bids"), &b1)
        .await
        .assert_problem(404, "not-found");
}

pub async fn concurrent_accepts_exactly_one_wins_the_listing(app: TestApp) {
    let (_, seller, _) = app.user("seller@example.com", "seller").await;
    let (_, b1, _) = app.user("b1@example.com", "buyer").await;
    let (_, b2, _) = app.user("b2@example.com", "buyer").await;
    let id = listing(&app, &seller, "best_offer", json!({})).await;
    let o1 = offer(&app, &id, &b1, 800_000).await;
    let o2 = offer(&app, &id, &b2, 810_000).await;
    // The seller accepts both at once; the buyer withdraws o1 at the same time.
    let (r1, r2, r3) = tokio::join!(
        act(&app, &o1, "accept", &seller),
        act(&app, &o2, "accept", &seller),
        act(&app, &o1, "withdraw", &b1),
    );
    let accepted = [&r1, &r2]
        .into_iter()
        .filter(|r| r.status == StatusCode::OK)
        .count();
    assert_eq!(
        accepted, 1,
        "exactly one accept wins: {} / {}",
        r1.body, r2.body
    );
    for r in [&r1, &r2, &r3] {
        assert!(
            r.status == StatusCode::OK || r.status == StatusCode::CONFLICT,
            "{}",
            r.body
        );
    }
    assert!(
        !(r1.status == StatusCode::OK && r3.status == StatusCode::OK),
        "o1 cannot be both accepted and withdrawn"
    );
    let offers = app
        .get(&format!("/api/v1/listings/{id}/offers"), &seller)
        .await
        .json();
    let statuses: Vec<&str> = offers["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == "accepted").count(),
        1,
        "{statuses:?}"
    );
    let l = app
        .get(&format!("/api/v1/listings/{id}"), &seller)
        .await
        .json();
    assert_eq!(l["status"], "under_contract");
}
