//! Loading demo listings into an empty store.

use chrono::{DateTime, Utc};

use super::listing;
use crate::domain::ListingFilter;
use crate::domain::ValidationError;
use crate::store::{ListingStore, StoreError};

/// Listings generated and inserted per `insert_many` call (one transaction on the embedded
/// store, one bulk insert on MongoDB). Generating batch by batch keeps memory bounded at any
/// size (100,000 listings for the search benchmark).
const BATCH: usize = 1_000;

/// Why seeding failed.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The generator produced an invalid listing (a bug).
    #[error("demo generator: {0}")]
    Invalid(#[from] ValidationError),
}

/// Inserts `n` demo listings if the store holds no listing; returns how many were inserted.
pub async fn seed_if_empty(
    store: &dyn ListingStore,
    n: usize,
    seed: u64,
    newest: DateTime<Utc>,
) -> Result<usize, SeedError> {
    if n == 0 || store.count(&ListingFilter::default()).await? > 0 {
        return Ok(0);
    }
    let n = n as u64;
    let mut start = 0;
    while start < n {
        let end = (start + BATCH as u64).min(n);
        let batch = (start..end)
            .map(|i| listing(i, seed, newest))
            .collect::<Result<Vec<_>, _>>()?;
        store.insert_many(&batch).await?;
        start = end;
    }
    Ok(usize::try_from(n).unwrap_or(usize::MAX))
}
