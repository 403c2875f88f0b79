//! Bucketing of daily points (average, min, max, last) and the changes of the summary.
//!
//! Averages are exact integer means in micro-dollars, rounded half away from zero. A change
//! compares the latest point with the newest point **on or before** a reference date (the
//! latest date minus 1 day, 30 days or 1 calendar year), so weekends and holidays, which have
//! no point, fall back to the previous trading day.

use chrono::{Days, Months, NaiveDate};

use crate::domain::market::{
    Interval, Price, PricePoint, PriceSource, bucket_end, bucket_label, bucket_start,
};

/// One bucket of a price query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bucket {
    /// Label: `2026-01-15`, `2026-W03` or `2026-01`.
    pub period: String,
    /// First day of the bucket.
    pub start: NaiveDate,
    /// Last day of the bucket.
    pub end: NaiveDate,
    /// Points in the bucket.
    pub count: u32,
    /// Mean price (micro-dollar precision).
    pub average: Price,
    /// Lowest price.
    pub min: Price,
    /// Highest price.
    pub max: Price,
    /// Price of the newest point.
    pub last: Price,
    /// Date of the newest point.
    pub last_date: NaiveDate,
    /// Whether any point of the bucket is synthetic demo data.
    pub synthetic: bool,
}

/// `numerator / denominator` rounded half away from zero (`denominator > 0`).
fn div_round(numerator: i128, denominator: i128) -> i128 {
    let half = denominator / 2;
    if numerator >= 0 {
        (numerator + half) / denominator
    } else {
        (numerator - half) / denominator
    }
}

struct Acc {
    start: NaiveDate,
    sum: i128,
    count: u32,
    min: Price,
    max: Price,
    last: Price,
    last_date: NaiveDate,
    synthetic: bool,
}

impl Acc {
    fn finish(self, interval: Interval) -> Bucket {
        let mean = div_round(self.sum, i128::from(self.count.max(1)));
        // The mean lies between min and max, so it is always a valid price.
        let average = i64::try_from(mean)
            .ok()
            .and_then(Price::from_micros)
            .unwrap_or(self.last);
        Bucket {
            period: bucket_label(self.start, interval),
            start: self.start,
            end: bucket_end(self.start, interval),
            count: self.count,
            average,
            min: self.min,
            max: self.max,
            last: self.last,
            last_date: self.last_date,
            synthetic: self.synthetic,
        }
    }
}

/// Buckets of `points` (oldest first, one per date), oldest first; empty buckets are left out.
pub fn aggregate(points: &[PricePoint], interval: Interval) -> Vec<Bucket> {
    let mut out = Vec::new();
    let mut current: Option<Acc> = None;
    for p in points {
        let start = bucket_start(p.date, interval);
        let synthetic = p.source == PriceSource::Demo;
        match current.as_mut() {
            Some(acc) if acc.start == start => {
                acc.sum += i128::from(p.price.micros());
                acc.count += 1;
                acc.min = acc.min.min(p.price);
                acc.max = acc.max.max(p.price);
                if p.date >= acc.last_date {
                    acc.last = p.price;
                    acc.last_date = p.date;
                }
                acc.synthetic |= synthetic;
            }
            _ => {
                if let Some(done) = current.take() {
                    out.push(done.finish(interval));
                }
                current = Some(Acc {
                    start,
                    sum: i128::from(p.price.micros()),
                    count: 1,
                    min: p.price,
                    max: p.price,
                    last: p.price,
                    last_date: p.date,
                    synthetic,
                });
            }
        }
    }
    if let Some(done) = current {
        out.push(done.finish(interval));
    }
    out
}

/// How far back a summary change looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Horizon {
    /// One calendar day.
    Day,
    /// Thirty calendar days.
    Days30,
    /// One calendar year (12 months; 29 February falls back to 28 February).
    Year,
}

impl Horizon {
    /// Every horizon, shortest first.
    pub const ALL: [Horizon; 3] = [Horizon::Day, Horizon::Days30, Horizon::Year];

    /// `1d`, `30d` or `1y`.
    pub fn as_str(self) -> &'static str {
        match self {
            Horizon::Day => "1d",
            Horizon::Days30 => "30d",
            Horizon::Year => "1y",
        }
    }

    /// The reference date for a latest point dated `latest`.
    pub fn target(self, latest: NaiveDate) -> NaiveDate {
        let back = match self {
            Horizon::Day => latest.checked_sub_days(Days::new(1)),
            Horizon::Days30 => latest.checked_sub_days(Days::new(30)),
            Horizon::Year => latest.checked_sub_months(Months::new(12)),
        };
        back.unwrap_or(NaiveDate::MIN)
    }
}

/// The change from `reference` to `latest`: absolute (micro-dollars) and percent rounded to
/// two decimals (`None` when the reference price is zero).
pub fn change(latest: Price, reference: Price) -> (i64, Option<f64>) {
    let abs = latest.micros() - reference.micros();
    let pct = (reference.micros() != 0).then(|| {
        let hundredths = div_round(
            i128::from(abs) * 10_000,
            i128::from(reference.micros()).abs(),
        );
        // At most ±2e8 hundredths of a percent: exact in an f64.
        hundredths as f64 / 100.0
    });
    (abs, pct)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::market::{Series, parse_date};

    fn point(date: &str, price: &str, source: PriceSource) -> PricePoint {
        PricePoint {
            series: Series::Wti,
            date: parse_date(date).unwrap(),
            price: Price::parse(price).unwrap(),
            source,
        }
    }

    #[test]
    fn weekly_buckets_across_new_year_with_exact_means() {
        let pts = vec![
            point("2025-12-31", "70.00", PriceSource::Import),
            point("2026-01-02", "71.00", PriceSource::Import),
            point("2026-01-05", "70.01", PriceSource::Import),
            point("2026-01-06", "70.02", PriceSource::Demo),
        ];
        let w = aggregate(&pts, Interval::Week);
        assert_eq!(w.len(), 2);
        assert_eq!(w[0].period, "2026-W01");
        assert_eq!(w[0].count, 2);
        assert_eq!(w[0].average.to_string(), "70.50");
        assert_eq!(w[0].last.to_string(), "71.00");
        assert!(!w[0].synthetic && w[1].synthetic);
        assert_eq!(w[1].average.to_string(), "70.015");
        let m = aggregate(&pts, Interval::Month);
        assert_eq!(
            m.iter().map(|b| b.period.as_str()).collect::<Vec<_>>(),
            ["2025-12", "2026-01"]
        );
        assert_eq!(m[1].min.to_string(), "70.01");
        assert_eq!(m[1].max.to_string(), "71.00");
        assert_eq!(m[1].average.to_string(), "70.343333");
        assert_eq!(aggregate(&pts, Interval::Day).len(), 4);
        assert!(aggregate(&[], Interval::Week).is_empty());
    }

    #[test]
    fn negative_means_round_half_away_from_zero() {
        let pts = vec![
            point("2020-04-20", "-37.63", PriceSource::Import),
            point("2020-04-21", "0.000001", PriceSource::Import),
        ];
        let b = &aggregate(&pts, Interval::Month)[0];
        assert_eq!(b.average.micros(), -18_815_000);
        assert_eq!(div_round(-3, 2), -2);
        assert_eq!(div_round(3, 2), 2);
    }

    #[test]
    fn horizons_and_changes() {
        let monday = parse_date("2026-01-05").unwrap();
        assert_eq!(
            Horizon::Day.target(monday),
            parse_date("2026-01-04").unwrap()
        );
        assert_eq!(
            Horizon::Year.target(parse_date("2024-02-29").unwrap()),
            parse_date("2023-02-28").unwrap()
        );
        let (abs, pct) = change(Price::parse("75").unwrap(), Price::parse("60").unwrap());
        assert_eq!((abs, pct), (15_000_000, Some(25.0)));
        let (_, pct) = change(Price::parse("1").unwrap(), Price::parse("3").unwrap());
        assert_eq!(pct, Some(-66.67));
        let (_, pct) = change(Price::parse("1").unwrap(), Price::parse("-2").unwrap());
        assert_eq!(pct, Some(150.0), "relative to the reference's magnitude");
        assert_eq!(
            change(Price::parse("1").unwrap(), Price::parse("0").unwrap()).1,
            None
        );
    }
}
