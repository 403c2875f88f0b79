//! In-process cache of authenticated sessions, so that an authenticated request costs a token
//! check and a memory lookup instead of store reads.
//!
//! Entries are keyed by session id and hold the session's user, family and expiry plus a
//! snapshot of the account. They live at most the configured TTL (0 disables the cache).
//! Every server-side change that ends a session or changes an account is followed by an
//! explicit invalidation ([`SessionCache::invalidate_session`], [`invalidate_family`],
//! [`invalidate_user`]), so within one process sign-out and revocation take effect at once.
//! Another replica keeps accepting a revoked session for at most the TTL.
//!
//! A lookup that misses reads the store and then fills the cache; a fill racing with an
//! invalidation could put back a session read just before it was revoked. Fills therefore
//! remember the invalidation generation seen before the store read and are dropped when an
//! invalidation happened meanwhile; fills and invalidations are serialised by one mutex (only
//! misses and invalidations take it, hits never do).
//!
//! [`invalidate_family`]: SessionCache::invalidate_family
//! [`invalidate_user`]: SessionCache::invalidate_user

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, Utc};
use moka::sync::Cache;
use prometheus::{IntCounterVec, Opts, Registry};

use crate::domain::User;

/// Most sessions kept; beyond this the least useful entries are evicted.
const MAX_ENTRIES: u64 = 100_000;

/// What the cache remembers about an active session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedSession {
    /// The session's family.
    pub family_id: String,
    /// After this the session is refused (checked on every hit).
    pub expires_at: DateTime<Utc>,
    /// The account, as read when the entry was filled.
    pub user: Arc<User>,
}

/// The invalidation generation observed before a store read; see [`SessionCache::fill`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Generation(u64);

/// The session cache (cheap to clone; clones share entries).
#[derive(Clone)]
pub struct SessionCache {
    entries: Option<Cache<String, CachedSession>>,
    /// Invalidation generation; the lock also serialises fills with invalidations.
    generation: Arc<Mutex<u64>>,
    lookups: IntCounterVec,
}

impl fmt::Debug for SessionCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionCache")
            .field("enabled", &self.entries.is_some())
            .field("entries", &self.entries.as_ref().map(Cache::entry_count))
            .finish()
    }
}

impl SessionCache {
    /// A cache whose entries live at most `ttl` (zero: no caching), counting lookups in
    /// `ogf_cache_lookups_total{cache="session",result="hit|miss"}` in `registry`.
    pub fn new(ttl: Duration, registry: &Registry) -> Result<Self, prometheus::Error> {
        let lookups = IntCounterVec::new(
            Opts::new(
                "ogf_cache_lookups_total",
                "In-process cache lookups, by cache and result (hit, miss).",
            ),
            &["cache", "result"],
        )?;
        registry.register(Box::new(lookups.clone()))?;
        Ok(Self::build(ttl, lookups))
    }

    /// A cache that counts lookups in `lookups` (labels `cache`, `result`) without
    /// registering anything.
    pub fn build(ttl: Duration, lookups: IntCounterVec) -> Self {
        let entries = (!ttl.is_zero()).then(|| {
            Cache::builder()
                .max_capacity(MAX_ENTRIES)
                .time_to_live(ttl)
                .support_invalidation_closures()
                .build()
        });
        Self {
            entries,
            generation: Arc::new(Mutex::new(0)),
            lookups,
        }
    }

    /// Whether caching is on (TTL above zero).
    pub fn is_enabled(&self) -> bool {
        self.entries.is_some()
    }

    fn lock(&self) -> MutexGuard<'_, u64> {
        // The guarded value is a plain counter: a panic elsewhere cannot leave it torn.
        self.generation
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The cached session with this id, if any (expiry is the caller's to check).
    pub fn get(&self, session_id: &str) -> Option<CachedSession> {
        let entries = self.entries.as_ref()?;
        let found = entries.get(session_id);
        let result = if found.is_some() { "hit" } else { "miss" };
        self.lookups.with_label_values(&["session", result]).inc();
        found
    }

    /// The generation to pass to [`fill`](Self::fill); read it before the store read.
    pub fn generation(&self) -> Generation {
        Generation(*self.lock())
    }

    /// Caches a session read from the store, unless an invalidation happened since `seen`.
    pub fn fill(&self, seen: Generation, session_id: &str, session: CachedSession) {
        let Some(entries) = &self.entries else { return };
        let current = self.lock();
        if *current == seen.0 {
            entries.insert(session_id.to_owned(), session);
        }
    }

    fn invalidate_with(&self, apply: impl FnOnce(&Cache<String, CachedSession>)) {
        let Some(entries) = &self.entries else { return };
        let mut current = self.lock();
        *current = current.wrapping_add(1);
        apply(entries);
    }

    /// Forgets one session (after it was rotated).
    pub fn invalidate_session(&self, session_id: &str) {
        self.invalidate_with(|c| c.invalidate(session_id));
    }

    /// Forgets every session of a family (sign-out, refresh-token reuse).
    pub fn invalidate_family(&self, family_id: &str) {
        let family_id = family_id.to_owned();
        self.invalidate_with(|c| Self::invalidate_if(c, move |s| s.family_id == family_id));
    }

    /// Forgets every session of a user (revocation, lock, role, e-mail or password change,
    /// deletion).
    pub fn invalidate_user(&self, user_id: &str) {
        let user_id = user_id.to_owned();
        self.invalidate_with(|c| Self::invalidate_if(c, move |s| s.user.id == user_id));
    }

    fn invalidate_if(
        cache: &Cache<String, CachedSession>,
        matches: impl Fn(&CachedSession) -> bool + Send + Sync + 'static,
    ) {
        if let Err(e) = cache.invalidate_entries_if(move |_, s| matches(s)) {
            // Only possible when invalidation closures are not enabled, which `build` does;
            // fall back to forgetting everything rather than serving a revoked session.
            tracing::error!(error = %e, "session cache: predicate invalidation failed, clearing");
            cache.invalidate_all();
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::domain::{Email, Role};

    fn cache(ttl: Duration) -> SessionCache {
        let lookups =
            IntCounterVec::new(Opts::new("lookups", "test"), &["cache", "result"]).unwrap();
        SessionCache::build(ttl, lookups)
    }

    fn entry(user: &str, family: &str) -> CachedSession {
        CachedSession {
            family_id: family.into(),
            expires_at: Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap(),
            user: Arc::new(User {
                id: user.into(),
                email: Email::parse(&format!("{user}@example.com")).unwrap(),
                password_hash: String::new(),
                role: Role::Buyer,
                locked: false,
                created_at: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
            }),
        }
    }

    fn filled() -> SessionCache {
        let c = cache(Duration::from_secs(60));
        for (sid, user, family) in [("s1", "u1", "f1"), ("s2", "u1", "f2"), ("s3", "u2", "f3")] {
            c.fill(c.generation(), sid, entry(user, family));
        }
        c
    }

    #[test]
    fn invalidation_by_session_family_and_user() {
        let c = filled();
        assert!(c.get("s1").is_some() && c.get("s2").is_some() && c.get("s3").is_some());
        c.invalidate_family("f1");
        assert!(c.get("s1").is_none());
        assert!(c.get("s2").is_some());
        c.invalidate_user("u1");
        assert!(c.get("s2").is_none());
        assert!(c.get("s3").is_some());
        c.invalidate_session("s3");
        assert!(c.get("s3").is_none());
    }

    #[test]
    fn a_fill_racing_with_an_invalidation_is_dropped() {
        let c = cache(Duration::from_secs(60));
        let seen = c.generation();
        c.invalidate_user("u1");
        c.fill(seen, "s1", entry("u1", "f1"));
        assert!(c.get("s1").is_none(), "stale read must not be cached");
        c.fill(c.generation(), "s1", entry("u1", "f1"));
        assert!(c.get("s1").is_some());
    }

    #[test]
    fn zero_ttl_disables_the_cache() {
        let c = cache(Duration::ZERO);
        assert!(!c.is_enabled());
        c.fill(c.generation(), "s1", entry("u1", "f1"));
        assert!(c.get("s1").is_none());
    }

    #[test]
    fn lookups_are_counted() {
        let c = filled();
        c.get("s1");
        c.get("nope");
        let hits = c.lookups.with_label_values(&["session", "hit"]).get();
        let misses = c.lookups.with_label_values(&["session", "miss"]).get();
        assert_eq!((hits, misses), (1, 1));
    }
}
