//! Data rooms over HTTP (`oneshot`), on both stores: uploads checked by content (renamed
//! executables, a PDF declared as PNG, a zip bomb posing as XLSX), the per-file limit and the
//! per-seller quota, downloads as attachments, and who may do what (OWASP API1/API5: NDA
//! documents only after an approved NDA request; other sellers and buyers cannot manage a
//! data room; a buyer cannot approve).
// clippy.toml's allow-unwrap-in-tests covers #[test] fns only, not this crate's helpers.
#![allow(clippy::unwrap_used)]

mod support;

#[path = "http_dataroom/access.rs"]
mod access;
#[path = "http_dataroom/documents.rs"]
mod documents;
#[path = "http_dataroom/fixtures.rs"]
mod fixtures;
#[path = "http_dataroom/limits.rs"]
mod limits;

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use support::app::TestApp;
use support::http::Response;
use tower::ServiceExt;

macro_rules! on_both_stores {
    ($($module:ident :: $case:ident),+ $(,)?) => {
        mod embedded {
            $(
                #[tokio::test]
                async fn $case() {
                    let (store, _dir) = crate::support::backends::embedded().await;
                    crate::$module::$case(crate::TestApp::new(store, crate::small_limits).await).await;
                }
            )+
        }
        mod mongodb {
            $(
                #[tokio::test]
                async fn $case() {
                    crate::support::backends::run_on_mongodb(|store| async move {
                        let app =
                            crate::TestApp::new(std::sync::Arc::new(store), crate::small_limits).await;
                        crate::$module::$case(app).await;
                    })
                    .await;
                }
            )+
        }
    };
}

on_both_stores!(
    documents::upload_list_download_and_delete,
    documents::uploads_are_checked_by_content_not_by_name_or_declared_type,
    access::nda_documents_open_only_after_an_approved_request,
    access::only_the_seller_or_an_admin_manage_a_data_room,
    limits::oversized_files_are_413_and_only_the_upload_route_admits_them,
    limits::the_quota_is_per_seller_and_freed_by_deletes,
);

/// Upload limit of the test apps.
pub(crate) const MAX_UPLOAD: usize = 64 * 1024;
/// JSON body limit of the test apps (smaller than an upload).
pub(crate) const BODY_LIMIT: usize = 16 * 1024;
/// Per-seller quota of the test apps.
pub(crate) const QUOTA: u64 = 160 * 1024;

/// Small limits, so that limits and quotas are cheap to reach.
pub(crate) fn small_limits(s: &mut ogf_api::settings::Settings) {
    s.upload_max_bytes = MAX_UPLOAD;
    s.body_limit_bytes = BODY_LIMIT;
    s.upload_quota_bytes = QUOTA;
}

/// One part of a multipart form.
pub(crate) struct Part<'a> {
    pub name: &'a str,
    pub file_name: Option<&'a str>,
    pub content_type: Option<&'a str>,
    pub data: &'a [u8],
}

impl<'a> Part<'a> {
    pub fn text(name: &'a str, value: &'a str) -> Self {
        Part {
            name,
            file_name: None,
            content_type: None,
            data: value.as_bytes(),
        }
    }

    pub fn file(file_name: &'a str, content_type: &'a str, data: &'a [u8]) -> Self {
        Part {
            name: "file",
            file_name: Some(file_name),
            content_type: Some(content_type),
            data,
        }
    }
}

pub(crate) const BOUNDARY: &str = "ogf-test-boundary-5f2c";

/// A `multipart/form-data` body of `parts`.
pub(crate) fn form(parts: &[Part<'_>]) -> Vec<u8> {
    let mut body = Vec::new();
    for p in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        let mut disposition = format!("Content-Disposition: form-data; name=\"{}\"", p.name);
        if let Some(f) = p.file_name {
            disposition.push_str(&format!("; filename=\"{f}\""));
        }
        body.extend_from_slice(disposition.as_bytes());
        body.extend_from_slice(b"\r\n");
        if let Some(ct) = p.content_type {
            body.extend_from_slice(format!("Content-Type: {ct}\r\n").as_bytes());
        }
        body.extend_from_slice(b"\r\n");
        body.extend_from_slice(p.data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// Posts a multipart form to a listing's documents.
pub(crate) async fn upload(
    app: &TestApp,
    listing: &str,
    token: &str,
    parts: &[Part<'_>],
) -> Response {
    app.req(
        Method::POST,
        &format!("/api/v1/listings/{listing}/documents"),
    )
    .token(token)
    .raw(
        &format!("multipart/form-data; boundary={BOUNDARY}"),
        &form(parts),
    )
    .send()
    .await
}

/// Uploads one file with `visibility` and expects `201`; returns the document.
pub(crate) async fn upload_ok(
    app: &TestApp,
    listing: &str,
    token: &str,
    file: Part<'_>,
    visibility: &str,
) -> Value {
    let res = upload(
        app,
        listing,
        token,
        &[file, Part::text("visibility", visibility)],
    )
    .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    res.json()
}

/// A download: status, headers and raw bytes (documents need not be UTF-8).
pub(crate) struct Download {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub bytes: Vec<u8>,
}

impl Download {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap())
            .unwrap_or("")
    }

    /// The problem type name of an error response.
    pub fn problem(&self) -> String {
        let v: Value = serde_json::from_slice(&self.bytes).unwrap();
        v["type"]
            .as_str()
            .unwrap()
            .trim_start_matches("https://ogf.dev/problems/")
            .to_owned()
    }
}

pub(crate) async fn download(app: &TestApp, document: &str, token: &str) -> Download {
    let mut req = Request::builder()
        .method(Method::GET)
        .uri(format!("/api/v1/documents/{document}/content"))
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    req.extensions_mut()
        .insert(ConnectInfo(SocketAddr::from(([192, 0, 2, 10], 40_000))));
    let res = app.router.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    Download {
        status,
        headers,
        bytes,
    }
}

/// Creates a listing as `token` (`draft` or `active`); returns its id.
pub(crate) async fn listing(app: &TestApp, token: &str, status: &str) -> String {
    let body = json!({
        "title": "Midland WI package with data room",
        "description": "Logs, title opinions and production in the data room.",
        "type": "working_interest",
        "status": status,
        "basin": "Permian",
        "state": "TX",
        "county": "Midland",
        "location": { "lon": -102.08, "lat": 31.99 },
        "asking_price_cents": 1_000_000,
        "sale_type": "fixed",
    });
    let res = app
        .req(Method::POST, "/api/v1/listings")
        .token(token)
        .json(body)
        .send()
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    res.json()["id"].as_str().unwrap().to_owned()
}

pub(crate) async fn post_json(app: &TestApp, uri: &str, token: &str, body: Value) -> Response {
    app.req(Method::POST, uri)
        .token(token)
        .json(body)
        .send()
        .await
}

/// Event types in the audit log (newest first), read as admin.
pub(crate) async fn audit_types(app: &TestApp) -> Vec<String> {
    let admin = app.admin_token().await;
    let res = app.get("/api/v1/admin/audit?limit=100", &admin).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    res.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_owned())
        .collect()
}

/// The OpenAPI document describes the upload as a multipart form with a binary `file`.
#[tokio::test]
async fn openapi_documents_the_multipart_upload() {
    let (store, _dir) = support::backends::embedded().await;
    let app = TestApp::new(store, small_limits).await;
    let doc = app.req(Method::GET, "/openapi.json").send().await.json();
    let op = &doc["paths"]["/api/v1/listings/{id}/documents"]["post"];
    let schema = &op["requestBody"]["content"]["multipart/form-data"]["schema"];
    assert_eq!(schema["properties"]["file"]["format"], "binary", "{op}");
    let required: Vec<&str> = schema["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(
        required.contains(&"file") && required.contains(&"visibility"),
        "{schema}"
    );
    for status in ["201", "403", "409", "413", "415", "422"] {
        assert!(op["responses"].get(status).is_some(), "{status}");
    }
    let content = &doc["paths"]["/api/v1/documents/{id}/content"]["get"]["responses"]["200"];
    assert!(
        content["content"].get("application/octet-stream").is_some(),
        "{content}"
    );
}
