//! The OpenAPI document covers exactly the routes the app mounts, and every error is a
//! problem body.
// clippy.toml's allow-unwrap-in-tests covers #[test] fns only, not this crate's helpers.
#![allow(clippy::unwrap_used)]

mod support;

use axum::http::{Method, StatusCode};
use ogf_api::http::openapi::{ApiDoc, has_operation};
use ogf_api::http::routes::routes;
use serde_json::Value;
use utoipa::OpenApi;

use support::app::TestApp;

fn methods() -> [(&'static str, Method); 5] {
    [
        ("get", Method::GET),
        ("post", Method::POST),
        ("patch", Method::PATCH),
        ("put", Method::PUT),
        ("delete", Method::DELETE),
    ]
}

#[test]
fn every_mounted_route_is_documented_and_nothing_else() {
    let doc = ApiDoc::openapi();
    let mounted = routes();
    assert!(mounted.len() >= 18, "{mounted:?}");
    let missing: Vec<_> = mounted
        .iter()
        .filter(|(m, p)| !has_operation(&doc, m, p))
        .collect();
    assert!(
        missing.is_empty(),
        "routes missing from /openapi.json: {missing:?}"
    );
    let json: Value = serde_json::to_value(&doc).unwrap();
    for (path, item) in json["paths"].as_object().unwrap() {
        for (name, method) in methods() {
            if item.get(name).is_some() {
                assert!(
                    mounted.iter().any(|(m, p)| *m == method && p == path),
                    "documented but not mounted: {name} {path}"
                );
            }
        }
    }
}

#[tokio::test]
async fn every_route_in_the_table_is_really_served() {
    let (store, _dir) = support::backends::embedded().await;
    let app = TestApp::new(store, |_| {}).await;
    for (method, path) in routes() {
        let uri = path.replace("{id}", "some-id");
        let res = app.req(method.clone(), &uri).send().await;
        assert_ne!(
            res.status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}"
        );
        assert!(
            !res.body.contains("No such route."),
            "{method} {path}: {}",
            res.body
        );
    }
}

#[tokio::test]
async fn served_document_is_openapi_3_1_with_problem_errors() {
    let (store, _dir) = support::backends::embedded().await;
    let app = TestApp::new(store, |_| {}).await;
    let res = app.req(Method::GET, "/openapi.json").send().await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.content_type(), "application/json");
    let doc = res.json();
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    let problem = &doc["components"]["schemas"]["ProblemDetails"]["properties"];
    for field in ["type", "title", "status", "detail"] {
        assert!(problem.get(field).is_some(), "ProblemDetails.{field}");
    }
    let mut errors = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (name, _) in methods() {
            let Some(op) = item.get(name) else { continue };
            let responses = op["responses"].as_object().unwrap();
            assert!(responses.contains_key("500"), "{name} {path}");
            if path.starts_with("/api/") {
                assert!(responses.contains_key("429"), "{name} {path}");
            }
            for (status, response) in responses {
                if status.starts_with('4') || status.starts_with('5') {
                    errors += 1;
                    assert_eq!(
                        response["content"]["application/problem+json"]["schema"]["$ref"],
                        "#/components/schemas/ProblemDetails",
                        "{name} {path} {status}"
                    );
                }
            }
            let secured = op.get("security").is_some();
            // Listing reads take an optional token: `security: [{}, {bearer: []}]`.
            let optional = op["security"]
                .as_array()
                .is_some_and(|reqs| reqs.iter().any(|r| r == &serde_json::json!({})));
            let listing_write = path.starts_with("/api/v1/listings") && name != "get";
            // Bids and offers (reads too) are for signed-in users only.
            let trading = path.contains("/bids") || path.contains("/offers");
            // Conversations and the caller's own data (`/me/...`) too.
            let personal = path.contains("/conversations") || path.starts_with("/api/v1/me/");
            // Public seller profiles need none.
            let profile = path.starts_with("/api/v1/users/{id}/profile");
            // Data rooms (documents, NDA requests) too.
            let data_room = path.contains("/documents") || path.contains("/nda");
            let public = (path.starts_with("/api/v1/auth/") && path != "/api/v1/auth/logout"
                || !path.contains("/users")
                    && !path.contains("/admin")
                    && !path.ends_with("logout"))
                && !listing_write
                && !trading
                && !personal
                && !data_room
                || profile;
            if optional {
                assert!(
                    name == "get" && path.starts_with("/api/v1/listings"),
                    "{name} {path}: optional token only on listing reads"
                );
                assert!(
                    op["security"].as_array().unwrap().len() == 2,
                    "{name} {path}: anonymous or bearer"
                );
            } else {
                assert!(
                    secured != public,
                    "{name} {path}: security declared iff a token is needed"
                );
            }
        }
    }
    assert!(errors > 50, "{errors}");
}
