//! [`BidStore`] on SQLite: tables `bids` and `offers` (migration 6).
//!
//! Every bid is one `BEGIN IMMEDIATE` write transaction: it reads the listing and its high
//! bid, applies the rules and inserts the bid, so no other writer (of this or another process)
//! runs in between. An offer acceptance writes the offer and its listing in one transaction.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};

use super::EmbeddedStore;
use super::listings;
use super::row::{self, backend};
use super::users::time;
use crate::domain::auction::decide_bid;
use crate::domain::{Bid, BidRejection, BidRequest, Cursor, Listing, Offer};
use crate::store::StoreError;
use crate::store::bids::{
    AcceptOutcome, BidQuery, BidStore, ItemPage, OfferQuery, bid_cursor, into_page, offer_cursor,
    open_offer_slot,
};

const BID_COLUMNS: &str =
    "id, listing_id, bidder_id, amount_cents, sealed, seq, ends_at_ms, placed_at_ms";
const OFFER_COLUMNS: &str = "id, listing_id, buyer_id, seller_id, amount_cents, counter_cents, \
    message, status, version, created_at_ms, updated_at_ms";
const TOP_ORDER: &str = "amount_cents DESC, placed_at_ms ASC, id ASC";

fn bid_from_row(r: &Row<'_>) -> Result<Bid, StoreError> {
    let id: String = r.get(0).map_err(backend)?;
    let seq: i64 = r.get(5).map_err(backend)?;
    Ok(Bid {
        listing_id: r.get(1).map_err(backend)?,
        bidder_id: r.get(2).map_err(backend)?,
        amount_cents: r.get(3).map_err(backend)?,
        sealed: r.get(4).map_err(backend)?,
        seq: u32::try_from(seq).map_err(|_| StoreError::Corrupt {
            id: id.clone(),
            reason: format!("bid seq {seq} out of range"),
        })?,
        ends_at: time(r.get(6).map_err(backend)?, &id)?,
        placed_at: time(r.get(7).map_err(backend)?, &id)?,
        id,
    })
}

fn offer_from_row(r: &Row<'_>) -> Result<Offer, StoreError> {
    let id: String = r.get(0).map_err(backend)?;
    let status: String = r.get(7).map_err(backend)?;
    Ok(Offer {
        listing_id: r.get(1).map_err(backend)?,
        buyer_id: r.get(2).map_err(backend)?,
        seller_id: r.get(3).map_err(backend)?,
        amount_cents: r.get(4).map_err(backend)?,
        counter_cents: r.get(5).map_err(backend)?,
        message: r.get(6).map_err(backend)?,
        status: status.parse().map_err(|e| StoreError::Corrupt {
            id: id.clone(),
            reason: format!("{e}"),
        })?,
        version: r.get(8).map_err(backend)?,
        created_at: time(r.get(9).map_err(backend)?, &id)?,
        updated_at: time(r.get(10).map_err(backend)?, &id)?,
        id,
    })
}

fn top_bid(conn: &Connection, listing_id: &str) -> Result<Option<Bid>, StoreError> {
    let sql = format!(
        "SELECT {BID_COLUMNS} FROM bids WHERE listing_id = ?1 ORDER BY {TOP_ORDER} LIMIT 1"
    );
    let mut stmt = conn.prepare_cached(&sql).map_err(backend)?;
    let mut rows = stmt.query([listing_id]).map_err(backend)?;
    match rows.next().map_err(backend)? {
        Some(r) => bid_from_row(r).map(Some),
        None => Ok(None),
    }
}

fn insert_bid(conn: &Connection, b: &Bid) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO bids (id, listing_id, bidder_id, amount_cents, sealed, seq, slot, \
         ends_at_ms, placed_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )
    .and_then(|mut s| {
        s.execute(params![
            b.id,
            b.listing_id,
            b.bidder_id,
            b.amount_cents,
            b.sealed,
            i64::from(b.seq),
            b.slot(),
            b.ends_at.timestamp_millis(),
            b.placed_at.timestamp_millis()
        ])
    })
    .map(|_| ())
    .map_err(backend)
}

/// Reads, decides and inserts one bid inside an immediate transaction.
fn place(conn: &mut Connection, req: &BidRequest) -> Result<Result<Bid, BidRejection>, StoreError> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(backend)?;
    let Some(listing) = listings::get(&tx, &req.listing_id)? else {
        return Ok(Err(BidRejection::NoListing));
    };
    let top = top_bid(&tx, &req.listing_id)?;
    let own_sealed: bool = tx
        .query_row(
            "SELECT 1 FROM bids WHERE listing_id = ?1 AND bidder_id = ?2 AND sealed = 1",
            [&req.listing_id, &req.bidder_id],
            |_| Ok(true),
        )
        .optional()
        .map_err(backend)?
        .unwrap_or(false);
    match decide_bid(&listing, top.as_ref(), own_sealed, req) {
        Ok(bid) => {
            insert_bid(&tx, &bid)?;
            tx.commit().map_err(backend)?;
            Ok(Ok(bid))
        }
        Err(rejection) => Ok(Err(rejection)),
    }
}

fn write_offer(conn: &Connection, o: &Offer, expected_version: i64) -> Result<bool, StoreError> {
    let mut stmt = conn
        .prepare_cached(
            "UPDATE offers SET amount_cents = ?3, counter_cents = ?4, message = ?5, status = ?6, \
             version = ?7, open_slot = ?8, updated_at_ms = ?9 WHERE id = ?1 AND version = ?2",
        )
        .map_err(backend)?;
    let n = stmt
        .execute(params![
            o.id,
            expected_version,
            o.amount_cents,
            o.counter_cents,
            o.message,
            o.status.as_str(),
            o.version,
            open_offer_slot(o),
            o.updated_at.timestamp_millis()
        ])
        .map_err(backend)?;
    Ok(n == 1)
}

/// A keyset page query: `filters` ANDed, newest first by `time_col`.
pub(super) fn page<T>(
    conn: &Connection,
    table_sql: &str,
    time_col: &str,
    (mut parts, mut values): (Vec<String>, Vec<Value>),
    after: Option<&Cursor>,
    limit: u32,
    map: impl Fn(&Row<'_>) -> Result<T, StoreError>,
) -> Result<Vec<T>, StoreError> {
    if let Some(c) = after {
        parts.push(format!("({time_col}, id) < (?, ?)"));
        values.push(Value::Integer(c.created_at_ms));
        values.push(Value::Text(c.id.clone()));
    }
    let clause = if parts.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", parts.join(" AND "))
    };
    values.push(Value::Integer(i64::from(limit) + 1));
    let sql = format!("{table_sql}{clause} ORDER BY {time_col} DESC, id DESC LIMIT ?");
    let mut stmt = conn.prepare_cached(&sql).map_err(backend)?;
    let mut rows = stmt
        .query(rusqlite::params_from_iter(values))
        .map_err(backend)?;
    let mut items = Vec::new();
    while let Some(r) = rows.next().map_err(backend)? {
        items.push(map(r)?);
    }
    Ok(items)
}

#[async_trait]
impl BidStore for EmbeddedStore {
    async fn place_bid(
        &self,
        request: &BidRequest,
    ) -> Result<Result<Bid, BidRejection>, StoreError> {
        let req = request.clone();
        self.write(move |conn| place(conn, &req)).await
    }

    async fn top_bid(&self, listing_id: &str) -> Result<Option<Bid>, StoreError> {
        let id = listing_id.to_owned();
        self.read(move |conn| top_bid(conn, &id)).await
    }

    async fn bid_count(&self, listing_id: &str) -> Result<u64, StoreError> {
        let id = listing_id.to_owned();
        self.read(move |conn| {
            let n: i64 = conn
                .query_row(
                    "SELECT count(*) FROM bids WHERE listing_id = ?1",
                    [&id],
                    |r| r.get(0),
                )
                .map_err(backend)?;
            Ok(u64::try_from(n).unwrap_or(0))
        })
        .await
    }

    async fn bids_page(&self, query: &BidQuery) -> Result<ItemPage<Bid>, StoreError> {
        let q = query.clone();
        self.read(move |conn| {
            let mut parts = Vec::new();
            let mut values = Vec::new();
            if let Some(l) = &q.listing_id {
                parts.push("listing_id = ?".to_owned());
                values.push(Value::Text(l.clone()));
            }
            if let Some(b) = &q.bidder_id {
                parts.push("bidder_id = ?".to_owned());
                values.push(Value::Text(b.clone()));
            }
            let table = format!("SELECT {BID_COLUMNS} FROM bids");
            let items = page(
                conn,
                &table,
                "placed_at_ms",
                (parts, values),
                q.after.as_ref(),
                q.limit,
                bid_from_row,
            )?;
            Ok(into_page(items, q.limit, bid_cursor))
        })
        .await
    }

    async fn create_offer(&self, offer: &Offer) -> Result<(), StoreError> {
        let o = offer.clone();
        self.write(move |conn| {
            let res = conn.execute(
                &format!(
                    "INSERT INTO offers ({OFFER_COLUMNS}, open_slot) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
                ),
                params![
                    o.id,
                    o.listing_id,
                    o.buyer_id,
                    o.seller_id,
                    o.amount_cents,
                    o.counter_cents,
                    o.message,
                    o.status.as_str(),
                    o.version,
                    o.created_at.timestamp_millis(),
                    o.updated_at.timestamp_millis(),
                    open_offer_slot(&o)
                ],
            );
            match res {
                Ok(_) => Ok(()),
                Err(rusqlite::Error::SqliteFailure(e, _))
                    if e.code == rusqlite::ErrorCode::ConstraintViolation =>
                {
                    Err(StoreError::Conflict(format!(
                        "an open offer by this buyer on listing {}",
                        o.listing_id
                    )))
                }
                Err(e) => Err(backend(e)),
            }
        })
        .await
    }

    async fn offer(&self, id: &str) -> Result<Option<Offer>, StoreError> {
        let id = id.to_owned();
        self.read(move |conn| {
            let sql = format!("SELECT {OFFER_COLUMNS} FROM offers WHERE id = ?1");
            let mut stmt = conn.prepare_cached(&sql).map_err(backend)?;
            let mut rows = stmt.query([&id]).map_err(backend)?;
            match rows.next().map_err(backend)? {
                Some(r) => offer_from_row(r).map(Some),
                None => Ok(None),
            }
        })
        .await
    }

    async fn update_offer(&self, offer: &Offer, expected_version: i64) -> Result<bool, StoreError> {
        let o = offer.clone();
        self.write(move |conn| write_offer(conn, &o, expected_version))
            .await
    }

    async fn accept_offer(
        &self,
        offer: &Offer,
        expected_version: i64,
        listing: &Listing,
        listing_expected: DateTime<Utc>,
    ) -> Result<AcceptOutcome, StoreError> {
        let o = offer.clone();
        let l = listing.clone();
        let expected_ms = listing_expected.timestamp_millis();
        self.write(move |conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(backend)?;
            if !write_offer(&tx, &o, expected_version)? {
                return Ok(AcceptOutcome::OfferChanged);
            }
            if !row::update(&tx, &l, expected_ms)? {
                return Ok(AcceptOutcome::ListingChanged);
            }
            tx.commit().map_err(backend)?;
            Ok(AcceptOutcome::Accepted)
        })
        .await
    }

    async fn offers_page(&self, query: &OfferQuery) -> Result<ItemPage<Offer>, StoreError> {
        let q = query.clone();
        self.read(move |conn| {
            let mut parts = Vec::new();
            let mut values = Vec::new();
            if let Some(l) = &q.listing_id {
                parts.push("listing_id = ?".to_owned());
                values.push(Value::Text(l.clone()));
            }
            if let Some(p) = &q.party_id {
                parts.push("(buyer_id = ? OR seller_id = ?)".to_owned());
                values.push(Value::Text(p.clone()));
                values.push(Value::Text(p.clone()));
            }
            let table = format!("SELECT {OFFER_COLUMNS} FROM offers");
            let items = page(
                conn,
                &table,
                "created_at_ms",
                (parts, values),
                q.after.as_ref(),
                q.limit,
                offer_from_row,
            )?;
            Ok(into_page(items, q.limit, offer_cursor))
        })
        .await
    }
}
