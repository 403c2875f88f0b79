//! Cache of listing search results: the store's [`Page`] for a [`SearchQuery`], 10 minutes by
//! default.
//!
//! - **Viewer independence.** The cached value is the store page, never a rendered response:
//!   per-caller fields (the reserve price, shown only to the owning seller and admins) are
//!   rendered after the cache for each caller. Which drafts a search may return is part of the
//!   query ([`crate::domain::Visibility`], e.g. one seller's own drafts), and so of the key:
//!   a seller's drafts are never served to anyone else.
//! - **Invalidation.** The key starts with the store's listing-write generation
//!   ([`crate::store::InstrumentedStore::listing_generation`]), bumped after every listing
//!   write in this process, so a search after a write never sees an older entry, and a fill
//!   that raced with a write lands under the old generation where no one looks; the first
//!   key of a newer generation forgets the older entries at once. Writes by
//!   another replica show after at most the TTL. View counts in search results may lag by
//!   the TTL (views are not listing writes); `GET /listings/{id}` is never cached.
//! - **Not cached:** `sort=ending_soonest`, whose filter depends on the current time.

use std::sync::Arc;
use std::time::Duration;

use prometheus::IntCounterVec;

use super::{LISTING_SEARCH, TtlCache};
use crate::domain::{ListingSort, Page, SearchQuery};

/// Most result pages kept.
const MAX_ENTRIES: u64 = 10_000;

/// The listing-search cache (cheap to clone; clones share entries).
#[derive(Debug, Clone)]
pub struct SearchCache {
    pages: TtlCache<String, Arc<Page>>,
}

impl SearchCache {
    /// A cache whose entries live at most `ttl` (zero: no caching).
    pub fn build(ttl: Duration, lookups: IntCounterVec) -> Self {
        Self {
            pages: TtlCache::build(LISTING_SEARCH, ttl, MAX_ENTRIES, lookups),
        }
    }

    /// The key of `query` at listing-write generation `generation`; `None` when the query is
    /// not cacheable (or caching is off).
    ///
    /// The query's `Debug` form names every field and prints floats exactly (shortest
    /// round-trip form), so two queries share a key only when they are equal.
    pub fn key(&self, generation: u64, query: &SearchQuery) -> Option<String> {
        let cacheable = self.pages.enabled()
            && query.sort != ListingSort::EndingSoonest
            && query.filter.ends_at_or_after_ms.is_none();
        self.pages.observe_data_generation(generation);
        cacheable.then(|| format!("{generation}:{query:?}"))
    }

    /// The cached page for `key`.
    pub fn get(&self, key: &str) -> Option<Arc<Page>> {
        self.pages.get(key)
    }

    /// Caches `page` under `key`.
    pub fn fill(&self, key: String, page: Arc<Page>) {
        let seen = self.pages.generation();
        self.pages.fill(seen, key, page);
    }
}

#[cfg(test)]
mod tests {
    use prometheus::Registry;

    use super::*;
    use crate::domain::{ListingFilter, Visibility};

    fn cache() -> SearchCache {
        let lookups = crate::market::cache::lookups_counter(&Registry::new()).unwrap();
        SearchCache::build(Duration::from_secs(60), lookups)
    }

    #[test]
    fn keys_differ_by_generation_visibility_and_time_dependence() {
        let c = cache();
        let anyone = SearchQuery::new(ListingFilter::default());
        let mut own = anyone.clone();
        own.filter.visibility = Visibility::OwnDrafts("s1".into());
        let k = c.key(1, &anyone).unwrap();
        assert_ne!(Some(&k), c.key(2, &anyone).as_ref());
        assert_ne!(Some(&k), c.key(1, &own).as_ref());
        let mut ending = anyone.clone();
        ending.sort = ListingSort::EndingSoonest;
        assert_eq!(c.key(1, &ending), None);
    }

    #[test]
    fn disabled_cache_has_no_keys() {
        let lookups = crate::market::cache::lookups_counter(&Registry::new()).unwrap();
        let c = SearchCache::build(Duration::ZERO, lookups);
        assert_eq!(c.key(0, &SearchQuery::new(ListingFilter::default())), None);
    }

    #[test]
    fn a_newer_generation_forgets_the_older_pages() {
        let c = cache();
        let query = SearchQuery::new(ListingFilter::default());
        let old = c.key(1, &query).unwrap();
        c.fill(
            old.clone(),
            Arc::new(Page {
                items: Vec::new(),
                next: None,
            }),
        );
        assert!(c.get(&old).is_some());
        let _ = c.key(2, &query).unwrap();
        assert!(
            c.get(&old).is_none(),
            "dead pages must not stay until their TTL"
        );
    }
}
