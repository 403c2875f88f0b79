//! A keyed fixed-window counter with bounded memory.
//!
//! Written here rather than taken from `governor`: the `RateLimit-Remaining` and
//! `RateLimit-Reset` headers need the exact count and window end, which GCRA does not keep,
//! and time comes from the app's [`crate::clock::Clock`] so tests move it without sleeping.
//!
//! Clients choose their keys (an address, often one of very many), and a window may last a
//! day, so what is kept per key is small and how many keys are kept is capped:
//!
//! - a key is kept as a 64-bit keyed hash (SipHash with this process's random keys), not as
//!   its text: 24 bytes a key in all. Two keys share a count only if their hashes collide,
//!   about one chance in 10^7 with a million keys, and an outsider cannot aim for it;
//! - when the table reaches its cap, expired windows go first, then the oldest windows: the
//!   keys forgotten this way start afresh. Under a flood of new keys the limiter so fails
//!   open for the longest-known keys rather than growing without end or refusing new clients.

use std::collections::HashMap;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::{Mutex, PoisonError};

use chrono::{DateTime, TimeDelta, Utc};

/// Keys kept before expired windows are swept.
const SWEEP_AT: usize = 10_000;
/// Most keys a limiter keeps (about 24 MiB with the table's slack).
pub const MAX_KEYS: usize = 1_000_000;

/// `limit` requests per `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    /// Requests allowed per window.
    pub limit: u32,
    /// Window length.
    pub window: TimeDelta,
}

/// The outcome of one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    /// Whether the request may proceed.
    pub allowed: bool,
    /// The quota's limit.
    pub limit: u32,
    /// Requests left in the current window after this one.
    pub remaining: u32,
    /// Seconds until the window resets (at least 1).
    pub reset_secs: i64,
}

/// One key's window: its start in Unix milliseconds and the requests counted in it.
#[derive(Debug, Clone, Copy)]
struct Window {
    start_ms: i64,
    count: u32,
}

#[derive(Debug)]
struct Windows {
    by_key: HashMap<u64, Window>,
    sweep_at: usize,
}

/// Counts requests per key in windows that start at a key's first request.
#[derive(Debug)]
pub struct KeyedLimiter {
    quota: Quota,
    max_keys: usize,
    hasher: RandomState,
    windows: Mutex<Windows>,
}

impl KeyedLimiter {
    /// A limiter enforcing `quota` per key, keeping at most [`MAX_KEYS`] keys.
    pub fn new(quota: Quota) -> Self {
        Self::with_max_keys(quota, MAX_KEYS)
    }

    /// A limiter keeping at most `max_keys` keys (at least one).
    pub fn with_max_keys(quota: Quota, max_keys: usize) -> Self {
        let max_keys = max_keys.max(1);
        Self {
            quota,
            max_keys,
            hasher: RandomState::new(),
            windows: Mutex::new(Windows {
                by_key: HashMap::new(),
                sweep_at: SWEEP_AT.min(max_keys),
            }),
        }
    }

    /// Counts one request of `key` at `now`.
    pub fn check(&self, key: &str, now: DateTime<Utc>) -> Decision {
        let now_ms = now.timestamp_millis();
        let window_ms = self.quota.window.num_milliseconds();
        let hash = self.hasher.hash_one(key);
        let mut w = self.windows.lock().unwrap_or_else(PoisonError::into_inner);
        if w.by_key.len() >= w.sweep_at && !w.by_key.contains_key(&hash) {
            self.make_room(&mut w, now_ms);
        }
        let entry = w.by_key.entry(hash).or_insert(Window {
            start_ms: now_ms,
            count: 0,
        });
        if now_ms >= entry.start_ms + window_ms {
            *entry = Window {
                start_ms: now_ms,
                count: 0,
            };
        }
        let allowed = entry.count < self.quota.limit;
        if allowed {
            entry.count += 1;
        }
        let left = entry.start_ms + window_ms - now_ms;
        Decision {
            allowed,
            limit: self.quota.limit,
            remaining: self.quota.limit - entry.count,
            reset_secs: ((left + 999) / 1000).max(1),
        }
    }

    /// Keys currently kept.
    pub fn len(&self) -> usize {
        self.windows
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .by_key
            .len()
    }

    /// Whether no key is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops expired windows; at the cap, also the oldest windows, down to three quarters of
    /// it, so that the next eviction is again a quarter of the cap away.
    fn make_room(&self, w: &mut Windows, now_ms: i64) {
        let window_ms = self.quota.window.num_milliseconds();
        w.by_key.retain(|_, win| now_ms < win.start_ms + window_ms);
        if w.by_key.len() >= self.max_keys {
            let keep = (self.max_keys * 3 / 4).min(self.max_keys - 1);
            if keep == 0 {
                w.by_key.clear();
                w.sweep_at = self.max_keys;
                return;
            }
            let mut starts: Vec<i64> = w.by_key.values().map(|win| win.start_ms).collect();
            let cut = starts.len() - keep;
            let (_, oldest_kept, _) = starts.select_nth_unstable(cut);
            let oldest_kept = *oldest_kept;
            let mut dropped = starts[..cut].iter().filter(|&&s| s < oldest_kept).count();
            w.by_key.retain(|_, win| {
                if win.start_ms < oldest_kept {
                    return false;
                }
                // Of the windows that started in the cut's millisecond, only as many go as
                // are needed.
                if win.start_ms == oldest_kept && dropped < cut {
                    dropped += 1;
                    return false;
                }
                true
            });
        }
        w.sweep_at = SWEEP_AT.max(w.by_key.len() * 2).min(self.max_keys);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quota(limit: u32, window: TimeDelta) -> Quota {
        Quota { limit, window }
    }

    #[test]
    fn counts_per_key_and_resets_after_the_window() {
        let l = KeyedLimiter::new(quota(2, TimeDelta::minutes(1)));
        let t0 = Utc::now();
        let a1 = l.check("a", t0);
        assert_eq!((a1.allowed, a1.remaining, a1.reset_secs), (true, 1, 60));
        let a2 = l.check("a", t0 + TimeDelta::seconds(10));
        assert_eq!((a2.allowed, a2.remaining, a2.reset_secs), (true, 0, 50));
        let a3 = l.check("a", t0 + TimeDelta::milliseconds(59_001));
        assert_eq!((a3.allowed, a3.remaining, a3.reset_secs), (false, 0, 1));
        assert!(l.check("b", t0).allowed, "keys are independent");
        let a4 = l.check("a", t0 + TimeDelta::minutes(1));
        assert_eq!((a4.allowed, a4.remaining, a4.reset_secs), (true, 1, 60));
    }

    #[test]
    fn sweeps_expired_keys() {
        let l = KeyedLimiter::new(quota(1, TimeDelta::seconds(1)));
        let t0 = Utc::now();
        for i in 0..SWEEP_AT {
            l.check(&i.to_string(), t0);
        }
        l.check("late", t0 + TimeDelta::seconds(2));
        assert_eq!(l.len(), 1);
    }

    #[test]
    fn at_the_cap_the_oldest_windows_are_forgotten_first() {
        let l = KeyedLimiter::with_max_keys(quota(1, TimeDelta::days(1)), 100);
        let t0 = Utc::now();
        for i in 0..100 {
            assert!(
                l.check(&format!("k{i}"), t0 + TimeDelta::seconds(i))
                    .allowed
            );
        }
        assert_eq!(l.len(), 100);
        assert!(!l.check("k99", t0 + TimeDelta::seconds(200)).allowed);
        assert_eq!(l.len(), 100, "a known key makes no room");

        assert!(l.check("new", t0 + TimeDelta::seconds(200)).allowed);
        assert_eq!(
            l.len(),
            76,
            "a quarter of the cap was freed, then the new key kept"
        );
        for i in 25..100 {
            let d = l.check(&format!("k{i}"), t0 + TimeDelta::seconds(201));
            assert!(
                !d.allowed,
                "k{i} started later than every forgotten key: still limited"
            );
        }
        assert!(
            l.check("k0", t0 + TimeDelta::seconds(201)).allowed,
            "the oldest key was forgotten and starts afresh"
        );
    }

    #[test]
    fn the_cap_holds_under_a_flood_of_new_keys_in_one_instant() {
        let l = KeyedLimiter::with_max_keys(quota(5, TimeDelta::days(1)), 1_000);
        let t0 = Utc::now();
        for i in 0..10_000 {
            l.check(&i.to_string(), t0);
            assert!(l.len() <= 1_000);
        }
        assert!(l.check("last", t0).allowed);
    }

    #[test]
    fn tiny_caps_hold_too() {
        for cap in 1..=4 {
            let l = KeyedLimiter::with_max_keys(quota(1, TimeDelta::days(1)), cap);
            let t0 = Utc::now();
            for i in 0..20 {
                assert!(l.check(&i.to_string(), t0 + TimeDelta::seconds(i)).allowed);
                assert!(l.len() <= cap, "cap {cap}: {} keys", l.len());
            }
        }
    }

    #[test]
    fn a_key_costs_no_more_than_its_hash_and_window() {
        assert_eq!(size_of::<(u64, Window)>(), 24);
    }
}
