//! Persistence of listing activity (the analytics event log) and the grouped reads behind
//! the seller dashboard and the admin overview.

use async_trait::async_trait;
use chrono::NaiveDate;

use super::StoreError;
use crate::domain::activity::{
    ActivityCount, ActivityEvent, ActivityQuery, ListingGroup, SellerListing,
};

/// Most listings one dashboard lists (a seller's newest).
pub const MAX_SELLER_LISTINGS: u32 = 1_000;

/// The activity log and analytics reads.
#[async_trait]
pub trait ActivityStore: Send + Sync {
    /// Appends events (one round trip for the batch; not atomic across it on MongoDB).
    async fn record_activity(&self, events: &[ActivityEvent]) -> Result<(), StoreError>;

    /// Grouped counts as [`ActivityQuery::reference`] defines them, in any order.
    async fn activity_counts(
        &self,
        query: &ActivityQuery,
    ) -> Result<Vec<ActivityCount>, StoreError>;

    /// The seller's newest `limit` listings (every status), newest first.
    async fn seller_listings(
        &self,
        seller_id: &str,
        limit: u32,
    ) -> Result<Vec<SellerListing>, StoreError>;

    /// Listing counts grouped by type, basin and status, in any order.
    async fn listing_groups(&self) -> Result<Vec<ListingGroup>, StoreError>;

    /// Accounts created per UTC day dated `from..=to`, oldest first, days without any left out.
    async fn registrations_per_day(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<(NaiveDate, u64)>, StoreError>;
}
