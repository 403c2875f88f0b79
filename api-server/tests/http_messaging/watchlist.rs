//! The watchlist over HTTP: idempotent add, remove, pages, the caller's view of each listing.

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::support::app::TestApp;
use crate::{advance, listing, send, walk};

fn uri(listing: &str) -> String {
    format!("/api/v1/me/watchlist/{listing}")
}

pub async fn watchlist_add_remove_list_and_views(app: TestApp) {
    let (_, seller, _) = app.user("seller@example.com", "seller").await;
    let (_, b1, _) = app.user("b1@example.com", "buyer").await;
    let (_, b2, _) = app.user("b2@example.com", "buyer").await;
    let admin = app.admin_token().await;
    let auction = json!({
        "sale_type": "auction",
        "reserve_price_cents": 2_000_000,
        "bid_increment_cents": 10_000,
        "ends_at": (ogf_api::clock::Clock::now(app.clock.as_ref()) + chrono::Duration::days(7)).to_rfc3339(),
    });
    let lot = listing(&app, &seller, "Reserve lot", auction).await;
    advance(&app, 1);
    let second = listing(&app, &seller, "Second lot", json!({})).await;
    advance(&app, 1);
    let third = listing(&app, &seller, "Third lot", json!({})).await;

    let put = |id: String, token: String| {
        let app = &app;
        async move { send(app, Method::PUT, &uri(&id), &token).await }
    };
    assert_eq!(
        put(lot.clone(), b1.clone()).await.status,
        StatusCode::CREATED
    );
    assert_eq!(
        put(lot.clone(), b1.clone()).await.status,
        StatusCode::NO_CONTENT,
        "idempotent"
    );
    advance(&app, 1);
    assert_eq!(
        put(second.clone(), b1.clone()).await.status,
        StatusCode::CREATED
    );
    advance(&app, 1);
    assert_eq!(
        put(third.clone(), b1.clone()).await.status,
        StatusCode::CREATED
    );
    assert_eq!(
        put(lot.clone(), admin.clone()).await.status,
        StatusCode::CREATED
    );

    // Latest added first, every page size; the buyer never sees the reserve (API3).
    for limit in [1, 2, 10] {
        let items = walk(&app, "/api/v1/me/watchlist", &b1, limit).await;
        let ids: Vec<&str> = items
            .iter()
            .map(|i| i["listing"]["id"].as_str().unwrap())
            .collect();
        assert_eq!(
            ids,
            [third.as_str(), second.as_str(), lot.as_str()],
            "limit {limit}"
        );
        for i in &items {
            assert!(i["listing"].get("reserve_price_cents").is_none(), "{i}");
            assert!(i["added_at"].is_string());
        }
    }
    // Admins manage listings and see the reserve in their own watchlist.
    let admin_items = walk(&app, "/api/v1/me/watchlist", &admin, 10).await;
    assert_eq!(admin_items[0]["listing"]["reserve_price_cents"], 2_000_000);
    // Watchlists are per user.
    assert!(walk(&app, "/api/v1/me/watchlist", &b2, 10).await.is_empty());

    // Not one's own listing, not someone else's draft, not a missing listing.
    send(&app, Method::PUT, &uri(&lot), &seller)
        .await
        .assert_problem(409, "own-listing");
    let draft = listing(&app, &seller, "Draft", json!({ "status": "draft" })).await;
    send(&app, Method::PUT, &uri(&draft), &b1)
        .await
        .assert_problem(404, "not-found");
    send(&app, Method::PUT, &uri("no-such-listing"), &b1)
        .await
        .assert_problem(404, "not-found");
    app.req(Method::PUT, &uri(&lot))
        .send()
        .await
        .assert_problem(401, "unauthorized");

    // Removing: only from one's own list.
    send(&app, Method::DELETE, &uri(&second), &b2)
        .await
        .assert_problem(404, "not-found");
    let res = send(&app, Method::DELETE, &uri(&second), &b1).await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.body);
    send(&app, Method::DELETE, &uri(&second), &b1)
        .await
        .assert_problem(404, "not-found");
    // A deleted listing drops out of the list.
    let status = json!({ "status": "withdrawn" });
    let res = crate::post(
        &app,
        &format!("/api/v1/listings/{third}/status"),
        &seller,
        status,
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let res = send(
        &app,
        Method::DELETE,
        &format!("/api/v1/listings/{third}"),
        &seller,
    )
    .await;
    assert!(res.status.is_success(), "{}", res.body);
    let ids: Vec<String> = walk(&app, "/api/v1/me/watchlist", &b1, 10)
        .await
        .iter()
        .map(|i| i["listing"]["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids, [lot.as_str()]);
    assert_eq!(app.store.watcher_count(&lot).await.unwrap(), 2);
    app.get("/api/v1/me/watchlist?limit=abc", &b1)
        .await
        .assert_problem(400, "invalid-parameter");
}
