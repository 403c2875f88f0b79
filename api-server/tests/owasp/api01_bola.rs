//! API1 Broken Object Level Authorization: a signed-in attacker uses other users' object ids.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::app::TestApp;
use crate::{assert_refused, call, listing};

/// Seller B walks every route of seller A's active listing with A's id: every write is
/// refused, no private list (offers, NDA requests, documents) shows A's data, and afterwards
/// A reads back exactly what was there before.
pub async fn a_rival_seller_sweeping_a_listings_routes_changes_and_learns_nothing(app: TestApp) {
    let (_, seller, _) = app.user("a@example.com", "seller").await;
    let (_, rival, _) = app.user("b@example.com", "seller").await;
    let (_, buyer, _) = app.user("buyer@example.com", "buyer").await;
    let lot = listing(&app, &seller, "best_offer", "active", json!({})).await;
    let id = lot["id"].as_str().unwrap();
    let uri = format!("/api/v1/listings/{id}");
    let offer = call(
        &app,
        Method::POST,
        &format!("{uri}/offers"),
        &buyer,
        json!({ "amount_cents": 900_000, "message": "cash, close in 30 days" }),
    )
    .await;
    assert_eq!(offer.status, StatusCode::CREATED, "{}", offer.body);
    let nda = call(
        &app,
        Method::POST,
        &format!("{uri}/nda"),
        &buyer,
        json!({ "accept": true }),
    )
    .await;
    assert_eq!(nda.status, StatusCode::CREATED, "{}", nda.body);
    let auction = listing(&app, &seller, "auction", "active", json!({})).await;
    let auction_id = auction["id"].as_str().unwrap();
    let before = app.get(&uri, &seller).await.json();

    for (method, path, body) in [
        (
            Method::PATCH,
            uri.clone(),
            json!({ "title": "Hijacked", "asking_price_cents": 1 }),
        ),
        (
            Method::POST,
            format!("{uri}/status"),
            json!({ "status": "withdrawn" }),
        ),
        (Method::DELETE, uri.clone(), Value::Null),
        (
            Method::POST,
            format!("/api/v1/listings/{auction_id}/settle"),
            json!({}),
        ),
        (Method::GET, format!("{uri}/nda-requests"), Value::Null),
    ] {
        let res = call(&app, method.clone(), &path, &rival, body).await;
        assert_refused(&res, &format!("{method} {path}"));
    }
    // Lists the rival may call show none of A's buyers' data.
    let offers = app.get(&format!("{uri}/offers"), &rival).await;
    assert_eq!(offers.status, StatusCode::OK, "{}", offers.body);
    assert_eq!(offers.json()["items"], json!([]), "{}", offers.body);
    assert!(!offers.body.contains("900000") && !offers.body.contains("cash, close"));
    let docs = app.get(&format!("{uri}/documents"), &rival).await;
    assert!(
        !docs.status.is_success() || docs.json()["items"] == json!([]),
        "{}",
        docs.body
    );

    let after = app.get(&uri, &seller).await.json();
    assert_eq!(after, before, "A's listing changed");
    let mine = app.get(&format!("{uri}/offers"), &seller).await.json();
    assert_eq!(mine["items"].as_array().unwrap().len(), 1, "{mine}");
    assert_eq!(mine["items"][0]["status"], "pending");
    let requests = app
        .get(&format!("{uri}/nda-requests"), &seller)
        .await
        .json();
    assert_eq!(requests["items"][0]["status"], "pending", "{requests}");
}

/// Refused and missing objects answer alike: an attacker probing ids cannot tell another
/// user's draft, offer, conversation, NDA request or saved search from an id that does not
/// exist (same status, same problem type, same detail once the id is masked). The attacker
/// is a seller, the role that may write listings and also buy.
pub async fn foreign_objects_look_exactly_like_missing_ones(app: TestApp) {
    let (_, seller, _) = app.user("a@example.com", "seller").await;
    let (_, owner, _) = app.user("owner@example.com", "buyer").await;
    let (_, attacker, _) = app.user("attacker@example.com", "seller").await;
    let draft = listing(&app, &seller, "fixed", "draft", json!({})).await;
    let lot = listing(&app, &seller, "best_offer", "active", json!({})).await;
    let lot_id = lot["id"].as_str().unwrap();
    let offer = call(
        &app,
        Method::POST,
        &format!("/api/v1/listings/{lot_id}/offers"),
        &owner,
        json!({ "amount_cents": 900_000 }),
    )
    .await
    .json();
    let conversation = call(
        &app,
        Method::POST,
        &format!("/api/v1/listings/{lot_id}/conversations"),
        &owner,
        json!({ "body": "Private question" }),
    )
    .await
    .json();
    let nda = call(
        &app,
        Method::POST,
        &format!("/api/v1/listings/{lot_id}/nda"),
        &owner,
        json!({ "accept": true }),
    )
    .await
    .json();
    let saved = call(
        &app,
        Method::POST,
        "/api/v1/me/saved-searches",
        &owner,
        json!({ "name": "mine", "query": { "state": "tx" } }),
    )
    .await;
    assert_eq!(saved.status, StatusCode::CREATED, "{}", saved.body);
    let saved = saved.json();

    let missing = "0f0e0d0c0b0a09080706050403020100";
    let objects = [
        ("/api/v1/listings/{}", Method::GET, draft["id"].clone()),
        ("/api/v1/listings/{}", Method::PATCH, draft["id"].clone()),
        (
            "/api/v1/offers/{}/withdraw",
            Method::POST,
            offer["id"].clone(),
        ),
        (
            "/api/v1/offers/{}/accept",
            Method::POST,
            offer["id"].clone(),
        ),
        (
            "/api/v1/conversations/{}/messages",
            Method::GET,
            conversation["conversation"]["id"].clone(),
        ),
        (
            "/api/v1/nda-requests/{}/approve",
            Method::POST,
            nda["id"].clone(),
        ),
        (
            "/api/v1/me/saved-searches/{}",
            Method::GET,
            saved["id"].clone(),
        ),
        (
            "/api/v1/me/saved-searches/{}",
            Method::DELETE,
            saved["id"].clone(),
        ),
    ];
    for (template, method, id) in objects {
        let id = id.as_str().unwrap_or_else(|| panic!("{template}: no id"));
        let body = match method {
            Method::GET | Method::DELETE => Value::Null,
            Method::PATCH => json!({ "title": "x" }),
            _ => json!({}),
        };
        let foreign = call(
            &app,
            method.clone(),
            &template.replace("{}", id),
            &attacker,
            body.clone(),
        )
        .await;
        let absent = call(
            &app,
            method.clone(),
            &template.replace("{}", missing),
            &attacker,
            body,
        )
        .await;
        let what = format!("{method} {template}");
        assert_refused(&foreign, &what);
        assert_eq!(
            foreign.status, absent.status,
            "{what}: {} vs {}",
            foreign.body, absent.body
        );
        let (f, a) = (foreign.json(), absent.json());
        assert_eq!(f["type"], a["type"], "{what}");
        assert_eq!(
            f["detail"].as_str().unwrap().replace(id, "ID"),
            a["detail"].as_str().unwrap().replace(missing, "ID"),
            "{what}"
        );
    }
    // The owner still has everything the attacker tried to delete or decide.
    let res = app
        .get(
            &format!(
                "/api/v1/me/saved-searches/{}",
                saved["id"].as_str().unwrap()
            ),
            &owner,
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let mine = app.get("/api/v1/me/offers", &owner).await.json();
    assert_eq!(mine["items"][0]["status"], "pending", "{mine}");
}

/// One buyer cannot read or steer another buyer's bids, offers or messages: the shared
/// listing shows each buyer only their own, and the victim's objects are unchanged.
pub async fn a_buyer_cannot_reach_another_buyers_offer_or_nda_request(app: TestApp) {
    let (_, seller, _) = app.user("a@example.com", "seller").await;
    let (victim_id, victim, _) = app.user("victim@example.com", "buyer").await;
    let (_, attacker, _) = app.user("attacker@example.com", "buyer").await;
    let auction = listing(&app, &seller, "auction", "active", json!({})).await;
    let auction_id = auction["id"].as_str().unwrap();
    let bids = format!("/api/v1/listings/{auction_id}/bids");
    let res = call(
        &app,
        Method::POST,
        &bids,
        &victim,
        json!({ "amount_cents": 1_234_000 }),
    )
    .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let lot = listing(&app, &seller, "best_offer", "active", json!({})).await;
    let lot_id = lot["id"].as_str().unwrap();
    let offer = call(
        &app,
        Method::POST,
        &format!("/api/v1/listings/{lot_id}/offers"),
        &victim,
        json!({ "amount_cents": 955_000 }),
    )
    .await
    .json();
    let offer_id = offer["id"].as_str().unwrap();

    // Reads: the attacker's views of the shared listings hold nothing of the victim's (an
    // open auction's high bid is public; who placed it is not).
    for uri in [
        bids.clone(),
        format!("/api/v1/listings/{lot_id}/offers"),
        "/api/v1/me/bids".to_owned(),
        "/api/v1/me/offers".to_owned(),
    ] {
        let res = app.get(&uri, &attacker).await;
        assert_eq!(res.status, StatusCode::OK, "{uri}: {}", res.body);
        if let Some(items) = res.json()["items"].as_array() {
            assert!(items.is_empty(), "{uri}: {}", res.body);
        }
        for secret in [victim_id.as_str(), "955000", offer_id] {
            assert!(
                !res.body.contains(secret),
                "{uri} leaks {secret}: {}",
                res.body
            );
        }
    }
    // Writes on the victim's offer: the buyer's own action and the seller's ones.
    for action in ["withdraw", "accept", "reject"] {
        let uri = format!("/api/v1/offers/{offer_id}/{action}");
        assert_refused(
            &call(&app, Method::POST, &uri, &attacker, json!({})).await,
            &uri,
        );
    }
    let uri = format!("/api/v1/offers/{offer_id}/counter");
    let res = call(
        &app,
        Method::POST,
        &uri,
        &attacker,
        json!({ "amount_cents": 1 }),
    )
    .await;
    assert_refused(&res, &uri);

    let mine = app.get("/api/v1/me/offers", &victim).await.json();
    assert_eq!(mine["items"][0]["id"], offer_id);
    assert_eq!(mine["items"][0]["status"], "pending");
    assert_eq!(mine["items"][0]["amount_cents"], 955_000);
    let my_bids = app.get("/api/v1/me/bids", &victim).await.json();
    assert_eq!(my_bids["items"][0]["amount_cents"], 1_234_000, "{my_bids}");
}
