//! HTTP helpers: send a request through the router with `oneshot`, inspect the response.

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

/// A collected response.
pub struct Response {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}
impl Response {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    /// A response header as text (the test fails when it is missing).
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .unwrap_or_else(|| panic!("no {name} in {:?}", self.headers))
            .to_str()
            .unwrap()
    }

    pub fn content_type(&self) -> &str {
        self.headers
            .get(header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap())
            .unwrap_or("")
    }

    pub fn ids(&self) -> Vec<String> {
        self.json()["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_owned())
            .collect()
    }

    /// Asserts an RFC 9457 body of this status and problem name; returns its detail.
    pub fn assert_problem(&self, status: u16, name: &str) -> String {
        assert_eq!(self.status.as_u16(), status, "{}", self.body);
        assert_eq!(self.content_type(), "application/problem+json");
        let p = self.json();
        assert_eq!(p["type"], format!("https://ogf.dev/problems/{name}"), "{p}");
        assert_eq!(p["status"], status, "{p}");
        assert!(p["title"].as_str().is_some_and(|t| !t.is_empty()), "{p}");
        let detail = p["detail"]
            .as_str()
            .unwrap_or_else(|| panic!("no detail: {p}"));
        assert!(!detail.is_empty());
        assert_eq!(
            p.as_object().unwrap().len(),
            4,
            "only type/title/status/detail: {p}"
        );
        detail.to_owned()
    }
}

pub async fn send(router: &Router, method: Method, uri: &str) -> Response {
    let req = Request::builder()
        .method(method)
        .uri(uri)
        .body(Body::empty())
        .unwrap();
    let res = router.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    Response {
        status,
        headers,
        body: String::from_utf8(bytes.to_vec()).unwrap(),
    }
}
