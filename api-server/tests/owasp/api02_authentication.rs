//! API2 Broken Authentication: forged, mis-signed, misused and orphaned credentials.

use axum::http::{Method, StatusCode};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use crate::support::app::{PASSWORD, TestApp};

/// The signing key of the apps these cases run on (see [`known_key`]).
const KEY: &str = "owasp-api2-known-signing-key-0123456789";

/// Settings with [`KEY`] as the access-token key, so the tests can sign tokens an attacker
/// who stole the key (or guessed the algorithm) would.
pub fn known_key(s: &mut ogf_api::settings::Settings) {
    s.jwt_secret = ogf_api::auth::JwtSecret::new(KEY).unwrap();
}

/// The claims of a real token.
fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

fn sign(alg: Algorithm, key: &[u8], claims: &Value) -> String {
    jsonwebtoken::encode(&Header::new(alg), claims, &EncodingKey::from_secret(key)).unwrap()
}

/// Asserts that `token` opens neither the caller's account nor an admin route.
async fn assert_rejected(app: &TestApp, token: &str, what: &str) {
    for uri in ["/api/v1/users/me", "/api/v1/admin/users"] {
        let res = app.get(uri, token).await;
        assert_eq!(
            res.status,
            StatusCode::UNAUTHORIZED,
            "{what} on {uri}: {}",
            res.body
        );
        res.assert_problem(401, "unauthorized");
        assert_eq!(res.headers["www-authenticate"], "Bearer", "{what}");
    }
}

/// Tokens an attacker can make: `alg: none`, another key, another algorithm with the right
/// key, the right key with a foreign issuer or audience, a made-up session, a promoted role
/// on a made-up session, and one that expired a second ago. Every one is a 401; the genuine
/// token keeps working (the forgeries revoked nothing).
pub async fn forged_tokens_are_refused(app: TestApp) {
    let (_, access, _) = app.user("mallory@example.com", "buyer").await;
    let real = claims(&access);
    assert_eq!(real["role"], "buyer", "{real}");
    let admin_claims = {
        let mut c = real.clone();
        c["role"] = json!("admin");
        c
    };
    let with = |field: &str, value: Value| {
        let mut c = real.clone();
        c[field] = value;
        c
    };
    let none = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#),
        URL_SAFE_NO_PAD.encode(admin_claims.to_string())
    );
    let now = ogf_api::clock::Clock::now(app.clock.as_ref()).timestamp();
    let forgeries = [
        ("alg none", none),
        (
            "another key",
            sign(
                Algorithm::HS256,
                b"not the server's key, 32 bytes long!",
                &admin_claims,
            ),
        ),
        (
            "HS512 with the key",
            sign(Algorithm::HS512, KEY.as_bytes(), &real),
        ),
        (
            "HS384 with the key",
            sign(Algorithm::HS384, KEY.as_bytes(), &real),
        ),
        (
            "foreign issuer",
            sign(
                Algorithm::HS256,
                KEY.as_bytes(),
                &with("iss", json!("evil")),
            ),
        ),
        (
            "foreign audience",
            sign(
                Algorithm::HS256,
                KEY.as_bytes(),
                &with("aud", json!("evil")),
            ),
        ),
        (
            "made-up session",
            sign(
                Algorithm::HS256,
                KEY.as_bytes(),
                &with("sid", json!("no-such-session")),
            ),
        ),
        (
            "made-up user",
            sign(
                Algorithm::HS256,
                KEY.as_bytes(),
                &with("sub", json!("no-such-user")),
            ),
        ),
        (
            "expired",
            sign(
                Algorithm::HS256,
                KEY.as_bytes(),
                &with("exp", json!(now - 1)),
            ),
        ),
        ("no expiry", {
            let mut c = real.clone();
            c.as_object_mut().unwrap().remove("exp");
            sign(Algorithm::HS256, KEY.as_bytes(), &c)
        }),
        ("signature stripped", {
            let mut parts: Vec<&str> = access.split('.').collect();
            parts[2] = "";
            parts.join(".")
        }),
        ("payload swapped", {
            let parts: Vec<&str> = access.split('.').collect();
            format!(
                "{}.{}.{}",
                parts[0],
                URL_SAFE_NO_PAD.encode(admin_claims.to_string()),
                parts[2]
            )
        }),
    ];
    for (what, token) in &forgeries {
        assert_rejected(&app, token, what).await;
    }
    let me = app.get("/api/v1/users/me", &access).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.body);
    assert_eq!(me.json()["role"], "buyer");
}

/// A refresh token is not a bearer token, and an access token refreshes nothing; neither
/// mistake burns the real refresh token.
pub async fn tokens_cannot_be_used_for_the_other_purpose(app: TestApp) {
    let (_, access, refresh) = app.user("rita@example.com", "seller").await;
    assert_rejected(&app, &refresh, "refresh token as bearer").await;
    app.refresh(&access)
        .await
        .assert_problem(401, "invalid-refresh-token");
    app.req(Method::POST, "/api/v1/auth/refresh")
        .token(&access)
        .json(json!({ "refresh_token": "" }))
        .send()
        .await
        .assert_problem(401, "invalid-refresh-token");
    let res = app.refresh(&refresh).await;
    assert_eq!(
        res.status,
        StatusCode::OK,
        "the real one still works: {}",
        res.body
    );
}

/// Wrong password, unknown account, and an address differing only in case or padding all
/// get byte-identical answers, so the login form cannot be used to enumerate accounts.
pub async fn login_failures_do_not_reveal_which_accounts_exist(app: TestApp) {
    app.user("known@example.com", "buyer").await;
    let wrong_password = app.login("known@example.com", "wrong password 123").await;
    wrong_password.assert_problem(401, "invalid-credentials");
    for (email, password) in [
        ("unknown@example.com", "wrong password 123"),
        ("unknown@example.com", PASSWORD),
        ("nobody@nowhere.invalid", ""),
    ] {
        let res = app.login(email, password).await;
        assert_eq!(res.status, wrong_password.status, "{email}");
        assert_eq!(res.body, wrong_password.body, "{email}");
        assert_eq!(
            res.headers.get("www-authenticate"),
            wrong_password.headers.get("www-authenticate"),
            "{email}"
        );
    }
}

/// When an admin deletes an account, its live access and refresh tokens stop working at once
/// and its credentials no longer sign in.
pub async fn a_deleted_users_tokens_die_with_the_account(app: TestApp) {
    let (id, access, refresh) = app.user("gone@example.com", "seller").await;
    let admin = app.admin_token().await;
    let res = app
        .req(Method::DELETE, &format!("/api/v1/admin/users/{id}"))
        .token(&admin)
        .send()
        .await;
    assert!(res.status.is_success(), "{}", res.body);
    assert_rejected(&app, &access, "deleted user's access token").await;
    app.refresh(&refresh)
        .await
        .assert_problem(401, "invalid-refresh-token");
    app.login("gone@example.com", PASSWORD)
        .await
        .assert_problem(401, "invalid-credentials");
}
