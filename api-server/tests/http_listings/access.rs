//! Who may do what with a listing: 401 vs 403 vs 404, reserve prices, view counts.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::app::TestApp;

/// Creates an active listing as `token`; returns its id.
async fn active_listing(app: &TestApp, token: &str, title: &str) -> String {
    let mut body = crate::lease_body(app, title);
    body["status"] = json!("active");
    let res = app
        .req(Method::POST, "/api/v1/listings")
        .token(token)
        .json(body)
        .send()
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    res.json()["id"].as_str().unwrap().to_owned()
}

pub async fn authorization_failures_401_403_404(app: TestApp) {
    let (_, seller, _) = app.user("seller1@example.com", "seller").await;
    let (_, other, _) = app.user("seller2@example.com", "seller").await;
    let (_, buyer, _) = app.user("buyer@example.com", "buyer").await;
    let id = active_listing(&app, &seller, "Seller one's lease").await;
    let uri = format!("/api/v1/listings/{id}");
    let body = crate::lease_body(&app, "Not allowed");

    // No token: 401 with a challenge; a bad token on a public route is 401 too.
    let res = app
        .req(Method::POST, "/api/v1/listings")
        .json(body.clone())
        .send()
        .await;
    res.assert_problem(401, "unauthorized");
    assert_eq!(res.headers["www-authenticate"], "Bearer");
    for (method, path) in [
        (Method::PATCH, uri.clone()),
        (Method::DELETE, uri.clone()),
        (Method::POST, format!("{uri}/status")),
    ] {
        let res = app
            .req(method.clone(), &path)
            .json(json!({ "status": "sold" }))
            .send()
            .await;
        res.assert_problem(401, "unauthorized");
    }
    app.get(&uri, "not-a-token")
        .await
        .assert_problem(401, "unauthorized");
    app.get("/api/v1/listings", "not-a-token")
        .await
        .assert_problem(401, "unauthorized");

    // Buyers may not write listings at all.
    let res = app
        .req(Method::POST, "/api/v1/listings")
        .token(&buyer)
        .json(body)
        .send()
        .await;
    res.assert_problem(403, "forbidden");
    let patch = json!({ "title": "Hijacked title" });
    let res = app
        .req(Method::PATCH, &uri)
        .token(&buyer)
        .json(patch.clone())
        .send()
        .await;
    res.assert_problem(403, "forbidden");

    // Another seller cannot edit, transition or delete it.
    let res = app
        .req(Method::PATCH, &uri)
        .token(&other)
        .json(patch.clone())
        .send()
        .await;
    res.assert_problem(403, "forbidden");
    let res = app
        .req(Method::POST, &format!("{uri}/status"))
        .token(&other)
        .json(json!({ "status": "withdrawn" }))
        .send()
        .await;
    res.assert_problem(403, "forbidden");
    app.req(Method::DELETE, &uri)
        .token(&other)
        .send()
        .await
        .assert_problem(403, "forbidden");
    let unchanged = app.get(&uri, &seller).await.json();
    assert_eq!(unchanged["title"], "Seller one's lease");
    assert_eq!(unchanged["status"], "active");

    // Another seller's draft does not exist for them.
    let res = app
        .req(Method::POST, "/api/v1/listings")
        .token(&seller)
        .json(crate::lease_body(&app, "Hidden draft"))
        .send()
        .await;
    let draft = format!("/api/v1/listings/{}", res.json()["id"].as_str().unwrap());
    let res = app
        .req(Method::PATCH, &draft)
        .token(&other)
        .json(patch.clone())
        .send()
        .await;
    res.assert_problem(404, "not-found");
    let listed = app.get("/api/v1/listings?status=draft", &other).await;
    assert!(listed.ids().is_empty(), "{}", listed.body);
    assert_eq!(
        app.get("/api/v1/listings?status=draft", &seller)
            .await
            .ids()
            .len(),
        1
    );

    // Admins may edit anyone's listing; the audit names them as the actor.
    let admin = app.admin_token().await;
    let res = app
        .req(Method::PATCH, &uri)
        .token(&admin)
        .json(patch)
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(
        app.get("/api/v1/listings?status=draft", &admin)
            .await
            .ids()
            .len(),
        1
    );
    let audit = app
        .get("/api/v1/admin/audit?type=listing_updated", &admin)
        .await
        .json();
    assert!(audit["items"][0]["actor_id"].is_string(), "{audit}");
}

pub async fn reserve_price_only_for_owner_and_admin(app: TestApp) {
    let (_, seller, _) = app.user("seller1@example.com", "seller").await;
    let (_, other, _) = app.user("seller2@example.com", "seller").await;
    let (_, buyer, _) = app.user("buyer@example.com", "buyer").await;
    let admin = app.admin_token().await;
    let id = active_listing(&app, &seller, "Reserve lease").await;
    let uri = format!("/api/v1/listings/{id}");
    let reserve = |v: &Value| v.as_object().unwrap().get("reserve_price_cents").cloned();
    for (who, token, visible) in [
        ("owner", Some(seller.as_str()), true),
        ("admin", Some(admin.as_str()), true),
        ("buyer", Some(buyer.as_str()), false),
        ("other seller", Some(other.as_str()), false),
        ("anonymous", None, false),
    ] {
        let get = |path: String| {
            let req = app.req(Method::GET, &path);
            match token {
                Some(t) => req.token(t),
                None => req,
            }
        };
        let one = get(uri.clone()).send().await;
        assert_eq!(one.status, StatusCode::OK, "{who}");
        let page = get("/api/v1/listings?q=reserve".into()).send().await.json();
        let item = &page["items"][0];
        assert_eq!(item["id"], id.as_str());
        let want = visible.then_some(json!(40_000_000));
        assert_eq!(reserve(&one.json()), want, "{who}: GET");
        assert_eq!(reserve(item), want, "{who}: search");
        assert!(!one.body.contains("40000000") || visible, "{who}");
    }
}

pub async fn views_counted_for_non_owners(app: TestApp) {
    let (_, seller, _) = app.user("seller1@example.com", "seller").await;
    let (_, buyer, _) = app.user("buyer@example.com", "buyer").await;
    let id = active_listing(&app, &seller, "Viewed lease").await;
    let uri = format!("/api/v1/listings/{id}");
    let updated = app.get(&uri, &seller).await.json()["updated_at"].clone();
    assert_eq!(
        app.get(&uri, &seller).await.json()["view_count"],
        0,
        "owner views"
    );
    assert_eq!(app.get(&uri, &buyer).await.json()["view_count"], 1);
    let anon = app.req(Method::GET, &uri).send().await.json();
    assert_eq!(anon["view_count"], 2);
    assert_eq!(anon["updated_at"], updated, "views are not changes");
    assert_eq!(app.get(&uri, &seller).await.json()["view_count"], 2);
}
