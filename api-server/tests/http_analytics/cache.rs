//! The listing-search, analytics and profile caches: hits are counted, writes invalidate,
//! and no caller ever gets another caller's private data from a cache.

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::support::app::TestApp;
use crate::{get, in_minutes, listing, lookups, post, today, x_cache};

const SEARCH: &str = "/api/v1/listings?type=working_interest&limit=50";

fn ids(res: &crate::Response) -> Vec<String> {
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    res.ids()
}

pub async fn search_cache_hits_and_is_invalidated_by_writes(app: TestApp) {
    let (_, seller, _) = app.user("seller@example.com", "seller").await;
    let first = listing(&app, &seller, "fixed", json!({})).await;
    let (hits, misses) = (
        lookups(&app, "listing_search", "hit").await,
        lookups(&app, "listing_search", "miss").await,
    );
    assert_eq!(ids(&get(&app, SEARCH, None).await), [first.as_str()]);
    assert_eq!(ids(&get(&app, SEARCH, None).await), [first.as_str()]);
    assert_eq!(lookups(&app, "listing_search", "miss").await, misses + 1);
    assert_eq!(lookups(&app, "listing_search", "hit").await, hits + 1);

    // A created listing appears in the very next search.
    let second = listing(&app, &seller, "fixed", json!({})).await;
    assert_eq!(
        ids(&get(&app, SEARCH, None).await),
        [second.as_str(), first.as_str()]
    );
    // So do updates, status changes and deletions.
    let res = app
        .req(Method::PATCH, &format!("/api/v1/listings/{second}"))
        .token(&seller)
        .json(json!({ "type": "lease" }))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(ids(&get(&app, SEARCH, None).await), [first.as_str()]);
    let res = post(
        &app,
        &format!("/api/v1/listings/{first}/status"),
        &seller,
        json!({ "status": "withdrawn" }),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let withdrawn = "/api/v1/listings?status=withdrawn";
    assert_eq!(ids(&get(&app, withdrawn, None).await), [first.as_str()]);
    let res = app
        .req(Method::DELETE, &format!("/api/v1/listings/{first}"))
        .token(&seller)
        .send()
        .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.body);
    assert!(ids(&get(&app, withdrawn, None).await).is_empty());
    assert!(ids(&get(&app, SEARCH, None).await).is_empty());
}

pub async fn cached_search_never_shows_a_reserve_price_to_others(app: TestApp) {
    let (_, seller, _) = app.user("seller@example.com", "seller").await;
    let (_, other_seller, _) = app.user("other@example.com", "seller").await;
    let (_, buyer, _) = app.user("buyer@example.com", "buyer").await;
    let admin = app.admin_token().await;
    let id = listing(
        &app,
        &seller,
        "auction",
        json!({ "ends_at": in_minutes(&app, 60), "reserve_price_cents": 7_777_777 }),
    )
    .await;
    let reserve = |res: &crate::Response| {
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        let items = res.json()["items"].as_array().unwrap().clone();
        assert_eq!(items.len(), 1, "{}", res.body);
        items[0].get("reserve_price_cents").cloned()
    };
    // The seller's own search fills the cache with their view of the page first...
    assert_eq!(
        reserve(&get(&app, SEARCH, Some(&seller)).await),
        Some(json!(7_777_777))
    );
    assert_eq!(
        reserve(&get(&app, SEARCH, Some(&seller)).await),
        Some(json!(7_777_777))
    );
    // ...and nobody else ever sees the reserve, warm cache or not, twice each.
    for token in [
        None,
        Some(&buyer),
        Some(&other_seller),
        None,
        Some(&buyer),
        Some(&other_seller),
    ] {
        let res = get(&app, SEARCH, token.map(String::as_str)).await;
        assert_eq!(reserve(&res), None, "{}", res.body);
        assert!(!res.body.contains("7777777"), "{}", res.body);
    }
    // Warm entries are rendered per caller: the admin sees the reserve from a cached page,
    // the buyer (sharing the anonymous callers' entry) still does not.
    let hits = lookups(&app, "listing_search", "hit").await;
    assert_eq!(
        reserve(&get(&app, SEARCH, Some(&admin)).await),
        Some(json!(7_777_777))
    );
    assert_eq!(
        reserve(&get(&app, SEARCH, Some(&admin)).await),
        Some(json!(7_777_777))
    );
    assert_eq!(reserve(&get(&app, SEARCH, Some(&buyer)).await), None);
    assert!(lookups(&app, "listing_search", "hit").await >= hits + 2);
    assert_eq!(
        get(&app, &format!("/api/v1/listings/{id}"), Some(&buyer))
            .await
            .json()
            .get("reserve_price_cents"),
        None
    );
}

pub async fn analytics_cache_is_per_seller(app: TestApp) {
    let (_, a, _) = app.user("a@example.com", "seller").await;
    let (_, b, _) = app.user("b@example.com", "seller").await;
    let (_, buyer, _) = app.user("buyer@example.com", "buyer").await;
    let id = listing(&app, &a, "fixed", json!({})).await;
    get(&app, &format!("/api/v1/listings/{id}"), Some(&buyer)).await;
    let day = today(&app);
    let uri = format!("/api/v1/me/analytics?from={day}&to={day}");

    let first = get(&app, &uri, Some(&a)).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert_eq!(x_cache(&first), "miss");
    assert_eq!(first.json()["totals"]["views"], 1);
    let hits = lookups(&app, "analytics", "hit").await;
    let again = get(&app, &uri, Some(&a)).await;
    assert_eq!(x_cache(&again), "hit");
    assert_eq!(again.body, first.body);
    assert_eq!(lookups(&app, "analytics", "hit").await, hits + 1);

    // Seller B asks for the same range: their own (empty) dashboard, never A's entry.
    let other = get(&app, &uri, Some(&b)).await;
    assert_eq!(other.status, StatusCode::OK, "{}", other.body);
    assert_eq!(x_cache(&other), "miss");
    assert_eq!(other.json()["listings"], json!([]));
    assert_eq!(other.json()["totals"]["views"], 0);
    assert!(!other.body.contains(&id), "{}", other.body);
}

pub async fn profile_is_public_cached_and_invalidated(app: TestApp) {
    let (seller_id, seller, _) = app.user("seller@example.com", "seller").await;
    let (buyer_id, _, _) = app.user("buyer@example.com", "buyer").await;
    let admin = app.admin_token().await;
    listing(&app, &seller, "fixed", json!({})).await;
    listing(&app, &seller, "fixed", json!({ "status": "draft" })).await;
    let uri = format!("/api/v1/users/{seller_id}/profile");

    let res = get(&app, &uri, None).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(x_cache(&res), "miss");
    let p = res.json();
    assert_eq!(p["id"], seller_id.as_str());
    assert_eq!(p["role"], "seller");
    assert_eq!(p["active_listings"], 1);
    assert!(p["member_since"].is_string());
    assert_eq!(p.as_object().unwrap().len(), 4, "only public fields: {p}");
    assert!(!res.body.contains("seller@example.com"));
    assert_eq!(x_cache(&get(&app, &uri, None).await), "hit");

    // A listing write starts fresh entries: the count is never stale in this process.
    listing(&app, &seller, "fixed", json!({})).await;
    let res = get(&app, &uri, None).await;
    assert_eq!(x_cache(&res), "miss");
    assert_eq!(res.json()["active_listings"], 2);
    assert_eq!(x_cache(&get(&app, &uri, None).await), "hit");

    // An admin change to the account forgets the entry at once.
    let res = app
        .req(Method::PATCH, &format!("/api/v1/admin/users/{seller_id}"))
        .token(&admin)
        .json(json!({ "locked": true }))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    get(&app, &uri, None).await.assert_problem(404, "not-found");

    // Buyers, admins, unknown and malformed ids: the same 404.
    for id in [buyer_id.as_str(), "no-such-user", "bad%20id"] {
        get(&app, &format!("/api/v1/users/{id}/profile"), None)
            .await
            .assert_problem(404, "not-found");
    }
}
