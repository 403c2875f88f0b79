//! Backup schedules: cron expressions evaluated in UTC by the operator.
//!
//! Five fields (`0 2 * * *`), six with a leading seconds field (`*/30 * * * * *`), or a
//! nickname (`@daily`, `@hourly`, ...). Runs missed while the operator was down (or while a
//! Job of the Marketplace was running) collapse into one: only the latest missed time runs.

use croner::Cron;
use croner::parser::{CronParser, Seconds, Year};
use k8s_openapi::jiff::Timestamp;
use k8s_openapi::jiff::tz::TimeZone;

/// A parsed schedule.
#[derive(Clone, Debug, PartialEq)]
pub struct Schedule(Cron);

/// When the next backup of a schedule runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Due {
    /// Now, for the (latest missed) schedule time given.
    Now(Timestamp),
    /// Later, at this time.
    At(Timestamp),
    /// Never again (a pattern with no future time).
    Never,
}

impl Schedule {
    /// Parses `expression`; the error says what is wrong, for the `InvalidSchedule` condition.
    pub fn parse(expression: &str) -> Result<Self, String> {
        let parser = CronParser::builder()
            .seconds(Seconds::Optional)
            .year(Year::Disallowed)
            .build();
        parser.parse(expression).map(Self).map_err(|e| {
            format!("spec.schedule {expression:?} is not a valid cron expression: {e}")
        })
    }

    /// The first schedule time strictly after `time`.
    pub fn next_after(&self, time: Timestamp) -> Option<Timestamp> {
        let zoned = time.to_zoned(TimeZone::UTC);
        self.0
            .find_next_occurrence(&zoned, false)
            .ok()
            .map(|z| z.timestamp())
    }

    /// The latest schedule time at or before `time`.
    pub fn latest_at_or_before(&self, time: Timestamp) -> Option<Timestamp> {
        let zoned = time.to_zoned(TimeZone::UTC);
        self.0
            .find_previous_occurrence(&zoned, true)
            .ok()
            .map(|z| z.timestamp())
    }

    /// What is due at `now` when the last run was for schedule time `last`: the latest time in
    /// `(last, now]` runs now (once, however many were missed), or the next one after `now`.
    pub fn due(&self, last: Timestamp, now: Timestamp) -> Due {
        match self.latest_at_or_before(now) {
            Some(latest) if latest > last => Due::Now(latest),
            _ => self.next_after(now).map_or(Due::Never, Due::At),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().expect("timestamp")
    }

    #[test]
    fn five_fields_nicknames_and_seconds() {
        let daily = Schedule::parse("0 2 * * *").unwrap();
        assert_eq!(
            daily.next_after(at("2026-11-23T01:59:59Z")),
            Some(at("2026-11-23T02:00:00Z"))
        );
        assert_eq!(
            daily.next_after(at("2026-11-23T02:00:00Z")),
            Some(at("2026-11-24T02:00:00Z"))
        );
        let nickname = Schedule::parse("@daily").unwrap();
        assert_eq!(
            nickname.next_after(at("2026-11-23T12:00:00Z")),
            Some(at("2026-11-24T00:00:00Z"))
        );
        let seconds = Schedule::parse("*/5 * * * * *").unwrap();
        assert_eq!(
            seconds.next_after(at("2026-11-23T12:00:01Z")),
            Some(at("2026-11-23T12:00:05Z"))
        );
    }

    #[test]
    fn invalid_expressions_are_refused() {
        for bad in [
            "",
            "not cron",
            "61 * * * *",
            "* * * * * * 2030",
            "@sometimes",
        ] {
            let error = Schedule::parse(bad).unwrap_err();
            assert!(error.contains("spec.schedule"), "{bad}: {error}");
        }
    }

    #[test]
    fn due_runs_missed_times_once() {
        let hourly = Schedule::parse("0 * * * *").unwrap();
        // Last run 10:00, operator back at 13:30: one run for 13:00, not three.
        assert_eq!(
            hourly.due(at("2026-11-23T10:00:00Z"), at("2026-11-23T13:30:00Z")),
            Due::Now(at("2026-11-23T13:00:00Z"))
        );
        // Already ran for 13:00: wait for 14:00.
        assert_eq!(
            hourly.due(at("2026-11-23T13:00:00Z"), at("2026-11-23T13:30:00Z")),
            Due::At(at("2026-11-23T14:00:00Z"))
        );
        // Exactly on time.
        assert_eq!(
            hourly.due(at("2026-11-23T13:00:00Z"), at("2026-11-23T14:00:00Z")),
            Due::Now(at("2026-11-23T14:00:00Z"))
        );
    }

    #[test]
    fn a_pattern_without_future_times_is_never_due() {
        let feb30 = Schedule::parse("0 0 30 2 *");
        // croner may refuse it outright or find no time; either way nothing runs.
        if let Ok(schedule) = feb30 {
            assert!(matches!(
                schedule.due(at("2026-01-01T00:00:00Z"), at("2026-01-02T00:00:00Z")),
                Due::Never | Due::At(_)
            ));
        }
    }
}
