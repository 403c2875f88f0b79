//! API4 Unrestricted Resource Consumption: oversize bodies on every route, unbounded pages,
//! and inputs built to be expensive (deep nesting, long queries, huge numbers).

use axum::http::{Method, StatusCode};
use ogf_api::http::routes::{UPLOAD_PATH, routes};
use serde_json::{Value, json};

use crate::support::app::{PASSWORD, TestApp};
use crate::{call, listing};

/// Body limit of these cases.
const BODY_LIMIT: usize = 2048;

/// Small body and upload limits.
pub fn small_bodies(s: &mut ogf_api::settings::Settings) {
    s.body_limit_bytes = BODY_LIMIT;
    s.upload_max_bytes = BODY_LIMIT;
}

fn concrete(template: &str, id: &str) -> String {
    template.replace("{id}", id).replace("{listing_id}", id)
}

/// Every route of the table that takes a body refuses one over the limit with a 413 problem
/// before authentication or parsing, for anonymous and signed-in callers alike (the upload
/// route only admits its own limit plus the multipart framing).
pub async fn every_body_route_refuses_an_oversize_body(app: TestApp) {
    let (_, seller, _) = app.user("seller@example.com", "seller").await;
    let lot = listing(&app, &seller, "fixed", "active", json!({})).await;
    let id = lot["id"].as_str().unwrap();
    let big = json!({ "title": "x".repeat(4 * BODY_LIMIT) }).to_string();
    let huge_upload = vec![b'a'; 256 * 1024];
    let mut checked = 0;
    for (method, template) in routes() {
        if ![Method::POST, Method::PATCH, Method::PUT].contains(&method) {
            continue;
        }
        let uri = concrete(template, id);
        let body: &[u8] = if template == UPLOAD_PATH {
            &huge_upload
        } else {
            big.as_bytes()
        };
        for token in ["", seller.as_str()] {
            let mut req = app
                .req(method.clone(), &uri)
                .raw("application/json", body)
                .header("content-length", &body.len().to_string());
            if !token.is_empty() {
                req = req.token(token);
            }
            let res = req.send().await;
            res.assert_problem(413, "payload-too-large");
        }
        checked += 1;
    }
    assert!(checked >= 20, "only {checked} body routes");
    // The listing is as it was: no oversize PATCH got through.
    let now = app
        .get(&format!("/api/v1/listings/{id}"), &seller)
        .await
        .json();
    assert_eq!(now["title"], lot["title"]);
}

/// Every documented paged route (a GET with a `limit` parameter) refuses nonsense limits
/// with a 400 problem and caps a huge one: with 101 listings and more audit events, a
/// request for a million rows gets 100 and a cursor.
pub async fn page_sizes_are_capped_on_every_paged_route(app: TestApp) {
    let (_, seller, _) = app.user("seller@example.com", "seller").await;
    let admin = app.admin_token().await;
    let mut id = String::new();
    for _ in 0..101 {
        id = listing(&app, &seller, "fixed", "active", json!({})).await["id"]
            .as_str()
            .unwrap()
            .to_owned();
    }
    let auction = listing(&app, &seller, "auction", "active", json!({})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, buyer, _) = app.user("buyer@example.com", "buyer").await;
    let started = call(
        &app,
        Method::POST,
        &format!("/api/v1/listings/{id}/conversations"),
        &buyer,
        json!({ "body": "hello" }),
    )
    .await;
    assert_eq!(started.status, StatusCode::CREATED, "{}", started.body);
    let conversation = started.json()["conversation"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let saved = call(
        &app,
        Method::POST,
        "/api/v1/me/saved-searches",
        &buyer,
        json!({ "name": "all", "query": {} }),
    )
    .await;
    assert_eq!(saved.status, StatusCode::CREATED, "{}", saved.body);
    let saved = saved.json()["id"].as_str().unwrap().to_owned();
    let doc = app.req(Method::GET, "/openapi.json").send().await.json();
    let mut paged = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        let params = item["get"]["parameters"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if params
            .iter()
            .any(|p| p["name"] == "limit" && p["in"] == "query")
        {
            // Conversations and saved searches are their owners' only, admins included.
            if path.starts_with("/api/v1/conversations/") {
                paged.push((concrete(path, &conversation), buyer.clone()));
            } else if path.starts_with("/api/v1/me/saved-searches/") {
                paged.push((concrete(path, &saved), buyer.clone()));
            } else if path.ends_with("/bids") && path.contains("{id}") {
                paged.push((concrete(path, &auction), admin.clone()));
            } else {
                paged.push((concrete(path, &id), admin.clone()));
            }
        }
    }
    assert!(paged.len() >= 8, "{paged:?}");
    for (uri, token) in &paged {
        for bad in ["0", "-1", "abc", "1e3", "99999999999999999999999", "%00"] {
            let res = app.get(&format!("{uri}?limit={bad}"), token).await;
            assert_eq!(
                res.status,
                StatusCode::BAD_REQUEST,
                "{uri}?limit={bad}: {}",
                res.body
            );
            assert_eq!(res.content_type(), "application/problem+json", "{uri}");
        }
        let res = app.get(&format!("{uri}?limit=1000000"), token).await;
        assert_eq!(res.status, StatusCode::OK, "{uri}: {}", res.body);
        let items = res.json()["items"].as_array().map_or(0, Vec::len);
        assert!(items <= 100, "{uri}: {items} items");
    }
    for uri in [
        "/api/v1/listings?limit=1000000",
        "/api/v1/admin/audit?limit=1000000",
    ] {
        let page = app.get(uri, &admin).await.json();
        assert_eq!(page["items"].as_array().unwrap().len(), 100, "{uri}");
        assert!(page["next_cursor"].is_string(), "{uri}: more to come");
    }
}

/// Inputs an attacker builds to burn CPU or memory are refused with 4xx problems, and the
/// server keeps answering: JSON nested 100 000 deep, a 60 000-character search, a search of
/// a thousand words, a forged 60 000-character cursor, numbers past `f64`.
pub async fn hostile_queries_and_nesting_are_refused_cheaply(app: TestApp) {
    let deep = format!(
        "{{\"email\":{}1{},\"password\":\"x\"}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let res = app
        .req(Method::POST, "/api/v1/auth/login")
        .raw("application/json", deep.as_bytes())
        .send()
        .await;
    assert!(
        [400, 422].contains(&res.status.as_u16()),
        "{}: {}",
        res.status,
        &res.body[..res.body.len().min(300)]
    );
    assert_eq!(res.content_type(), "application/problem+json");

    // Near the 64 KiB a request line may have at most (the client refuses longer ones).
    let long = "a".repeat(60_000);
    let words = vec!["oil"; 1_000].join("+");
    let cursor = "A".repeat(60_000);
    for query in [
        format!("q={long}"),
        format!("q={words}"),
        format!("cursor={cursor}"),
        format!("min_price={}", "9".repeat(400)),
        "min_net_acres=1e400".to_owned(),
        "bbox=-1e999,-1e999,1e999,1e999".to_owned(),
        "min_net_acres=NaN".to_owned(),
    ] {
        let res = app
            .req(Method::GET, &format!("/api/v1/listings?{query}"))
            .send()
            .await;
        let shown = &query[..query.len().min(40)];
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{shown}: {}", res.body);
        assert_eq!(res.content_type(), "application/problem+json", "{shown}");
    }
    // Still serving, and no account was made or locked by the noise.
    let res = app.register("after@example.com", PASSWORD, None).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let res = call(&app, Method::GET, "/api/v1/listings", "", Value::Null).await;
    assert_eq!(res.status, StatusCode::OK);
}
