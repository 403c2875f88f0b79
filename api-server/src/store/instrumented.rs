//! A store decorator that records `ogf_store_operation_duration_seconds{op}`.

use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use prometheus::{HistogramOpts, HistogramVec, Registry};

use super::{ListingStore, StoreError, StoreKind};
use crate::domain::{Listing, ListingFilter, Page, SearchQuery};

/// Latency buckets for store operations, seconds.
const BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// Wraps a store and times every operation.
#[derive(Debug, Clone)]
pub struct InstrumentedStore {
    inner: Arc<dyn ListingStore>,
    duration: HistogramVec,
}

impl InstrumentedStore {
    /// Registers the histogram in `registry` and wraps `inner`.
    pub fn new(
        inner: Arc<dyn ListingStore>,
        registry: &Registry,
    ) -> Result<Self, prometheus::Error> {
        let duration = HistogramVec::new(
            HistogramOpts::new(
                "ogf_store_operation_duration_seconds",
                "Duration of store operations, by operation.",
            )
            .buckets(BUCKETS.to_vec()),
            &["op"],
        )?;
        registry.register(Box::new(duration.clone()))?;
        Ok(Self { inner, duration })
    }

    fn observe(&self, op: &str, started: Instant) {
        self.duration
            .with_label_values(&[op])
            .observe(started.elapsed().as_secs_f64());
    }
}

#[async_trait]
impl ListingStore for InstrumentedStore {
    fn kind(&self) -> StoreKind {
        self.inner.kind()
    }

    async fn insert(&self, listing: &Listing) -> Result<(), StoreError> {
        let started = Instant::now();
        let result = self.inner.insert(listing).await;
        self.observe("insert", started);
        result
    }

    async fn insert_many(&self, listings: &[Listing]) -> Result<(), StoreError> {
        let started = Instant::now();
        let result = self.inner.insert_many(listings).await;
        self.observe("insert_many", started);
        result
    }

    async fn get(&self, id: &str) -> Result<Option<Listing>, StoreError> {
        let started = Instant::now();
        let result = self.inner.get(id).await;
        self.observe("get", started);
        result
    }

    async fn search(&self, query: &SearchQuery) -> Result<Page, StoreError> {
        let started = Instant::now();
        let result = self.inner.search(query).await;
        self.observe("search", started);
        result
    }

    async fn count(&self, filter: &ListingFilter) -> Result<u64, StoreError> {
        let started = Instant::now();
        let result = self.inner.count(filter).await;
        self.observe("count", started);
        result
    }

    async fn ping(&self) -> Result<(), StoreError> {
        let started = Instant::now();
        let result = self.inner.ping().await;
        self.observe("ping", started);
        result
    }
}
