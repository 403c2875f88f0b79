//! HTTP behaviour through `tower::ServiceExt::oneshot`, on the embedded store in a temp dir.
// clippy.toml's allow-unwrap-in-tests covers #[test] fns only, not this crate's helpers.
#![allow(clippy::unwrap_used)]

mod support;

use std::sync::Arc;

use axum::Router;
use axum::http::{Method, StatusCode, header};
use chrono::Duration;
use ogf_api::domain::{Listing, ListingFilter};
use ogf_api::http::{AppState, app};
use ogf_api::store::{EmbeddedStore, ListingStore};
use serde_json::Value;

use support::http::{Response, send};
use support::{crafted, input, make, t0};

struct TestApp {
    router: Router,
    store: Arc<EmbeddedStore>,
    _dir: tempfile::TempDir,
}

impl TestApp {
    async fn new(data: &[Listing]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(EmbeddedStore::open(dir.path()).await.unwrap());
        store.insert_many(data).await.unwrap();
        let state = AppState::new(store.clone(), support::unlimited_settings()).unwrap();
        Self {
            router: app(state),
            store,
            _dir: dir,
        }
    }

    async fn request(&self, method: Method, uri: &str) -> Response {
        send(&self.router, method, uri).await
    }

    async fn get(&self, uri: &str) -> Response {
        self.request(Method::GET, uri).await
    }
}

#[tokio::test]
async fn health_ready_and_status() {
    let app = TestApp::new(&[]).await;
    let live = app.get("/healthz").await;
    assert_eq!(live.status, StatusCode::OK);
    assert_eq!(live.json()["status"], "ok");
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status, StatusCode::OK);
    assert_eq!(ready.json()["store"], "embedded");
    let status = app.get("/api/v1/status").await.json();
    assert_eq!(status["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(status["store"], "embedded");
    assert!(status["uptime_seconds"].is_u64());
    assert!(status["git_sha"].as_str().is_some_and(|s| !s.is_empty()));
    assert!(
        live.headers.contains_key("x-request-id"),
        "request id propagated"
    );
}

#[tokio::test]
async fn search_returns_newest_first_with_all_fields() {
    let app = TestApp::new(&crafted()).await;
    let res = app.get("/api/v1/listings").await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.content_type(), "application/json");
    assert_eq!(
        res.ids()[..3],
        ["c01", "c02", "c04"],
        "the draft c03 is hidden from anonymous callers"
    );
    assert_eq!(
        res.json()["next_cursor"],
        Value::Null,
        "11 visible items fit the default page of 20"
    );
    let first = &res.json()["items"][0];
    assert_eq!(first["type"], "mineral_rights");
    assert_eq!(first["state"], "TX");
    assert_eq!(first["location"]["lon"], -102.03);
    assert_eq!(first["oil_bbl_d"], 10.0);
    assert_eq!(first["gas_mcf_d"], 60.0);
    assert_eq!(first["boe_d"], 20.0, "10 bbl + 60 Mcf / 6");
    assert_eq!(first["asking_price_cents"], 50_000_000);
    assert_eq!(first["nri_pct"], Value::Null);
    assert_eq!(first["created_at"], "2026-01-15T11:59:00Z");
}

#[tokio::test]
async fn search_filters() {
    let app = TestApp::new(&crafted()).await;
    let cases: &[(&str, &[&str])] = &[
        ("type=working_interest", &["c02", "c04"]),
        ("status=draft", &[]), // drafts: only their seller and admins
        ("status=under_contract", &["c04"]),
        ("basin=SCOOP%2FSTACK", &["c02"]),
        ("state=nd", &["c04"]),
        ("min_price=120000000", &["c02", "c04"]),
        ("max_price=0", &["c05"]),
        ("min_net_acres=50&max_price=50000000", &["c01", "c07"]),
        ("min_nri=80", &["c02", "c05"]),
        ("min_boe_d=1000", &["c05"]),
        ("q=Midland", &["c01"]),
        ("q=perm+basin", &["c07", "c01"]), // relevance: both words in c07's title
        ("q=perm+basin&sort=newest", &["c01", "c07"]),
        ("q=%24where", &["c08"]),
        ("q=tie&limit=2", &["c12", "c11"]),
        ("q=&type=&sort=newest&limit=1", &["c01"]),
    ];
    for (qs, want) in cases {
        let res = app.get(&format!("/api/v1/listings?{qs}")).await;
        assert_eq!(res.status, StatusCode::OK, "{qs}: {}", res.body);
        assert_eq!(res.ids(), *want, "{qs}");
    }
}

#[tokio::test]
async fn limit_is_capped_at_100() {
    let data: Vec<Listing> = (0..130)
        .map(|i| {
            make(
                &format!("l{i:03}"),
                input("Capped page", ""),
                t0() - Duration::seconds(i),
            )
        })
        .collect();
    let app = TestApp::new(&data).await;
    let res = app.get("/api/v1/listings?limit=1000").await;
    assert_eq!(res.ids().len(), 100);
    assert!(res.json()["next_cursor"].is_string());
    assert_eq!(
        app.get("/api/v1/listings").await.ids().len(),
        20,
        "default page size"
    );
}

#[tokio::test]
async fn pagination_walks_every_item_once_while_listings_are_added() {
    let data: Vec<Listing> = (0..45)
        .map(|i| {
            make(
                &format!("w{i:02}"),
                input("Walk", ""),
                t0() - Duration::seconds(i / 3),
            )
        })
        .collect();
    let app = TestApp::new(&data).await;
    let mut seen: Vec<String> = Vec::new();
    let mut cursor: Option<String> = None;
    let mut added = 0;
    loop {
        let uri = match &cursor {
            Some(c) => format!("/api/v1/listings?limit=7&cursor={c}"),
            None => "/api/v1/listings?limit=7".to_owned(),
        };
        let res = app.get(&uri).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        seen.extend(res.ids());
        for _ in 0..3 {
            added += 1;
            let newer = make(
                &format!("x{added:02}"),
                input("Added mid-walk", ""),
                t0() + Duration::seconds(added),
            );
            app.store.insert(&newer).await.unwrap();
        }
        match res.json()["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    let want = support::expected(&data, &ListingFilter::default());
    assert_eq!(seen, want, "all 45 originals, each once, newest first");
    assert!(added >= 21, "inserts happened between all 7 pages");
}

#[tokio::test]
async fn get_by_id_and_not_found() {
    let app = TestApp::new(&crafted()).await;
    let res = app.get("/api/v1/listings/c04").await;
    assert_eq!(res.status, StatusCode::OK);
    let l = res.json();
    assert_eq!(l["id"], "c04");
    assert_eq!(l["status"], "under_contract");
    assert_eq!(l["boe_d"], 250.0);
    let detail = app
        .get("/api/v1/listings/nope")
        .await
        .assert_problem(404, "not-found");
    assert!(detail.contains("nope"));
    app.get("/api/v1/listings/%24ne")
        .await
        .assert_problem(404, "not-found");
    app.get("/api/v1/nothing-here")
        .await
        .assert_problem(404, "not-found");
    app.get("/").await.assert_problem(404, "not-found");
}

#[tokio::test]
async fn bad_parameters_are_400_problems() {
    let app = TestApp::new(&crafted()).await;
    let cases = [
        ("sort=price", "sort"),
        ("limit=-1", "limit"),
        ("limit=0", "limit"),
        ("limit=abc", "limit"),
        ("cursor=not-a-cursor", "cursor"),
        ("type=oil_well", "type"),
        ("status=Active", "status"),
        ("state=Texas", "state"),
        ("min_price=-5", "min_price"),
        ("min_price=10&max_price=5", "min_price"),
        ("min_nri=150", "min_nri"),
        ("min_boe_d=lots", "min_boe_d"),
        ("colour=red", "colour"),
        ("type=lease&type=equipment", "type"),
    ];
    for (qs, mentions) in cases {
        let detail = app
            .get(&format!("/api/v1/listings?{qs}"))
            .await
            .assert_problem(400, "invalid-parameter");
        assert!(detail.contains(mentions), "{qs}: {detail}");
    }
}

#[tokio::test]
async fn wrong_method_is_a_405_problem_with_allow() {
    let app = TestApp::new(&[]).await;
    let res = app.request(Method::DELETE, "/api/v1/listings").await;
    res.assert_problem(405, "method-not-allowed");
    assert!(
        res.headers
            .get(header::ALLOW)
            .is_some_and(|v| v.to_str().unwrap().contains("GET"))
    );
}

#[tokio::test]
async fn metrics_use_route_templates() {
    let app = TestApp::new(&crafted()).await;
    app.get("/api/v1/listings/c01").await;
    app.get("/api/v1/listings/c02").await;
    app.get("/api/v1/listings/missing").await;
    app.get("/no/such/route").await;
    let res = app.get("/metrics").await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(
        res.content_type().starts_with("text/plain"),
        "{}",
        res.content_type()
    );
    let text = res.body;
    assert!(
        text.contains(
            r#"ogf_http_requests_total{method="GET",route="/api/v1/listings/{id}",status="200"} 2"#
        ),
        "{text}"
    );
    assert!(text.contains(
        r#"ogf_http_requests_total{method="GET",route="/api/v1/listings/{id}",status="404"} 1"#
    ));
    assert!(text.contains(r#"route="unmatched",status="404"} 1"#));
    assert!(
        !text.contains("c01") && !text.contains("/no/such/route"),
        "raw paths are never labels"
    );
    assert!(text.contains(
        r#"ogf_http_request_duration_seconds_count{method="GET",route="/api/v1/listings/{id}"} 3"#
    ));
    assert!(text.contains(r#"ogf_store_operation_duration_seconds_count{op="get"} 3"#));
}

#[tokio::test]
async fn each_app_has_its_own_registry() {
    let a = TestApp::new(&[]).await;
    let b = TestApp::new(&[]).await;
    a.get("/healthz").await;
    a.get("/healthz").await;
    assert!(
        a.get("/metrics")
            .await
            .body
            .contains(r#"route="/healthz",status="200"} 2"#)
    );
    assert!(!b.get("/metrics").await.body.contains(r#"route="/healthz""#));
}
