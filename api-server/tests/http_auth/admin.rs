//! Roles, admin user management, admin revocation, the audit log endpoint.

use axum::http::{Method, StatusCode};
use chrono::{SecondsFormat, TimeDelta};
use ogf_api::clock::Clock;
use serde_json::{Value, json};

use crate::support::app::{ADMIN_EMAIL, PASSWORD, TestApp};

const ADMIN_ROUTES: [(Method, &str); 5] = [
    (Method::GET, "/api/v1/admin/users"),
    (Method::PATCH, "/api/v1/admin/users/someone"),
    (Method::DELETE, "/api/v1/admin/users/someone"),
    (Method::DELETE, "/api/v1/admin/users/someone/sessions"),
    (Method::GET, "/api/v1/admin/audit"),
];

pub async fn roles_401_vs_403(app: TestApp) {
    let (_, buyer, _) = app.user("bea@example.com", "buyer").await;
    let (_, seller, _) = app.user("sid@example.com", "seller").await;
    let admin = app.admin_token().await;
    for (method, uri) in ADMIN_ROUTES {
        let call = |token: Option<&str>| {
            let mut r = app.req(method.clone(), uri);
            if let Some(t) = token {
                r = r.token(t);
            }
            if method == Method::PATCH {
                r = r.json(json!({ "locked": true }));
            }
            r.send()
        };
        call(None).await.assert_problem(401, "unauthorized");
        call(Some("not.a.jwt"))
            .await
            .assert_problem(401, "unauthorized");
        call(Some(&buyer)).await.assert_problem(403, "forbidden");
        call(Some(&seller)).await.assert_problem(403, "forbidden");
        let res = call(Some(&admin)).await;
        assert!(
            res.status == StatusCode::OK || res.status == StatusCode::NOT_FOUND,
            "{method} {uri}: {} {}",
            res.status,
            res.body
        );
    }
    let metrics = app.metrics().await;
    assert!(
        metrics.contains(r#"ogf_auth_failures_total{reason="forbidden"} 10"#),
        "{metrics}"
    );
    assert!(metrics.contains(r#"ogf_auth_failures_total{reason="missing_token"} 5"#));
}

pub async fn admin_revoke_takes_effect_on_the_next_request(app: TestApp) {
    let admin = app.admin_token().await;
    let (id, a1, r1) = app.user("rex@example.com", "buyer").await;
    let (a2, _) = app.tokens("rex@example.com", PASSWORD).await;
    assert_eq!(
        app.get("/api/v1/users/me", &a1).await.status,
        StatusCode::OK
    );
    let res = app
        .req(
            Method::DELETE,
            &format!("/api/v1/admin/users/{id}/sessions"),
        )
        .token(&admin)
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.json()["revoked"], 2);
    for token in [&a1, &a2] {
        app.get("/api/v1/users/me", token)
            .await
            .assert_problem(401, "unauthorized");
    }
    app.refresh(&r1)
        .await
        .assert_problem(401, "invalid-refresh-token");
    app.tokens("rex@example.com", PASSWORD).await;
    app.req(Method::DELETE, "/api/v1/admin/users/nobody/sessions")
        .token(&admin)
        .send()
        .await
        .assert_problem(404, "not-found");
}

async fn list_all_users(app: &TestApp, admin: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut uri = "/api/v1/admin/users?limit=2".to_owned();
    loop {
        let page = app.get(&uri, admin).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        let page = page.json();
        assert!(page["items"].as_array().unwrap().len() <= 2);
        items.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => uri = format!("/api/v1/admin/users?limit=2&cursor={c}"),
            None => return items,
        }
    }
}

pub async fn admin_manages_users(app: TestApp) {
    let admin = app.admin_token().await;
    let admin_id = app.get("/api/v1/users/me", &admin).await.json()["id"].clone();
    let (bob, bob_token, _) = app.user("bob@example.com", "buyer").await;
    app.user("cat@example.com", "seller").await;
    app.user("dan@example.com", "buyer").await;
    let emails: Vec<Value> = list_all_users(&app, &admin)
        .await
        .into_iter()
        .map(|u| u["email"].clone())
        .collect();
    assert_eq!(
        emails,
        [
            ADMIN_EMAIL,
            "bob@example.com",
            "cat@example.com",
            "dan@example.com"
        ]
    );
    app.get("/api/v1/admin/users?cursor=bogus", &admin)
        .await
        .assert_problem(400, "invalid-parameter");
    app.get("/api/v1/admin/users?limit=0", &admin)
        .await
        .assert_problem(400, "invalid-parameter");
    app.get("/api/v1/admin/users?role=admin", &admin)
        .await
        .assert_problem(400, "invalid-parameter");

    let patch = |id: String, body: Value| {
        let admin = admin.clone();
        let app = &app;
        async move {
            app.req(Method::PATCH, &format!("/api/v1/admin/users/{id}"))
                .token(&admin)
                .json(body)
                .send()
                .await
        }
    };
    let res = patch(bob.clone(), json!({ "role": "seller" })).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.json()["role"], "seller");
    app.get("/api/v1/users/me", &bob_token)
        .await
        .assert_problem(401, "unauthorized");
    let (bob_token, _) = app.tokens("bob@example.com", PASSWORD).await;
    assert_eq!(
        app.get("/api/v1/users/me", &bob_token).await.json()["role"],
        "seller"
    );

    let res = patch(bob.clone(), json!({ "locked": true })).await;
    assert_eq!(res.json()["locked"], true);
    app.get("/api/v1/users/me", &bob_token)
        .await
        .assert_problem(401, "unauthorized");
    let locked = app.login("bob@example.com", PASSWORD).await;
    let wrong = app.login("bob@example.com", "not the password").await;
    assert_eq!((locked.status, &locked.body), (wrong.status, &wrong.body));
    patch(bob.clone(), json!({ "locked": false })).await;
    app.tokens("bob@example.com", PASSWORD).await;

    let self_id = admin_id.as_str().unwrap().to_owned();
    patch(self_id.clone(), json!({ "role": "buyer" }))
        .await
        .assert_problem(409, "conflict");
    patch(bob.clone(), json!({}))
        .await
        .assert_problem(422, "invalid-body");
    patch(bob.clone(), json!({ "role": "root" }))
        .await
        .assert_problem(422, "invalid-body");
    patch(bob.clone(), json!({ "email": "x@example.com" }))
        .await
        .assert_problem(422, "invalid-body");
    patch("nobody".into(), json!({ "locked": true }))
        .await
        .assert_problem(404, "not-found");

    let delete = |id: String| {
        app.req(Method::DELETE, &format!("/api/v1/admin/users/{id}"))
            .token(&admin)
            .send()
    };
    delete(self_id).await.assert_problem(409, "conflict");
    assert_eq!(delete(bob.clone()).await.status, StatusCode::NO_CONTENT);
    delete(bob).await.assert_problem(404, "not-found");
    app.login("bob@example.com", PASSWORD)
        .await
        .assert_problem(401, "invalid-credentials");
}

pub async fn audit_log_is_filtered_and_paginated(app: TestApp) {
    let admin = app.admin_token().await;
    let admin_id = app.get("/api/v1/users/me", &admin).await.json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (eve, _, _) = app.user("eve@example.com", "buyer").await;
    let start = app.clock.now();
    app.clock.advance(TimeDelta::seconds(10));
    app.login("eve@example.com", "wrong password!").await;
    app.login("eve@example.com", "wrong password!").await;
    app.clock.advance(TimeDelta::seconds(10));
    let middle = app.clock.now();
    app.req(Method::PATCH, &format!("/api/v1/admin/users/{eve}"))
        .token(&admin)
        .json(json!({ "role": "seller" }))
        .send()
        .await;
    app.req(
        Method::DELETE,
        &format!("/api/v1/admin/users/{eve}/sessions"),
    )
    .token(&admin)
    .send()
    .await;
    app.req(Method::DELETE, &format!("/api/v1/admin/users/{eve}"))
        .token(&admin)
        .send()
        .await;

    let get = |query: String| {
        let admin = admin.clone();
        let app = &app;
        async move {
            let res = app
                .get(&format!("/api/v1/admin/audit?{query}"), &admin)
                .await;
            assert_eq!(res.status, StatusCode::OK, "{}", res.body);
            res.json()
        }
    };
    let kinds = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["type"].as_str().unwrap().to_owned())
            .collect()
    };
    let page = get(format!("user_id={eve}")).await;
    assert_eq!(
        kinds(&page),
        [
            "user_deleted",
            "sessions_revoked",
            "role_changed",
            "login_failed",
            "login_failed",
            "login_succeeded",
            "user_registered"
        ]
    );
    let first = &page["items"][0];
    assert_eq!(first["actor_id"], admin_id.as_str());
    assert_eq!(first["ip"], "192.0.2.10");
    assert_eq!(page["items"][2]["detail"], "buyer->seller");

    let page = get(format!("user_id={eve}&type=login_failed")).await;
    assert_eq!(kinds(&page), ["login_failed", "login_failed"]);
    assert_eq!(page["items"][0]["detail"], "wrong_password");
    let rfc = |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(SecondsFormat::Millis, true);
    let page = get(format!(
        "user_id={eve}&from={}&to={}",
        rfc(start + TimeDelta::seconds(1)),
        rfc(middle)
    ))
    .await;
    assert_eq!(kinds(&page), ["login_failed", "login_failed"]);

    let mut seen = Vec::new();
    let mut query = format!("user_id={eve}&limit=3");
    loop {
        let page = get(query.clone()).await;
        seen.extend(kinds(&page));
        match page["next_cursor"].as_str() {
            Some(c) => query = format!("user_id={eve}&limit=3&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen.len(), 7);

    let literal = get(r#"user_id={"$ne":null}"#.replace('"', "%22")).await;
    assert_eq!(literal["items"], json!([]));
    for bad in [
        "type=nope",
        "from=yesterday",
        "limit=x",
        "cursor=abc",
        "user[$ne]=x",
    ] {
        app.get(&format!("/api/v1/admin/audit?{bad}"), &admin)
            .await
            .assert_problem(400, "invalid-parameter");
    }
}
