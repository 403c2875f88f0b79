//! In-process cache of market-data responses (moka), 5 minutes by default.
//!
//! Entries are whole JSON response bodies keyed by the normalised request (series, dates,
//! interval) or `summary`. Market data is the same for every caller (no per-user fields), so
//! one entry may serve anyone. Every market write through this process (an admin post)
//! empties the cache; writes by another process (`ogf-api market import`, another replica)
//! show after at most the TTL. A fill racing with an invalidation is dropped, as in the
//! session cache: fills remember the generation seen before their store read.
//! Lookups are counted in `ogf_cache_lookups_total{cache="market",result="hit|miss"}`.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use moka::sync::Cache;
use prometheus::{IntCounterVec, Opts, Registry};

/// Most responses kept.
const MAX_ENTRIES: u64 = 10_000;

/// Registers `ogf_cache_lookups_total{cache, result}` in `registry` (once per registry; every
/// in-process cache shares it, each with its own `cache` label).
pub fn lookups_counter(registry: &Registry) -> Result<IntCounterVec, prometheus::Error> {
    let lookups = IntCounterVec::new(
        Opts::new(
            "ogf_cache_lookups_total",
            "In-process cache lookups, by cache and result (hit, miss).",
        ),
        &["cache", "result"],
    )?;
    registry.register(Box::new(lookups.clone()))?;
    Ok(lookups)
}

/// The invalidation generation seen before a store read; see [`MarketCache::fill`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Generation(u64);

/// The market-data response cache (cheap to clone; clones share entries).
#[derive(Clone)]
pub struct MarketCache {
    entries: Option<Cache<String, Bytes>>,
    generation: Arc<Mutex<u64>>,
    lookups: IntCounterVec,
}

impl fmt::Debug for MarketCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MarketCache")
            .field("enabled", &self.entries.is_some())
            .finish()
    }
}

impl MarketCache {
    /// A cache whose entries live at most `ttl` (zero: no caching), counting lookups in
    /// `lookups` under `cache="market"`.
    pub fn build(ttl: Duration, lookups: IntCounterVec) -> Self {
        let entries = (!ttl.is_zero()).then(|| {
            Cache::builder()
                .max_capacity(MAX_ENTRIES)
                .time_to_live(ttl)
                .build()
        });
        Self {
            entries,
            generation: Arc::new(Mutex::new(0)),
            lookups,
        }
    }

    fn lock(&self) -> MutexGuard<'_, u64> {
        // A plain counter: a panic elsewhere cannot leave it torn.
        self.generation
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The cached body for `key`, if any (counted as a hit or a miss when caching is on).
    pub fn get(&self, key: &str) -> Option<Bytes> {
        let entries = self.entries.as_ref()?;
        let found = entries.get(key);
        let result = if found.is_some() { "hit" } else { "miss" };
        self.lookups.with_label_values(&["market", result]).inc();
        found
    }

    /// The generation to pass to [`fill`](Self::fill); read it before the store read.
    pub fn generation(&self) -> Generation {
        Generation(*self.lock())
    }

    /// Caches `body` under `key`, unless an invalidation happened since `seen`.
    pub fn fill(&self, seen: Generation, key: String, body: Bytes) {
        let Some(entries) = &self.entries else { return };
        let current = self.lock();
        if *current == seen.0 {
            entries.insert(key, body);
        }
    }

    /// Forgets every entry (after any market write).
    pub fn invalidate_all(&self) {
        let Some(entries) = &self.entries else { return };
        let mut current = self.lock();
        *current = current.wrapping_add(1);
        entries.invalidate_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache(ttl: Duration) -> MarketCache {
        let lookups = lookups_counter(&Registry::new()).unwrap();
        MarketCache::build(ttl, lookups)
    }

    #[test]
    fn hits_misses_and_invalidation() {
        let c = cache(Duration::from_secs(60));
        assert!(c.get("summary").is_none());
        c.fill(c.generation(), "summary".into(), Bytes::from_static(b"{}"));
        assert_eq!(c.get("summary").unwrap(), Bytes::from_static(b"{}"));
        c.invalidate_all();
        assert!(c.get("summary").is_none());
        let hits = c.lookups.with_label_values(&["market", "hit"]).get();
        let misses = c.lookups.with_label_values(&["market", "miss"]).get();
        assert_eq!((hits, misses), (1, 2));
    }

    #[test]
    fn a_fill_racing_with_an_invalidation_is_dropped() {
        let c = cache(Duration::from_secs(60));
        let seen = c.generation();
        c.invalidate_all();
        c.fill(seen, "k".into(), Bytes::from_static(b"old"));
        assert!(c.get("k").is_none());
    }

    #[test]
    fn zero_ttl_disables_the_cache() {
        let c = cache(Duration::ZERO);
        c.fill(c.generation(), "k".into(), Bytes::from_static(b"x"));
        assert!(c.get("k").is_none());
        assert_eq!(c.lookups.with_label_values(&["market", "miss"]).get(), 0);
    }
}
