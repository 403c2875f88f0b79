//! API9 Improper Inventory Management, from the outside: guessed versions, debug and
//! leftover paths, undocumented methods, and path tricks find nothing.

use axum::http::{Method, StatusCode};
use serde_json::Value;

use crate::call;
use crate::support::app::TestApp;

/// Paths an attacker tries first: other API versions, debug and admin consoles, dot-files,
/// backups, framework defaults. All are `404 not-found` problems, for anonymous callers and
/// admins alike (no hidden admin-only surface either).
pub async fn unknown_versions_and_debug_paths_are_404_problems(app: TestApp) {
    let admin = app.admin_token().await;
    let guesses = [
        "/api/v2/listings",
        "/api/v0/listings",
        "/api/v1.1/listings",
        "/api/listings",
        "/v1/listings",
        "/api/v2/admin/users",
        "/api/internal/users",
        "/api/v1/debug",
        "/api/v1/admin",
        "/debug",
        "/debug/pprof",
        "/admin",
        "/console",
        "/actuator/health",
        "/server-status",
        "/.env",
        "/.git/config",
        "/backup.tar.gz",
        "/swagger-ui",
        "/swagger.json",
        "/api-docs",
        "/graphql",
        "/api/v1/openapi.json",
        "/metrics/internal",
        "/healthz/details",
    ];
    for path in guesses {
        for token in ["", admin.as_str()] {
            let res = call(&app, Method::GET, path, token, Value::Null).await;
            let what = format!("{path} (token: {})", !token.is_empty());
            assert_eq!(res.status, StatusCode::NOT_FOUND, "{what}: {}", res.body);
            res.assert_problem(404, "not-found");
        }
    }
}

/// Each documented path answers exactly its documented methods: every other common method
/// is a 405 problem (never a 2xx from an undocumented handler), and the `Allow` header
/// agrees with the document.
pub async fn documented_paths_answer_only_their_documented_methods(app: TestApp) {
    let admin = app.admin_token().await;
    let doc = app.req(Method::GET, "/openapi.json").send().await.json();
    let methods = [
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
    ];
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        let documented: Vec<String> = item
            .as_object()
            .unwrap()
            .keys()
            .map(|m| m.to_ascii_uppercase())
            .collect();
        let uri = path.replace("{id}", "x1").replace("{listing_id}", "x1");
        for method in &methods {
            if documented.contains(&method.as_str().to_owned()) {
                continue;
            }
            let res = call(&app, method.clone(), &uri, &admin, Value::Null).await;
            let what = format!("{method} {path}");
            res.assert_problem(405, "method-not-allowed");
            let allow = res.header("allow");
            let mut allowed: Vec<String> = allow
                .split(',')
                .map(|m| m.trim().to_owned())
                .filter(|m| m != "HEAD")
                .collect();
            allowed.sort();
            let mut expected = documented.clone();
            expected.sort();
            assert_eq!(allowed, expected, "{what}");
            checked += 1;
        }
    }
    assert!(checked >= 100, "{checked} method/path pairs");
}

/// Encoding and normalisation tricks do not reach admin routes or files: `..` segments,
/// encoded slashes, doubled slashes, case changes, trailing slashes and matrix parameters
/// are not rewritten into a mounted route; a buyer gets nothing but 4xx problems.
pub async fn path_tricks_do_not_reach_hidden_routes(app: TestApp) {
    let (_, buyer, _) = app.user("buyer@example.com", "buyer").await;
    let tricks = [
        "/api/v1/listings/../admin/users",
        "/api/v1/listings/%2e%2e/admin/users",
        "/api/v1/listings%2F..%2Fadmin%2Fusers",
        "/api/v1//admin/users",
        "/API/V1/ADMIN/USERS",
        "/api/v1/Admin/Users",
        "/api/v1/admin/users/",
        "/api/v1/admin/users;role=buyer",
        "/api/v1/admin/users%00",
        "/api/v1/users/me/../../admin/audit",
        "/api/v1/users/me/",
        "/static/../../etc/passwd",
        "/%2e%2e/%2e%2e/etc/passwd",
    ];
    for path in tricks {
        let res = app.get(path, &buyer).await;
        assert!(
            res.status.is_client_error(),
            "{path}: {} {}",
            res.status,
            res.body
        );
        assert_eq!(res.content_type(), "application/problem+json", "{path}");
        assert!(
            !res.body.contains("admin@ogf.local") && !res.body.contains("root:"),
            "{path}: {}",
            res.body
        );
    }
}
