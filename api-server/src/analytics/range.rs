//! The `from`/`to` day range of the analytics endpoints: UTC calendar days, both inclusive.

use chrono::{Duration, NaiveDate};

/// Longest range, in days (a year, leap years included).
pub const MAX_DAYS: i64 = 366;
/// Days covered when `from` is absent (`to` and the 29 days before it).
pub const DEFAULT_DAYS: i64 = 30;

/// Why a range was refused (a `400` problem naming the parameter).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RangeError {
    /// Not a `YYYY-MM-DD` date.
    #[error("{0}: must be a date like 2026-03-01")]
    Malformed(&'static str),
    /// `from` after `to`.
    #[error("from: must not be after to")]
    Reversed,
    /// More than [`MAX_DAYS`] days.
    #[error("from, to: at most {MAX_DAYS} days")]
    TooLong,
}

/// A validated range of days, `from..=to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DateRange {
    /// First day.
    pub from: NaiveDate,
    /// Last day.
    pub to: NaiveDate,
}

fn parse(name: &'static str, raw: Option<&str>) -> Result<Option<NaiveDate>, RangeError> {
    raw.map(|r| NaiveDate::parse_from_str(r.trim(), "%Y-%m-%d"))
        .transpose()
        .map_err(|_| RangeError::Malformed(name))
}

impl DateRange {
    /// The range from the query parameters: `to` defaults to `today`, `from` to
    /// [`DEFAULT_DAYS`] days ending at `to`.
    pub fn parse(
        from: Option<&str>,
        to: Option<&str>,
        today: NaiveDate,
    ) -> Result<Self, RangeError> {
        let to = parse("to", to)?.unwrap_or(today);
        let from = parse("from", from)?.unwrap_or(to - Duration::days(DEFAULT_DAYS - 1));
        if from > to {
            return Err(RangeError::Reversed);
        }
        if (to - from).num_days() + 1 > MAX_DAYS {
            return Err(RangeError::TooLong);
        }
        Ok(Self { from, to })
    }

    /// Every day of the range, in order.
    pub fn days(&self) -> impl Iterator<Item = NaiveDate> + '_ {
        self.from.iter_days().take_while(|d| *d <= self.to)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn defaults_and_bounds() {
        let today = day("2026-03-31");
        let r = DateRange::parse(None, None, today).unwrap();
        assert_eq!((r.from, r.to), (day("2026-03-02"), today));
        assert_eq!(r.days().count(), 30);
        let year = DateRange::parse(Some("2024-01-01"), Some("2024-12-31"), today).unwrap();
        assert_eq!(year.days().count(), 366);
        assert_eq!(
            DateRange::parse(Some("2024-01-01"), Some("2025-01-01"), today),
            Err(RangeError::TooLong)
        );
        assert_eq!(
            DateRange::parse(Some("2026-03-02"), Some("2026-03-01"), today),
            Err(RangeError::Reversed)
        );
        assert_eq!(
            DateRange::parse(Some("03/01/2026"), None, today),
            Err(RangeError::Malformed("from"))
        );
        assert_eq!(
            DateRange::parse(None, Some("2026-02-30"), today),
            Err(RangeError::Malformed("to"))
        );
    }
}
