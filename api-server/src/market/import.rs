//! Parsers of public price files: CSV (`Date,Price` and the EIA/FRED variants) and EIA API v2
//! JSON. Both give daily `(date, price)` pairs, oldest first, and count missing values.
//!
//! CSV: up to [`MAX_PREAMBLE`] title lines may precede the header (EIA downloads have some);
//! the header's date column is one of `Date`, `Day`, `observation_date`, `period` (any case);
//! the price column is the other column of a two-column file, else the first whose name
//! contains `price`, `value`, `close` or `settle`. A file without a header is read as
//! `date,price` rows. Dates are `YYYY-MM-DD` or `MM/DD/YYYY`; an empty value, `.`, `NA`,
//! `N/A` or `#N/A` is a missing value (skipped and counted). Fields may be double-quoted.
//!
//! EIA API v2 JSON: `{"response": {"data": [{"period": "2026-01-02", "value": 71.23}, ...]}}`;
//! `value` may be a number, a string or `null` (missing). Daily periods only; a response
//! mixing several EIA series is refused.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde_json::Value;

use crate::domain::market::{Price, parse_date, parse_date_loose};

/// Title lines allowed before a CSV header.
pub const MAX_PREAMBLE: usize = 10;
/// Most points one file may hold.
pub const MAX_POINTS: usize = 200_000;

const DATE_NAMES: &[&str] = &["date", "day", "observation_date", "period"];
const PRICE_HINTS: &[&str] = &["price", "value", "close", "settle"];
const MISSING: &[&str] = &["", ".", "na", "n/a", "#n/a"];

/// Why a file cannot be imported. Messages name the line (CSV) or the record (JSON).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    /// A CSV line is malformed.
    #[error("line {line}: {message}")]
    Line {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A JSON record is malformed.
    #[error("response.data[{index}]: {message}")]
    Record {
        /// 0-based index in `response.data`.
        index: usize,
        /// What is wrong.
        message: String,
    },
    /// The file as a whole is not in a supported layout.
    #[error("{0}")]
    Layout(String),
}

/// The daily prices of a file, oldest first, and how many rows had no value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parsed {
    /// `(date, price)`, oldest first, one per date.
    pub points: Vec<(NaiveDate, Price)>,
    /// Rows skipped for a missing value.
    pub skipped: u64,
}

/// Refuses a file holding a price dated after `latest` (the importer passes tomorrow, UTC,
/// as `POST /api/v1/admin/market/prices` does): a price "from the future" is a typo or a
/// hostile file, and would otherwise sit in the series as the latest close for years.
/// Checked on the whole file before anything is written.
pub fn refuse_future(parsed: &Parsed, latest: NaiveDate) -> Result<(), ImportError> {
    let future: Vec<NaiveDate> = parsed
        .points
        .iter()
        .map(|(d, _)| *d)
        .filter(|d| *d > latest)
        .collect();
    match future.first() {
        Some(first) => Err(ImportError::Layout(format!(
            "{} point(s) dated after {latest}, the latest accepted date (first: {first})",
            future.len()
        ))),
        None => Ok(()),
    }
}

/// Parses CSV or (when the first non-blank character is `{`) EIA API v2 JSON.
pub fn parse(text: &str) -> Result<Parsed, ImportError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim_start().starts_with('{') {
        parse_eia_json(text)
    } else {
        parse_csv(text)
    }
}

/// Splits one CSV line into trimmed fields; double quotes group and `""` escapes a quote.
fn fields(line: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', true) => quoted = false,
            ('"', false) if cur.trim().is_empty() => {
                cur.clear();
                quoted = true;
            }
            (',', false) => out.push(std::mem::take(&mut cur).trim().to_owned()),
            _ => cur.push(c),
        }
    }
    if quoted {
        return Err("unterminated double quote".to_owned());
    }
    out.push(cur.trim().to_owned());
    Ok(out)
}

fn is_missing(value: &str) -> bool {
    MISSING.contains(&value.to_ascii_lowercase().as_str())
}

/// Collects points, refusing a date seen twice.
#[derive(Default)]
struct Collector {
    parsed: Parsed,
    seen: HashMap<NaiveDate, usize>,
}

impl Collector {
    /// Adds a point found at `at` (a line or record number); `Err` holds the earlier one.
    fn add(&mut self, at: usize, date: NaiveDate, price: Price) -> Result<(), String> {
        if let Some(first) = self.seen.insert(date, at) {
            return Err(format!("date {date} appears twice (first at {first})"));
        }
        if self.parsed.points.len() >= MAX_POINTS {
            return Err(format!("more than {MAX_POINTS} points in one file"));
        }
        self.parsed.points.push((date, price));
        Ok(())
    }

    fn finish(mut self) -> Parsed {
        self.parsed.points.sort_by_key(|(d, _)| *d);
        self.parsed
    }
}

/// Parses the CSV layouts described in the module documentation.
pub fn parse_csv(text: &str) -> Result<Parsed, ImportError> {
    let err = |line: usize, message: String| ImportError::Line { line, message };
    let mut columns: Option<(usize, usize)> = None;
    let mut preamble = 0;
    let mut out = Collector::default();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        if raw.trim().is_empty() {
            continue;
        }
        let row = fields(raw).map_err(|m| err(line, m))?;
        let (date_col, price_col) = match columns {
            Some(c) => c,
            None => {
                let names_a_date =
                    |f: &String| DATE_NAMES.contains(&f.to_ascii_lowercase().as_str());
                if row.len() >= 2 && row.iter().any(names_a_date) {
                    columns = Some(header_columns(&row).map_err(|m| err(line, m))?);
                    continue;
                }
                if row.len() >= 2 && parse_date_loose(&row[0]).is_ok() {
                    // No header: `date,price` rows.
                    columns = Some((0, 1));
                    (0, 1)
                } else {
                    preamble += 1;
                    if preamble > MAX_PREAMBLE {
                        return Err(err(
                            line,
                            "no header row with a date column (Date, Day, observation_date, \
                             period) and a price column found"
                                .to_owned(),
                        ));
                    }
                    continue;
                }
            }
        };
        let (Some(date), Some(value)) = (row.get(date_col), row.get(price_col)) else {
            return Err(err(
                line,
                format!(
                    "expected at least {} fields, found {}",
                    date_col.max(price_col) + 1,
                    row.len()
                ),
            ));
        };
        let date = parse_date_loose(date).map_err(|e| err(line, format!("date: {e}")))?;
        if is_missing(value) {
            out.parsed.skipped += 1;
            continue;
        }
        let price = Price::parse(value).map_err(|e| err(line, format!("price: {e}")))?;
        out.add(line, date, price)
            .map_err(|m| err(line, m.replace("(first at ", "(first on line ")))?;
    }
    if columns.is_none() {
        return Err(ImportError::Layout(
            "no data: expected a header like Date,Price followed by rows like 2026-01-02,71.23"
                .to_owned(),
        ));
    }
    Ok(out.finish())
}

/// The date and price columns of a header row.
fn header_columns(header: &[String]) -> Result<(usize, usize), String> {
    let lower: Vec<String> = header.iter().map(|h| h.to_ascii_lowercase()).collect();
    let date = lower
        .iter()
        .position(|h| DATE_NAMES.contains(&h.as_str()))
        .ok_or("no date column in the header")?;
    let non_empty: Vec<usize> = (0..lower.len()).filter(|&i| !lower[i].is_empty()).collect();
    let price = if non_empty.len() == 2 {
        non_empty.into_iter().find(|&i| i != date)
    } else {
        lower
            .iter()
            .enumerate()
            .find(|(i, h)| *i != date && PRICE_HINTS.iter().any(|p| h.contains(p)))
            .map(|(i, _)| i)
    };
    price
        .map(|p| (date, p))
        .ok_or_else(|| "cannot tell which column holds the price: name it Price".to_owned())
}

/// Parses an EIA API v2 response (see the module documentation).
pub fn parse_eia_json(text: &str) -> Result<Parsed, ImportError> {
    let doc: Value = serde_json::from_str(text)
        .map_err(|e| ImportError::Layout(format!("invalid JSON: {e}")))?;
    let data = doc
        .pointer("/response/data")
        .and_then(Value::as_array)
        .ok_or_else(|| {
            ImportError::Layout(
                "not an EIA API v2 response: no response.data array (for CSV, start with a \
                 header like Date,Price)"
                    .to_owned(),
            )
        })?;
    let mut out = Collector::default();
    let mut series_seen: Option<String> = None;
    for (index, record) in data.iter().enumerate() {
        let err = |message: String| ImportError::Record { index, message };
        let obj = record
            .as_object()
            .ok_or_else(|| err("not an object".to_owned()))?;
        if let Some(s) = obj.get("series").and_then(Value::as_str) {
            match &series_seen {
                Some(first) if first != s => {
                    return Err(err(format!(
                        "several EIA series in one file ({first}, {s}): request one series \
                         (facets[series][]=...)"
                    )));
                }
                _ => series_seen = Some(s.to_owned()),
            }
        }
        let period = obj
            .get("period")
            .and_then(Value::as_str)
            .ok_or_else(|| err("no \"period\" string".to_owned()))?;
        let date = parse_date(period).map_err(|_| {
            err(format!(
                "period '{period}' is not a daily date YYYY-MM-DD (request frequency=daily)"
            ))
        })?;
        let value = match obj.get("value") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if is_missing(s.trim()) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            Some(other) => return Err(err(format!("value {other} is not a number"))),
        };
        let Some(value) = value else {
            out.parsed.skipped += 1;
            continue;
        };
        let price = Price::parse(&value).map_err(|e| err(format!("value: {e}")))?;
        out.add(index, date, price)
            .map_err(|m| err(m.replace("(first at ", "(first at record ")))?;
    }
    Ok(out.finish())
}

#[cfg(test)]
#[path = "import_tests.rs"]
mod tests;
