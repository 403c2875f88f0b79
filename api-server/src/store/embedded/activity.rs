//! [`ActivityStore`] on SQLite: table `activity` (one row per event, `day` as `YYYY-MM-DD`
//! text, which sorts like the dates), grouped with `count(*)` and `count(DISTINCT actor_id)`
//! (which ignores the `NULL` actor of anonymous views).

use async_trait::async_trait;
use chrono::NaiveDate;
use rusqlite::{Row, params};

use super::EmbeddedStore;
use super::row::backend;
use crate::domain::activity::{
    ActivityCount, ActivityEvent, ActivityQuery, ListingGroup, SellerListing,
};
use crate::store::{ActivityStore, StoreError};

fn day(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

fn corrupt(what: &str, reason: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt {
        id: what.to_owned(),
        reason: reason.to_string(),
    }
}

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

fn count_row(row: &Row<'_>, by_day: bool) -> Result<ActivityCount, StoreError> {
    let listing_id: String = row.get(0).map_err(backend)?;
    let day_text: Option<String> = row.get(1).map_err(backend)?;
    let kind: String = row.get(2).map_err(backend)?;
    let what = format!("activity {listing_id}");
    let day = match (by_day, day_text) {
        (true, Some(d)) => {
            Some(crate::domain::market::parse_date(&d).map_err(|e| corrupt(&what, e))?)
        }
        _ => None,
    };
    Ok(ActivityCount {
        kind: kind.parse().map_err(|e| corrupt(&what, e))?,
        day,
        events: count(row.get(3).map_err(backend)?),
        actors: count(row.get(4).map_err(backend)?),
        listing_id,
    })
}

#[async_trait]
impl ActivityStore for EmbeddedStore {
    async fn record_activity(&self, events: &[ActivityEvent]) -> Result<(), StoreError> {
        if events.is_empty() {
            return Ok(());
        }
        let events = events.to_vec();
        self.write(move |conn| {
            let tx = conn.transaction().map_err(backend)?;
            {
                let mut insert = tx
                    .prepare_cached(
                        "INSERT INTO activity (listing_id, seller_id, kind, actor_id, at_ms, day) \
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    )
                    .map_err(backend)?;
                for e in &events {
                    insert
                        .execute(params![
                            e.listing_id,
                            e.seller_id,
                            e.kind.as_str(),
                            e.actor_id,
                            e.at.timestamp_millis(),
                            day(e.day()),
                        ])
                        .map_err(backend)?;
                }
            }
            tx.commit().map_err(backend)
        })
        .await
    }

    async fn activity_counts(
        &self,
        query: &ActivityQuery,
    ) -> Result<Vec<ActivityCount>, StoreError> {
        let query = query.clone();
        self.read(move |conn| {
            let (day_col, group) = if query.by_day {
                ("day", "listing_id, day, kind")
            } else {
                ("NULL", "listing_id, kind")
            };
            let sql = format!(
                "SELECT listing_id, {day_col}, kind, count(*), count(DISTINCT actor_id) \
                 FROM activity WHERE seller_id = ?1 AND day >= ?2 AND day <= ?3 \
                 GROUP BY {group}"
            );
            let from = query.from.map(day).unwrap_or_default();
            let mut stmt = conn.prepare_cached(&sql).map_err(backend)?;
            let mut rows = stmt
                .query(params![query.seller_id, from, day(query.to)])
                .map_err(backend)?;
            let mut out = Vec::new();
            while let Some(r) = rows.next().map_err(backend)? {
                out.push(count_row(r, query.by_day)?);
            }
            Ok(out)
        })
        .await
    }

    async fn seller_listings(
        &self,
        seller_id: &str,
        limit: u32,
    ) -> Result<Vec<SellerListing>, StoreError> {
        let seller_id = seller_id.to_owned();
        self.read(move |conn| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT id, title, listing_type, status FROM listings WHERE seller_id = ?1 \
                     ORDER BY created_at_ms DESC, id DESC LIMIT ?2",
                )
                .map_err(backend)?;
            let mut rows = stmt.query(params![seller_id, limit]).map_err(backend)?;
            let mut out = Vec::new();
            while let Some(r) = rows.next().map_err(backend)? {
                let id: String = r.get(0).map_err(backend)?;
                let kind: String = r.get(2).map_err(backend)?;
                let status: String = r.get(3).map_err(backend)?;
                out.push(SellerListing {
                    title: r.get(1).map_err(backend)?,
                    listing_type: kind.parse().map_err(|e| corrupt(&id, e))?,
                    status: status.parse().map_err(|e| corrupt(&id, e))?,
                    id,
                });
            }
            Ok(out)
        })
        .await
    }

    async fn listing_groups(&self) -> Result<Vec<ListingGroup>, StoreError> {
        self.read(|conn| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT listing_type, basin, status, count(*) FROM listings \
                     GROUP BY listing_type, basin, status",
                )
                .map_err(backend)?;
            let mut rows = stmt.query([]).map_err(backend)?;
            let mut out = Vec::new();
            while let Some(r) = rows.next().map_err(backend)? {
                out.push(ListingGroup {
                    listing_type: r.get(0).map_err(backend)?,
                    basin: r.get(1).map_err(backend)?,
                    status: r.get(2).map_err(backend)?,
                    count: count(r.get(3).map_err(backend)?),
                });
            }
            Ok(out)
        })
        .await
    }

    async fn registrations_per_day(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<(NaiveDate, u64)>, StoreError> {
        let start = from.and_time(chrono::NaiveTime::MIN).and_utc();
        let end = to.and_time(chrono::NaiveTime::MIN).and_utc() + chrono::Duration::days(1);
        let (start, end) = (start.timestamp_millis(), end.timestamp_millis());
        self.read(move |conn| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT date(created_at_ms / 1000, 'unixepoch') AS d, count(*) FROM users \
                     WHERE created_at_ms >= ?1 AND created_at_ms < ?2 GROUP BY d ORDER BY d",
                )
                .map_err(backend)?;
            let mut rows = stmt.query(params![start, end]).map_err(backend)?;
            let mut out = Vec::new();
            while let Some(r) = rows.next().map_err(backend)? {
                let d: String = r.get(0).map_err(backend)?;
                let date = crate::domain::market::parse_date(&d)
                    .map_err(|e| corrupt("users created_at", e))?;
                out.push((date, count(r.get(1).map_err(backend)?)));
            }
            Ok(out)
        })
        .await
    }
}
