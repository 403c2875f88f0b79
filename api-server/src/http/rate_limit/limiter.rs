//! A keyed fixed-window counter.
//!
//! Written here rather than taken from `governor`: the `RateLimit-Remaining` and
//! `RateLimit-Reset` headers need the exact count and window end, which GCRA does not keep,
//! and time comes from the app's [`crate::clock::Clock`] so tests move it without sleeping.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use chrono::{DateTime, TimeDelta, Utc};

/// Keys kept before expired windows are swept.
const SWEEP_AT: usize = 10_000;

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

#[derive(Debug, Clone, Copy)]
struct Window {
    start: DateTime<Utc>,
    count: u32,
}

#[derive(Debug)]
struct Windows {
    by_key: HashMap<String, Window>,
    sweep_at: usize,
}

/// Counts requests per key in windows that start at a key's first request.
#[derive(Debug)]
pub struct KeyedLimiter {
    quota: Quota,
    windows: Mutex<Windows>,
}

impl KeyedLimiter {
    /// A limiter enforcing `quota` per key.
    pub fn new(quota: Quota) -> Self {
        Self {
            quota,
            windows: Mutex::new(Windows {
                by_key: HashMap::new(),
                sweep_at: SWEEP_AT,
            }),
        }
    }

    /// Counts one request of `key` at `now`.
    pub fn check(&self, key: &str, now: DateTime<Utc>) -> Decision {
        let window = self.quota.window;
        let mut w = self.windows.lock().unwrap_or_else(PoisonError::into_inner);
        if w.by_key.len() >= w.sweep_at {
            w.by_key.retain(|_, win| now < win.start + window);
            w.sweep_at = SWEEP_AT.max(w.by_key.len() * 2);
        }
        let entry = w.by_key.entry(key.to_owned()).or_insert(Window {
            start: now,
            count: 0,
        });
        if now >= entry.start + window {
            *entry = Window {
                start: now,
                count: 0,
            };
        }
        let allowed = entry.count < self.quota.limit;
        if allowed {
            entry.count += 1;
        }
        let left = (entry.start + window - now).num_milliseconds();
        Decision {
            allowed,
            limit: self.quota.limit,
            remaining: self.quota.limit - entry.count,
            reset_secs: ((left + 999) / 1000).max(1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_key_and_resets_after_the_window() {
        let l = KeyedLimiter::new(Quota {
            limit: 2,
            window: TimeDelta::minutes(1),
        });
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
        let l = KeyedLimiter::new(Quota {
            limit: 1,
            window: TimeDelta::seconds(1),
        });
        let t0 = Utc::now();
        for i in 0..SWEEP_AT {
            l.check(&i.to_string(), t0);
        }
        l.check("late", t0 + TimeDelta::seconds(2));
        let len = l.windows.lock().unwrap().by_key.len();
        assert_eq!(len, 1);
    }
}
