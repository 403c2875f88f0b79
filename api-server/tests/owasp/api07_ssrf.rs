//! API7 Server Side Request Forgery. The API fetches no URL it is given (the operator's
//! check targets are where SSRF is defended: `operator/src/targets/tests.rs` and the e2e
//! rollout tests). These cases keep that true: URLs in user input are inert text, and no
//! documented input is a URL.

use std::io::ErrorKind;
use std::net::TcpListener;

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::app::TestApp;
use crate::{call, listing};

/// URLs pointing at a local listener and at cloud metadata, put in every free-text field an
/// attacker controls (listing text, operator, messages, saved-search names), are stored and
/// returned verbatim, and the listener receives no connection at all.
pub async fn urls_in_user_input_are_stored_as_inert_text(app: TestApp) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let local = format!(
        "http://{}/latest/meta-data/iam",
        listener.local_addr().unwrap()
    );
    let metadata = "http://169.254.169.254/latest/meta-data/iam/security-credentials/";
    let (_, seller, _) = app.user("seller@example.com", "seller").await;
    let (_, buyer, _) = app.user("buyer@example.com", "buyer").await;
    let lot = listing(
        &app,
        &seller,
        "fixed",
        "active",
        json!({
            "title": format!("See {local}"),
            "description": format!("Logs at {metadata} and file:///etc/passwd and gopher://{}", &local[7..]),
            "operator": local.clone(),
            "legal_description": format!("<img src=\"{metadata}\">"),
        }),
    )
    .await;
    let id = lot["id"].as_str().unwrap();
    let read = app
        .get(&format!("/api/v1/listings/{id}"), &buyer)
        .await
        .json();
    assert_eq!(read["title"], format!("See {local}"));
    assert!(
        read["description"].as_str().unwrap().contains(metadata),
        "{read}"
    );
    assert_eq!(read["operator"], local.as_str());
    assert_eq!(
        read["legal_description"],
        format!("<img src=\"{metadata}\">")
    );

    let started = call(
        &app,
        Method::POST,
        &format!("/api/v1/listings/{id}/conversations"),
        &buyer,
        json!({ "body": format!("Please fetch {local} for me") }),
    )
    .await;
    assert_eq!(started.status, StatusCode::CREATED, "{}", started.body);
    assert!(started.body.contains(&local), "{}", started.body);
    let saved = call(
        &app,
        Method::POST,
        "/api/v1/me/saved-searches",
        &buyer,
        json!({ "name": local.clone(), "query": { "q": "meta data" } }),
    )
    .await;
    assert_eq!(saved.status, StatusCode::CREATED, "{}", saved.body);
    assert_eq!(saved.json()["name"], local.as_str());

    match listener.accept() {
        Err(e) if e.kind() == ErrorKind::WouldBlock => {}
        Ok((_, peer)) => panic!("the API connected to the attacker's URL from {peer}"),
        Err(e) => panic!("{e}"),
    }
}

/// Names that would mean "the server fetches this": none is a documented input.
const FETCH_WORDS: &[&str] = &[
    "url", "uri", "href", "callback", "webhook", "endpoint", "link",
];

/// Walks a JSON Schema (with `$ref`s into `components`) and collects property names and
/// `format`s.
fn collect(doc: &Value, schema: &Value, names: &mut Vec<String>, depth: usize) {
    if depth > 20 {
        return;
    }
    if let Some(r) = schema["$ref"].as_str() {
        let target = doc
            .pointer(r.trim_start_matches('#'))
            .unwrap_or(&Value::Null);
        return collect(doc, target, names, depth + 1);
    }
    if let Some(f) = schema["format"].as_str() {
        names.push(format!("format:{f}"));
    }
    if let Some(props) = schema["properties"].as_object() {
        for (name, sub) in props {
            names.push(name.clone());
            collect(doc, sub, names, depth + 1);
        }
    }
    for key in ["items", "additionalProperties"] {
        if schema[key].is_object() {
            collect(doc, &schema[key], names, depth + 1);
        }
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        for sub in schema[key].as_array().into_iter().flatten() {
            collect(doc, sub, names, depth + 1);
        }
    }
}

/// No request body property or parameter in `/openapi.json` is a URL (by name or by
/// `format: uri`): there is no input the server could be made to fetch. A new URL-taking
/// input must come with an SSRF guard like the operator's, and this test then updated.
#[tokio::test]
async fn no_documented_input_is_a_url() {
    let (store, _dir) = crate::support::backends::embedded().await;
    let app = TestApp::new(store, crate::defaults).await;
    let doc = app.req(Method::GET, "/openapi.json").send().await.json();
    let mut inputs = Vec::new();
    let mut operations = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            operations += 1;
            for p in op["parameters"].as_array().into_iter().flatten() {
                inputs.push((
                    format!("{method} {path}"),
                    p["name"].as_str().unwrap().to_owned(),
                ));
                let mut names = Vec::new();
                collect(&doc, &p["schema"], &mut names, 0);
                inputs.extend(names.into_iter().map(|n| (format!("{method} {path}"), n)));
            }
            for (_, media) in op["requestBody"]["content"]
                .as_object()
                .into_iter()
                .flatten()
            {
                let mut names = Vec::new();
                collect(&doc, &media["schema"], &mut names, 0);
                inputs.extend(names.into_iter().map(|n| (format!("{method} {path}"), n)));
            }
        }
    }
    assert!(
        operations >= 50 && inputs.len() >= 50,
        "{operations} operations, {inputs:?}"
    );
    for (op, name) in &inputs {
        let lower = name.to_ascii_lowercase();
        assert!(
            !FETCH_WORDS
                .iter()
                .any(|w| lower.split(['_', ':', '-']).any(|part| part == *w))
                && lower != "format:uri"
                && lower != "format:url",
            "{op}: input {name} looks like a URL the server would fetch"
        );
    }
}
