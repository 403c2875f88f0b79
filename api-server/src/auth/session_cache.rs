//! In-process cache of authenticated sessions and of verified access tokens, so that an
//! authenticated request costs one memory lookup instead of a JWT verification and store reads.
//!
//! Two maps share one lifetime (the configured TTL; 0 disables both) and one invalidation:
//!
//! - **sessions**, keyed by session id: the session's family and expiry plus a snapshot of the
//!   account, filled from the store on a miss;
//! - **access tokens**, keyed by the exact token string (only ever filled after the token's
//!   signature, `iss`, `aud` and `exp` were verified *and* its session was found active): the
//!   token's claims and its session, so that a repeat request skips the JWT work and the
//!   session lookup. Every hit still checks the token's `exp` and the session's expiry against
//!   the app's clock, so an entry never outlives its token.
//!
//! Every server-side change that ends a session or changes an account is followed by an
//! explicit invalidation of both maps ([`SessionCache::invalidate_session`],
//! [`invalidate_family`], [`invalidate_user`]), so within one process sign-out and revocation
//! take effect at once. Another replica keeps accepting a revoked session for at most the TTL.
//!
//! A lookup that misses reads the store (or verifies the token) and then fills the cache; a
//! fill racing with an invalidation could put back a session read just before it was revoked.
//! Fills therefore remember the invalidation generation seen before the read and are dropped
//! when an invalidation happened meanwhile; fills and invalidations are serialised by one mutex
//! (only misses and invalidations take it, hits never do).
//!
//! [`invalidate_family`]: SessionCache::invalidate_family
//! [`invalidate_user`]: SessionCache::invalidate_user

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, Utc};
use moka::sync::Cache;
use prometheus::{IntCounter, IntCounterVec, Opts, Registry};

use crate::domain::{Role, User};

/// Most sessions kept; beyond this the least useful entries are evicted.
const MAX_ENTRIES: u64 = 100_000;
/// Most access tokens kept (an entry is the token, about 330 bytes, plus its claims).
const MAX_TOKENS: u64 = 50_000;

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

/// What the cache remembers about a verified access token whose session was active.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedToken {
    /// `sub`: the user id.
    pub user_id: String,
    /// `sid`: the session id.
    pub session_id: String,
    /// `role` of the token.
    pub role: Role,
    /// `exp` of the token, Unix seconds: from then on the token is refused (checked on every
    /// hit).
    pub expires_at: i64,
    /// The token's session, as checked when the entry was filled.
    pub session: CachedSession,
}

/// The invalidation generation observed before a store read; see [`SessionCache::fill`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Generation(u64);

/// Hit and miss counters of one map, resolved once (no label lookup per request).
#[derive(Clone)]
struct Lookups {
    hit: IntCounter,
    miss: IntCounter,
}

impl Lookups {
    fn new(vec: &IntCounterVec, cache: &str) -> Self {
        Self {
            hit: vec.with_label_values(&[cache, "hit"]),
            miss: vec.with_label_values(&[cache, "miss"]),
        }
    }

    fn count<T>(&self, found: Option<T>) -> Option<T> {
        if found.is_some() {
            self.hit.inc();
        } else {
            self.miss.inc();
        }
        found
    }
}

/// The session cache (cheap to clone; clones share entries).
#[derive(Clone)]
pub struct SessionCache {
    entries: Option<Cache<String, CachedSession>>,
    tokens: Option<Cache<String, Arc<CachedToken>>>,
    /// Invalidation generation; the lock also serialises fills with invalidations.
    generation: Arc<Mutex<u64>>,
    session_lookups: Lookups,
    token_lookups: Lookups,
}

impl fmt::Debug for SessionCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionCache")
            .field("enabled", &self.entries.is_some())
            .field("entries", &self.entries.as_ref().map(Cache::entry_count))
            .field("tokens", &self.tokens.as_ref().map(Cache::entry_count))
            .finish()
    }
}

impl SessionCache {
    /// A cache whose entries live at most `ttl` (zero: no caching), counting lookups in
    /// `ogf_cache_lookups_total{cache="session|access_token",result="hit|miss"}` in
    /// `registry`.
    pub fn new(ttl: Duration, registry: &Registry) -> Result<Self, prometheus::Error> {
        let lookups = IntCounterVec::new(
            Opts::new(
                "ogf_cache_lookups_total",
                "In-process cache lookups, by cache (session, access_token) and result (hit, miss).",
            ),
            &["cache", "result"],
        )?;
        registry.register(Box::new(lookups.clone()))?;
        Ok(Self::build(ttl, lookups))
    }

    /// A cache that counts lookups in `lookups` (labels `cache`, `result`) without
    /// registering anything.
    pub fn build(ttl: Duration, lookups: IntCounterVec) -> Self {
        let enabled = !ttl.is_zero();
        let entries = enabled.then(|| {
            Cache::builder()
                .max_capacity(MAX_ENTRIES)
                .time_to_live(ttl)
                .support_invalidation_closures()
                .build()
        });
        let tokens = enabled.then(|| {
            Cache::builder()
                .max_capacity(MAX_TOKENS)
                .time_to_live(ttl)
                .support_invalidation_closures()
                .build()
        });
        Self {
            entries,
            tokens,
            generation: Arc::new(Mutex::new(0)),
            session_lookups: Lookups::new(&lookups, "session"),
            token_lookups: Lookups::new(&lookups, "access_token"),
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
        self.session_lookups.count(entries.get(session_id))
    }

    /// The cached verification of this exact access token, if any (the token's `exp` and the
    /// session's expiry are the caller's to check).
    pub fn get_token(&self, access_token: &str) -> Option<Arc<CachedToken>> {
        let tokens = self.tokens.as_ref()?;
        self.token_lookups.count(tokens.get(access_token))
    }

    /// The generation to pass to [`fill`](Self::fill) and [`fill_token`](Self::fill_token);
    /// read it before the store read or session lookup.
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

    /// Caches a verified access token whose session was found active, unless an
    /// invalidation happened since `seen`.
    pub fn fill_token(&self, seen: Generation, access_token: &str, token: CachedToken) {
        let Some(tokens) = &self.tokens else { return };
        let current = self.lock();
        if *current == seen.0 {
            tokens.insert(access_token.to_owned(), Arc::new(token));
        }
    }

    /// Forgets one access token (its `exp` passed).
    pub fn forget_token(&self, access_token: &str) {
        if let Some(tokens) = &self.tokens {
            tokens.invalidate(access_token);
        }
    }

    fn invalidate_with(
        &self,
        sessions: impl FnOnce(&Cache<String, CachedSession>),
        tokens: impl Fn(&CachedToken) -> bool + Send + Sync + 'static,
    ) {
        let (Some(entries), Some(cached_tokens)) = (&self.entries, &self.tokens) else {
            return;
        };
        let mut current = self.lock();
        *current = current.wrapping_add(1);
        sessions(entries);
        Self::invalidate_if(cached_tokens, move |t: &Arc<CachedToken>| tokens(t));
    }

    /// Forgets one session and its access tokens (after it was rotated).
    pub fn invalidate_session(&self, session_id: &str) {
        let sid = session_id.to_owned();
        self.invalidate_with(|c| c.invalidate(session_id), move |t| t.session_id == sid);
    }

    /// Forgets every session of a family and their access tokens (sign-out, refresh-token
    /// reuse).
    pub fn invalidate_family(&self, family_id: &str) {
        let family = family_id.to_owned();
        let token_family = family_id.to_owned();
        self.invalidate_with(
            |c| Self::invalidate_if(c, move |s: &CachedSession| s.family_id == family),
            move |t| t.session.family_id == token_family,
        );
    }

    /// Forgets every session of a user and their access tokens (revocation, lock, role,
    /// e-mail or password change, deletion).
    pub fn invalidate_user(&self, user_id: &str) {
        let user = user_id.to_owned();
        let token_user = user_id.to_owned();
        self.invalidate_with(
            |c| Self::invalidate_if(c, move |s: &CachedSession| s.user.id == user),
            move |t| t.user_id == token_user,
        );
    }

    fn invalidate_if<V: Clone + Send + Sync + 'static>(
        cache: &Cache<String, V>,
        matches: impl Fn(&V) -> bool + Send + Sync + 'static,
    ) {
        if let Err(e) = cache.invalidate_entries_if(move |_, v| matches(v)) {
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
    use crate::domain::Email;

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
        let hits = c.session_lookups.hit.get();
        let misses = c.session_lookups.miss.get();
        assert_eq!((hits, misses), (1, 1));
        c.get_token("t1");
        assert_eq!(
            (c.token_lookups.hit.get(), c.token_lookups.miss.get()),
            (0, 1)
        );
    }

    fn token(sid: &str, user: &str, family: &str) -> CachedToken {
        CachedToken {
            user_id: user.into(),
            session_id: sid.into(),
            role: Role::Buyer,
            expires_at: 1_900_000_000,
            session: entry(user, family),
        }
    }

    fn filled_tokens() -> SessionCache {
        let c = cache(Duration::from_secs(60));
        for (t, sid, user, family) in [
            ("t1", "s1", "u1", "f1"),
            ("t1b", "s1", "u1", "f1"),
            ("t2", "s2", "u1", "f2"),
            ("t3", "s3", "u2", "f3"),
            ("t4", "s4", "u3", "f4"),
        ] {
            c.fill_token(c.generation(), t, token(sid, user, family));
        }
        c
    }

    #[test]
    fn tokens_are_invalidated_with_their_session_family_and_user() {
        let c = filled_tokens();
        for t in ["t1", "t1b", "t2", "t3", "t4"] {
            assert!(c.get_token(t).is_some(), "{t}");
        }
        assert!(c.get_token("t1x").is_none(), "exact token string only");
        c.invalidate_session("s1");
        assert!(c.get_token("t1").is_none() && c.get_token("t1b").is_none());
        assert!(c.get_token("t2").is_some());
        c.invalidate_family("f3");
        assert!(c.get_token("t3").is_none());
        c.invalidate_user("u1");
        assert!(c.get_token("t2").is_none());
        assert!(c.get_token("t4").is_some());
        c.forget_token("t4");
        assert!(c.get_token("t4").is_none());
    }

    #[test]
    fn a_token_fill_racing_with_an_invalidation_is_dropped() {
        let c = cache(Duration::from_secs(60));
        let seen = c.generation();
        c.invalidate_family("f-other");
        c.fill_token(seen, "t1", token("s1", "u1", "f1"));
        assert!(
            c.get_token("t1").is_none(),
            "stale check must not be cached"
        );
        c.fill_token(c.generation(), "t1", token("s1", "u1", "f1"));
        assert_eq!(c.get_token("t1").unwrap().session_id, "s1");
    }

    #[test]
    fn zero_ttl_caches_no_tokens() {
        let c = cache(Duration::ZERO);
        c.fill_token(c.generation(), "t1", token("s1", "u1", "f1"));
        assert!(c.get_token("t1").is_none());
    }
}
