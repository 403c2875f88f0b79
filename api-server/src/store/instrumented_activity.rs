//! [`ActivityStore`] of the [`InstrumentedStore`]: every operation timed under its name.

use async_trait::async_trait;
use chrono::NaiveDate;

use super::{ActivityStore, InstrumentedStore, StoreError};
use crate::domain::activity::{
    ActivityCount, ActivityEvent, ActivityQuery, ListingGroup, SellerListing,
};

#[async_trait]
impl ActivityStore for InstrumentedStore {
    async fn record_activity(&self, events: &[ActivityEvent]) -> Result<(), StoreError> {
        self.timed("record_activity", self.inner().record_activity(events))
            .await
    }

    async fn activity_counts(
        &self,
        query: &ActivityQuery,
    ) -> Result<Vec<ActivityCount>, StoreError> {
        self.timed("activity_counts", self.inner().activity_counts(query))
            .await
    }

    async fn seller_listings(
        &self,
        seller_id: &str,
        limit: u32,
    ) -> Result<Vec<SellerListing>, StoreError> {
        self.timed(
            "seller_listings",
            self.inner().seller_listings(seller_id, limit),
        )
        .await
    }

    async fn listing_groups(&self) -> Result<Vec<ListingGroup>, StoreError> {
        self.timed("listing_groups", self.inner().listing_groups())
            .await
    }

    async fn registrations_per_day(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<(NaiveDate, u64)>, StoreError> {
        self.timed(
            "registrations_per_day",
            self.inner().registrations_per_day(from, to),
        )
        .await
    }
}
