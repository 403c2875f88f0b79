//! Abuse controls and security middleware over HTTP: rate limits (429 and headers, windows
//! moved by the test clock), trusted proxies, body limits, malformed bodies, security headers,
//! CORS, request ids. Embedded store (none of this depends on the backend).
// clippy.toml's allow-unwrap-in-tests covers #[test] fns only, not this crate's helpers.
#![allow(clippy::unwrap_used)]

mod support;

use axum::http::{Method, StatusCode};
use chrono::TimeDelta;
use ogf_api::settings::{RateLimits, Settings};
use serde_json::json;

use support::app::{ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD, TestApp};
use support::http::Response;

async fn app_with(adjust: impl FnOnce(&mut Settings)) -> (TestApp, tempfile::TempDir) {
    let (store, dir) = support::backends::embedded().await;
    (TestApp::new(store, adjust).await, dir)
}

async fn login_from(app: &TestApp, ip: &str, xff: Option<&str>) -> Response {
    let mut req = app
        .req(Method::POST, "/api/v1/auth/login")
        .ip(Some(ip))
        .json(json!({ "email": "x@example.com", "password": "wrong password" }));
    if let Some(v) = xff {
        req = req.header("x-forwarded-for", v);
    }
    req.send().await
}

#[tokio::test]
async fn auth_endpoints_are_limited_per_ip_with_headers() {
    let (app, _dir) = app_with(|s| s.rate_limits.auth_per_minute = 2).await;
    let first = login_from(&app, "198.51.100.1", None).await;
    assert_eq!(first.status, StatusCode::UNAUTHORIZED);
    assert_eq!(first.header("ratelimit-limit"), "2");
    assert_eq!(first.header("ratelimit-remaining"), "1");
    assert_eq!(first.header("ratelimit-reset"), "60");
    app.clock.advance(TimeDelta::seconds(20));
    let second = login_from(&app, "198.51.100.1", None).await;
    assert_eq!(second.header("ratelimit-remaining"), "0");
    let third = login_from(&app, "198.51.100.1", None).await;
    let detail = third.assert_problem(429, "rate-limited");
    assert!(detail.contains("40 seconds"), "{detail}");
    assert_eq!(third.header("retry-after"), "40");
    assert_eq!(third.header("ratelimit-limit"), "2");
    assert_eq!(third.header("ratelimit-remaining"), "0");
    assert_eq!(third.header("ratelimit-reset"), "40");
    // Another client is not affected.
    let other = login_from(&app, "198.51.100.2", None).await;
    assert_eq!(other.status, StatusCode::UNAUTHORIZED);

    app.clock.advance(TimeDelta::seconds(40));
    let again = login_from(&app, "198.51.100.1", None).await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED, "new window");
    assert_eq!(again.header("ratelimit-remaining"), "1");
    let metrics = app.metrics().await;
    assert!(
        metrics.contains(r#"ogf_rate_limit_rejections_total{scope="auth"} 1"#),
        "{metrics}"
    );
}

#[tokio::test]
async fn anonymous_clients_and_users_have_their_own_limits() {
    let (app, _dir) = app_with(|s| {
        s.rate_limits = RateLimits {
            auth_per_minute: 0,
            anonymous_per_day: 3,
            user_per_minute: 2,
            trading_per_minute: 0,
        }
    })
    .await;
    let (_, token, _) = app.user("u@example.com", "buyer").await;
    let anon = || app.req(Method::GET, "/api/v1/listings").send();
    for remaining in ["2", "1", "0"] {
        let res = anon().await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        assert_eq!(res.header("ratelimit-remaining"), remaining);
    }
    let limited = anon().await;
    limited.assert_problem(429, "rate-limited");
    assert_eq!(limited.header("retry-after"), "86400");
    // Probes and metrics are never limited.
    for _ in 0..5 {
        let res = app.req(Method::GET, "/healthz").send().await;
        assert_eq!(res.status, StatusCode::OK);
        assert!(res.headers.get("ratelimit-limit").is_none());
    }
    // A signed-in user from the same address counts separately, per minute.
    let user = || app.get("/api/v1/users/me", &token);
    assert_eq!(user().await.status, StatusCode::OK);
    assert_eq!(user().await.header("ratelimit-limit"), "2");
    user().await.assert_problem(429, "rate-limited");
    // An invalid token is an anonymous client.
    app.get("/api/v1/listings", "forged")
        .await
        .assert_problem(429, "rate-limited");
    app.clock.advance(TimeDelta::minutes(1));
    assert_eq!(user().await.status, StatusCode::OK);
    anon().await.assert_problem(429, "rate-limited");
    app.clock.advance(TimeDelta::days(1));
    assert_eq!(anon().await.status, StatusCode::OK);
    let metrics = app.metrics().await;
    assert!(
        metrics.contains(r#"ogf_rate_limit_rejections_total{scope="anonymous"} 3"#),
        "{metrics}"
    );
    assert!(metrics.contains(r#"ogf_rate_limit_rejections_total{scope="user"} 1"#));
}

#[tokio::test]
async fn one_ipv6_network_shares_one_budget() {
    let (app, _dir) = app_with(|s| {
        s.rate_limits = RateLimits {
            auth_per_minute: 2,
            anonymous_per_day: 2,
            user_per_minute: 0,
            trading_per_minute: 0,
        }
    })
    .await;
    let anon = |ip: &'static str| app.req(Method::GET, "/api/v1/listings").ip(Some(ip)).send();
    // Each request from a new address of the same /64, as a client walking its allotment.
    assert_eq!(anon("2001:db8:7:1::1").await.status, StatusCode::OK);
    assert_eq!(anon("2001:db8:7:1::2").await.status, StatusCode::OK);
    anon("2001:db8:7:1:abcd::3")
        .await
        .assert_problem(429, "rate-limited");
    assert_eq!(
        anon("2001:db8:7:2::1").await.status,
        StatusCode::OK,
        "the next /64 is another client"
    );
    // The same for the per-IP limit of the authentication endpoints.
    for ip in ["2001:db8:9:1::1", "2001:db8:9:1::2"] {
        assert_eq!(
            login_from(&app, ip, None).await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    login_from(&app, "2001:db8:9:1::3", None)
        .await
        .assert_problem(429, "rate-limited");
}

#[tokio::test]
async fn forwarded_for_is_believed_only_from_trusted_proxies() {
    let (app, _dir) = app_with(|s| {
        s.rate_limits.auth_per_minute = 1;
        s.trusted_proxies = vec!["10.0.0.0/8".parse().unwrap()];
    })
    .await;
    let proxy = "10.0.0.7";
    assert_eq!(
        login_from(&app, proxy, Some("203.0.113.1")).await.status,
        StatusCode::UNAUTHORIZED
    );
    login_from(&app, proxy, Some("203.0.113.1"))
        .await
        .assert_problem(429, "rate-limited");
    assert_eq!(
        login_from(&app, proxy, Some("203.0.113.2")).await.status,
        StatusCode::UNAUTHORIZED,
        "another client behind the proxy"
    );
    // An untrusted peer cannot pick its identity with the header.
    assert_eq!(
        login_from(&app, "203.0.113.9", Some("1.1.1.1"))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    login_from(&app, "203.0.113.9", Some("2.2.2.2"))
        .await
        .assert_problem(429, "rate-limited");
    let events = app
        .store
        .audit_page(&ogf_api::domain::AuditQuery::all(10))
        .await
        .unwrap()
        .items;
    let ips: Vec<_> = events.iter().filter_map(|e| e.ip.clone()).collect();
    assert!(ips.contains(&"203.0.113.1".to_owned()), "{ips:?}");
    assert!(!ips.contains(&"1.1.1.1".to_owned()), "{ips:?}");
}

#[tokio::test]
async fn oversized_bodies_are_413_problems() {
    let (app, _dir) = app_with(|s| s.body_limit_bytes = 1024).await;
    let big = json!({ "email": "a@example.com", "password": "p".repeat(2000) }).to_string();
    let res = app
        .req(Method::POST, "/api/v1/auth/login")
        .raw("application/json", big.as_bytes())
        .header("content-length", &big.len().to_string())
        .send()
        .await;
    res.assert_problem(413, "payload-too-large");
    let res = app
        .req(Method::POST, "/api/v1/auth/register")
        .raw("application/json", big.as_bytes())
        .send()
        .await;
    res.assert_problem(413, "payload-too-large");
    let fits = json!({ "email": "a@example.com", "password": PASSWORD }).to_string();
    let res = app
        .req(Method::POST, "/api/v1/auth/register")
        .raw("application/json", fits.as_bytes())
        .send()
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
}

#[tokio::test]
async fn malformed_bodies_are_problems() {
    let (app, _dir) = app_with(|_| {}).await;
    let post = |content_type: &str, body: &str| {
        app.req(Method::POST, "/api/v1/auth/login")
            .raw(content_type, body.as_bytes())
            .send()
    };
    post("application/json", r#"{"email": "a@example.com", "#)
        .await
        .assert_problem(400, "malformed-body");
    post("application/json", "")
        .await
        .assert_problem(400, "malformed-body");
    post("text/plain", r#"{"email":"a@example.com","password":"x"}"#)
        .await
        .assert_problem(415, "unsupported-media-type");
    post("", r#"{"email":"a@example.com","password":"x"}"#)
        .await
        .assert_problem(415, "unsupported-media-type");
    post("application/json", r#"{"email": 5, "password": "x"}"#)
        .await
        .assert_problem(422, "invalid-body");
    post("application/json", r#"{"email": "a@example.com"}"#)
        .await
        .assert_problem(422, "invalid-body");
    let d = post(
        "application/json",
        r#"{"email":"a@example.com","password":"x","admin":true}"#,
    )
    .await
    .assert_problem(422, "invalid-body");
    assert!(d.contains("unknown field"), "{d}");
    let d = post(
        "application/json",
        r#"{"email":{"$where":"1"},"password":"x"}"#,
    )
    .await
    .assert_problem(422, "invalid-body");
    assert!(d.contains("$where"), "{d}");
    let ok = post(
        "application/json; charset=utf-8",
        r#"{"email":"a@example.com","password":"x"}"#,
    )
    .await;
    ok.assert_problem(401, "invalid-credentials");
}

#[tokio::test]
async fn security_headers_request_ids_and_cors() {
    let (app, _dir) = app_with(|s| {
        s.cors_origins = vec!["https://app.example".parse().unwrap()];
    })
    .await;
    let responses = [
        app.req(Method::GET, "/healthz").send().await,
        app.req(Method::GET, "/nowhere").send().await,
        app.req(Method::GET, "/api/v1/users/me").send().await,
        app.req(Method::POST, "/api/v1/auth/login").send().await,
    ];
    for res in &responses {
        assert_eq!(
            res.header("strict-transport-security"),
            "max-age=31536000; includeSubDomains"
        );
        assert!(
            res.header("content-security-policy")
                .starts_with("default-src 'none'")
        );
        assert_eq!(res.header("x-content-type-options"), "nosniff");
        assert_eq!(res.header("x-frame-options"), "DENY");
        assert_eq!(res.header("referrer-policy"), "no-referrer");
        assert_eq!(res.header("x-request-id").len(), 36, "generated UUID");
    }
    let res = app
        .req(Method::GET, "/healthz")
        .header("x-request-id", "trace-me-123")
        .send()
        .await;
    assert_eq!(res.header("x-request-id"), "trace-me-123");

    let preflight = |origin: &str| {
        app.req(Method::OPTIONS, "/api/v1/auth/login")
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "content-type,authorization",
            )
            .send()
    };
    let ok = preflight("https://app.example").await;
    assert_eq!(
        ok.header("access-control-allow-origin"),
        "https://app.example"
    );
    // Every method of the route table, PUT (watch a listing) included.
    let methods = ok.header("access-control-allow-methods");
    for (method, path) in ogf_api::http::routes::routes() {
        assert!(
            methods.contains(method.as_str()),
            "{method} {path}: {methods}"
        );
    }
    let evil = preflight("https://evil.example").await;
    assert!(evil.headers.get("access-control-allow-origin").is_none());
    let simple = app
        .req(Method::GET, "/healthz")
        .header("origin", "https://app.example")
        .send()
        .await;
    assert_eq!(
        simple.header("access-control-allow-origin"),
        "https://app.example"
    );
    assert!(
        simple
            .header("access-control-expose-headers")
            .contains("ratelimit-remaining")
    );

    // OWASP API8: no cache keeps tokens or answers to authenticated requests.
    let admin = app.admin_token().await;
    for res in [
        app.get("/api/v1/users/me", &admin).await,
        app.get("/api/v1/listings", &admin).await,
        app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await,
        app.req(Method::POST, "/api/v1/auth/login").send().await,
    ] {
        assert_eq!(res.header("cache-control"), "no-store", "{}", res.body);
    }
    let public = app.req(Method::GET, "/api/v1/listings").send().await;
    assert!(public.headers.get("cache-control").is_none());
}

/// OWASP API6: bids, offers, messages and NDA requests share a per-user budget of their own, so
/// one account cannot spam a seller or an auction even well inside the general request limit.
#[tokio::test]
async fn trading_actions_have_a_per_user_budget_of_their_own() {
    let (app, _dir) = app_with(|s| {
        s.rate_limits = RateLimits {
            auth_per_minute: 0,
            anonymous_per_day: 0,
            user_per_minute: 0,
            trading_per_minute: 3,
        }
    })
    .await;
    let (_, seller, _) = app.user("seller@example.com", "seller").await;
    let (_, spammer, _) = app.user("spammer@example.com", "buyer").await;
    let (_, other, _) = app.user("other@example.com", "buyer").await;
    let created = app
        .req(Method::POST, "/api/v1/listings")
        .token(&seller)
        .json(json!({
            "title": "Midland WI package",
            "description": "Producing WI package.",
            "type": "working_interest",
            "status": "active",
            "basin": "Permian",
            "state": "TX",
            "county": "Midland",
            "location": { "lon": -102.08, "lat": 31.99 },
            "asking_price_cents": 1_000_000,
            "sale_type": "fixed",
        }))
        .send()
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.json()["id"].as_str().unwrap().to_owned();
    let message = |token: &str| {
        app.req(
            Method::POST,
            &format!("/api/v1/listings/{id}/conversations"),
        )
        .token(token)
        .json(json!({ "body": "Is the lease still available?" }))
        .send()
    };
    for remaining in ["2", "1", "0"] {
        let res = message(&spammer).await;
        assert!(res.status.is_success(), "{}", res.body);
        assert_eq!(res.header("ratelimit-remaining"), remaining);
    }
    let limited = message(&spammer).await;
    limited.assert_problem(429, "rate-limited");
    assert_eq!(limited.header("retry-after"), "60");
    // An NDA request is a trading action too; reads are not.
    app.req(Method::POST, &format!("/api/v1/listings/{id}/nda"))
        .token(&spammer)
        .json(json!({ "accept": true }))
        .send()
        .await
        .assert_problem(429, "rate-limited");
    let read = app.get(&format!("/api/v1/listings/{id}"), &spammer).await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.body);
    // Budgets are per user, and come back after the window.
    assert!(message(&other).await.status.is_success());
    app.clock.advance(TimeDelta::minutes(1));
    assert!(message(&spammer).await.status.is_success());
    let metrics = app.metrics().await;
    assert!(
        metrics.contains(r#"ogf_rate_limit_rejections_total{scope="trading"} 2"#),
        "{metrics}"
    );
}

/// Every trading route of the rate limiter is a mounted `POST` route: a renamed route cannot
/// silently leave the limit.
#[test]
fn every_trading_route_is_a_mounted_post_route() {
    let mounted = ogf_api::http::routes::routes();
    for path in ogf_api::http::rate_limit::TRADING_ROUTES {
        assert!(
            mounted.contains(&(Method::POST, path)),
            "{path} is not a POST route"
        );
    }
}
