//! Auctions and sealed bids over HTTP, timed by the app's hand-moved clock (no sleeping).

use axum::http::{Method, StatusCode};
use futures::future::join_all;
use serde_json::json;

use crate::support::app::TestApp;
use crate::{advance, audit_types, bid, in_minutes, listing, post};

pub async fn auction_rules_soft_close_reserve_and_settlement(app: TestApp) {
    let (seller_id, seller, _) = app.user("seller@example.com", "seller").await;
    let (b1_id, b1, _) = app.user("b1@example.com", "buyer").await;
    let (_, b2, _) = app.user("b2@example.com", "buyer").await;
    let (_, b3, _) = app.user("b3@example.com", "buyer").await;
    let admin = app.admin_token().await;
    let terms = json!({
        "ends_at": in_minutes(&app, 60),
        "bid_increment_cents": 100_000,
        "reserve_price_cents": 2_000_000,
    });
    let id = listing(&app, &seller, "auction", terms).await;
    let bids_uri = format!("/api/v1/listings/{id}/bids");

    // The first bid must reach the asking price (the opening bid), later ones the increment.
    let detail = bid(&app, &id, &b1, 999_999)
        .await
        .assert_problem(422, "bid-too-low");
    assert!(detail.contains("1000000"), "{detail}");
    let res = bid(&app, &id, &b1, 1_000_000).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let first = res.json();
    assert_eq!(first["status"], "leading");
    assert_eq!(first["bidder_id"], b1_id.as_str());
    assert!(
        bid(&app, &id, &b2, 1_050_000)
            .await
            .assert_problem(422, "bid-too-low")
            .contains("1100000")
    );
    assert_eq!(
        bid(&app, &id, &b2, 1_100_000).await.status,
        StatusCode::CREATED
    );

    // Sellers do not bid on their own listings, admins not at all; bodies are strict.
    bid(&app, &id, &seller, 5_000_000)
        .await
        .assert_problem(403, "forbidden");
    bid(&app, &id, &admin, 5_000_000)
        .await
        .assert_problem(403, "forbidden");
    post(&app, &bids_uri, &b3, json!({ "amount_cents": 0 }))
        .await
        .assert_problem(422, "invalid-body");
    post(&app, &bids_uri, &b3, json!({ "amount_cents": "lots" }))
        .await
        .assert_problem(422, "invalid-body");
    app.req(Method::POST, &bids_uri)
        .json(json!({ "amount_cents": 5_000_000 }))
        .send()
        .await
        .assert_problem(401, "unauthorized");
    bid(&app, "no-such-listing", &b3, 5_000_000)
        .await
        .assert_problem(404, "not-found");
    let fixed = listing(&app, &seller, "fixed", json!({})).await;
    bid(&app, &fixed, &b1, 5_000_000)
        .await
        .assert_problem(409, "not-biddable");

    // A bidder sees the public state and only their own bids; never the reserve.
    let res = app.get(&bids_uri, &b1).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let view = res.json();
    assert_eq!(view["auction"]["high_bid_cents"], 1_100_000);
    assert_eq!(view["auction"]["minimum_bid_cents"], 1_200_000);
    assert_eq!(view["auction"]["bid_count"], 2);
    assert_eq!(view["auction"]["outcome"], "open");
    assert_eq!(view["items"].as_array().unwrap().len(), 1);
    assert_eq!(view["items"][0]["status"], "outbid");
    assert!(!res.body.contains("reserve") && !res.body.contains("2000000"));
    let res = app.get(&bids_uri, &b3).await;
    assert_eq!(res.json()["items"], json!([]), "no bids of others");
    let res = app.get(&format!("{bids_uri}?limit=1"), &seller).await;
    let page = res.json();
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert_eq!(page["items"][0]["status"], "leading");
    let cursor = page["next_cursor"].as_str().unwrap().to_owned();
    let res = app
        .get(&format!("{bids_uri}?limit=1&cursor={cursor}"), &seller)
        .await;
    assert_eq!(res.json()["items"][0]["bidder_id"], b1_id.as_str());
    app.get(&format!("{bids_uri}?limit=0"), &seller)
        .await
        .assert_problem(400, "invalid-parameter");
    let original_end = view["auction"]["ends_at"].as_str().unwrap().to_owned();

    // Soft close: a bid 3 minutes before the end moves the end 5 minutes; bidding goes on in
    // the extension, and the settle endpoint refuses while it is open.
    advance(&app, 57);
    assert_eq!(
        bid(&app, &id, &b1, 1_200_000).await.status,
        StatusCode::CREATED
    );
    let extended = app.get(&bids_uri, &b1).await.json()["auction"]["ends_at"].clone();
    let delta = chrono::DateTime::parse_from_rfc3339(extended.as_str().unwrap()).unwrap()
        - chrono::DateTime::parse_from_rfc3339(&original_end).unwrap();
    assert_eq!(delta, chrono::Duration::minutes(5));
    advance(&app, 4); // 61: after the original end, inside the extension
    assert_eq!(
        bid(&app, &id, &b2, 1_300_000).await.status,
        StatusCode::CREATED
    );
    let settle_uri = format!("/api/v1/listings/{id}/settle");
    post(&app, &settle_uri, &seller, json!({}))
        .await
        .assert_problem(409, "bidding-open");
    advance(&app, 10);
    bid(&app, &id, &b3, 9_000_000)
        .await
        .assert_problem(409, "bidding-closed");

    // Ended below the reserve: no sale, the listing stays active; the reserve stays secret.
    let res = app.get(&bids_uri, &b2).await;
    assert_eq!(res.json()["auction"]["outcome"], "reserve_not_met");
    assert!(!res.body.contains("2000000"));
    post(&app, &settle_uri, &b1, json!({}))
        .await
        .assert_problem(403, "forbidden");
    let res = post(&app, &settle_uri, &seller, json!({})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.json()["outcome"], "reserve_not_met");
    assert_eq!(res.json()["listing_status"], "active");
    let mine = app.get("/api/v1/me/bids", &b2).await.json();
    assert_eq!(mine["items"][0]["status"], "reserve_not_met");

    // A second auction reaches its reserve: settling puts the listing under contract.
    let terms = json!({ "ends_at": in_minutes(&app, 30), "reserve_price_cents": 1_500_000 });
    let won_id = listing(&app, &seller, "auction", terms).await;
    assert_eq!(
        bid(&app, &won_id, &b2, 1_000_000).await.status,
        StatusCode::CREATED
    );
    assert_eq!(
        bid(&app, &won_id, &b1, 1_500_000).await.status,
        StatusCode::CREATED
    );
    advance(&app, 31);
    let res = post(
        &app,
        &format!("/api/v1/listings/{won_id}/settle"),
        &seller,
        json!({}),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let settled = res.json();
    assert_eq!(settled["outcome"], "won");
    assert_eq!(settled["listing_status"], "under_contract");
    assert_eq!(settled["winning_bid"]["bidder_id"], b1_id.as_str());
    let res = app.get(&format!("/api/v1/listings/{won_id}"), &b1).await;
    assert_eq!(res.json()["status"], "under_contract");
    assert_eq!(res.json()["seller_id"], seller_id.as_str());
    // Settling again is not a valid transition any more.
    post(
        &app,
        &format!("/api/v1/listings/{won_id}/settle"),
        &seller,
        json!({}),
    )
    .await
    .assert_problem(409, "invalid-transition");
    let statuses: Vec<(String, String)> = app.get("/api/v1/me/bids", &b1).await.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["listing_id"].as_str().unwrap().to_owned(),
                b["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(statuses[0], (won_id.clone(), "won".to_owned()));
    let lost = app.get("/api/v1/me/bids", &b2).await.json();
    assert_eq!(lost["items"][0]["status"], "lost");

    let types = audit_types(&app).await;
    for t in ["bid_placed", "auction_settled", "listing_status_changed"] {
        assert!(types.iter().any(|x| x == t), "{t} audited: {types:?}");
    }
    let metrics = app.metrics().await;
    assert!(
        metrics.contains("ogf_http_bids_total{outcome=\"accepted\"} 6"),
        "{metrics}"
    );
    assert!(metrics.contains("ogf_http_bids_total{outcome=\"too_low\"} 2"));
}

pub async fn sealed_bids_hidden_until_the_end(app: TestApp) {
    let (_, seller, _) = app.user("seller@example.com", "seller").await;
    let (b1_id, b1, _) = app.user("b1@example.com", "buyer").await;
    let (b2_id, b2, _) = app.user("b2@example.com", "buyer").await;
    let terms = json!({ "ends_at": in_minutes(&app, 60), "reserve_price_cents": 1_000_000 });
    let id = listing(&app, &seller, "sealed_bid", terms).await;
    let uri = format!("/api/v1/listings/{id}/bids");

    let res = bid(&app, &id, &b1, 3_000_000).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    assert_eq!(res.json()["status"], "sealed");
    // A lower sealed bid is fine (bids are independent); one per bidder.
    assert_eq!(
        bid(&app, &id, &b2, 2_000_000).await.status,
        StatusCode::CREATED
    );
    bid(&app, &id, &b1, 4_000_000)
        .await
        .assert_problem(409, "conflict");
    bid(&app, &id, &b2, 999_999)
        .await
        .assert_problem(422, "bid-too-low");
    // Last-minute sealed bids do not extend the end.
    advance(&app, 58);

    let res = app.get(&uri, &b2).await;
    let view = res.json();
    assert_eq!(view["auction"]["high_bid_cents"], json!(null));
    assert_eq!(view["auction"]["bid_count"], json!(null));
    assert_eq!(view["items"].as_array().unwrap().len(), 1);
    assert_eq!(view["items"][0]["status"], "sealed");
    assert!(
        !res.body.contains("3000000") && !res.body.contains(&b1_id),
        "{}",
        res.body
    );
    let mine = app.get("/api/v1/me/bids", &b2).await;
    assert!(!mine.body.contains("3000000"));
    let res = app.get(&uri, &seller).await.json();
    assert_eq!(
        res["auction"]["high_bid_cents"], 3_000_000,
        "the seller sees them"
    );
    assert_eq!(res["items"].as_array().unwrap().len(), 2);

    // After the end: the result is revealed; each bidder still lists only their own bids.
    advance(&app, 2);
    let view = app.get(&uri, &b2).await.json();
    assert_eq!(view["auction"]["outcome"], "won");
    assert_eq!(view["auction"]["high_bid_cents"], 3_000_000);
    assert_eq!(view["auction"]["bid_count"], 2);
    assert_eq!(view["auction"]["minimum_bid_cents"], json!(null));
    assert_eq!(view["items"].as_array().unwrap().len(), 1);
    assert_eq!(view["items"][0]["bidder_id"], b2_id.as_str());
    assert_eq!(view["items"][0]["status"], "lost");
    let won = app.get("/api/v1/me/bids", &b1).await.json();
    assert_eq!(won["items"][0]["status"], "won");
    bid(&app, &id, &b2, 9_000_000)
        .await
        .assert_problem(409, "bidding-closed");
}

pub async fn concurrent_bids_exactly_one_wins_the_slot(app: TestApp) {
    let (_, seller, _) = app.user("seller@example.com", "seller").await;
    let mut buyers = Vec::new();
    for i in 0..4 {
        buyers.push(app.user(&format!("b{i}@example.com"), "buyer").await.1);
    }
    let terms = json!({ "ends_at": in_minutes(&app, 60), "bid_increment_cents": 100_000 });
    let id = listing(&app, &seller, "auction", terms).await;
    for (round, amount) in [1_000_000_i64, 1_100_000, 1_200_000]
        .into_iter()
        .enumerate()
    {
        // Every buyer sends the current minimum at once: one slot, four contenders.
        let responses = join_all(buyers.iter().map(|t| bid(&app, &id, t, amount))).await;
        let created = responses
            .iter()
            .filter(|r| r.status == StatusCode::CREATED)
            .count();
        assert_eq!(created, 1, "round {round}");
        for r in responses.iter().filter(|r| r.status != StatusCode::CREATED) {
            let detail = r.assert_problem(422, "bid-too-low");
            assert!(detail.contains(&(amount + 100_000).to_string()), "{detail}");
        }
    }
    let seller_view = app
        .get(&format!("/api/v1/listings/{id}/bids"), &seller)
        .await
        .json();
    assert_eq!(seller_view["auction"]["bid_count"], 3);
    assert_eq!(seller_view["auction"]["high_bid_cents"], 1_200_000);
}
