//! A bounded moka cache with a time to live, hit/miss counters and race-safe invalidation.
//!
//! A fill racing with an invalidation could put back a value read just before the change it
//! invalidates. Fills therefore remember the invalidation [`Generation`] seen before their
//! store read and are dropped when an invalidation happened meanwhile (as in the market and
//! session caches); fills and invalidations are serialised by one mutex, hits never take it.

use std::borrow::Borrow;
use std::fmt;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use moka::sync::Cache;
use prometheus::IntCounterVec;

/// The invalidation generation seen before a store read; see [`TtlCache::fill`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Generation(u64);

/// A bounded cache of `K → V` whose entries live at most the TTL (cheap to clone; clones
/// share entries).
#[derive(Clone)]
pub struct TtlCache<K, V> {
    name: &'static str,
    entries: Option<Cache<K, V>>,
    generation: Arc<Mutex<u64>>,
    /// The newest data generation seen in keys (see [`TtlCache::observe_data_generation`]).
    data_generation: Arc<AtomicU64>,
    lookups: IntCounterVec,
}

impl<K, V> fmt::Debug for TtlCache<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TtlCache")
            .field("name", &self.name)
            .field("enabled", &self.entries.is_some())
            .finish()
    }
}

impl<K, V> TtlCache<K, V>
where
    K: Hash + Eq + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    /// A cache of at most `max_entries` entries living at most `ttl` (zero: no caching),
    /// counting lookups in `lookups` under `cache=name`.
    pub fn build(
        name: &'static str,
        ttl: Duration,
        max_entries: u64,
        lookups: IntCounterVec,
    ) -> Self {
        let entries = (!ttl.is_zero()).then(|| {
            Cache::builder()
                .max_capacity(max_entries)
                .time_to_live(ttl)
                .build()
        });
        Self {
            name,
            entries,
            generation: Arc::new(Mutex::new(0)),
            data_generation: Arc::new(AtomicU64::new(0)),
            lookups,
        }
    }

    fn lock(&self) -> MutexGuard<'_, u64> {
        // A plain counter: a panic elsewhere cannot leave it torn.
        self.generation
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether caching is on (a non-zero TTL).
    pub fn enabled(&self) -> bool {
        self.entries.is_some()
    }

    /// The cached value for `key`, if any (counted as a hit or a miss when caching is on).
    pub fn get<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let entries = self.entries.as_ref()?;
        let found = entries.get(key);
        let result = if found.is_some() { "hit" } else { "miss" };
        self.lookups.with_label_values(&[self.name, result]).inc();
        found
    }

    /// The generation to pass to [`fill`](Self::fill); read it before the store read.
    pub fn generation(&self) -> Generation {
        Generation(*self.lock())
    }

    /// Caches `value` under `key`, unless an invalidation happened since `seen`.
    pub fn fill(&self, seen: Generation, key: K, value: V) {
        let Some(entries) = &self.entries else { return };
        let current = self.lock();
        if *current == seen.0 {
            entries.insert(key, value);
        }
    }

    /// Forgets `key` (and drops fills of any key that started before).
    pub fn invalidate<Q>(&self, key: &Q)
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let Some(entries) = &self.entries else { return };
        let mut current = self.lock();
        *current = current.wrapping_add(1);
        entries.invalidate(key);
    }

    /// For caches whose keys start with a data generation (the listing-write generation):
    /// once a newer one is seen, every older entry is unreachable, so they are all forgotten
    /// now rather than left to fill the cache until their TTL. (Left, the soak's searches
    /// kept up to 10,000 dead result pages, a few hundred MiB.)
    pub fn observe_data_generation(&self, generation: u64) {
        if self
            .data_generation
            .fetch_max(generation, Ordering::Relaxed)
            < generation
        {
            self.invalidate_all();
        }
    }

    /// Forgets every entry.
    pub fn invalidate_all(&self) {
        let Some(entries) = &self.entries else { return };
        let mut current = self.lock();
        *current = current.wrapping_add(1);
        entries.invalidate_all();
    }
}

#[cfg(test)]
mod tests {
    use prometheus::Registry;

    use super::*;

    fn cache(ttl: Duration) -> TtlCache<String, u32> {
        let lookups = crate::market::cache::lookups_counter(&Registry::new()).unwrap();
        TtlCache::build("test", ttl, 10, lookups)
    }

    fn count(c: &TtlCache<String, u32>, result: &str) -> u64 {
        c.lookups.with_label_values(&["test", result]).get()
    }

    #[test]
    fn hits_misses_and_invalidation() {
        let c = cache(Duration::from_secs(60));
        assert_eq!(c.get("a"), None);
        c.fill(c.generation(), "a".into(), 1);
        c.fill(c.generation(), "b".into(), 2);
        assert_eq!(c.get("a"), Some(1));
        c.invalidate("a");
        assert_eq!(c.get("a"), None);
        assert_eq!(c.get("b"), Some(2));
        c.invalidate_all();
        assert_eq!(c.get("b"), None);
        assert_eq!((count(&c, "hit"), count(&c, "miss")), (2, 3));
    }

    #[test]
    fn a_fill_racing_with_an_invalidation_is_dropped() {
        let c = cache(Duration::from_secs(60));
        let seen = c.generation();
        c.invalidate("other");
        c.fill(seen, "k".into(), 7);
        assert_eq!(c.get("k"), None);
    }

    #[test]
    fn zero_ttl_disables_the_cache() {
        let c = cache(Duration::ZERO);
        assert!(!c.enabled());
        c.fill(c.generation(), "k".into(), 1);
        assert_eq!(c.get("k"), None);
        assert_eq!(count(&c, "miss"), 0);
    }
}
