//! The session cache: a session served from the cache is still ended at once by sign-out,
//! admin lock, role change, admin revoke, refresh rotation and reuse, and account changes
//! show at once; with TTL 0 nothing is cached.

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::support::app::{PASSWORD, TestApp};

/// `ogf_cache_lookups_total{cache="session",result}` of the app.
async fn lookups(app: &TestApp, result: &str) -> u64 {
    let needle = format!("ogf_cache_lookups_total{{cache=\"session\",result=\"{result}\"}} ");
    app.metrics()
        .await
        .lines()
        .find_map(|l| l.strip_prefix(needle.as_str()))
        .map_or(0, |v| v.trim().parse().unwrap())
}

/// Calls `/users/me` twice with `token` and checks that the second call was a cache hit.
async fn warm(app: &TestApp, token: &str) {
    let hits = lookups(app, "hit").await;
    for _ in 0..2 {
        let res = app.get("/api/v1/users/me", token).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    }
    assert!(
        lookups(app, "hit").await > hits,
        "the second call should be served from the session cache"
    );
}

async fn patch_user(app: &TestApp, admin: &str, id: &str, body: serde_json::Value) {
    let res = app
        .req(Method::PATCH, &format!("/api/v1/admin/users/{id}"))
        .token(admin)
        .json(body)
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
}

pub async fn cached_session_is_invalidated_by_logout(app: TestApp) {
    let (_, access, _) = app.user("lou@example.com", "buyer").await;
    warm(&app, &access).await;
    let res = app
        .req(Method::POST, "/api/v1/auth/logout")
        .token(&access)
        .send()
        .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.body);
    app.get("/api/v1/users/me", &access)
        .await
        .assert_problem(401, "unauthorized");
}

pub async fn cached_session_is_invalidated_by_lock(app: TestApp) {
    let admin = app.admin_token().await;
    let (id, access, _) = app.user("lee@example.com", "buyer").await;
    warm(&app, &access).await;
    patch_user(&app, &admin, &id, json!({ "locked": true })).await;
    app.get("/api/v1/users/me", &access)
        .await
        .assert_problem(401, "unauthorized");
}

pub async fn cached_session_is_invalidated_by_role_change(app: TestApp) {
    let admin = app.admin_token().await;
    let (id, access, _) = app.user("ray@example.com", "buyer").await;
    warm(&app, &access).await;
    patch_user(&app, &admin, &id, json!({ "role": "seller" })).await;
    app.get("/api/v1/users/me", &access)
        .await
        .assert_problem(401, "unauthorized");
    let (fresh, _) = app.tokens("ray@example.com", PASSWORD).await;
    let me = app.get("/api/v1/users/me", &fresh).await;
    assert_eq!(me.json()["role"], "seller", "{}", me.body);
}

pub async fn cached_session_is_invalidated_by_admin_revoke(app: TestApp) {
    let admin = app.admin_token().await;
    let (id, access, _) = app.user("rev@example.com", "buyer").await;
    warm(&app, &access).await;
    let res = app
        .req(
            Method::DELETE,
            &format!("/api/v1/admin/users/{id}/sessions"),
        )
        .token(&admin)
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    app.get("/api/v1/users/me", &access)
        .await
        .assert_problem(401, "unauthorized");
}

pub async fn cached_session_is_invalidated_by_rotation_and_reuse(app: TestApp) {
    let (_, a1, r1) = app.user("rot@example.com", "buyer").await;
    warm(&app, &a1).await;
    let res = app.refresh(&r1).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let a2 = res.json()["access_token"].as_str().unwrap().to_owned();
    app.get("/api/v1/users/me", &a1)
        .await
        .assert_problem(401, "unauthorized");
    warm(&app, &a2).await;
    app.refresh(&r1)
        .await
        .assert_problem(401, "invalid-refresh-token");
    app.get("/api/v1/users/me", &a2)
        .await
        .assert_problem(401, "unauthorized");
}

pub async fn own_account_changes_show_at_once(app: TestApp) {
    let (_, access, _) = app.user("old@example.com", "buyer").await;
    warm(&app, &access).await;
    let res = app
        .req(Method::PATCH, "/api/v1/users/me")
        .token(&access)
        .json(json!({ "current_password": PASSWORD, "email": "new@example.com" }))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let me = app.get("/api/v1/users/me", &access).await;
    assert_eq!(me.json()["email"], "new@example.com", "{}", me.body);
}

pub async fn zero_ttl_disables_the_cache(app: TestApp) {
    let (_, access, _) = app.user("nil@example.com", "buyer").await;
    for _ in 0..3 {
        let res = app.get("/api/v1/users/me", &access).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    }
    assert_eq!(lookups(&app, "hit").await, 0);
    assert_eq!(lookups(&app, "miss").await, 0);
    let res = app
        .req(Method::POST, "/api/v1/auth/logout")
        .token(&access)
        .send()
        .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.body);
    app.get("/api/v1/users/me", &access)
        .await
        .assert_problem(401, "unauthorized");
}
