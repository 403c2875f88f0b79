//! [`MarketStore`] on MongoDB: collection `market_prices`, one document per `(series, date)`
//! with `_id` `"<SERIES>:<YYYY-MM-DD>"` (so an upsert can never create a duplicate), dates as
//! `YYYY-MM-DD` strings (they sort like the dates) and prices as int64 micro-dollars.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::NaiveDate;
use futures::TryStreamExt;
use mongodb::Collection;
use mongodb::bson::doc;
use serde::{Deserialize, Serialize};

use super::MongoStore;
use super::error::{is_duplicate_key, map};
use crate::domain::market::{Price, PricePoint, Series, UpsertCounts, parse_date};
use crate::store::{MarketStore, StoreError};

/// Name of the market prices collection.
pub const MARKET_PRICES: &str = "market_prices";
/// Points read or written per round trip.
const CHUNK: usize = 500;

/// The stored form of a [`PricePoint`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct MarketDoc {
    #[serde(rename = "_id")]
    id: String,
    series: String,
    date: String,
    price_micros: i64,
    source: String,
}

fn day(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

impl From<&PricePoint> for MarketDoc {
    fn from(p: &PricePoint) -> Self {
        let date = day(p.date);
        Self {
            id: format!("{}:{date}", p.series),
            series: p.series.as_str().to_owned(),
            date,
            price_micros: p.price.micros(),
            source: p.source.as_str().to_owned(),
        }
    }
}

impl TryFrom<MarketDoc> for PricePoint {
    type Error = StoreError;

    fn try_from(d: MarketDoc) -> Result<Self, StoreError> {
        let corrupt = |reason: String| StoreError::Corrupt {
            id: format!("{MARKET_PRICES} {}", d.id),
            reason,
        };
        Ok(PricePoint {
            series: d.series.parse().map_err(|e| corrupt(format!("{e}")))?,
            date: parse_date(&d.date).map_err(|e| corrupt(e.to_string()))?,
            price: Price::from_micros(d.price_micros)
                .ok_or_else(|| corrupt(format!("price {} out of range", d.price_micros)))?,
            source: d.source.parse().map_err(|e| corrupt(format!("{e}")))?,
        })
    }
}

impl MongoStore {
    fn market(&self) -> Collection<MarketDoc> {
        self.db.collection(MARKET_PRICES)
    }
}

async fn collect(
    cursor: mongodb::Cursor<MarketDoc>,
    what: &str,
) -> Result<Vec<PricePoint>, StoreError> {
    let docs: Vec<MarketDoc> = cursor.try_collect().await.map_err(|e| map(e, what))?;
    docs.into_iter().map(PricePoint::try_from).collect()
}

#[async_trait]
impl MarketStore for MongoStore {
    async fn upsert_prices(&self, points: &[PricePoint]) -> Result<UpsertCounts, StoreError> {
        let coll = self.market();
        let mut counts = UpsertCounts::default();
        for chunk in points.chunks(CHUNK) {
            let docs: Vec<MarketDoc> = chunk.iter().map(MarketDoc::from).collect();
            let ids: Vec<&str> = docs.iter().map(|d| d.id.as_str()).collect();
            let existing: HashMap<String, MarketDoc> = coll
                .find(doc! { "_id": { "$in": ids } })
                .await
                .map_err(|e| map(e, "reading market prices"))?
                .try_collect::<Vec<MarketDoc>>()
                .await
                .map_err(|e| map(e, "reading market prices"))?
                .into_iter()
                .map(|d| (d.id.clone(), d))
                .collect();
            let mut fresh = Vec::new();
            let mut changed = Vec::new();
            for d in docs {
                match existing.get(&d.id) {
                    None => fresh.push(d),
                    Some(old) if *old == d => counts.unchanged += 1,
                    Some(_) => changed.push(d),
                }
            }
            if !fresh.is_empty() {
                let n = fresh.len() as u64;
                match coll.insert_many(&fresh).ordered(false).await {
                    Ok(_) => counts.inserted += n,
                    // Another writer inserted some of them meanwhile: replace them all.
                    Err(e) if is_duplicate_key(&e) => changed.extend(fresh),
                    Err(e) => return Err(map(e, "inserting market prices")),
                }
            }
            for d in changed {
                coll.replace_one(doc! { "_id": d.id.as_str() }, &d)
                    .upsert(true)
                    .await
                    .map_err(|e| map(e, "updating a market price"))?;
                counts.updated += 1;
            }
        }
        Ok(counts)
    }

    async fn prices(
        &self,
        series: Series,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<PricePoint>, StoreError> {
        let cursor = self
            .market()
            .find(doc! {
                "series": series.as_str(),
                "date": { "$gte": day(from), "$lte": day(to) },
            })
            .sort(doc! { "date": 1 })
            .await
            .map_err(|e| map(e, "reading market prices"))?;
        collect(cursor, "reading market prices").await
    }

    async fn price_on_or_before(
        &self,
        series: Series,
        date: NaiveDate,
    ) -> Result<Option<PricePoint>, StoreError> {
        let found = self
            .market()
            .find_one(doc! { "series": series.as_str(), "date": { "$lte": day(date) } })
            .sort(doc! { "date": -1 })
            .await
            .map_err(|e| map(e, "reading a market price"))?;
        found.map(PricePoint::try_from).transpose()
    }

    async fn count_prices(&self) -> Result<u64, StoreError> {
        self.market()
            .count_documents(doc! {})
            .await
            .map_err(|e| map(e, "counting market prices"))
    }
}
