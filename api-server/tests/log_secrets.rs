//! Logs never contain passwords, tokens or keys: every log line of a full auth session is
//! captured (trace level, all targets) and searched.
// clippy.toml's allow-unwrap-in-tests covers #[test] fns only, not this crate's helpers.
#![allow(clippy::unwrap_used)]

mod support;

use std::io::Write;
use std::sync::{Arc, Mutex};

use axum::http::{Method, StatusCode};
use ogf_api::auth::JwtSecret;
use serde_json::json;

use support::app::{PASSWORD, TestApp};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn a_whole_auth_session_logs_no_secret() {
    let logs = Captured::default();
    let writer = logs.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .json()
        .init();

    let jwt_key = "jwt-signing-key-that-must-never-be-logged-0123456789";
    let (store, _dir) = support::backends::embedded().await;
    let app = TestApp::new(store, |s| s.jwt_secret = JwtSecret::new(jwt_key).unwrap()).await;
    let wrong = "wrong-password-never-logged";
    assert_eq!(
        app.login("lee@example.com", wrong).await.status,
        StatusCode::UNAUTHORIZED
    );
    let (_, access, refresh) = app.user("lee@example.com", "buyer").await;
    assert_eq!(
        app.login("lee@example.com", wrong).await.status,
        StatusCode::UNAUTHORIZED
    );
    let res = app.refresh(&refresh).await;
    let next_refresh = res.json()["refresh_token"].as_str().unwrap().to_owned();
    let next_access = res.json()["access_token"].as_str().unwrap().to_owned();
    app.refresh(&refresh).await; // reuse: logged as a warning
    app.get("/api/v1/users/me", &access).await;
    app.req(Method::PATCH, "/api/v1/users/me")
        .token(&next_access)
        .json(json!({ "current_password": PASSWORD, "password": "new-password-never-logged" }))
        .send()
        .await;
    app.req(Method::POST, "/api/v1/auth/logout")
        .token(&next_access)
        .send()
        .await;

    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(
        text.contains("/api/v1/auth/login"),
        "requests are logged: {text}"
    );
    assert!(
        text.contains("refresh token reuse"),
        "security events are logged"
    );
    for secret in [
        PASSWORD,
        wrong,
        "new-password-never-logged",
        support::app::ADMIN_PASSWORD,
        jwt_key,
        &access,
        &refresh,
        &next_refresh,
        &next_access,
    ] {
        assert!(
            !text.contains(secret),
            "log contains a secret ({} chars)",
            secret.len()
        );
    }
    // Token fragments (the signature part) must not appear either.
    let signature = access.rsplit('.').next().unwrap();
    assert!(!text.contains(signature));
}
