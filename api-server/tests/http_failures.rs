//! Store failures seen through HTTP: readiness, 503 and 500 problems without internal details.
// clippy.toml's allow-unwrap-in-tests covers #[test] fns only, not this crate's helpers.
#![allow(clippy::unwrap_used)]

mod support;

use std::sync::Arc;

use async_trait::async_trait;
use axum::Router;
use axum::http::{Method, StatusCode, header};
use chrono::{DateTime, Utc};
use ogf_api::domain::{
    AuditEvent, AuditPage, AuditQuery, Cursor, Email, Listing, ListingFilter, Page, SearchQuery,
    Session, User,
};
use ogf_api::http::{AppState, app};
use ogf_api::store::{AuditStore, ListingStore, StoreError, StoreKind, UserPage, UserStore};

use support::http::send;

/// A store whose database is down (readiness) or broken with a secret-looking message; with
/// `hang`, its ping never answers.
#[derive(Debug)]
struct FailingStore {
    error: fn() -> StoreError,
    hang: bool,
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
    async fn update(&self, _: &Listing, _: DateTime<Utc>) -> Result<bool, StoreError> {
        Err((self.error)())
    }
    async fn delete(&self, _: &str, _: DateTime<Utc>) -> Result<bool, StoreError> {
        Err((self.error)())
    }
    async fn record_view(&self, _: &str) -> Result<bool, StoreError> {
        Err((self.error)())
    }
    async fn ping(&self) -> Result<(), StoreError> {
        if self.hang {
            std::future::pending::<()>().await;
        }
        Err((self.error)())
    }
}

#[async_trait]
impl UserStore for FailingStore {
    async fn create_user(&self, _: &User) -> Result<(), StoreError> {
        Err((self.error)())
    }
    async fn user(&self, _: &str) -> Result<Option<User>, StoreError> {
        Err((self.error)())
    }
    async fn user_by_email(&self, _: &Email) -> Result<Option<User>, StoreError> {
        Err((self.error)())
    }
    async fn users_page(&self, _: Option<&Cursor>, _: u32) -> Result<UserPage, StoreError> {
        Err((self.error)())
    }
    async fn update_user(&self, _: &User) -> Result<bool, StoreError> {
        Err((self.error)())
    }
    async fn delete_user(&self, _: &str) -> Result<bool, StoreError> {
        Err((self.error)())
    }
    async fn has_admin(&self) -> Result<bool, StoreError> {
        Err((self.error)())
    }
    async fn create_session(&self, _: &Session) -> Result<(), StoreError> {
        Err((self.error)())
    }
    async fn session(&self, _: &str) -> Result<Option<Session>, StoreError> {
        Err((self.error)())
    }
    async fn session_by_refresh_hash(&self, _: &str) -> Result<Option<Session>, StoreError> {
        Err((self.error)())
    }
    async fn rotate_session(&self, _: &str, _: &Session) -> Result<bool, StoreError> {
        Err((self.error)())
    }
    async fn revoke_family(&self, _: &str) -> Result<u64, StoreError> {
        Err((self.error)())
    }
    async fn revoke_user_sessions(&self, _: &str) -> Result<u64, StoreError> {
        Err((self.error)())
    }
    async fn record_login_failure(&self, _: &str, _: DateTime<Utc>) -> Result<(), StoreError> {
        Err((self.error)())
    }
    async fn login_failures_since(&self, _: &str, _: DateTime<Utc>) -> Result<u64, StoreError> {
        Err((self.error)())
    }
    async fn clear_login_failures(&self, _: &str) -> Result<(), StoreError> {
        Err((self.error)())
    }
}

#[async_trait]
impl AuditStore for FailingStore {
    async fn record_audit(&self, _: &AuditEvent) -> Result<(), StoreError> {
        Err((self.error)())
    }
    async fn audit_page(&self, _: &AuditQuery) -> Result<AuditPage, StoreError> {
        Err((self.error)())
    }
}

#[async_trait]
impl ogf_api::store::MarketStore for FailingStore {
    async fn upsert_prices(
        &self,
        _: &[ogf_api::domain::market::PricePoint],
    ) -> Result<ogf_api::domain::market::UpsertCounts, StoreError> {
        Err((self.error)())
    }
    async fn prices(
        &self,
        _: ogf_api::domain::market::Series,
        _: chrono::NaiveDate,
        _: chrono::NaiveDate,
    ) -> Result<Vec<ogf_api::domain::market::PricePoint>, StoreError> {
        Err((self.error)())
    }
    async fn price_on_or_before(
        &self,
        _: ogf_api::domain::market::Series,
        _: chrono::NaiveDate,
    ) -> Result<Option<ogf_api::domain::market::PricePoint>, StoreError> {
        Err((self.error)())
    }
    async fn count_prices(&self) -> Result<u64, StoreError> {
        Err((self.error)())
    }
}

#[async_trait]
impl ogf_api::store::ActivityStore for FailingStore {
    async fn record_activity(
        &self,
        _: &[ogf_api::domain::activity::ActivityEvent],
    ) -> Result<(), StoreError> {
        Err((self.error)())
    }
    async fn activity_counts(
        &self,
        _: &ogf_api::domain::activity::ActivityQuery,
    ) -> Result<Vec<ogf_api::domain::activity::ActivityCount>, StoreError> {
        Err((self.error)())
    }
    async fn seller_listings(
        &self,
        _: &str,
        _: u32,
    ) -> Result<Vec<ogf_api::domain::activity::SellerListing>, StoreError> {
        Err((self.error)())
    }
    async fn listing_groups(
        &self,
    ) -> Result<Vec<ogf_api::domain::activity::ListingGroup>, StoreError> {
        Err((self.error)())
    }
    async fn registrations_per_day(
        &self,
        _: chrono::NaiveDate,
        _: chrono::NaiveDate,
    ) -> Result<Vec<(chrono::NaiveDate, u64)>, StoreError> {
        Err((self.error)())
    }
}

#[async_trait]
impl ogf_api::store::BidStore for FailingStore {
    async fn place_bid(
        &self,
        _: &ogf_api::domain::BidRequest,
    ) -> Result<Result<ogf_api::domain::Bid, ogf_api::domain::BidRejection>, StoreError> {
        Err((self.error)())
    }
    async fn top_bid(&self, _: &str) -> Result<Option<ogf_api::domain::Bid>, StoreError> {
        Err((self.error)())
    }
    async fn bid_count(&self, _: &str) -> Result<u64, StoreError> {
        Err((self.error)())
    }
    async fn bids_page(
        &self,
        _: &ogf_api::store::bids::BidQuery,
    ) -> Result<ogf_api::store::bids::ItemPage<ogf_api::domain::Bid>, StoreError> {
        Err((self.error)())
    }
    async fn create_offer(&self, _: &ogf_api::domain::Offer) -> Result<(), StoreError> {
        Err((self.error)())
    }
    async fn offer(&self, _: &str) -> Result<Option<ogf_api::domain::Offer>, StoreError> {
        Err((self.error)())
    }
    async fn update_offer(&self, _: &ogf_api::domain::Offer, _: i64) -> Result<bool, StoreError> {
        Err((self.error)())
    }
    async fn accept_offer(
        &self,
        _: &ogf_api::domain::Offer,
        _: i64,
        _: &Listing,
        _: chrono::DateTime<chrono::Utc>,
    ) -> Result<ogf_api::store::bids::AcceptOutcome, StoreError> {
        Err((self.error)())
    }
    async fn offers_page(
        &self,
        _: &ogf_api::store::bids::OfferQuery,
    ) -> Result<ogf_api::store::bids::ItemPage<ogf_api::domain::Offer>, StoreError> {
        Err((self.error)())
    }
}

#[async_trait]
impl ogf_api::store::ConversationStore for FailingStore {
    async fn open_conversation(
        &self,
        _: &ogf_api::domain::Conversation,
    ) -> Result<(ogf_api::domain::Conversation, bool), StoreError> {
        Err((self.error)())
    }
    async fn conversation(
        &self,
        _: &str,
    ) -> Result<Option<ogf_api::domain::Conversation>, StoreError> {
        Err((self.error)())
    }
    async fn add_message(
        &self,
        _: &ogf_api::domain::NewMessage,
    ) -> Result<Option<ogf_api::domain::Message>, StoreError> {
        Err((self.error)())
    }
    async fn messages_page(
        &self,
        _: &str,
        _: Option<&Cursor>,
        _: u32,
    ) -> Result<ogf_api::store::bids::ItemPage<ogf_api::domain::Message>, StoreError> {
        Err((self.error)())
    }
    async fn mark_read(&self, _: &str, _: &str, _: i64) -> Result<bool, StoreError> {
        Err((self.error)())
    }
    async fn inbox(
        &self,
        _: &str,
        _: Option<&Cursor>,
        _: u32,
    ) -> Result<ogf_api::store::bids::ItemPage<ogf_api::store::conversations::InboxEntry>, StoreError>
    {
        Err((self.error)())
    }
    async fn unread_total(&self, _: &str) -> Result<u64, StoreError> {
        Err((self.error)())
    }
}

#[async_trait]
impl ogf_api::store::WatchlistStore for FailingStore {
    async fn watch(&self, _: &ogf_api::domain::WatchEntry) -> Result<bool, StoreError> {
        Err((self.error)())
    }
    async fn unwatch(&self, _: &str, _: &str) -> Result<bool, StoreError> {
        Err((self.error)())
    }
    async fn watchlist_page(
        &self,
        _: &str,
        _: Option<&Cursor>,
        _: u32,
    ) -> Result<ogf_api::store::bids::ItemPage<ogf_api::domain::WatchEntry>, StoreError> {
        Err((self.error)())
    }
    async fn watcher_count(&self, _: &str) -> Result<u64, StoreError> {
        Err((self.error)())
    }
    async fn create_saved_search(
        &self,
        _: &ogf_api::domain::SavedSearch,
        _: usize,
    ) -> Result<bool, StoreError> {
        Err((self.error)())
    }
    async fn saved_search(
        &self,
        _: &str,
    ) -> Result<Option<ogf_api::domain::SavedSearch>, StoreError> {
        Err((self.error)())
    }
    async fn saved_searches(
        &self,
        _: &str,
    ) -> Result<Vec<ogf_api::domain::SavedSearch>, StoreError> {
        Err((self.error)())
    }
    async fn delete_saved_search(&self, _: &str, _: &str) -> Result<bool, StoreError> {
        Err((self.error)())
    }
    async fn mark_search_seen(&self, _: &str, _: DateTime<Utc>) -> Result<bool, StoreError> {
        Err((self.error)())
    }
}

fn failing_app(error: fn() -> StoreError) -> Router {
    let store = FailingStore { error, hang: false };
    app(AppState::new(Arc::new(store), support::unlimited_settings()).unwrap())
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

/// Virtual time (paused clock): the timeout fires without any real waiting.
#[tokio::test(start_paused = true)]
async fn a_request_that_takes_too_long_is_a_408_problem() {
    let store = FailingStore {
        error: || StoreError::Unavailable("never reached".into()),
        hang: true,
    };
    let mut settings = support::unlimited_settings();
    settings.request_timeout = std::time::Duration::from_secs(3);
    let router = app(AppState::new(Arc::new(store), settings).unwrap());
    let started = tokio::time::Instant::now();
    let res = send(&router, Method::GET, "/readyz").await;
    res.assert_problem(408, "timeout");
    assert_eq!(started.elapsed(), std::time::Duration::from_secs(3));
    assert!(res.headers.contains_key("x-request-id"));
    assert!(res.headers.contains_key("content-security-policy"));
}
#[async_trait]
impl ogf_api::store::DataRoomStore for FailingStore {
    async fn insert_document(
        &self,
        _: &ogf_api::domain::Document,
        _: &[u8],
        _: u64,
    ) -> Result<Result<(), ogf_api::store::dataroom::QuotaExceeded>, StoreError> {
        Err((self.error)())
    }
    async fn document(&self, _: &str) -> Result<Option<ogf_api::domain::Document>, StoreError> {
        Err((self.error)())
    }
    async fn document_content(&self, _: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Err((self.error)())
    }
    async fn listing_documents(
        &self,
        _: &str,
    ) -> Result<Vec<ogf_api::domain::Document>, StoreError> {
        Err((self.error)())
    }
    async fn delete_document(&self, _: &str) -> Result<bool, StoreError> {
        Err((self.error)())
    }
    async fn delete_data_room(&self, _: &str) -> Result<u64, StoreError> {
        Err((self.error)())
    }
    async fn stored_bytes(&self, _: &str) -> Result<u64, StoreError> {
        Err((self.error)())
    }
    async fn request_nda(
        &self,
        _: &ogf_api::domain::NdaRequest,
    ) -> Result<(ogf_api::domain::NdaRequest, bool), StoreError> {
        Err((self.error)())
    }
    async fn nda_request(
        &self,
        _: &str,
    ) -> Result<Option<ogf_api::domain::NdaRequest>, StoreError> {
        Err((self.error)())
    }
    async fn nda_request_for(
        &self,
        _: &str,
        _: &str,
    ) -> Result<Option<ogf_api::domain::NdaRequest>, StoreError> {
        Err((self.error)())
    }
    async fn update_nda_request(
        &self,
        _: &ogf_api::domain::NdaRequest,
        _: i64,
    ) -> Result<bool, StoreError> {
        Err((self.error)())
    }
    async fn nda_requests_page(
        &self,
        _: &ogf_api::store::dataroom::NdaQuery,
    ) -> Result<ogf_api::store::bids::ItemPage<ogf_api::domain::NdaRequest>, StoreError> {
        Err((self.error)())
    }
}
