//! Market data: `GET /api/v1/market/prices` (buckets of daily prices), `GET
//! /api/v1/market/summary` (latest and changes) — both public, served from the in-process
//! market cache — and `POST /api/v1/admin/market/prices` (admins; idempotent upsert, audited,
//! empties the cache). Prices are decimal strings (see [`crate::domain::market::Price`]).

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use chrono::{Days, Months, NaiveDate};
use serde::Deserialize;
use utoipa::IntoParams;

use super::AppState;
use super::client_ip::ClientIp;
use super::extract::{AdminOnly, Authorized};
use super::json_body::StrictJson;
use super::market_views::{
    BucketView, ChangeView, LatestView, PostPricesRequest, PostPricesResponse, PricesResponse,
    SeriesSummary, SummaryResponse,
};
use super::problem::Problem;
use crate::domain::AuditKind;
use crate::domain::market::{Interval, Price, PricePoint, PriceSource, Series, parse_date};
use crate::market::aggregate::{Horizon, aggregate, change};

/// Longest range of one price query, days, by interval (day: 10 years, so at most 3,661
/// buckets; week: 20 years; month: 50 years).
fn max_range_days(interval: Interval) -> i64 {
    match interval {
        Interval::Day => 3_660,
        Interval::Week => 7_320,
        Interval::Month => 18_300,
    }
}
/// Most points one post may carry.
pub const MAX_POST_POINTS: usize = 5_000;

/// Query of `GET /api/v1/market/prices`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PriceParams {
    /// `WTI`, `BRENT` or `HENRY_HUB` (case-insensitive). Required.
    series: Option<String>,
    /// First day, `YYYY-MM-DD` (default: one year before `to`).
    from: Option<String>,
    /// Last day, `YYYY-MM-DD` (default: today, UTC).
    to: Option<String>,
    /// `day` (default), `week` (ISO weeks, Monday to Sunday) or `month` (calendar months).
    /// Longest range: 10 years by day, 20 by week, 50 by month.
    interval: Option<String>,
}

fn present(v: Option<&str>) -> Option<&str> {
    v.map(str::trim).filter(|s| !s.is_empty())
}

fn date_param(name: &str, raw: &str) -> Result<NaiveDate, Problem> {
    parse_date(raw).map_err(|e| Problem::invalid_parameter(format!("{name}: {e}")))
}

fn series_param(raw: Option<&str>) -> Result<Series, Problem> {
    let raw = present(raw).ok_or_else(|| {
        Problem::invalid_parameter("series: required, one of WTI, BRENT, HENRY_HUB")
    })?;
    Series::parse_loose(raw).map_err(|e| Problem::invalid_parameter(format!("series: {e}")))
}

/// A validated price query.
struct PriceQuery {
    series: Series,
    from: NaiveDate,
    to: NaiveDate,
    interval: Interval,
}

impl PriceParams {
    fn validate(&self, today: NaiveDate) -> Result<PriceQuery, Problem> {
        let series = series_param(self.series.as_deref())?;
        let interval = match present(self.interval.as_deref()) {
            None => Interval::Day,
            Some(raw) => raw
                .to_ascii_lowercase()
                .parse()
                .map_err(|e| Problem::invalid_parameter(format!("interval: {e}")))?,
        };
        let to = match present(self.to.as_deref()) {
            Some(raw) => date_param("to", raw)?,
            None => today,
        };
        let from = match present(self.from.as_deref()) {
            Some(raw) => date_param("from", raw)?,
            None => to.checked_sub_months(Months::new(12)).unwrap_or(to),
        };
        if from > to {
            return Err(Problem::invalid_parameter(format!(
                "from ({from}) is after to ({to})"
            )));
        }
        let days = (to - from).num_days() + 1;
        let max = max_range_days(interval);
        if days > max {
            return Err(Problem::invalid_parameter(format!(
                "the range holds {days} days; interval={interval} allows at most {max} \
                 (use a coarser interval or a shorter range)"
            )));
        }
        Ok(PriceQuery {
            series,
            from,
            to,
            interval,
        })
    }
}

/// A JSON body already serialised (cached or fresh), with `X-Cache: hit|miss`.
fn json_response(body: Bytes, hit: bool) -> Response {
    let mut res = body.into_response();
    let headers = res.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(
        "x-cache",
        HeaderValue::from_static(if hit { "hit" } else { "miss" }),
    );
    res
}

fn serialise<T: serde::Serialize>(value: &T) -> Result<Bytes, Problem> {
    serde_json::to_vec(value).map(Bytes::from).map_err(|e| {
        tracing::error!(error = %e, "serialising a market response");
        Problem::internal()
    })
}

/// Daily prices of a series in buckets (average, min, max, last). Public; cached.
#[utoipa::path(get, path = "/api/v1/market/prices", tag = "market",
    params(PriceParams),
    responses(
        (status = 200, description = "Buckets, oldest first (empty buckets left out)", body = PricesResponse),
        (status = 400, description = "Missing or invalid series, date, interval or range", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn prices(
    State(state): State<AppState>,
    params: Result<Query<PriceParams>, QueryRejection>,
) -> Result<Response, Problem> {
    let Query(params) = params.map_err(|e| Problem::invalid_parameter(e.body_text()))?;
    let today = state.settings().clock.now().date_naive();
    let q = params.validate(today)?;
    let key = format!("prices:{}:{}:{}:{}", q.series, q.from, q.to, q.interval);
    let cache = state.market_cache();
    if let Some(body) = cache.get(&key) {
        return Ok(json_response(body, true));
    }
    let seen = cache.generation();
    let points = state.users().prices(q.series, q.from, q.to).await?;
    let buckets = aggregate(&points, q.interval);
    let view = PricesResponse {
        series: q.series,
        unit: q.series.unit().to_owned(),
        interval: q.interval,
        from: q.from,
        to: q.to,
        synthetic: buckets.iter().any(|b| b.synthetic),
        buckets: buckets.into_iter().map(BucketView::from).collect(),
    };
    let body = serialise(&view)?;
    cache.fill(seen, key, body.clone());
    Ok(json_response(body, false))
}

async fn series_summary(state: &AppState, series: Series) -> Result<SeriesSummary, Problem> {
    let store = state.users();
    let latest = store
        .price_on_or_before(series, crate::domain::market::MAX_DATE)
        .await?;
    let mut changes = Vec::new();
    if let Some(latest) = &latest {
        for horizon in Horizon::ALL {
            let target = horizon.target(latest.date);
            let reference = store.price_on_or_before(series, target).await?;
            changes.push(ChangeView::new(
                horizon,
                target,
                latest,
                reference.as_ref(),
                change,
            ));
        }
    }
    Ok(SeriesSummary {
        series,
        unit: series.unit().to_owned(),
        latest: latest.as_ref().map(LatestView::from),
        changes,
    })
}

/// Latest price of every series and its change over 1 day, 30 days and 1 year. Public;
/// cached.
#[utoipa::path(get, path = "/api/v1/market/summary", tag = "market",
    responses((status = 200, description = "One entry per series", body = SummaryResponse)))]
pub async fn summary(State(state): State<AppState>) -> Result<Response, Problem> {
    let key = "summary";
    let cache = state.market_cache();
    if let Some(body) = cache.get(key) {
        return Ok(json_response(body, true));
    }
    let seen = cache.generation();
    let mut series = Vec::new();
    for s in Series::ALL {
        series.push(series_summary(&state, *s).await?);
    }
    let body = serialise(&SummaryResponse { series })?;
    cache.fill(seen, key.to_owned(), body.clone());
    Ok(json_response(body, false))
}

/// Validates a post into points (422 on any broken rule, nothing written).
fn validate_post(
    body: PostPricesRequest,
    today: NaiveDate,
) -> Result<(Series, Vec<PricePoint>), Problem> {
    let series = Series::parse_loose(&body.series)
        .map_err(|e| Problem::invalid_body(format!("series: {e}")))?;
    if body.points.is_empty() || body.points.len() > MAX_POST_POINTS {
        return Err(Problem::invalid_body(format!(
            "points: between 1 and {MAX_POST_POINTS} points per request"
        )));
    }
    let latest_allowed = today.checked_add_days(Days::new(1)).unwrap_or(today);
    let mut points: Vec<PricePoint> = Vec::with_capacity(body.points.len());
    for (i, p) in body.points.into_iter().enumerate() {
        let bad = |m: String| Problem::invalid_body(format!("points[{i}].{m}"));
        let date = parse_date(&p.date).map_err(|e| bad(format!("date: {e}")))?;
        if date > latest_allowed {
            return Err(bad(format!("date: {date} is in the future")));
        }
        let price = Price::parse(&p.price.text()).map_err(|e| bad(format!("price: {e}")))?;
        points.push(PricePoint {
            series,
            date,
            price,
            source: PriceSource::Admin,
        });
    }
    let mut dates: Vec<NaiveDate> = points.iter().map(|p| p.date).collect();
    dates.sort_unstable();
    if let Some(w) = dates.windows(2).find(|w| w[0] == w[1]) {
        return Err(Problem::invalid_body(format!(
            "points: date {} appears twice",
            w[0]
        )));
    }
    Ok((series, points))
}

/// Inserts or replaces daily prices of one series (by date). Admins only; idempotent;
/// audited; empties the market cache.
#[utoipa::path(post, path = "/api/v1/admin/market/prices", tag = "market",
    security(("bearer" = [])),
    request_body = PostPricesRequest,
    responses(
        (status = 200, description = "What changed", body = PostPricesResponse),
        (status = 401, description = "No valid access token", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "Unknown series, bad date or price, duplicate date, too many points", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn post_prices(
    State(state): State<AppState>,
    ip: ClientIp,
    Authorized(caller, _): Authorized<AdminOnly>,
    StrictJson(body): StrictJson<PostPricesRequest>,
) -> Result<Response, Problem> {
    let today = state.settings().clock.now().date_naive();
    let (series, points) = validate_post(body, today)?;
    let counts = state.users().upsert_prices(&points).await;
    // Even a failed batch may have written part of it (MongoDB): forget what was cached.
    state.market_cache().invalidate_all();
    let counts = counts?;
    let (first, last) = points
        .iter()
        .fold((NaiveDate::MAX, NaiveDate::MIN), |(a, b), p| {
            (a.min(p.date), b.max(p.date))
        });
    let detail = format!(
        "series={series} points={} inserted={} updated={} unchanged={} from={first} to={last}",
        points.len(),
        counts.inserted,
        counts.updated,
        counts.unchanged
    );
    state
        .auth()
        .audit(
            AuditKind::MarketPricesPosted,
            Some(&caller.user_id),
            None,
            ip.to_audit().as_deref(),
            &detail,
        )
        .await;
    let view = PostPricesResponse {
        series,
        inserted: counts.inserted,
        updated: counts.updated,
        unchanged: counts.unchanged,
    };
    Ok((StatusCode::OK, axum::Json(view)).into_response())
}
