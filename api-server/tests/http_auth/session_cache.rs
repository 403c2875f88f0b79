//! The session and access-token caches: a token served from the cache is still refused at
//! once after sign-out, admin lock, role change, admin revoke, refresh rotation and reuse, and
//! once its `exp` has passed (by the app's clock); account changes show at once; a token that
//! differs from a cached one in any byte is verified afresh; with TTL 0 nothing is cached.

use axum::http::{Method, StatusCode};
use chrono::TimeDelta;
use serde_json::json;

use crate::support::app::{PASSWORD, TestApp};

/// `ogf_cache_lookups_total{cache,result}` of the app.
async fn lookups(app: &TestApp, cache: &str, result: &str) -> u64 {
    let needle = format!("ogf_cache_lookups_total{{cache=\"{cache}\",result=\"{result}\"}} ");
    app.metrics()
        .await
        .lines()
        .find_map(|l| l.strip_prefix(needle.as_str()))
        .map_or(0, |v| v.trim().parse().unwrap())
}

/// Calls `/users/me` twice with `token` and checks that the second call was served from the
/// access-token cache (no JWT verification, no session lookup).
async fn warm(app: &TestApp, token: &str) {
    let hits = lookups(app, "access_token", "hit").await;
    let session_lookups =
        lookups(app, "session", "hit").await + lookups(app, "session", "miss").await;
    for _ in 0..2 {
        let res = app.get("/api/v1/users/me", token).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    }
    assert!(
        lookups(app, "access_token", "hit").await > hits,
        "the second call should be served from the access-token cache"
    );
    assert_eq!(
        lookups(app, "session", "hit").await + lookups(app, "session", "miss").await,
        session_lookups + 1,
        "only the first call should look up the session"
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
    for cache in ["session", "access_token"] {
        assert_eq!(lookups(&app, cache, "hit").await, 0, "{cache}");
        assert_eq!(lookups(&app, cache, "miss").await, 0, "{cache}");
    }
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

pub async fn cached_token_is_refused_once_expired(app: TestApp) {
    let (id, access, _) = app.user("exp@example.com", "buyer").await;
    let auth = app.state.auth();
    assert_eq!(auth.token_subject(&access).as_deref(), Some(id.as_str()));
    warm(&app, &access).await;
    assert_eq!(auth.token_subject(&access).as_deref(), Some(id.as_str()));
    // Access tokens live 15 minutes; the cache entry (5 s of real time) is still there.
    app.clock.advance(TimeDelta::minutes(15));
    let hits = lookups(&app, "access_token", "hit").await;
    app.get("/api/v1/users/me", &access)
        .await
        .assert_problem(401, "unauthorized");
    assert!(
        lookups(&app, "access_token", "hit").await > hits,
        "the refusal should come from the cached entry's exp check"
    );
    assert_eq!(app.state.auth().token_subject(&access), None);
    // And it stays refused (the entry is forgotten, a fresh verification refuses it too).
    app.get("/api/v1/users/me", &access)
        .await
        .assert_problem(401, "unauthorized");
}

pub async fn altered_token_is_verified_not_served_from_cache(app: TestApp) {
    let (_, access, _) = app.user("alt@example.com", "buyer").await;
    warm(&app, &access).await;
    // One bit of the signature flipped (a character well inside it, not the padding bits).
    let mut altered = access.clone().into_bytes();
    let at = altered.len() - 10;
    altered[at] = if altered[at] == b'A' { b'B' } else { b'A' };
    let altered = String::from_utf8(altered).unwrap();
    app.get("/api/v1/users/me", &altered)
        .await
        .assert_problem(401, "unauthorized");
    assert_eq!(app.state.auth().token_subject(&altered), None);
    let prefixed = format!("{access}x");
    app.get("/api/v1/users/me", &prefixed)
        .await
        .assert_problem(401, "unauthorized");
    let res = app.get("/api/v1/users/me", &access).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
}
