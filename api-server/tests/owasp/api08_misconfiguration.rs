//! API8 Security Misconfiguration: headers on every answer (errors included), methods that
//! should not exist, CORS for strangers, caches, and error bodies without internals.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::call;
use crate::support::app::TestApp;
use crate::support::http::Response;

/// The one origin allowed by CORS in [`cors_grants_nothing_to_an_unknown_origin`].
const ORIGIN: &str = "https://app.example";

/// CORS for [`ORIGIN`] only.
pub fn one_cors_origin(s: &mut ogf_api::settings::Settings) {
    s.cors_origins = vec![ORIGIN.parse().unwrap()];
}

/// Words that betray internals: panics, source paths, drivers, debug dumps.
const INTERNALS: &[&str] = &[
    "panicked",
    "src/",
    ".rs:",
    "backtrace",
    "stack",
    "mongo",
    "bson",
    "redb",
    "tokio",
    "axum",
    "hyper",
    "Error {",
    "Some(",
    "thread '",
    "SELECT ",
];

fn assert_hardened(res: &Response, what: &str) {
    assert_eq!(
        res.header("strict-transport-security"),
        "max-age=31536000; includeSubDomains",
        "{what}"
    );
    assert_eq!(
        res.header("content-security-policy"),
        "default-src 'none'; frame-ancestors 'none'",
        "{what}"
    );
    assert_eq!(res.header("x-content-type-options"), "nosniff", "{what}");
    assert_eq!(res.header("x-frame-options"), "DENY", "{what}");
    assert_eq!(res.header("referrer-policy"), "no-referrer", "{what}");
    assert!(res.headers.get("server").is_none(), "{what}: Server header");
    assert!(res.headers.get("x-powered-by").is_none(), "{what}");
}

/// Every kind of error answer (400, 401, 403, 404, 405, 409, 415, 422) carries the security
/// headers and a problem body that names no internals.
pub async fn errors_carry_the_security_headers_and_no_internals(app: TestApp) {
    let (_, buyer, _) = app.user("buyer@example.com", "buyer").await;
    let (_, seller, _) = app.user("seller@example.com", "seller").await;
    let lot = crate::listing(&app, &seller, "fixed", "active", json!({})).await;
    let lot_uri = format!("/api/v1/listings/{}", lot["id"].as_str().unwrap());
    let cases = [
        (400, app.get("/api/v1/listings?limit=-5", &buyer).await),
        (
            400,
            app.req(Method::POST, "/api/v1/auth/login")
                .raw("application/json", b"{\"email\": ")
                .send()
                .await,
        ),
        (
            401,
            app.get("/api/v1/users/me", "eyJhbGciOiJub25lIn0.e30.")
                .await,
        ),
        (403, app.get("/api/v1/admin/users", &buyer).await),
        (404, app.get("/api/v1/listings/%24where", &buyer).await),
        (
            404,
            app.req(Method::GET, "/api/v1/listings/..%2F..%2Fetc%2Fpasswd")
                .send()
                .await,
        ),
        (
            405,
            app.req(Method::DELETE, "/api/v1/listings").send().await,
        ),
        (
            409,
            call(&app, Method::DELETE, &lot_uri, &seller, Value::Null).await,
        ),
        (
            415,
            app.req(Method::POST, "/api/v1/auth/login")
                .raw("application/xml", b"<a/>")
                .send()
                .await,
        ),
        (
            422,
            call(
                &app,
                Method::POST,
                "/api/v1/auth/login",
                "",
                json!({ "email": { "$where": "sleep(1000)" }, "password": "x" }),
            )
            .await,
        ),
        (
            422,
            call(
                &app,
                Method::POST,
                "/api/v1/auth/register",
                "",
                json!({ "email": "x@example.com", "password": "short" }),
            )
            .await,
        ),
    ];
    for (status, res) in &cases {
        let what = format!("{status}: {}", res.body);
        assert_eq!(res.status.as_u16(), *status, "{what}");
        assert_hardened(res, &what);
        assert_eq!(res.content_type(), "application/problem+json", "{what}");
        let p = res.json();
        assert_eq!(
            p.as_object().unwrap().len(),
            4,
            "only type/title/status/detail: {what}"
        );
        let text = format!("{} {}", p["title"], p["detail"]);
        for word in INTERNALS {
            assert!(
                !text.to_lowercase().contains(&word.to_lowercase()),
                "{word} in {what}"
            );
        }
        assert!(
            !res.body.contains("password_hash") && !res.body.contains("argon2"),
            "{what}"
        );
    }
    // And successes too.
    assert_hardened(
        &app.req(Method::GET, "/openapi.json").send().await,
        "openapi",
    );
    assert_hardened(&app.get(&lot_uri, &buyer).await, "listing");
}

/// TRACE (cross-site tracing), WebDAV and made-up methods are 405 problems that echo
/// nothing of the request, and `Allow` lists only the real methods.
pub async fn trace_and_unknown_methods_are_405_problems(app: TestApp) {
    let (_, token, _) = app.user("buyer@example.com", "buyer").await;
    for method in ["TRACE", "PROPFIND", "MKCOL", "FOO", "DEBUG"] {
        for uri in ["/api/v1/listings", "/api/v1/users/me", "/healthz"] {
            let res = app
                .req(Method::from_bytes(method.as_bytes()).unwrap(), uri)
                .token(&token)
                .header("x-secret-probe", "do-not-echo")
                .send()
                .await;
            let what = format!("{method} {uri}");
            res.assert_problem(405, "method-not-allowed");
            assert_hardened(&res, &what);
            assert!(
                !res.body.contains(&token) && !res.body.contains("do-not-echo"),
                "{what}"
            );
            let allow = res.header("allow");
            assert!(allow.contains("GET"), "{what}: {allow}");
            assert!(!allow.contains(method), "{what}: {allow}");
        }
    }
}

/// A stranger's origin gets no CORS grant on preflights or real requests, however close it
/// is to the allowed one (suffix, scheme downgrade, `null`); credentials are never allowed
/// and the allowed origin is echoed, never `*`.
pub async fn cors_grants_nothing_to_an_unknown_origin(app: TestApp) {
    let (_, token, _) = app.user("buyer@example.com", "buyer").await;
    for origin in [
        "https://evil.example",
        "https://app.example.evil.example",
        "http://app.example",
        "https://app.example:8443",
        "null",
    ] {
        let preflight = app
            .req(Method::OPTIONS, "/api/v1/users/me")
            .header("origin", origin)
            .header("access-control-request-method", "PATCH")
            .header(
                "access-control-request-headers",
                "authorization,content-type",
            )
            .send()
            .await;
        let real = app
            .req(Method::GET, "/api/v1/users/me")
            .token(&token)
            .header("origin", origin)
            .send()
            .await;
        for res in [&preflight, &real] {
            assert!(
                res.headers.get("access-control-allow-origin").is_none(),
                "{origin}: {:?}",
                res.headers
            );
            assert!(
                res.headers
                    .get("access-control-allow-credentials")
                    .is_none(),
                "{origin}"
            );
        }
    }
    let ok = app
        .req(Method::GET, "/api/v1/users/me")
        .token(&token)
        .header("origin", ORIGIN)
        .send()
        .await;
    assert_eq!(ok.header("access-control-allow-origin"), ORIGIN);
    assert!(ok.headers.get("access-control-allow-credentials").is_none());
    assert!(
        ok.header("vary").to_lowercase().contains("origin"),
        "{:?}",
        ok.headers
    );
}

/// `Cache-Control: no-store` is on error answers to authenticated requests and on failed
/// token requests too, not only on successes.
pub async fn authenticated_errors_are_not_cacheable_either(app: TestApp) {
    let (_, buyer, refresh) = app.user("buyer@example.com", "buyer").await;
    let answers = [
        app.get("/api/v1/admin/users", &buyer).await,
        app.get("/api/v1/listings/no-such-listing", &buyer).await,
        app.get("/api/v1/listings?limit=0", &buyer).await,
        app.get("/api/v1/users/me", "forged").await,
        app.req(Method::TRACE, "/api/v1/users/me")
            .token(&buyer)
            .send()
            .await,
        call(
            &app,
            Method::POST,
            "/api/v1/me/saved-searches",
            &buyer,
            json!({ "name": "" }),
        )
        .await,
        app.refresh("no-such-refresh-token").await,
        app.login("buyer@example.com", "wrong password 123").await,
        app.register("bad address", "x", None).await,
        app.refresh(&refresh).await,
    ];
    for res in &answers {
        assert_eq!(
            res.header("cache-control"),
            "no-store",
            "{}: {}",
            res.status,
            res.body
        );
    }
    assert!(answers[..9].iter().all(|r| r.status != StatusCode::OK));
}
