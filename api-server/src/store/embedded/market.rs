//! [`MarketStore`] on SQLite: table `market_prices`, primary key `(series, date)` with dates
//! as `YYYY-MM-DD` text (which sorts like the dates) and prices as integer micro-dollars.

use async_trait::async_trait;
use chrono::NaiveDate;
use rusqlite::{OptionalExtension, Row, params};

use super::EmbeddedStore;
use super::row::backend;
use crate::domain::market::{Price, PricePoint, Series, UpsertCounts};
use crate::store::{MarketStore, StoreError};

fn day(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

fn corrupt(series: &str, date: &str, reason: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt {
        id: format!("market_prices {series} {date}"),
        reason: reason.to_string(),
    }
}

fn from_row(row: &Row<'_>) -> Result<PricePoint, StoreError> {
    let series: String = row.get(0).map_err(backend)?;
    let date: String = row.get(1).map_err(backend)?;
    let micros: i64 = row.get(2).map_err(backend)?;
    let source: String = row.get(3).map_err(backend)?;
    Ok(PricePoint {
        series: series.parse().map_err(|e| corrupt(&series, &date, e))?,
        date: crate::domain::market::parse_date(&date).map_err(|e| corrupt(&series, &date, e))?,
        price: Price::from_micros(micros)
            .ok_or_else(|| corrupt(&series, &date, format!("price {micros} out of range")))?,
        source: source.parse().map_err(|e| corrupt(&series, &date, e))?,
    })
}

const COLUMNS: &str = "series, date, price_micros, source";

#[async_trait]
impl MarketStore for EmbeddedStore {
    async fn upsert_prices(&self, points: &[PricePoint]) -> Result<UpsertCounts, StoreError> {
        let points = points.to_vec();
        self.write(move |conn| {
            let tx = conn.transaction().map_err(backend)?;
            let mut counts = UpsertCounts::default();
            {
                let mut find = tx
                    .prepare_cached(
                        "SELECT price_micros, source FROM market_prices \
                         WHERE series = ?1 AND date = ?2",
                    )
                    .map_err(backend)?;
                let mut upsert = tx
                    .prepare_cached(&format!(
                        "INSERT INTO market_prices ({COLUMNS}) VALUES (?1, ?2, ?3, ?4) \
                         ON CONFLICT (series, date) DO UPDATE SET \
                         price_micros = excluded.price_micros, source = excluded.source"
                    ))
                    .map_err(backend)?;
                for p in &points {
                    let (series, date) = (p.series.as_str(), day(p.date));
                    let (micros, source) = (p.price.micros(), p.source.as_str());
                    let old: Option<(i64, String)> = find
                        .query_row(params![series, date], |r| Ok((r.get(0)?, r.get(1)?)))
                        .optional()
                        .map_err(backend)?;
                    match old {
                        Some((m, s)) if m == micros && s == source => counts.unchanged += 1,
                        Some(_) => counts.updated += 1,
                        None => counts.inserted += 1,
                    }
                    upsert
                        .execute(params![series, date, micros, source])
                        .map_err(backend)?;
                }
            }
            tx.commit().map_err(backend)?;
            Ok(counts)
        })
        .await
    }

    async fn prices(
        &self,
        series: Series,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<PricePoint>, StoreError> {
        self.read(move |conn| {
            let mut stmt = conn
                .prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM market_prices \
                     WHERE series = ?1 AND date >= ?2 AND date <= ?3 ORDER BY date"
                ))
                .map_err(backend)?;
            let mut rows = stmt
                .query(params![series.as_str(), day(from), day(to)])
                .map_err(backend)?;
            let mut out = Vec::new();
            while let Some(r) = rows.next().map_err(backend)? {
                out.push(from_row(r)?);
            }
            Ok(out)
        })
        .await
    }

    async fn price_on_or_before(
        &self,
        series: Series,
        date: NaiveDate,
    ) -> Result<Option<PricePoint>, StoreError> {
        self.read(move |conn| {
            let mut stmt = conn
                .prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM market_prices \
                     WHERE series = ?1 AND date <= ?2 ORDER BY date DESC LIMIT 1"
                ))
                .map_err(backend)?;
            let mut rows = stmt
                .query(params![series.as_str(), day(date)])
                .map_err(backend)?;
            rows.next().map_err(backend)?.map(from_row).transpose()
        })
        .await
    }

    async fn count_prices(&self) -> Result<u64, StoreError> {
        self.read(|conn| {
            conn.query_row("SELECT count(*) FROM market_prices", [], |r| {
                r.get::<_, i64>(0)
            })
            .map(|n| u64::try_from(n).unwrap_or(0))
            .map_err(backend)
        })
        .await
    }
}
