//! [`ActivityStore`] on MongoDB: collection `activity`, one document per event with `day` as
//! a `YYYY-MM-DD` string. Counts use one `$group` by `(listing, [day,] kind, actor)`; the
//! distinct actors per group are then counted here (no `$addToSet`/`$cond` needed, which
//! FerretDB v1 lacks in part). Registrations are grouped by day here from the users' creation
//! times (one indexed range read).

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use futures::TryStreamExt;
use mongodb::Collection;
use mongodb::bson::{Bson, Document, doc};
use serde::{Deserialize, Serialize};

use super::error::map;
use super::user_docs::bson_date;
use super::{LISTINGS, MongoStore, USERS};
use crate::domain::activity::{
    ActivityCount, ActivityEvent, ActivityKind, ActivityQuery, ListingGroup, SellerListing,
};
use crate::store::{ActivityStore, StoreError};

/// Name of the activity collection.
pub const ACTIVITY: &str = "activity";

/// The stored form of an [`ActivityEvent`]; the actor of anonymous views is `null`.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct ActivityDoc {
    #[serde(rename = "_id")]
    id: String,
    listing_id: String,
    seller_id: String,
    kind: String,
    actor_id: Option<String>,
    at: mongodb::bson::DateTime,
    day: String,
}

fn day(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

fn corrupt(what: &str, reason: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt {
        id: format!("{ACTIVITY} {what}"),
        reason: reason.to_string(),
    }
}

fn string(d: &Document, key: &str) -> Result<String, StoreError> {
    d.get_str(key)
        .map(str::to_owned)
        .map_err(|e| corrupt(key, e))
}

fn number(d: &Document, key: &str) -> Result<u64, StoreError> {
    let n = match d.get(key) {
        Some(Bson::Int32(n)) => i64::from(*n),
        Some(Bson::Int64(n)) => *n,
        Some(Bson::Double(n)) => *n as i64,
        other => return Err(corrupt(key, format!("not a count: {other:?}"))),
    };
    Ok(u64::try_from(n).unwrap_or(0))
}

impl MongoStore {
    fn activity(&self) -> Collection<ActivityDoc> {
        self.db.collection(ACTIVITY)
    }

    async fn grouped(
        &self,
        collection: &str,
        pipeline: Vec<Document>,
        what: &str,
    ) -> Result<Vec<Document>, StoreError> {
        self.db
            .collection::<Document>(collection)
            .aggregate(pipeline)
            .await
            .map_err(|e| map(e, what))?
            .try_collect()
            .await
            .map_err(|e| map(e, what))
    }
}

type GroupKey = (String, Option<NaiveDate>, ActivityKind);

#[async_trait]
impl ActivityStore for MongoStore {
    async fn record_activity(&self, events: &[ActivityEvent]) -> Result<(), StoreError> {
        if events.is_empty() {
            return Ok(());
        }
        let docs = events.iter().map(|e| ActivityDoc {
            id: uuid::Uuid::now_v7().to_string(),
            listing_id: e.listing_id.clone(),
            seller_id: e.seller_id.clone(),
            kind: e.kind.as_str().to_owned(),
            actor_id: e.actor_id.clone(),
            at: bson_date(e.at),
            day: day(e.day()),
        });
        self.activity()
            .insert_many(docs)
            .ordered(false)
            .await
            .map(|_| ())
            .map_err(|e| map(e, "recording activity"))
    }

    async fn activity_counts(
        &self,
        query: &ActivityQuery,
    ) -> Result<Vec<ActivityCount>, StoreError> {
        let mut range = doc! { "$lte": day(query.to) };
        if let Some(from) = query.from {
            range.insert("$gte", day(from));
        }
        let mut key = doc! { "l": "$listing_id", "k": "$kind", "a": "$actor_id" };
        if query.by_day {
            key.insert("d", "$day");
        }
        let pipeline = vec![
            doc! { "$match": { "seller_id": query.seller_id.as_str(), "day": range } },
            doc! { "$group": { "_id": key, "n": { "$sum": 1 } } },
        ];
        let rows = self
            .grouped(ACTIVITY, pipeline, "counting activity")
            .await?;
        let mut groups: BTreeMap<GroupKey, (u64, u64)> = BTreeMap::new();
        for row in rows {
            let id = row.get_document("_id").map_err(|e| corrupt("_id", e))?;
            let kind: ActivityKind = string(id, "k")?.parse().map_err(|e| corrupt("kind", e))?;
            let day = if query.by_day {
                let d = string(id, "d")?;
                Some(crate::domain::market::parse_date(&d).map_err(|e| corrupt("day", e))?)
            } else {
                None
            };
            let signed_in = matches!(id.get("a"), Some(Bson::String(_)));
            let g = groups.entry((string(id, "l")?, day, kind)).or_default();
            g.0 += number(&row, "n")?;
            g.1 += u64::from(signed_in);
        }
        Ok(groups
            .into_iter()
            .map(
                |((listing_id, day, kind), (events, actors))| ActivityCount {
                    listing_id,
                    day,
                    kind,
                    events,
                    actors,
                },
            )
            .collect())
    }

    async fn seller_listings(
        &self,
        seller_id: &str,
        limit: u32,
    ) -> Result<Vec<SellerListing>, StoreError> {
        let docs: Vec<Document> = self
            .db
            .collection::<Document>(LISTINGS)
            .find(doc! { "seller_id": seller_id })
            .projection(doc! { "title": 1, "type": 1, "status": 1 })
            .sort(doc! { "created_at": -1, "_id": -1 })
            .limit(i64::from(limit))
            .await
            .map_err(|e| map(e, "reading seller listings"))?
            .try_collect()
            .await
            .map_err(|e| map(e, "reading seller listings"))?;
        docs.iter()
            .map(|d| {
                let id = string(d, "_id")?;
                Ok(SellerListing {
                    title: string(d, "title")?,
                    listing_type: string(d, "type")?.parse().map_err(|e| corrupt(&id, e))?,
                    status: string(d, "status")?.parse().map_err(|e| corrupt(&id, e))?,
                    id,
                })
            })
            .collect()
    }

    async fn listing_groups(&self) -> Result<Vec<ListingGroup>, StoreError> {
        let pipeline = vec![doc! { "$group": {
            "_id": { "t": "$type", "b": "$basin", "s": "$status" },
            "n": { "$sum": 1 },
        } }];
        let rows = self
            .grouped(LISTINGS, pipeline, "grouping listings")
            .await?;
        rows.iter()
            .map(|row| {
                let id = row.get_document("_id").map_err(|e| corrupt("_id", e))?;
                Ok(ListingGroup {
                    listing_type: string(id, "t")?,
                    basin: string(id, "b")?,
                    status: string(id, "s")?,
                    count: number(row, "n")?,
                })
            })
            .collect()
    }

    async fn registrations_per_day(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<(NaiveDate, u64)>, StoreError> {
        let start = from.and_time(NaiveTime::MIN).and_utc();
        let end = to.and_time(NaiveTime::MIN).and_utc() + chrono::Duration::days(1);
        let docs: Vec<Document> = self
            .db
            .collection::<Document>(USERS)
            .find(doc! { "created_at": { "$gte": bson_date(start), "$lt": bson_date(end) } })
            .projection(doc! { "created_at": 1 })
            .await
            .map_err(|e| map(e, "reading registrations"))?
            .try_collect()
            .await
            .map_err(|e| map(e, "reading registrations"))?;
        let mut days: BTreeMap<NaiveDate, u64> = BTreeMap::new();
        for d in &docs {
            let at = d
                .get_datetime("created_at")
                .map_err(|e| corrupt("users created_at", e))?;
            let at: DateTime<Utc> = DateTime::from_timestamp_millis(at.timestamp_millis())
                .ok_or_else(|| corrupt("users created_at", "out of range"))?;
            *days.entry(at.date_naive()).or_default() += 1;
        }
        Ok(days.into_iter().collect())
    }
}
