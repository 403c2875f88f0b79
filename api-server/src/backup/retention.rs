//! Retention: which artifacts `prune` keeps. A pure function of (artifacts, policy, now).
//!
//! Semantics (the same as restic's `forget`):
//! - `keep_last N`: the N newest artifacts;
//! - `keep_daily N`: for each of the N most recent UTC days that have artifacts, the newest
//!   artifact of that day;
//! - `keep_weekly N`: the same per ISO week (Monday to Sunday, UTC);
//! - an artifact is kept when any of these rules keeps it (union);
//! - `max_age D`: artifacts started more than D before now are deleted even when a keep rule
//!   would keep them; with no keep rule, every artifact younger than D is kept;
//! - whatever the policy says, the newest artifact is never deleted.

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, TimeDelta, Utc};

use super::BackupError;

/// Retention rules; at least one must be set.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Policy {
    /// Keep the N newest.
    pub keep_last: Option<u32>,
    /// Keep the newest of each of the N most recent days with artifacts.
    pub keep_daily: Option<u32>,
    /// Keep the newest of each of the N most recent ISO weeks with artifacts.
    pub keep_weekly: Option<u32>,
    /// Delete artifacts older than this.
    pub max_age: Option<TimeDelta>,
}

impl Policy {
    /// Whether no rule is set (prune refuses that: it would be a no-op or delete everything).
    pub fn is_empty(&self) -> bool {
        self.keep_last.is_none()
            && self.keep_daily.is_none()
            && self.keep_weekly.is_none()
            && self.max_age.is_none()
    }
}

/// One successful artifact (it has a completion marker).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    /// Artifact id.
    pub id: String,
    /// When its backup started.
    pub started_at: DateTime<Utc>,
}

/// What to keep and what to delete, each newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Decision {
    /// Ids kept.
    pub keep: Vec<String>,
    /// Ids to delete.
    pub delete: Vec<String>,
}

/// Applies `policy` at `now`.
pub fn decide(artifacts: &[Artifact], policy: &Policy, now: DateTime<Utc>) -> Decision {
    let mut sorted: Vec<&Artifact> = artifacts.iter().collect();
    sorted.sort_by(|a, b| (b.started_at, &b.id).cmp(&(a.started_at, &a.id)));
    let has_keep_rule =
        policy.keep_last.is_some() || policy.keep_daily.is_some() || policy.keep_weekly.is_some();
    let mut keep: BTreeSet<usize> = BTreeSet::new();
    if !has_keep_rule {
        keep.extend(0..sorted.len());
    }
    if let Some(n) = policy.keep_last {
        keep.extend(0..sorted.len().min(n as usize));
    }
    if let Some(n) = policy.keep_daily {
        keep.extend(newest_per_bucket(&sorted, n, |t| {
            (t.year(), t.ordinal(), 0u32)
        }));
    }
    if let Some(n) = policy.keep_weekly {
        keep.extend(newest_per_bucket(&sorted, n, |t| {
            let w = t.iso_week();
            (w.year(), w.week(), 0u32)
        }));
    }
    if let Some(max_age) = policy.max_age {
        let cutoff = now - max_age;
        keep.retain(|&i| sorted[i].started_at >= cutoff);
    }
    if !sorted.is_empty() {
        keep.insert(0);
    }
    let mut decision = Decision::default();
    for (i, a) in sorted.iter().enumerate() {
        if keep.contains(&i) {
            decision.keep.push(a.id.clone());
        } else {
            decision.delete.push(a.id.clone());
        }
    }
    decision
}

/// Indexes (into newest-first `sorted`) of the newest artifact in each of the `n` most recent
/// buckets.
fn newest_per_bucket<K: PartialEq>(
    sorted: &[&Artifact],
    n: u32,
    bucket: impl Fn(DateTime<Utc>) -> K,
) -> Vec<usize> {
    let mut out = Vec::new();
    let mut last: Option<K> = None;
    for (i, a) in sorted.iter().enumerate() {
        if out.len() >= n as usize {
            break;
        }
        let k = bucket(a.started_at);
        if last.as_ref() != Some(&k) {
            out.push(i);
            last = Some(k);
        }
    }
    out
}

/// Parses `30d`, `12h`, `90m`, `2w` or `45s`.
pub fn parse_duration(raw: &str) -> Result<TimeDelta, BackupError> {
    let bad = || {
        BackupError::Usage(format!(
            "invalid duration {raw:?}: use a number and a unit, like 30d, 12h, 90m, 2w"
        ))
    };
    let raw = raw.trim();
    let unit = raw.chars().last().ok_or_else(bad)?;
    let n: i64 = raw[..raw.len() - unit.len_utf8()]
        .parse()
        .map_err(|_| bad())?;
    if n <= 0 {
        return Err(bad());
    }
    let d = match unit {
        's' => TimeDelta::try_seconds(n),
        'm' => TimeDelta::try_minutes(n),
        'h' => TimeDelta::try_hours(n),
        'd' => TimeDelta::try_days(n),
        'w' => TimeDelta::try_weeks(n),
        _ => None,
    };
    d.ok_or_else(bad)
}

#[cfg(test)]
#[path = "retention_tests.rs"]
mod tests;
