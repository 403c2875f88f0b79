//! Store failures seen through HTTP: readiness, 503 and 500 problems without internal details.
// clippy.toml's allow-unwrap-in-tests covers #[test] fns only, not this crate's helpers.
#![allow(clippy::unwrap_used)]

mod support;

use std::sync::Arc;

use async_trait::async_trait;
use axum::Router;
use axum::http::{Method, StatusCode, header};
use ogf_api::domain::{Listing, ListingFilter, Page, SearchQuery};
use ogf_api::http::{AppState, app};
use ogf_api::store::{ListingStore, StoreError, StoreKind};

use support::http::send;

/// A store whose database is down (readiness) or broken with a secret-looking message.
#[derive(Debug)]
struct FailingStore {
    error: fn() -> StoreError,
}

#[async_trait]
impl ListingStore for FailingStore {
    fn kind(&self) -> StoreKind {
        StoreKind::Mongodb
    }
    async fn insert(&self, _: &Listing) -> Result<(), StoreError> {
        Err((self.error)())
    }
    async fn insert_many(&self, _: &[Listing]) -> Result<(), StoreError> {
        Err((self.error)())
    }
    async fn get(&self, _: &str) -> Result<Option<Listing>, StoreError> {
        Err((self.error)())
    }
    async fn search(&self, _: &SearchQuery) -> Result<Page, StoreError> {
        Err((self.error)())
    }
    async fn count(&self, _: &ListingFilter) -> Result<u64, StoreError> {
        Err((self.error)())
    }
    async fn ping(&self) -> Result<(), StoreError> {
        Err((self.error)())
    }
}

fn failing_app(error: fn() -> StoreError) -> Router {
    app(AppState::new(Arc::new(FailingStore { error })).unwrap())
}

#[tokio::test]
async fn readyz_is_503_problem_when_store_is_down() {
    let router = failing_app(|| StoreError::Unavailable("connection refused to db-0:27017".into()));
    let res = send(&router, Method::GET, "/readyz").await;
    let detail = res.assert_problem(503, "store-unavailable");
    assert!(!detail.contains("db-0"), "{detail}");
    assert!(res.headers.contains_key(header::RETRY_AFTER));
    assert_eq!(
        send(&router, Method::GET, "/healthz").await.status,
        StatusCode::OK,
        "still alive"
    );
    send(&router, Method::GET, "/api/v1/listings")
        .await
        .assert_problem(503, "store-unavailable");
}

#[tokio::test]
async fn internal_errors_are_logged_not_returned() {
    let router = failing_app(|| StoreError::Backend("password=hunter2 at /var/lib/secret".into()));
    for uri in ["/api/v1/listings", "/api/v1/listings/c01"] {
        let res = send(&router, Method::GET, uri).await;
        res.assert_problem(500, "internal");
        assert!(
            !res.body.contains("hunter2") && !res.body.contains("/var/lib"),
            "{}",
            res.body
        );
    }
}
