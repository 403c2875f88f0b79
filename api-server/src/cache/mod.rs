//! The response caches of the marketplace resources (moka, in process), built on one small
//! [`TtlCache`]:
//!
//! - [`search`]: listing search results (`cache="listing_search"`), 10 minutes by default;
//! - analytics responses (`cache="analytics"`), 30 minutes: seller dashboards and the admin
//!   overview, keyed by who asks and the range;
//! - public seller profiles (`cache="profile"`), 1 hour.
//!
//! Lookups are counted in `ogf_cache_lookups_total{cache, result="hit|miss"}` (shared with
//! the session and market-data caches). A zero TTL disables a cache (no lookups counted).

pub mod search;
mod ttl;

pub use search::SearchCache;
pub use ttl::{Generation, TtlCache};

/// `cache` label of the listing-search cache.
pub const LISTING_SEARCH: &str = "listing_search";
/// `cache` label of the analytics cache.
pub const ANALYTICS: &str = "analytics";
/// `cache` label of the public profile cache.
pub const PROFILE: &str = "profile";
