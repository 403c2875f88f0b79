//! Loading demo listings into an empty store.

use chrono::{DateTime, Utc};

use super::generate;
use crate::domain::ListingFilter;
use crate::domain::ValidationError;
use crate::store::{ListingStore, StoreError};

/// Listings inserted per `insert_many` call.
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
    let listings = generate(n, seed, newest)?;
    for chunk in listings.chunks(BATCH) {
        store.insert_many(chunk).await?;
    }
    Ok(n)
}
