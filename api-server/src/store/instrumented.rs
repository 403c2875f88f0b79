//! A store decorator that records `ogf_store_operation_duration_seconds{op}` for every
//! operation of every store trait. `op` is the trait method's name (a fixed set, so the
//! label stays low-cardinality): listings `insert`, `get`, `search`, ...; accounts
//! `create_user`, `session`, `rotate_session`, ...; audit `record_audit`, `audit_page`.
//!
//! It also counts the listing writes that pass through it ([`InstrumentedStore::listing_generation`]):
//! every operation that can change what a listing search returns (insert, update, delete,
//! bids, offer acceptance) bumps the generation once it has finished, successful or not. The
//! listing-search cache keys its entries by this generation, so a write through this process
//! is never followed by a stale cached search.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use prometheus::{HistogramOpts, HistogramVec, Registry};

use super::{AuditStore, ListingStore, Store, StoreError, StoreKind, UserPage, UserStore};
use crate::domain::{
    AuditEvent, AuditPage, AuditQuery, Cursor, Email, Listing, ListingFilter, Page, SearchQuery,
    Session, User,
};

/// Latency buckets for store operations, seconds.
const BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// Wraps a store and times every operation (failed ones too).
#[derive(Debug, Clone)]
pub struct InstrumentedStore {
    inner: Arc<dyn Store>,
    duration: HistogramVec,
    listing_writes: Arc<AtomicU64>,
}

impl InstrumentedStore {
    /// Registers the histogram in `registry` and wraps `inner`.
    pub fn new(inner: Arc<dyn Store>, registry: &Registry) -> Result<Self, prometheus::Error> {
        let duration = HistogramVec::new(
            HistogramOpts::new(
                "ogf_store_operation_duration_seconds",
                "Duration of store operations, by operation.",
            )
            .buckets(BUCKETS.to_vec()),
            &["op"],
        )?;
        registry.register(Box::new(duration.clone()))?;
        Ok(Self {
            inner,
            duration,
            listing_writes: Arc::new(AtomicU64::new(0)),
        })
    }

    /// The wrapped store.
    pub(super) fn inner(&self) -> &dyn Store {
        self.inner.as_ref()
    }

    /// How many listing writes have finished through this store (see the module docs).
    pub fn listing_generation(&self) -> u64 {
        self.listing_writes.load(Ordering::SeqCst)
    }

    /// Runs a listing write, timed under `op`, and bumps the listing generation after it.
    async fn listing_write<T>(&self, op: &'static str, operation: impl Future<Output = T>) -> T {
        let result = self.timed(op, operation).await;
        self.listing_writes.fetch_add(1, Ordering::SeqCst);
        result
    }

    /// Runs `operation` and records its duration under `op`.
    pub(super) async fn timed<T>(&self, op: &'static str, operation: impl Future<Output = T>) -> T {
        let started = Instant::now();
        let result = operation.await;
        self.duration
            .with_label_values(&[op])
            .observe(started.elapsed().as_secs_f64());
        result
    }
}

#[async_trait]
impl ListingStore for InstrumentedStore {
    fn kind(&self) -> StoreKind {
        self.inner.kind()
    }

    async fn insert(&self, listing: &Listing) -> Result<(), StoreError> {
        self.listing_write("insert", self.inner.insert(listing))
            .await
    }

    async fn insert_many(&self, listings: &[Listing]) -> Result<(), StoreError> {
        self.listing_write("insert_many", self.inner.insert_many(listings))
            .await
    }

    async fn get(&self, id: &str) -> Result<Option<Listing>, StoreError> {
        self.timed("get", self.inner.get(id)).await
    }

    async fn search(&self, query: &SearchQuery) -> Result<Page, StoreError> {
        self.timed("search", self.inner.search(query)).await
    }

    async fn count(&self, filter: &ListingFilter) -> Result<u64, StoreError> {
        self.timed("count", self.inner.count(filter)).await
    }

    async fn update(
        &self,
        listing: &Listing,
        expected_updated_at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.listing_write("update", self.inner.update(listing, expected_updated_at))
            .await
    }

    async fn delete(
        &self,
        id: &str,
        expected_updated_at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.listing_write("delete", self.inner.delete(id, expected_updated_at))
            .await
    }

    async fn record_view(&self, id: &str) -> Result<bool, StoreError> {
        self.timed("record_view", self.inner.record_view(id)).await
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.timed("ping", self.inner.ping()).await
    }
}

#[async_trait]
impl UserStore for InstrumentedStore {
    async fn create_user(&self, user: &User) -> Result<(), StoreError> {
        self.timed("create_user", self.inner.create_user(user))
            .await
    }

    async fn user(&self, id: &str) -> Result<Option<User>, StoreError> {
        self.timed("user", self.inner.user(id)).await
    }

    async fn user_by_email(&self, email: &Email) -> Result<Option<User>, StoreError> {
        self.timed("user_by_email", self.inner.user_by_email(email))
            .await
    }

    async fn users_page(&self, after: Option<&Cursor>, limit: u32) -> Result<UserPage, StoreError> {
        self.timed("users_page", self.inner.users_page(after, limit))
            .await
    }

    async fn update_user(&self, user: &User) -> Result<bool, StoreError> {
        self.timed("update_user", self.inner.update_user(user))
            .await
    }

    async fn delete_user(&self, id: &str) -> Result<bool, StoreError> {
        self.timed("delete_user", self.inner.delete_user(id)).await
    }

    async fn has_admin(&self) -> Result<bool, StoreError> {
        self.timed("has_admin", self.inner.has_admin()).await
    }

    async fn create_session(&self, session: &Session) -> Result<(), StoreError> {
        self.timed("create_session", self.inner.create_session(session))
            .await
    }

    async fn session(&self, id: &str) -> Result<Option<Session>, StoreError> {
        self.timed("session", self.inner.session(id)).await
    }

    async fn session_by_refresh_hash(
        &self,
        refresh_hash: &str,
    ) -> Result<Option<Session>, StoreError> {
        self.timed(
            "session_by_refresh_hash",
            self.inner.session_by_refresh_hash(refresh_hash),
        )
        .await
    }

    async fn rotate_session(&self, old_id: &str, next: &Session) -> Result<bool, StoreError> {
        self.timed("rotate_session", self.inner.rotate_session(old_id, next))
            .await
    }

    async fn revoke_family(&self, family_id: &str) -> Result<u64, StoreError> {
        self.timed("revoke_family", self.inner.revoke_family(family_id))
            .await
    }

    async fn revoke_user_sessions(&self, user_id: &str) -> Result<u64, StoreError> {
        self.timed(
            "revoke_user_sessions",
            self.inner.revoke_user_sessions(user_id),
        )
        .await
    }

    async fn record_login_failure(
        &self,
        user_id: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.timed(
            "record_login_failure",
            self.inner.record_login_failure(user_id, at),
        )
        .await
    }

    async fn login_failures_since(
        &self,
        user_id: &str,
        since: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        self.timed(
            "login_failures_since",
            self.inner.login_failures_since(user_id, since),
        )
        .await
    }

    async fn clear_login_failures(&self, user_id: &str) -> Result<(), StoreError> {
        self.timed(
            "clear_login_failures",
            self.inner.clear_login_failures(user_id),
        )
        .await
    }
}

#[async_trait]
impl AuditStore for InstrumentedStore {
    async fn record_audit(&self, event: &AuditEvent) -> Result<(), StoreError> {
        self.timed("record_audit", self.inner.record_audit(event))
            .await
    }

    async fn audit_page(&self, query: &AuditQuery) -> Result<AuditPage, StoreError> {
        self.timed("audit_page", self.inner.audit_page(query)).await
    }
}

#[async_trait]
impl super::MarketStore for InstrumentedStore {
    async fn upsert_prices(
        &self,
        points: &[crate::domain::market::PricePoint],
    ) -> Result<crate::domain::market::UpsertCounts, StoreError> {
        self.timed("upsert_prices", self.inner.upsert_prices(points))
            .await
    }

    async fn prices(
        &self,
        series: crate::domain::market::Series,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
    ) -> Result<Vec<crate::domain::market::PricePoint>, StoreError> {
        self.timed("prices", self.inner.prices(series, from, to))
            .await
    }

    async fn price_on_or_before(
        &self,
        series: crate::domain::market::Series,
        date: chrono::NaiveDate,
    ) -> Result<Option<crate::domain::market::PricePoint>, StoreError> {
        self.timed(
            "price_on_or_before",
            self.inner.price_on_or_before(series, date),
        )
        .await
    }

    async fn count_prices(&self) -> Result<u64, StoreError> {
        self.timed("count_prices", self.inner.count_prices()).await
    }
}

#[async_trait]
impl super::BidStore for InstrumentedStore {
    async fn place_bid(
        &self,
        request: &crate::domain::BidRequest,
    ) -> Result<Result<crate::domain::Bid, crate::domain::BidRejection>, StoreError> {
        self.listing_write("place_bid", self.inner.place_bid(request))
            .await
    }

    async fn top_bid(&self, listing_id: &str) -> Result<Option<crate::domain::Bid>, StoreError> {
        self.timed("top_bid", self.inner.top_bid(listing_id)).await
    }

    async fn bid_count(&self, listing_id: &str) -> Result<u64, StoreError> {
        self.timed("bid_count", self.inner.bid_count(listing_id))
            .await
    }

    async fn bids_page(
        &self,
        query: &super::bids::BidQuery,
    ) -> Result<super::bids::ItemPage<crate::domain::Bid>, StoreError> {
        self.timed("bids_page", self.inner.bids_page(query)).await
    }

    async fn create_offer(&self, offer: &crate::domain::Offer) -> Result<(), StoreError> {
        self.timed("create_offer", self.inner.create_offer(offer))
            .await
    }

    async fn offer(&self, id: &str) -> Result<Option<crate::domain::Offer>, StoreError> {
        self.timed("offer", self.inner.offer(id)).await
    }

    async fn update_offer(
        &self,
        offer: &crate::domain::Offer,
        expected_version: i64,
    ) -> Result<bool, StoreError> {
        self.timed(
            "update_offer",
            self.inner.update_offer(offer, expected_version),
        )
        .await
    }

    async fn accept_offer(
        &self,
        offer: &crate::domain::Offer,
        expected_version: i64,
        listing: &Listing,
        listing_expected: DateTime<Utc>,
    ) -> Result<super::bids::AcceptOutcome, StoreError> {
        self.listing_write(
            "accept_offer",
            self.inner
                .accept_offer(offer, expected_version, listing, listing_expected),
        )
        .await
    }

    async fn offers_page(
        &self,
        query: &super::bids::OfferQuery,
    ) -> Result<super::bids::ItemPage<crate::domain::Offer>, StoreError> {
        self.timed("offers_page", self.inner.offers_page(query))
            .await
    }
}

#[async_trait]
impl super::ConversationStore for InstrumentedStore {
    async fn open_conversation(
        &self,
        conversation: &crate::domain::Conversation,
    ) -> Result<(crate::domain::Conversation, bool), StoreError> {
        self.timed(
            "open_conversation",
            self.inner.open_conversation(conversation),
        )
        .await
    }

    async fn conversation(
        &self,
        id: &str,
    ) -> Result<Option<crate::domain::Conversation>, StoreError> {
        self.timed("conversation", self.inner.conversation(id))
            .await
    }

    async fn add_message(
        &self,
        message: &crate::domain::NewMessage,
    ) -> Result<Option<crate::domain::Message>, StoreError> {
        self.timed("add_message", self.inner.add_message(message))
            .await
    }

    async fn messages_page(
        &self,
        conversation_id: &str,
        after: Option<&Cursor>,
        limit: u32,
    ) -> Result<super::bids::ItemPage<crate::domain::Message>, StoreError> {
        self.timed(
            "messages_page",
            self.inner.messages_page(conversation_id, after, limit),
        )
        .await
    }

    async fn mark_read(
        &self,
        conversation_id: &str,
        user_id: &str,
        seq: i64,
    ) -> Result<bool, StoreError> {
        self.timed(
            "mark_read",
            self.inner.mark_read(conversation_id, user_id, seq),
        )
        .await
    }

    async fn inbox(
        &self,
        user_id: &str,
        after: Option<&Cursor>,
        limit: u32,
    ) -> Result<super::bids::ItemPage<super::conversations::InboxEntry>, StoreError> {
        self.timed("inbox", self.inner.inbox(user_id, after, limit))
            .await
    }

    async fn unread_total(&self, user_id: &str) -> Result<u64, StoreError> {
        self.timed("unread_total", self.inner.unread_total(user_id))
            .await
    }
}

#[async_trait]
impl super::WatchlistStore for InstrumentedStore {
    async fn watch(&self, entry: &crate::domain::WatchEntry) -> Result<bool, StoreError> {
        self.timed("watch", self.inner.watch(entry)).await
    }

    async fn unwatch(&self, user_id: &str, listing_id: &str) -> Result<bool, StoreError> {
        self.timed("unwatch", self.inner.unwatch(user_id, listing_id))
            .await
    }

    async fn watchlist_page(
        &self,
        user_id: &str,
        after: Option<&Cursor>,
        limit: u32,
    ) -> Result<super::bids::ItemPage<crate::domain::WatchEntry>, StoreError> {
        self.timed(
            "watchlist_page",
            self.inner.watchlist_page(user_id, after, limit),
        )
        .await
    }

    async fn watcher_count(&self, listing_id: &str) -> Result<u64, StoreError> {
        self.timed("watcher_count", self.inner.watcher_count(listing_id))
            .await
    }

    async fn create_saved_search(
        &self,
        search: &crate::domain::SavedSearch,
        max: usize,
    ) -> Result<bool, StoreError> {
        self.timed(
            "create_saved_search",
            self.inner.create_saved_search(search, max),
        )
        .await
    }

    async fn saved_search(
        &self,
        id: &str,
    ) -> Result<Option<crate::domain::SavedSearch>, StoreError> {
        self.timed("saved_search", self.inner.saved_search(id))
            .await
    }

    async fn saved_searches(
        &self,
        user_id: &str,
    ) -> Result<Vec<crate::domain::SavedSearch>, StoreError> {
        self.timed("saved_searches", self.inner.saved_searches(user_id))
            .await
    }

    async fn delete_saved_search(&self, id: &str, user_id: &str) -> Result<bool, StoreError> {
        self.timed(
            "delete_saved_search",
            self.inner.delete_saved_search(id, user_id),
        )
        .await
    }

    async fn mark_search_seen(&self, id: &str, at: DateTime<Utc>) -> Result<bool, StoreError> {
        self.timed("mark_search_seen", self.inner.mark_search_seen(id, at))
            .await
    }
}

#[async_trait]
impl super::DataRoomStore for InstrumentedStore {
    async fn insert_document(
        &self,
        doc: &crate::domain::Document,
        content: &[u8],
        quota_bytes: u64,
    ) -> Result<Result<(), super::dataroom::QuotaExceeded>, StoreError> {
        self.timed(
            "insert_document",
            self.inner.insert_document(doc, content, quota_bytes),
        )
        .await
    }

    async fn document(&self, id: &str) -> Result<Option<crate::domain::Document>, StoreError> {
        self.timed("document", self.inner.document(id)).await
    }

    async fn document_content(&self, id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.timed("document_content", self.inner.document_content(id))
            .await
    }

    async fn listing_documents(
        &self,
        listing_id: &str,
    ) -> Result<Vec<crate::domain::Document>, StoreError> {
        self.timed(
            "listing_documents",
            self.inner.listing_documents(listing_id),
        )
        .await
    }

    async fn delete_document(&self, id: &str) -> Result<bool, StoreError> {
        self.timed("delete_document", self.inner.delete_document(id))
            .await
    }

    async fn delete_data_room(&self, listing_id: &str) -> Result<u64, StoreError> {
        self.timed("delete_data_room", self.inner.delete_data_room(listing_id))
            .await
    }

    async fn stored_bytes(&self, owner_id: &str) -> Result<u64, StoreError> {
        self.timed("stored_bytes", self.inner.stored_bytes(owner_id))
            .await
    }

    async fn request_nda(
        &self,
        request: &crate::domain::NdaRequest,
    ) -> Result<(crate::domain::NdaRequest, bool), StoreError> {
        self.timed("request_nda", self.inner.request_nda(request))
            .await
    }

    async fn nda_request(&self, id: &str) -> Result<Option<crate::domain::NdaRequest>, StoreError> {
        self.timed("nda_request", self.inner.nda_request(id)).await
    }

    async fn nda_request_for(
        &self,
        listing_id: &str,
        buyer_id: &str,
    ) -> Result<Option<crate::domain::NdaRequest>, StoreError> {
        self.timed(
            "nda_request_for",
            self.inner.nda_request_for(listing_id, buyer_id),
        )
        .await
    }

    async fn update_nda_request(
        &self,
        request: &crate::domain::NdaRequest,
        expected_version: i64,
    ) -> Result<bool, StoreError> {
        self.timed(
            "update_nda_request",
            self.inner.update_nda_request(request, expected_version),
        )
        .await
    }

    async fn nda_requests_page(
        &self,
        query: &super::dataroom::NdaQuery,
    ) -> Result<super::bids::ItemPage<crate::domain::NdaRequest>, StoreError> {
        self.timed("nda_requests_page", self.inner.nda_requests_page(query))
            .await
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::domain::{AuditKind, Role, SessionState};
    use crate::store::EmbeddedStore;

    /// The sample count of `ogf_store_operation_duration_seconds{op}` in `registry`.
    fn samples(registry: &Registry, op: &str) -> u64 {
        registry
            .gather()
            .iter()
            .filter(|f| f.name() == "ogf_store_operation_duration_seconds")
            .flat_map(|f| f.get_metric().iter())
            .filter(|m| m.get_label().iter().any(|l| l.value() == op))
            .map(|m| m.get_histogram().get_sample_count())
            .sum()
    }

    #[tokio::test]
    async fn user_and_audit_operations_are_timed() {
        let dir = tempfile::tempdir().unwrap();
        let inner: Arc<dyn Store> = Arc::new(EmbeddedStore::open(dir.path()).await.unwrap());
        let registry = Registry::new();
        let store = InstrumentedStore::new(inner, &registry).unwrap();
        let at = Utc.with_ymd_and_hms(2026, 1, 15, 12, 0, 0).unwrap();
        let user = User {
            id: "u1".into(),
            email: Email::parse("u1@example.com").unwrap(),
            password_hash: "x".into(),
            role: Role::Buyer,
            locked: false,
            created_at: at,
        };
        store.create_user(&user).await.unwrap();
        assert!(store.user("u1").await.unwrap().is_some());
        assert!(store.user("u1").await.unwrap().is_some());
        store.user_by_email(&user.email).await.unwrap();
        store.users_page(None, 10).await.unwrap();
        store.update_user(&user).await.unwrap();
        store.has_admin().await.unwrap();
        let session = Session {
            id: "s1".into(),
            user_id: "u1".into(),
            family_id: "f1".into(),
            refresh_hash: "h1".into(),
            created_at: at,
            expires_at: at + chrono::TimeDelta::days(1),
            state: SessionState::Active,
        };
        store.create_session(&session).await.unwrap();
        store.session("s1").await.unwrap();
        store.session_by_refresh_hash("h1").await.unwrap();
        let next = Session {
            id: "s2".into(),
            refresh_hash: "h2".into(),
            ..session.clone()
        };
        store.rotate_session("s1", &next).await.unwrap();
        store.revoke_family("f1").await.unwrap();
        store.revoke_user_sessions("u1").await.unwrap();
        store.record_login_failure("u1", at).await.unwrap();
        store.login_failures_since("u1", at).await.unwrap();
        store.clear_login_failures("u1").await.unwrap();
        store
            .record_audit(&AuditEvent {
                id: "a1".into(),
                at,
                kind: AuditKind::Logout,
                user_id: Some("u1".into()),
                actor_id: None,
                ip: None,
                detail: String::new(),
            })
            .await
            .unwrap();
        store.audit_page(&AuditQuery::all(10)).await.unwrap();
        store.delete_user("u1").await.unwrap();

        assert_eq!(samples(&registry, "user"), 2);
        for op in [
            "create_user",
            "user_by_email",
            "users_page",
            "update_user",
            "delete_user",
            "has_admin",
            "create_session",
            "session",
            "session_by_refresh_hash",
            "rotate_session",
            "revoke_family",
            "revoke_user_sessions",
            "record_login_failure",
            "login_failures_since",
            "clear_login_failures",
            "record_audit",
            "audit_page",
        ] {
            assert_eq!(samples(&registry, op), 1, "{op}");
        }
        assert_eq!(samples(&registry, "ping"), 0);
    }
}
