//! API3 Broken Object Property Level Authorization: mass assignment of server-owned fields,
//! and private properties (the reserve price) in other users' views.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::app::{PASSWORD, TestApp};
use crate::{call, listing};

/// Asserts a 422 problem naming `field`.
fn assert_invalid(res: &crate::Response, field: &str) {
    let detail = res.assert_problem(422, "invalid-body");
    assert!(detail.contains(field), "{field}: {detail}");
}

/// Sign-up and the own-account route cannot set a role or any account property the server
/// owns; nothing is created or changed by the attempts.
pub async fn nobody_registers_or_promotes_themselves_to_admin(app: TestApp) {
    for role in ["admin", "Admin", "ADMIN", "root"] {
        let res = app.register("eve@example.com", PASSWORD, Some(role)).await;
        assert_invalid(&res, "role");
    }
    for (field, value) in [
        ("is_admin", json!(true)),
        ("id", json!("chosen-id")),
        ("locked", json!(false)),
        ("created_at", json!("2000-01-01T00:00:00Z")),
        (
            "password_hash",
            json!("$argon2id$v=19$m=1,t=1,p=1$AAAA$AAAA"),
        ),
    ] {
        let mut body = json!({ "email": "eve@example.com", "password": PASSWORD, "role": "buyer" });
        body[field] = value;
        let res = call(&app, Method::POST, "/api/v1/auth/register", "", body).await;
        assert_invalid(&res, field);
    }
    app.login("eve@example.com", PASSWORD)
        .await
        .assert_problem(401, "invalid-credentials");

    let (id, token, _) = app.user("eve@example.com", "buyer").await;
    for (field, value) in [
        ("role", json!("admin")),
        ("locked", json!(false)),
        ("id", json!("someone-else")),
    ] {
        let mut body = json!({ "current_password": PASSWORD });
        body[field] = value;
        let res = call(&app, Method::PATCH, "/api/v1/users/me", &token, body).await;
        assert_invalid(&res, field);
    }
    let me = app.get("/api/v1/users/me", &token).await.json();
    assert_eq!(
        (me["id"].as_str(), me["role"].as_str()),
        (Some(id.as_str()), Some("buyer"))
    );
    app.get("/api/v1/admin/users", &token)
        .await
        .assert_problem(403, "forbidden");
}

/// Listing bodies refuse the fields the server owns (seller, counters, ids, timestamps) and
/// statuses a seller may only reach through the trading flow; the listing keeps its owner.
pub async fn server_owned_listing_fields_cannot_be_assigned(app: TestApp) {
    let (seller_id, seller, _) = app.user("seller@example.com", "seller").await;
    let (victim_id, _, _) = app.user("victim@example.com", "seller").await;
    let base = json!({
        "title": "Mass assignment lot",
        "description": "Producing WI package.",
        "type": "working_interest",
        "basin": "Permian",
        "state": "TX",
        "county": "Midland",
        "location": { "lon": -102.08, "lat": 31.99 },
        "asking_price_cents": 1_000_000,
        "sale_type": "fixed",
    });
    let owned = [
        ("seller_id", json!(victim_id)),
        ("view_count", json!(1_000_000)),
        ("id", json!("chosen-id")),
        ("created_at", json!("2000-01-01T00:00:00Z")),
        ("updated_at", json!("2000-01-01T00:00:00Z")),
        ("boe_d", json!(99_999.0)),
    ];
    for (field, value) in &owned {
        let mut body = base.clone();
        body[*field] = value.clone();
        let res = call(&app, Method::POST, "/api/v1/listings", &seller, body).await;
        assert_invalid(&res, field);
    }
    for status in ["sold", "under_contract", "withdrawn"] {
        let mut body = base.clone();
        body["status"] = json!(status);
        let res = call(&app, Method::POST, "/api/v1/listings", &seller, body).await;
        assert_invalid(&res, "status");
    }
    let lot = listing(&app, &seller, "fixed", "active", json!({})).await;
    let uri = format!("/api/v1/listings/{}", lot["id"].as_str().unwrap());
    for (field, value) in &owned {
        let mut body = json!({});
        body[*field] = value.clone();
        let res = call(&app, Method::PATCH, &uri, &seller, body).await;
        assert_invalid(&res, field);
    }
    let now = app.get(&uri, &seller).await.json();
    assert_eq!(now["seller_id"], seller_id.as_str());
    assert_eq!(now["view_count"], 0);
    assert_eq!(now["id"], lot["id"]);
    assert_eq!(
        now["updated_at"], lot["updated_at"],
        "no PATCH went through"
    );
    // The victim's profile does not list the attacker's listing.
    let profile = app
        .req(Method::GET, &format!("/api/v1/users/{victim_id}/profile"))
        .send()
        .await;
    assert!(
        !profile.body.contains(lot["id"].as_str().unwrap()),
        "{}",
        profile.body
    );
}

/// The reserve of an auction is the seller's secret: it appears in no view a buyer or an
/// anonymous client can reach (the listing, search, watchlist, bids, the seller's profile),
/// while the seller and admins still see it.
pub async fn the_reserve_price_never_reaches_a_buyer(app: TestApp) {
    const RESERVE: i64 = 43_210_000;
    let (seller_id, seller, _) = app.user("seller@example.com", "seller").await;
    let (_, buyer, _) = app.user("buyer@example.com", "buyer").await;
    let lot = listing(
        &app,
        &seller,
        "auction",
        "active",
        json!({ "reserve_price_cents": RESERVE, "title": "Reserve lot" }),
    )
    .await;
    let id = lot["id"].as_str().unwrap();
    assert_eq!(lot["reserve_price_cents"], RESERVE, "the seller sees it");
    let watch = call(
        &app,
        Method::PUT,
        &format!("/api/v1/me/watchlist/{id}"),
        &buyer,
        Value::Null,
    )
    .await;
    assert!(watch.status.is_success(), "{}", watch.body);
    let bid = call(
        &app,
        Method::POST,
        &format!("/api/v1/listings/{id}/bids"),
        &buyer,
        json!({ "amount_cents": 1_500_000 }),
    )
    .await;
    assert_eq!(bid.status, StatusCode::CREATED, "{}", bid.body);

    let views = [
        format!("/api/v1/listings/{id}"),
        "/api/v1/listings?q=reserve".to_owned(),
        "/api/v1/listings".to_owned(),
        "/api/v1/me/watchlist".to_owned(),
        format!("/api/v1/listings/{id}/bids"),
        "/api/v1/me/bids".to_owned(),
        format!("/api/v1/users/{seller_id}/profile"),
    ];
    for token in [buyer.as_str(), ""] {
        for uri in &views {
            let res = call(&app, Method::GET, uri, token, Value::Null).await;
            if token.is_empty() && res.status == StatusCode::UNAUTHORIZED {
                continue;
            }
            assert_eq!(res.status, StatusCode::OK, "{uri}: {}", res.body);
            assert!(!res.body.contains("reserve_price"), "{uri}: {}", res.body);
            assert!(
                !res.body.contains(&RESERVE.to_string()),
                "{uri}: {}",
                res.body
            );
        }
    }
    let admin = app.admin_token().await;
    let as_admin = app
        .get(&format!("/api/v1/listings/{id}"), &admin)
        .await
        .json();
    assert_eq!(as_admin["reserve_price_cents"], RESERVE);
}
