use chrono::TimeZone;

use super::*;

fn daily_year() -> Vec<Artifact> {
    // 2025-01-01 is a Wednesday; one backup at 02:00 UTC every day of 2025.
    let start = Utc.with_ymd_and_hms(2025, 1, 1, 2, 0, 0).unwrap();
    (0..365)
        .map(|d| {
            let t = start + TimeDelta::days(d);
            Artifact {
                id: t.format("%Y%m%dT%H%M%SZ-000000").to_string(),
                started_at: t,
            }
        })
        .collect()
}

fn day(m: u32, d: u32) -> String {
    format!("2025{m:02}{d:02}T020000Z-000000")
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 12, 31, 3, 0, 0).unwrap()
}

#[test]
fn a_year_of_daily_backups_keeps_exactly_the_policy() {
    let all = daily_year();
    let policy = Policy {
        keep_last: Some(3),
        keep_daily: Some(7),
        keep_weekly: Some(4),
        max_age: None,
    };
    let d = decide(&all, &policy, now());
    // Daily: Dec 25..31. Weekly (ISO weeks end on Sunday): Dec 31 (week of Dec 29), Dec 28,
    // Dec 21, Dec 14. keep_last 3 is inside the daily ones.
    let mut expected: Vec<String> = (25..=31).rev().map(|d| day(12, d)).collect();
    expected.extend([day(12, 21), day(12, 14)]);
    assert_eq!(d.keep, expected);
    assert_eq!(d.delete.len(), 365 - 9);
    assert!(d.delete.iter().all(|id| !d.keep.contains(id)));
}

#[test]
fn a_year_with_weekly_history_and_max_age() {
    let all = daily_year();
    let policy = Policy {
        keep_last: None,
        keep_daily: Some(14),
        keep_weekly: Some(52),
        max_age: Some(parse_duration("90d").unwrap()),
    };
    let d = decide(&all, &policy, now());
    let cutoff = now() - TimeDelta::days(90);
    // 14 daily (Dec 18..31) plus every Sunday on or after the cutoff (Oct 2, 03:00).
    let sundays: Vec<&Artifact> = all
        .iter()
        .filter(|a| a.started_at.weekday() == chrono::Weekday::Sun && a.started_at >= cutoff)
        .filter(|a| a.started_at < Utc.with_ymd_and_hms(2025, 12, 18, 0, 0, 0).unwrap())
        .collect();
    assert_eq!(d.keep.len(), 14 + sundays.len());
    assert_eq!(d.keep.first(), Some(&day(12, 31)));
    assert_eq!(d.keep.last(), Some(&day(10, 5)), "first Sunday after Oct 2");
    assert_eq!(sundays.len(), 11);
}

#[test]
fn max_age_alone_keeps_the_recent_ones() {
    let all = daily_year();
    let policy = Policy {
        max_age: Some(parse_duration("30d").unwrap()),
        ..Policy::default()
    };
    let d = decide(&all, &policy, now());
    // Started at 02:00, now 03:00: Dec 1 02:00 is 30d 1h old, Dec 2 is inside.
    assert_eq!(d.keep.len(), 30);
    assert_eq!(d.keep.last(), Some(&day(12, 2)));
}

#[test]
fn never_deletes_the_newest_backup() {
    let all = daily_year();
    let policy = Policy {
        keep_last: Some(0),
        max_age: Some(TimeDelta::minutes(1)),
        ..Policy::default()
    };
    let far_future = now() + TimeDelta::days(4000);
    let d = decide(&all, &policy, far_future);
    assert_eq!(d.keep, vec![day(12, 31)]);
    assert_eq!(d.delete.len(), 364);
    assert_eq!(decide(&[], &policy, now()), Decision::default());
}

#[test]
fn same_day_keeps_only_the_newest_of_the_day() {
    let t = Utc.with_ymd_and_hms(2025, 3, 3, 0, 0, 0).unwrap();
    let a: Vec<Artifact> = (0..4)
        .map(|h| Artifact {
            id: format!("h{h}"),
            started_at: t + TimeDelta::hours(h),
        })
        .collect();
    let policy = Policy {
        keep_daily: Some(5),
        ..Policy::default()
    };
    let d = decide(&a, &policy, t);
    assert_eq!(d.keep, vec!["h3"]);
    assert_eq!(d.delete, vec!["h2", "h1", "h0"]);
}

#[test]
fn durations() {
    assert_eq!(parse_duration("30d").unwrap(), TimeDelta::days(30));
    assert_eq!(parse_duration("12h").unwrap(), TimeDelta::hours(12));
    assert_eq!(parse_duration("90m").unwrap(), TimeDelta::minutes(90));
    assert_eq!(parse_duration("2w").unwrap(), TimeDelta::weeks(2));
    for bad in ["", "d", "10", "-1d", "0d", "1y", "1.5d", "é"] {
        assert_eq!(parse_duration(bad).unwrap_err().exit_code(), 2, "{bad}");
    }
}
