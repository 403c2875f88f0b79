//! API5 Broken Function Level Authorization: lower roles calling admin and other-role
//! functions directly.

use axum::http::{Method, StatusCode};
use ogf_api::http::routes::routes;
use serde_json::{Value, json};

use crate::support::app::TestApp;
use crate::{call, listing};

/// The body an attacker would send to an admin route: self-promotion where it fits.
fn admin_body(method: &Method, path: &str) -> Value {
    match (method.as_str(), path) {
        ("PATCH", _) => json!({ "role": "admin", "locked": false }),
        ("POST", p) if p.contains("market") => {
            json!({ "series": "wti", "points": [{ "date": "2026-01-02", "price": "1.00" }] })
        }
        ("GET" | "DELETE", _) => Value::Null,
        _ => json!({}),
    }
}

/// Every `/api/v1/admin` route of the table (taken from the route table, so a new admin
/// route is covered at once): anonymous callers get 401, buyers and sellers 403, even aimed
/// at their own account; nothing changed, and an admin does get through.
pub async fn every_admin_route_refuses_everyone_but_admins(app: TestApp) {
    let (buyer_id, buyer, _) = app.user("buyer@example.com", "buyer").await;
    let (seller_id, seller, _) = app.user("seller@example.com", "seller").await;
    let admin_routes: Vec<_> = routes()
        .into_iter()
        .filter(|(_, p)| p.starts_with("/api/v1/admin"))
        .collect();
    assert!(admin_routes.len() >= 7, "{admin_routes:?}");
    for (method, template) in &admin_routes {
        for (token, own_id) in [
            ("", buyer_id.as_str()),
            (buyer.as_str(), buyer_id.as_str()),
            (seller.as_str(), seller_id.as_str()),
        ] {
            let uri = template.replace("{id}", own_id);
            let res = call(
                &app,
                method.clone(),
                &uri,
                token,
                admin_body(method, template),
            )
            .await;
            if token.is_empty() {
                res.assert_problem(401, "unauthorized");
            } else {
                res.assert_problem(403, "forbidden");
            }
        }
    }
    // Nobody was promoted, locked, deleted or signed out by the attempts.
    for (token, role) in [(&buyer, "buyer"), (&seller, "seller")] {
        let me = app.get("/api/v1/users/me", token).await;
        assert_eq!(me.status, StatusCode::OK, "{}", me.body);
        assert_eq!(me.json()["role"], role);
    }
    let prices = app
        .req(Method::GET, "/api/v1/market/prices?series=wti")
        .send()
        .await;
    assert!(!prices.body.contains("2026-01-02"), "{}", prices.body);
    // The admin's own GETs succeed: the 403s above were about the role, not the route.
    let admin = app.admin_token().await;
    for (method, template) in &admin_routes {
        if *method == Method::GET {
            let res = app.get(template, &admin).await;
            assert_eq!(res.status, StatusCode::OK, "{template}: {}", res.body);
        }
    }
}

/// Functions of one role refuse the others: buyers do not sell, sellers do not bid or offer
/// on their own listings, admins do not trade, and none of it leaves a trace.
pub async fn role_bound_functions_refuse_the_other_roles(app: TestApp) {
    let (_, buyer, _) = app.user("buyer@example.com", "buyer").await;
    let (_, seller, _) = app.user("seller@example.com", "seller").await;
    let admin = app.admin_token().await;
    let auction = listing(&app, &seller, "auction", "active", json!({})).await;
    let auction_id = auction["id"].as_str().unwrap();
    let offerable = listing(&app, &seller, "best_offer", "active", json!({})).await;
    let offerable_id = offerable["id"].as_str().unwrap();
    let create = json!({
        "title": "Buyer's listing",
        "description": "x",
        "type": "lease",
        "basin": "Permian",
        "state": "TX",
        "county": "Midland",
        "location": { "lon": -102.08, "lat": 31.99 },
        "asking_price_cents": 1,
        "sale_type": "fixed",
    });
    let bids = format!("/api/v1/listings/{auction_id}/bids");
    let offers = format!("/api/v1/listings/{offerable_id}/offers");
    let attempts = [
        (
            "buyer sells",
            Method::POST,
            "/api/v1/listings".to_owned(),
            buyer.clone(),
            create,
        ),
        (
            "buyer settles",
            Method::POST,
            format!("/api/v1/listings/{auction_id}/settle"),
            buyer.clone(),
            json!({}),
        ),
        (
            "buyer's dashboard",
            Method::GET,
            "/api/v1/me/analytics".to_owned(),
            buyer.clone(),
            Value::Null,
        ),
        (
            "seller bids on own",
            Method::POST,
            bids.clone(),
            seller.clone(),
            json!({ "amount_cents": 2_000_000 }),
        ),
        (
            "seller offers on own",
            Method::POST,
            offers.clone(),
            seller.clone(),
            json!({ "amount_cents": 2_000_000 }),
        ),
        (
            "admin bids",
            Method::POST,
            bids.clone(),
            admin.clone(),
            json!({ "amount_cents": 2_000_000 }),
        ),
        (
            "admin offers",
            Method::POST,
            offers.clone(),
            admin.clone(),
            json!({ "amount_cents": 2_000_000 }),
        ),
    ];
    for (what, method, uri, token, body) in attempts {
        let res = call(&app, method, &uri, &token, body).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{what}: {}", res.body);
        res.assert_problem(403, "forbidden");
    }
    let placed = app.get(&bids, &seller).await.json();
    assert_eq!(placed["items"], json!([]), "{placed}");
    let made = app.get(&offers, &seller).await.json();
    assert_eq!(made["items"], json!([]), "{made}");
    let mine = app.get("/api/v1/listings?limit=100", &buyer).await;
    assert!(!mine.body.contains("Buyer's listing"), "{}", mine.body);
}
