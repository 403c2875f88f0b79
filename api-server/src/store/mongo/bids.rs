//! [`BidStore`] on MongoDB: collections `bids` and `offers`.
//!
//! Bids: the listing and its high bid are read, the rules applied, and the bid inserted under
//! its slot, which has a unique index (`bids_slot`). Of two bids racing for one slot the
//! server stores exactly one; the loser gets a duplicate-key error and is decided again
//! against the new high bid (at most [`BID_ATTEMPTS`] times). This holds on MongoDB and on
//! FerretDB, in one process or across replicas, because a unique index check is atomic in
//! both (unlike FerretDB v1's read-modify-write update operators, see `listings.rs`).
//!
//! Offers: compare-and-set on `version` with `update_one`. On FerretDB v1 that update is a
//! read-modify-write, so this process serialises its offer writes ([`OFFER_WRITES`]); two
//! replicas on FerretDB could still both apply a transition of the same offer (MongoDB applies
//! the conditional update atomically). One open offer per buyer and listing is enforced by the
//! unique `open_slot` index (atomic everywhere). Accepting writes the offer first and then the
//! listing; if the listing changed meanwhile the offer is put back. Without multi-document
//! transactions (FerretDB v1 has none) a crash between the two writes can leave an accepted
//! offer on a listing that is still active; the seller can then change the listing's status.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use mongodb::bson::{Bson, DateTime as BsonDateTime, Document, doc};
use serde::{Deserialize, Serialize};

use super::MongoStore;
use super::error::{is_duplicate_key, map};
use super::user_docs::bson_date;
use crate::domain::auction::decide_bid;
use crate::domain::{Bid, BidRejection, BidRequest, Cursor, Listing, Offer};
use crate::store::bids::{
    AcceptOutcome, BID_ATTEMPTS, BidQuery, BidStore, ItemPage, OfferQuery, bid_cursor, into_page,
    offer_cursor, open_offer_slot,
};
use crate::store::{ListingStore, StoreError};

/// Name of the bids collection.
pub const BIDS: &str = "bids";
/// Name of the offers collection.
pub const OFFERS: &str = "offers";

/// Serialises this process's offer writes (see above).
static OFFER_WRITES: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Stored form of a bid.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BidDoc {
    #[serde(rename = "_id")]
    id: String,
    listing_id: String,
    bidder_id: String,
    amount_cents: i64,
    sealed: bool,
    seq: i64,
    slot: String,
    ends_at: BsonDateTime,
    placed_at: BsonDateTime,
}

impl From<&Bid> for BidDoc {
    fn from(b: &Bid) -> Self {
        Self {
            id: b.id.clone(),
            listing_id: b.listing_id.clone(),
            bidder_id: b.bidder_id.clone(),
            amount_cents: b.amount_cents,
            sealed: b.sealed,
            seq: i64::from(b.seq),
            slot: b.slot(),
            ends_at: bson_date(b.ends_at),
            placed_at: bson_date(b.placed_at),
        }
    }
}

impl TryFrom<BidDoc> for Bid {
    type Error = StoreError;

    fn try_from(d: BidDoc) -> Result<Self, StoreError> {
        Ok(Bid {
            seq: u32::try_from(d.seq).map_err(|_| StoreError::Corrupt {
                id: d.id.clone(),
                reason: format!("bid seq {} out of range", d.seq),
            })?,
            ends_at: chrono_date(d.ends_at, &d.id)?,
            placed_at: chrono_date(d.placed_at, &d.id)?,
            id: d.id,
            listing_id: d.listing_id,
            bidder_id: d.bidder_id,
            amount_cents: d.amount_cents,
            sealed: d.sealed,
        })
    }
}

/// Stored form of an offer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OfferDoc {
    #[serde(rename = "_id")]
    id: String,
    listing_id: String,
    buyer_id: String,
    seller_id: Option<String>,
    amount_cents: i64,
    counter_cents: Option<i64>,
    message: Option<String>,
    status: String,
    version: i64,
    open_slot: String,
    created_at: BsonDateTime,
    updated_at: BsonDateTime,
}

impl From<&Offer> for OfferDoc {
    fn from(o: &Offer) -> Self {
        Self {
            id: o.id.clone(),
            listing_id: o.listing_id.clone(),
            buyer_id: o.buyer_id.clone(),
            seller_id: o.seller_id.clone(),
            amount_cents: o.amount_cents,
            counter_cents: o.counter_cents,
            message: o.message.clone(),
            status: o.status.as_str().to_owned(),
            version: o.version,
            open_slot: open_offer_slot(o),
            created_at: bson_date(o.created_at),
            updated_at: bson_date(o.updated_at),
        }
    }
}

impl TryFrom<OfferDoc> for Offer {
    type Error = StoreError;

    fn try_from(d: OfferDoc) -> Result<Self, StoreError> {
        Ok(Offer {
            status: d.status.parse().map_err(|e| StoreError::Corrupt {
                id: d.id.clone(),
                reason: format!("{e}"),
            })?,
            created_at: chrono_date(d.created_at, &d.id)?,
            updated_at: chrono_date(d.updated_at, &d.id)?,
            id: d.id,
            listing_id: d.listing_id,
            buyer_id: d.buyer_id,
            seller_id: d.seller_id,
            amount_cents: d.amount_cents,
            counter_cents: d.counter_cents,
            message: d.message,
            version: d.version,
        })
    }
}

/// `(time, _id) < cursor` for the newest-first order on `time_field`.
fn after(time_field: &str, c: &Cursor) -> Document {
    let at = BsonDateTime::from_millis(c.created_at_ms);
    doc! { "$or": [
        { time_field: { "$lt": at } },
        { time_field: at, "_id": { "$lt": c.id.as_str() } },
    ] }
}

fn chrono_date(d: BsonDateTime, id: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp_millis(d.timestamp_millis()).ok_or_else(|| StoreError::Corrupt {
        id: id.to_owned(),
        reason: format!("date {d} out of range"),
    })
}

fn and(all: Vec<Document>) -> Document {
    if all.is_empty() {
        doc! {}
    } else {
        doc! { "$and": all }
    }
}

impl MongoStore {
    fn bids(&self) -> mongodb::Collection<BidDoc> {
        self.db.collection(BIDS)
    }

    fn offers(&self) -> mongodb::Collection<OfferDoc> {
        self.db.collection(OFFERS)
    }

    /// The `$set` of an offer's changeable fields and the filter of its expected version.
    async fn cas_offer(&self, o: &Offer, expected_version: i64) -> Result<bool, StoreError> {
        let d = OfferDoc::from(o);
        let set = doc! {
            "amount_cents": d.amount_cents,
            "counter_cents": d.counter_cents.map_or(Bson::Null, Bson::Int64),
            "message": d.message.map_or(Bson::Null, Bson::String),
            "status": d.status,
            "version": d.version,
            "open_slot": d.open_slot,
            "updated_at": d.updated_at,
        };
        let res = self
            .offers()
            .update_one(
                doc! { "_id": o.id.as_str(), "version": expected_version },
                doc! { "$set": set },
            )
            .await
            .map_err(|e| map(e, "update offer"))?;
        Ok(res.matched_count == 1)
    }
}

#[async_trait]
impl BidStore for MongoStore {
    async fn place_bid(&self, req: &BidRequest) -> Result<Result<Bid, BidRejection>, StoreError> {
        for _ in 0..BID_ATTEMPTS {
            let Some(listing) = self.get(&req.listing_id).await? else {
                return Ok(Err(BidRejection::NoListing));
            };
            let top = self.top_bid(&req.listing_id).await?;
            let own_sealed = self
                .bids()
                .find_one(doc! {
                    "listing_id": req.listing_id.as_str(),
                    "bidder_id": req.bidder_id.as_str(),
                    "sealed": true,
                })
                .await
                .map_err(|e| map(e, "place bid"))?
                .is_some();
            let bid = match decide_bid(&listing, top.as_ref(), own_sealed, req) {
                Ok(bid) => bid,
                Err(rejection) => return Ok(Err(rejection)),
            };
            match self.bids().insert_one(BidDoc::from(&bid)).await {
                Ok(_) => return Ok(Ok(bid)),
                // Another bid took the slot: decide again on the new state.
                Err(e) if is_duplicate_key(&e) => continue,
                Err(e) => return Err(map(e, "place bid")),
            }
        }
        Ok(Err(BidRejection::Busy))
    }

    async fn top_bid(&self, listing_id: &str) -> Result<Option<Bid>, StoreError> {
        self.bids()
            .find_one(doc! { "listing_id": listing_id })
            .sort(doc! { "amount_cents": -1, "placed_at": 1, "_id": 1 })
            .await
            .map_err(|e| map(e, "top bid"))?
            .map(Bid::try_from)
            .transpose()
    }

    async fn bid_count(&self, listing_id: &str) -> Result<u64, StoreError> {
        self.bids()
            .count_documents(doc! { "listing_id": listing_id })
            .await
            .map_err(|e| map(e, "count bids"))
    }

    async fn bids_page(&self, query: &BidQuery) -> Result<ItemPage<Bid>, StoreError> {
        let mut all = Vec::new();
        if let Some(l) = &query.listing_id {
            all.push(doc! { "listing_id": l.as_str() });
        }
        if let Some(b) = &query.bidder_id {
            all.push(doc! { "bidder_id": b.as_str() });
        }
        if let Some(c) = &query.after {
            all.push(after("placed_at", c));
        }
        let docs: Vec<BidDoc> = self
            .bids()
            .find(and(all))
            .sort(doc! { "placed_at": -1, "_id": -1 })
            .limit(i64::from(query.limit) + 1)
            .await
            .map_err(|e| map(e, "read bids"))?
            .try_collect()
            .await
            .map_err(|e| map(e, "read bids"))?;
        let items = docs
            .into_iter()
            .map(Bid::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(into_page(items, query.limit, bid_cursor))
    }

    async fn create_offer(&self, offer: &Offer) -> Result<(), StoreError> {
        match self.offers().insert_one(OfferDoc::from(offer)).await {
            Ok(_) => Ok(()),
            Err(e) if is_duplicate_key(&e) => Err(StoreError::Conflict(format!(
                "an open offer by this buyer on listing {}",
                offer.listing_id
            ))),
            Err(e) => Err(map(e, "create offer")),
        }
    }

    async fn offer(&self, id: &str) -> Result<Option<Offer>, StoreError> {
        self.offers()
            .find_one(doc! { "_id": id })
            .await
            .map_err(|e| map(e, "read offer"))?
            .map(Offer::try_from)
            .transpose()
    }

    async fn update_offer(&self, offer: &Offer, expected_version: i64) -> Result<bool, StoreError> {
        let _serial = OFFER_WRITES.lock().await;
        self.cas_offer(offer, expected_version).await
    }

    async fn accept_offer(
        &self,
        offer: &Offer,
        expected_version: i64,
        listing: &Listing,
        listing_expected: DateTime<Utc>,
    ) -> Result<AcceptOutcome, StoreError> {
        let _serial = OFFER_WRITES.lock().await;
        let Some(before) = self.offer(&offer.id).await? else {
            return Ok(AcceptOutcome::OfferChanged);
        };
        if before.version != expected_version || !self.cas_offer(offer, expected_version).await? {
            return Ok(AcceptOutcome::OfferChanged);
        }
        if !self.update(listing, listing_expected).await? {
            // Put the offer back as it was.
            self.cas_offer(&before, offer.version).await?;
            return Ok(AcceptOutcome::ListingChanged);
        }
        Ok(AcceptOutcome::Accepted)
    }

    async fn offers_page(&self, query: &OfferQuery) -> Result<ItemPage<Offer>, StoreError> {
        let mut all = Vec::new();
        if let Some(l) = &query.listing_id {
            all.push(doc! { "listing_id": l.as_str() });
        }
        if let Some(p) = &query.party_id {
            all.push(doc! { "$or": [ { "buyer_id": p.as_str() }, { "seller_id": p.as_str() } ] });
        }
        if let Some(c) = &query.after {
            all.push(after("created_at", c));
        }
        let docs: Vec<OfferDoc> = self
            .offers()
            .find(and(all))
            .sort(doc! { "created_at": -1, "_id": -1 })
            .limit(i64::from(query.limit) + 1)
            .await
            .map_err(|e| map(e, "read offers"))?
            .try_collect()
            .await
            .map_err(|e| map(e, "read offers"))?;
        let items = docs
            .into_iter()
            .map(Offer::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(into_page(items, query.limit, offer_cursor))
    }
}
