//! Market data: daily prices of benchmark series, stored as integer micro-dollars.
//!
//! Prices are never floats: a [`Price`] is an `i64` count of millionths of a US dollar
//! (`71.23` is `71_230_000`), parsed from and written as decimal text, so `0.1 + 0.2` style
//! rounding never enters stored data, averages or changes. Six decimals cover every public
//! source (EIA publishes at most 3–4) and leave room for exact averages. Negative prices are
//! valid (WTI settled at −37.63 on 2020-04-20).

use std::fmt;

use chrono::{Datelike, NaiveDate};

wire_enum!(
    /// A benchmark price series.
    Series, "market series" {
        /// West Texas Intermediate crude at Cushing, USD per barrel.
        Wti => "WTI",
        /// Brent crude, USD per barrel.
        Brent => "BRENT",
        /// Henry Hub natural gas, USD per MMBtu.
        HenryHub => "HENRY_HUB",
    }
);

impl Series {
    /// The unit of the series' prices.
    pub fn unit(self) -> &'static str {
        match self {
            Series::Wti | Series::Brent => "USD/bbl",
            Series::HenryHub => "USD/MMBtu",
        }
    }

    /// Parses a series name case-insensitively (`wti`, `Henry_Hub`).
    pub fn parse_loose(raw: &str) -> Result<Self, super::UnknownVariant> {
        raw.trim().to_ascii_uppercase().parse()
    }
}

wire_enum!(
    /// Where a price point came from.
    PriceSource, "price source" {
        /// Synthetic demo data generated at first start (not real prices).
        Demo => "demo",
        /// Loaded by `ogf-api market import`.
        Import => "import",
        /// Posted by an admin through the API.
        Admin => "admin",
    }
);

wire_enum!(
    /// Bucket size of a price query.
    Interval, "interval" {
        /// One bucket per day with a point.
        Day => "day",
        /// ISO weeks (Monday to Sunday, numbered as in ISO 8601).
        Week => "week",
        /// Calendar months.
        Month => "month",
    }
);

/// Earliest date a point may have.
pub const MIN_DATE: NaiveDate = match NaiveDate::from_ymd_opt(1900, 1, 1) {
    Some(d) => d,
    None => panic!("valid date"),
};
/// Latest date a point may have.
pub const MAX_DATE: NaiveDate = match NaiveDate::from_ymd_opt(2100, 12, 31) {
    Some(d) => d,
    None => panic!("valid date"),
};
/// Micro-dollars per dollar.
pub const MICROS: i64 = 1_000_000;
/// Largest absolute price accepted, in dollars.
const MAX_ABS_DOLLARS: i64 = 1_000_000;

/// Why a price or date is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MarketError {
    /// The text is not a plain decimal number.
    #[error("'{0}' is not a decimal number like 71.23")]
    NotDecimal(String),
    /// More than six decimals.
    #[error("'{0}' has more than 6 decimals")]
    TooPrecise(String),
    /// Outside ±1,000,000 USD.
    #[error("'{0}' is out of range (at most 1000000 in absolute value)")]
    OutOfRange(String),
    /// The date is not `YYYY-MM-DD` (or `MM/DD/YYYY` where allowed) or outside 1900–2100.
    #[error("'{0}' is not a date between 1900-01-01 and 2100-12-31 (YYYY-MM-DD)")]
    BadDate(String),
}

/// A price in micro-dollars (millionths of a US dollar).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Price(i64);

impl Price {
    /// A price of `micros` millionths of a dollar; `None` outside ±1,000,000 USD.
    pub fn from_micros(micros: i64) -> Option<Self> {
        (micros.unsigned_abs() <= (MAX_ABS_DOLLARS * MICROS).unsigned_abs()).then_some(Self(micros))
    }

    /// The value in micro-dollars.
    pub fn micros(self) -> i64 {
        self.0
    }

    /// Parses plain decimal text: optional sign, digits, optional point and up to 6 decimals
    /// (`71.23`, `-37.63`, `3`, `.5`). No exponents, no thousands separators.
    pub fn parse(raw: &str) -> Result<Self, MarketError> {
        let text = raw.trim();
        let bad = || MarketError::NotDecimal(text.to_owned());
        let (negative, unsigned) = match text.as_bytes().first() {
            Some(b'-') => (true, &text[1..]),
            Some(b'+') => (false, &text[1..]),
            _ => (false, text),
        };
        let (int, frac) = unsigned.split_once('.').unwrap_or((unsigned, ""));
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if (int.is_empty() && frac.is_empty()) || !digits(int) || !digits(frac) {
            return Err(bad());
        }
        if frac.len() > 6 {
            return Err(MarketError::TooPrecise(text.to_owned()));
        }
        let int = int.trim_start_matches('0');
        if int.len() > 7 {
            return Err(MarketError::OutOfRange(text.to_owned()));
        }
        let whole: i64 = if int.is_empty() {
            0
        } else {
            int.parse().map_err(|_| bad())?
        };
        let mut fraction: i64 = if frac.is_empty() {
            0
        } else {
            frac.parse().map_err(|_| bad())?
        };
        for _ in frac.len()..6 {
            fraction *= 10;
        }
        let micros = whole * MICROS + fraction;
        Self::from_micros(if negative { -micros } else { micros })
            .ok_or_else(|| MarketError::OutOfRange(text.to_owned()))
    }
}

/// Micro-dollars as decimal text with at least 2 and at most 6 decimals, trailing zeros
/// dropped (`71.23`, `2.3456`, `-37.63`, `3.00`). Works for any amount (changes, sums).
pub fn format_micros(micros: i64) -> String {
    let abs = micros.unsigned_abs();
    let sign = if micros < 0 { "-" } else { "" };
    let whole = abs / MICROS.unsigned_abs();
    let frac = format!("{:06}", abs % MICROS.unsigned_abs());
    let trimmed = frac.trim_end_matches('0');
    let shown = if trimmed.len() < 2 {
        &frac[..2]
    } else {
        trimmed
    };
    format!("{sign}{whole}.{shown}")
}

impl fmt::Display for Price {
    /// See [`format_micros`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_micros(self.0))
    }
}

/// Parses `YYYY-MM-DD` within 1900–2100.
pub fn parse_date(raw: &str) -> Result<NaiveDate, MarketError> {
    let text = raw.trim();
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .filter(|d| text.len() == 10 && (MIN_DATE..=MAX_DATE).contains(d))
        .ok_or_else(|| MarketError::BadDate(text.to_owned()))
}

/// Parses `YYYY-MM-DD` or US-style `MM/DD/YYYY` (also `M/D/YYYY`), within 1900–2100.
pub fn parse_date_loose(raw: &str) -> Result<NaiveDate, MarketError> {
    let text = raw.trim();
    if !text.contains('/') {
        return parse_date(text);
    }
    let parts: Vec<&str> = text.split('/').collect();
    let ok = parts.len() == 3
        && parts[2].len() == 4
        && parts.iter().all(|p| !p.is_empty() && p.len() <= 4);
    ok.then(|| NaiveDate::parse_from_str(text, "%m/%d/%Y").ok())
        .flatten()
        .filter(|d| (MIN_DATE..=MAX_DATE).contains(d))
        .ok_or_else(|| MarketError::BadDate(text.to_owned()))
}

/// One daily price of a series.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricePoint {
    /// The series.
    pub series: Series,
    /// The trading day.
    pub date: NaiveDate,
    /// The price.
    pub price: Price,
    /// Where it came from (`demo` points are synthetic).
    pub source: PriceSource,
}

/// What an upsert did: points new for their `(series, date)`, points that replaced another
/// price or source, and points identical to what was stored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UpsertCounts {
    /// New `(series, date)` pairs.
    pub inserted: u64,
    /// Existing pairs whose price or source changed.
    pub updated: u64,
    /// Existing pairs already holding exactly this price and source.
    pub unchanged: u64,
}

impl UpsertCounts {
    /// Adds another batch's counts.
    pub fn add(&mut self, other: UpsertCounts) {
        self.inserted += other.inserted;
        self.updated += other.updated;
        self.unchanged += other.unchanged;
    }

    /// Whether anything was written.
    pub fn changed(&self) -> bool {
        self.inserted + self.updated > 0
    }
}

/// The first day of the bucket of `interval` holding `date` (Monday for ISO weeks).
pub fn bucket_start(date: NaiveDate, interval: Interval) -> NaiveDate {
    match interval {
        Interval::Day => date,
        Interval::Week => {
            date - chrono::Days::new(u64::from(date.weekday().num_days_from_monday()))
        }
        Interval::Month => date.with_day(1).unwrap_or(date),
    }
}

/// The last day of the bucket starting at `start`.
pub fn bucket_end(start: NaiveDate, interval: Interval) -> NaiveDate {
    match interval {
        Interval::Day => start,
        Interval::Week => start + chrono::Days::new(6),
        Interval::Month => start
            .checked_add_months(chrono::Months::new(1))
            .and_then(|d| d.pred_opt())
            .unwrap_or(start),
    }
}

/// The bucket's label: `2026-01-15`, ISO week `2026-W03` (the ISO year may differ from the
/// calendar year around New Year), or `2026-01`.
pub fn bucket_label(start: NaiveDate, interval: Interval) -> String {
    match interval {
        Interval::Day => start.format("%Y-%m-%d").to_string(),
        Interval::Week => {
            let w = start.iso_week();
            format!("{}-W{:02}", w.year(), w.week())
        }
        Interval::Month => start.format("%Y-%m").to_string(),
    }
}

#[cfg(test)]
#[path = "market_tests.rs"]
mod tests;
