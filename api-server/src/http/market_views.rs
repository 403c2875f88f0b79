//! Request and response bodies of the market endpoints. Prices are decimal strings in US
//! dollars (up to 6 decimals), never JSON floats.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::market::{Interval, PricePoint, PriceSource, Series, format_micros};
use crate::market::aggregate::{Bucket, Horizon};

/// One bucket of daily prices.
#[derive(Debug, Serialize, ToSchema)]
pub struct BucketView {
    /// `2026-01-15` (day), `2026-W03` (ISO week) or `2026-01` (month).
    pub period: String,
    /// First day of the bucket.
    pub start: NaiveDate,
    /// Last day of the bucket.
    pub end: NaiveDate,
    /// Daily points in the bucket.
    pub count: u32,
    /// Mean of the daily prices (decimal string).
    pub average: String,
    /// Lowest daily price.
    pub min: String,
    /// Highest daily price.
    pub max: String,
    /// Price of the newest point in the bucket.
    pub last: String,
    /// Date of that point.
    pub last_date: NaiveDate,
    /// Whether any point is synthetic demo data.
    pub synthetic: bool,
}

impl From<Bucket> for BucketView {
    fn from(b: Bucket) -> Self {
        Self {
            period: b.period,
            start: b.start,
            end: b.end,
            count: b.count,
            average: b.average.to_string(),
            min: b.min.to_string(),
            max: b.max.to_string(),
            last: b.last.to_string(),
            last_date: b.last_date,
            synthetic: b.synthetic,
        }
    }
}

/// Buckets of one series.
#[derive(Debug, Serialize, ToSchema)]
pub struct PricesResponse {
    /// The series.
    pub series: Series,
    /// `USD/bbl` or `USD/MMBtu`.
    pub unit: String,
    /// The bucket size.
    pub interval: Interval,
    /// First day queried.
    pub from: NaiveDate,
    /// Last day queried.
    pub to: NaiveDate,
    /// Whether any bucket holds synthetic demo data.
    pub synthetic: bool,
    /// Buckets with at least one point, oldest first.
    pub buckets: Vec<BucketView>,
}

/// The newest point of a series.
#[derive(Debug, Serialize, ToSchema)]
pub struct LatestView {
    /// Its date.
    pub date: NaiveDate,
    /// Its price (decimal string).
    pub price: String,
    /// Where it came from.
    pub source: PriceSource,
    /// `true` for synthetic demo data (not a real price).
    pub synthetic: bool,
}

impl From<&PricePoint> for LatestView {
    fn from(p: &PricePoint) -> Self {
        Self {
            date: p.date,
            price: p.price.to_string(),
            source: p.source,
            synthetic: p.source == PriceSource::Demo,
        }
    }
}

/// The change of the latest price over a horizon. The reference is the newest point on or
/// before `target_date` (so a weekend falls back to Friday); all `null` when there is none.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangeView {
    /// `1d`, `30d` or `1y`.
    pub horizon: String,
    /// The latest point's date minus the horizon.
    pub target_date: NaiveDate,
    /// Date of the reference point.
    pub reference_date: Option<NaiveDate>,
    /// Price of the reference point.
    pub reference_price: Option<String>,
    /// Latest minus reference (decimal string).
    pub change: Option<String>,
    /// Change in percent of the reference's magnitude, 2 decimals (`null` if it is zero).
    pub change_pct: Option<f64>,
}

impl ChangeView {
    /// The change from `reference` (if any) to `latest`, computed by `change`.
    pub fn new(
        horizon: Horizon,
        target_date: NaiveDate,
        latest: &PricePoint,
        reference: Option<&PricePoint>,
        change: impl Fn(
            crate::domain::market::Price,
            crate::domain::market::Price,
        ) -> (i64, Option<f64>),
    ) -> Self {
        let computed = reference.map(|r| change(latest.price, r.price));
        Self {
            horizon: horizon.as_str().to_owned(),
            target_date,
            reference_date: reference.map(|r| r.date),
            reference_price: reference.map(|r| r.price.to_string()),
            change: computed.map(|(abs, _)| format_micros(abs)),
            change_pct: computed.and_then(|(_, pct)| pct),
        }
    }
}

/// Latest price and changes of one series.
#[derive(Debug, Serialize, ToSchema)]
pub struct SeriesSummary {
    /// The series.
    pub series: Series,
    /// `USD/bbl` or `USD/MMBtu`.
    pub unit: String,
    /// The newest point (`null`: no data).
    pub latest: Option<LatestView>,
    /// Changes over 1d, 30d and 1y (empty when there is no data).
    pub changes: Vec<ChangeView>,
}

/// Every series' summary.
#[derive(Debug, Serialize, ToSchema)]
pub struct SummaryResponse {
    /// WTI, BRENT, HENRY_HUB, in this order.
    pub series: Vec<SeriesSummary>,
}

/// A price as a JSON string (preferred: exact) or number (read as its shortest decimal).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum PriceInput {
    /// `"71.23"`.
    Text(String),
    /// `71.23`.
    Number(serde_json::Number),
}

impl PriceInput {
    /// The decimal text.
    pub fn text(&self) -> String {
        match self {
            PriceInput::Text(s) => s.clone(),
            PriceInput::Number(n) => n.to_string(),
        }
    }
}

/// One daily price to store.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PointInput {
    /// `YYYY-MM-DD`, at most tomorrow (UTC).
    pub date: String,
    /// Decimal string like `"71.23"` (up to 6 decimals; negative allowed) or a number.
    #[schema(value_type = String, example = "71.23")]
    pub price: PriceInput,
}

/// Daily prices of one series to insert or replace (by date).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PostPricesRequest {
    /// `WTI`, `BRENT` or `HENRY_HUB`.
    pub series: String,
    /// 1 to 5,000 points, each date at most once.
    pub points: Vec<PointInput>,
}

/// What a post changed.
#[derive(Debug, Serialize, ToSchema)]
pub struct PostPricesResponse {
    /// The series.
    pub series: Series,
    /// Dates that had no price.
    pub inserted: u64,
    /// Dates whose price (or source) changed.
    pub updated: u64,
    /// Dates that already had exactly this price from an admin.
    pub unchanged: u64,
}
