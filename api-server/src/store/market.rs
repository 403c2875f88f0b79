//! Persistence of market data: daily prices keyed by `(series, date)`.

use async_trait::async_trait;
use chrono::NaiveDate;

use super::StoreError;
use crate::domain::market::{PricePoint, Series, UpsertCounts};

/// Daily prices. At most one point per `(series, date)`; writes are idempotent upserts.
#[async_trait]
pub trait MarketStore: Send + Sync {
    /// Inserts or replaces each point (by series and date) and says what changed. A batch
    /// must not hold the same `(series, date)` twice. Not atomic across the batch on MongoDB.
    async fn upsert_prices(&self, points: &[PricePoint]) -> Result<UpsertCounts, StoreError>;

    /// The points of `series` dated `from..=to`, oldest first.
    async fn prices(
        &self,
        series: Series,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<PricePoint>, StoreError>;

    /// The newest point of `series` dated on or before `date`.
    async fn price_on_or_before(
        &self,
        series: Series,
        date: NaiveDate,
    ) -> Result<Option<PricePoint>, StoreError>;

    /// How many points are stored, over every series.
    async fn count_prices(&self) -> Result<u64, StoreError>;
}
