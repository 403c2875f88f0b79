//! Saved searches over HTTP: validation and canonical queries, privacy, the cap, and matches
//! new since last seen with listings created between calls.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::app::TestApp;
use crate::{advance, listing, post, send};

const URI: &str = "/api/v1/me/saved-searches";

async fn save(app: &TestApp, token: &str, name: &str, query: Value) -> Value {
    let res = post(app, URI, token, json!({ "name": name, "query": query })).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    res.json()
}

async fn matches(app: &TestApp, token: &str, uri: &str) -> (Vec<String>, Value) {
    let res = app.get(uri, token).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let body = res.json();
    let titles = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["title"].as_str().unwrap().to_owned())
        .collect();
    (titles, body)
}

pub async fn saved_searches_validate_canonicalise_and_stay_private(app: TestApp) {
    let (_, b1, _) = app.user("b1@example.com", "buyer").await;
    let (_, b2, _) = app.user("b2@example.com", "buyer").await;
    let admin = app.admin_token().await;
    let s = save(
        &app,
        &b1,
        "  Permian royalties ",
        json!({ "q": " Permian,  OIL ", "state": "tx", "min_nri": 75, "basin": "", "type": "royalty_interest" }),
    )
    .await;
    assert_eq!(s["name"], "Permian royalties");
    assert_eq!(
        s["query"],
        json!({ "q": "permian oil", "state": "TX", "min_nri": "75", "type": "royalty_interest" })
    );
    assert!(s["last_seen_at"].is_null());
    let id = s["id"].as_str().unwrap().to_owned();
    let one = format!("{URI}/{id}");
    let res = app.get(&one, &b1).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.json(), s);
    let res = app.get(URI, &b1).await;
    assert_eq!(res.json()["items"], json!([s]));

    for (body, field) in [
        (json!({ "name": "", "query": {} }), "name"),
        (json!({ "name": "x".repeat(101), "query": {} }), "name"),
        (
            json!({ "name": "x", "query": { "colour": "red" } }),
            "colour",
        ),
        (
            json!({ "name": "x", "query": { "state": "Texas" } }),
            "state",
        ),
        (json!({ "name": "x", "query": { "limit": 5 } }), "limit"),
        (
            json!({ "name": "x", "query": { "cursor": "abc" } }),
            "cursor",
        ),
        (
            json!({ "name": "x", "query": { "min_price": "-1" } }),
            "min_price",
        ),
        (
            json!({ "name": "x", "query": { "near": "1,2" } }),
            "radius_km",
        ),
        (
            json!({ "name": "x", "query": { "basin": { "$ne": 1 } } }),
            "$ne",
        ),
        (json!({ "name": "x" }), "query"),
        (
            json!({ "name": "x", "query": {}, "user_id": "someone" }),
            "user_id",
        ),
    ] {
        let detail = post(&app, URI, &b1, body.clone())
            .await
            .assert_problem(422, "invalid-body");
        assert!(detail.contains(field), "{body}: {detail}");
    }

    // API1: only the owner reads, deletes or fetches matches; admins included.
    for token in [&b2, &admin] {
        app.get(&one, token).await.assert_problem(404, "not-found");
        app.get(&format!("{one}/matches"), token)
            .await
            .assert_problem(404, "not-found");
        send(&app, Method::DELETE, &one, token)
            .await
            .assert_problem(404, "not-found");
        assert_eq!(app.get(URI, token).await.json()["items"], json!([]));
    }
    app.req(Method::GET, URI)
        .send()
        .await
        .assert_problem(401, "unauthorized");
    app.get(&format!("{URI}/no-such-id"), &b1)
        .await
        .assert_problem(404, "not-found");
    let res = send(&app, Method::DELETE, &one, &b1).await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.body);
    app.get(&one, &b1).await.assert_problem(404, "not-found");
}

pub async fn saved_search_cap_is_enforced(app: TestApp) {
    let (_, b1, _) = app.user("b1@example.com", "buyer").await;
    let (_, b2, _) = app.user("b2@example.com", "buyer").await;
    for i in 0..50 {
        save(&app, &b1, &format!("search {i}"), json!({ "min_price": i })).await;
    }
    post(
        &app,
        URI,
        &b1,
        json!({ "name": "one too many", "query": {} }),
    )
    .await
    .assert_problem(409, "too-many-saved-searches");
    let items = app.get(URI, &b1).await.json()["items"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(items.len(), 50);
    assert_eq!(items[0]["name"], "search 49", "newest first");
    // The cap is per user; deleting makes room.
    save(&app, &b2, "other user", json!({})).await;
    let first = items[49]["id"].as_str().unwrap();
    let res = send(&app, Method::DELETE, &format!("{URI}/{first}"), &b1).await;
    assert_eq!(res.status, StatusCode::NO_CONTENT);
    save(&app, &b1, "room again", json!({})).await;
}

pub async fn matches_are_new_since_last_seen(app: TestApp) {
    let (_, seller, _) = app.user("seller@example.com", "seller").await;
    let (_, b1, _) = app.user("b1@example.com", "buyer").await;
    let reserve = json!({
        "sale_type": "auction",
        "reserve_price_cents": 2_000_000,
        "ends_at": (ogf_api::clock::Clock::now(app.clock.as_ref()) + chrono::Duration::days(7)).to_rfc3339(),
    });
    listing(&app, &seller, "Permian before", json!({})).await;
    advance(&app, 1);
    let s = save(&app, &b1, "Permian", json!({ "basin": "Permian" })).await;
    let matches_uri = format!("{URI}/{}/matches", s["id"].as_str().unwrap());

    // First fetch: listings created after the search was saved.
    advance(&app, 1);
    listing(&app, &seller, "Permian one", reserve.clone()).await;
    listing(&app, &seller, "Bakken one", json!({ "basin": "Bakken" })).await;
    listing(&app, &seller, "Permian draft", json!({ "status": "draft" })).await;
    advance(&app, 1);
    let (titles, body) = matches(&app, &b1, &matches_uri).await;
    assert_eq!(titles, ["Permian one"]);
    assert_eq!(body["since"], s["created_at"]);
    assert!(body["next_cursor"].is_null());
    assert!(
        body["items"][0].get("reserve_price_cents").is_none(),
        "API3"
    );
    let seen = app
        .get(&format!("{URI}/{}", s["id"].as_str().unwrap()), &b1)
        .await
        .json();
    assert!(seen["last_seen_at"].is_string());
    // Nothing new since.
    advance(&app, 1);
    assert!(matches(&app, &b1, &matches_uri).await.0.is_empty());

    // Two more; looking without marking them seen shows them again.
    advance(&app, 1);
    listing(&app, &seller, "Permian two", json!({})).await;
    advance(&app, 1);
    listing(&app, &seller, "Permian three", json!({})).await;
    advance(&app, 1);
    let peek = format!("{matches_uri}?mark_seen=false");
    assert_eq!(
        matches(&app, &b1, &peek).await.0,
        ["Permian three", "Permian two"]
    );
    assert_eq!(
        matches(&app, &b1, &peek).await.0,
        ["Permian three", "Permian two"]
    );

    // Paged: the first page marks seen, the cursor finishes the walk on the old time.
    let (first, body) = matches(&app, &b1, &format!("{matches_uri}?limit=1")).await;
    assert_eq!(first, ["Permian three"]);
    let cursor = body["next_cursor"].as_str().unwrap().to_owned();
    // A listing created meanwhile is not part of this walk.
    advance(&app, 1);
    listing(&app, &seller, "Permian four", json!({})).await;
    advance(&app, 1);
    let (rest, body) = matches(&app, &b1, &format!("{matches_uri}?limit=1&cursor={cursor}")).await;
    assert_eq!(rest, ["Permian two"]);
    assert!(body["next_cursor"].is_null());
    // ... but it is new for the next fetch.
    assert_eq!(matches(&app, &b1, &matches_uri).await.0, ["Permian four"]);
    assert!(matches(&app, &b1, &matches_uri).await.0.is_empty());

    for bad in [
        "?limit=0",
        "?cursor=bogus",
        "?mark_seen=maybe",
        "?colour=red",
    ] {
        app.get(&format!("{matches_uri}{bad}"), &b1)
            .await
            .assert_problem(400, "invalid-parameter");
    }
}
