//! Sign-up, sign-in, own account, refresh rotation, logout, lockout, token checks, injection.

use axum::http::{Method, StatusCode};
use chrono::TimeDelta;
use ogf_api::domain::{AuditKind, AuditQuery};
use serde_json::json;

use crate::support::app::{PASSWORD, TestApp};

pub async fn register_login_and_own_account(app: TestApp) {
    let res = app.register("Ann@Example.COM", PASSWORD, None).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let user = res.json();
    assert_eq!(user["email"], "ann@example.com");
    assert_eq!(user["role"], "buyer", "default role");
    assert_eq!(user["locked"], false);
    assert!(user.get("password_hash").is_none() && !res.body.contains("argon2"));

    app.register("ANN@example.com", PASSWORD, Some("seller"))
        .await
        .assert_problem(409, "conflict");
    app.register("root@example.com", PASSWORD, Some("admin"))
        .await
        .assert_problem(422, "invalid-body");
    let d = app
        .register("short@example.com", "elevenchars", None)
        .await
        .assert_problem(422, "invalid-body");
    assert!(d.contains("12 characters"), "{d}");
    app.register("not-an-email", PASSWORD, None)
        .await
        .assert_problem(422, "invalid-body");
    let seller = app
        .register("sam@example.com", PASSWORD, Some("seller"))
        .await;
    assert_eq!(seller.json()["role"], "seller");

    let res = app.login("ann@EXAMPLE.com", PASSWORD).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let t = res.json();
    assert_eq!(t["token_type"], "Bearer");
    assert_eq!(t["expires_in"], 900);
    assert_eq!(t["refresh_expires_in"], 7 * 24 * 3600);
    let access = t["access_token"].as_str().unwrap();
    let me = app.get("/api/v1/users/me", access).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.body);
    assert_eq!(me.json()["id"], user["id"]);

    let patch = |body: serde_json::Value| {
        app.req(Method::PATCH, "/api/v1/users/me")
            .token(access)
            .json(body)
            .send()
    };
    patch(json!({ "current_password": "wrong password!!", "email": "x@example.com" }))
        .await
        .assert_problem(403, "invalid-credentials");
    patch(json!({ "current_password": PASSWORD, "role": "admin" }))
        .await
        .assert_problem(422, "invalid-body");
    patch(json!({ "current_password": PASSWORD }))
        .await
        .assert_problem(422, "invalid-body");
    patch(json!({ "current_password": PASSWORD, "email": "SAM@example.com" }))
        .await
        .assert_problem(409, "conflict");
    let res = patch(json!({ "current_password": PASSWORD, "email": "Anna@Example.com" })).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.json()["email"], "anna@example.com");
    assert_eq!(res.json()["role"], "buyer");
    assert_eq!(
        app.get("/api/v1/users/me", access).await.status,
        StatusCode::OK
    );

    let new_password = "a brand new passphrase";
    let res = patch(json!({ "current_password": PASSWORD, "password": new_password })).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    app.get("/api/v1/users/me", access)
        .await
        .assert_problem(401, "unauthorized");
    app.login("anna@example.com", PASSWORD)
        .await
        .assert_problem(401, "invalid-credentials");
    app.tokens("anna@example.com", new_password).await;
}

pub async fn refresh_rotates_and_reuse_revokes_the_family(app: TestApp) {
    let (user_id, a1, r1) = app.user("rita@example.com", "buyer").await;
    let (b1, _) = app.tokens("rita@example.com", PASSWORD).await;

    let res = app.refresh(&r1).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let a2 = res.json()["access_token"].as_str().unwrap().to_owned();
    let r2 = res.json()["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(r1, r2);
    app.get("/api/v1/users/me", &a1)
        .await
        .assert_problem(401, "unauthorized");
    assert_eq!(
        app.get("/api/v1/users/me", &a2).await.status,
        StatusCode::OK
    );

    let res = app.refresh(&r2).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let a3 = res.json()["access_token"].as_str().unwrap().to_owned();
    let r3 = res.json()["refresh_token"].as_str().unwrap().to_owned();

    // r1 was rotated already: reuse. The whole family (a3, r3) dies; the other login lives.
    app.refresh(&r1)
        .await
        .assert_problem(401, "invalid-refresh-token");
    app.get("/api/v1/users/me", &a3)
        .await
        .assert_problem(401, "unauthorized");
    app.refresh(&r3)
        .await
        .assert_problem(401, "invalid-refresh-token");
    assert_eq!(
        app.get("/api/v1/users/me", &b1).await.status,
        StatusCode::OK
    );
    app.refresh("not-a-token")
        .await
        .assert_problem(401, "invalid-refresh-token");

    let mut q = AuditQuery::all(10);
    q.kind = Some(AuditKind::RefreshTokenReused);
    q.user_id = Some(user_id);
    assert_eq!(app.store.audit_page(&q).await.unwrap().items.len(), 1);
    assert!(
        app.metrics()
            .await
            .contains(r#"ogf_auth_failures_total{reason="refresh_token_reused"} 1"#)
    );
}

pub async fn logout_takes_effect_on_the_next_request(app: TestApp) {
    let (_, access, refresh) = app.user("leo@example.com", "seller").await;
    assert_eq!(
        app.get("/api/v1/users/me", &access).await.status,
        StatusCode::OK
    );
    let res = app
        .req(Method::POST, "/api/v1/auth/logout")
        .token(&access)
        .send()
        .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.body);
    let res = app.get("/api/v1/users/me", &access).await;
    res.assert_problem(401, "unauthorized");
    assert_eq!(res.headers["www-authenticate"], "Bearer");
    app.refresh(&refresh)
        .await
        .assert_problem(401, "invalid-refresh-token");
    app.req(Method::POST, "/api/v1/auth/logout")
        .token(&access)
        .send()
        .await
        .assert_problem(401, "unauthorized");
}

pub async fn lockout_answers_like_a_wrong_password(app: TestApp) {
    let (user_id, _, _) = app.user("lou@example.com", "buyer").await;
    let wrong = app.login("lou@example.com", "wrong password 1").await;
    wrong.assert_problem(401, "invalid-credentials");
    for _ in 0..4 {
        let res = app.login("lou@example.com", "wrong password 1").await;
        assert_eq!((res.status, &res.body), (wrong.status, &wrong.body));
    }
    // Locked out: the right password gets exactly the wrong-password answer.
    let locked = app.login("lou@example.com", PASSWORD).await;
    assert_eq!((locked.status, &locked.body), (wrong.status, &wrong.body));
    assert_eq!(locked.content_type(), wrong.content_type());
    let unknown = app.login("nobody@example.com", PASSWORD).await;
    assert_eq!((unknown.status, &unknown.body), (wrong.status, &wrong.body));

    app.clock.advance(TimeDelta::minutes(14));
    let still = app.login("lou@example.com", PASSWORD).await;
    assert_eq!(still.status, StatusCode::UNAUTHORIZED, "window not over");
    app.clock
        .advance(TimeDelta::minutes(1) + TimeDelta::seconds(1));
    app.tokens("lou@example.com", PASSWORD).await;

    let mut q = AuditQuery::all(100);
    q.user_id = Some(user_id);
    let events = app.store.audit_page(&q).await.unwrap().items;
    let count = |kind, detail: &str| {
        events
            .iter()
            .filter(|e| e.kind == kind && e.detail.contains(detail))
            .count()
    };
    assert_eq!(count(AuditKind::LoginFailed, "wrong_password"), 5);
    assert_eq!(count(AuditKind::AccountLockedOut, ""), 1);
    assert_eq!(count(AuditKind::LoginFailed, "locked_out"), 2);
    assert_eq!(count(AuditKind::LoginSucceeded, ""), 2);
    let metrics = app.metrics().await;
    assert!(
        metrics.contains(r#"ogf_auth_failures_total{reason="locked_out"} 2"#),
        "{metrics}"
    );
    assert!(metrics.contains(r#"ogf_auth_failures_total{reason="unknown_email"} 1"#));
}

pub async fn missing_invalid_and_expired_tokens_are_401(app: TestApp) {
    let (_, access, refresh) = app.user("tia@example.com", "buyer").await;
    let res = app.req(Method::GET, "/api/v1/users/me").send().await;
    res.assert_problem(401, "unauthorized");
    assert_eq!(res.headers["www-authenticate"], "Bearer");
    app.get("/api/v1/users/me", "garbage")
        .await
        .assert_problem(401, "unauthorized");
    app.req(Method::GET, "/api/v1/users/me")
        .header("authorization", &format!("Basic {access}"))
        .send()
        .await
        .assert_problem(401, "unauthorized");
    let mut tampered = access.clone();
    tampered.pop();
    tampered.push(if access.ends_with('A') { 'B' } else { 'A' });
    app.get("/api/v1/users/me", &tampered)
        .await
        .assert_problem(401, "unauthorized");

    app.clock.advance(TimeDelta::minutes(15));
    app.get("/api/v1/users/me", &access)
        .await
        .assert_problem(401, "unauthorized");
    let res = app.refresh(&refresh).await;
    assert_eq!(
        res.status,
        StatusCode::OK,
        "refresh outlives access: {}",
        res.body
    );
    app.clock.advance(TimeDelta::days(8));
    let r = res.json()["refresh_token"].as_str().unwrap().to_owned();
    app.refresh(&r)
        .await
        .assert_problem(401, "invalid-refresh-token");
}

pub async fn injection_attempts_are_rejected_or_literal(app: TestApp) {
    let (_, _, _) = app.user("ivy@example.com", "buyer").await;
    let login = |body: serde_json::Value| {
        app.req(Method::POST, "/api/v1/auth/login")
            .json(body)
            .send()
    };
    for body in [
        json!({ "email": { "$ne": "" }, "password": PASSWORD }),
        json!({ "email": "ivy@example.com", "password": { "$ne": "" } }),
        json!({ "email": { "$gt": "" }, "password": { "$gt": "" } }),
        json!({ "email": "ivy@example.com", "password": PASSWORD, "$where": "true" }),
        json!({ "email": ["ivy@example.com"], "password": PASSWORD }),
    ] {
        login(body.clone())
            .await
            .assert_problem(422, "invalid-body");
    }
    for email in [
        r#"{"$ne": ""}"#,
        "ivy@example.com' OR '1'='1",
        ".*@example.com",
    ] {
        login(json!({ "email": email, "password": PASSWORD }))
            .await
            .assert_problem(401, "invalid-credentials");
    }
    app.refresh(r#"{"$ne": null}"#)
        .await
        .assert_problem(401, "invalid-refresh-token");
    app.req(Method::POST, "/api/v1/auth/refresh")
        .json(json!({ "refresh_token": { "$ne": null } }))
        .send()
        .await
        .assert_problem(422, "invalid-body");
}
