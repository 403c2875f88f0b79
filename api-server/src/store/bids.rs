//! Persistence of bids and offers.
//!
//! Race safety: a bid is decided by [`crate::domain::auction::decide_bid`] on the state read
//! inside one atomic step and stored under its slot ([`Bid::slot`]), which is unique per
//! listing in both stores: of two bids competing for the same slot exactly one is stored,
//! the other is decided again against the new state (and usually rejected as too low).
//! Offers change by compare-and-set on their `version`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreError;
use crate::domain::{Bid, BidRejection, BidRequest, Cursor, Listing, Offer};

/// How often a bid is decided again after losing its slot to a concurrent bid.
pub const BID_ATTEMPTS: usize = 25;

/// Which bids to read, newest first `(placed_at desc, id desc)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BidQuery {
    /// Only bids on this listing.
    pub listing_id: Option<String>,
    /// Only bids by this user.
    pub bidder_id: Option<String>,
    /// Continue after this position.
    pub after: Option<Cursor>,
    /// Page size.
    pub limit: u32,
}

impl BidQuery {
    /// The reference semantics both stores implement (ignores paging).
    pub fn matches(&self, b: &Bid) -> bool {
        self.listing_id.as_ref().is_none_or(|l| *l == b.listing_id)
            && self.bidder_id.as_ref().is_none_or(|u| *u == b.bidder_id)
    }
}

/// Which offers to read, newest first `(created_at desc, id desc)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferQuery {
    /// Only offers on this listing.
    pub listing_id: Option<String>,
    /// Only offers this user made or received (as the listing's seller).
    pub party_id: Option<String>,
    /// Continue after this position.
    pub after: Option<Cursor>,
    /// Page size.
    pub limit: u32,
}

impl OfferQuery {
    /// The reference semantics both stores implement (ignores paging).
    pub fn matches(&self, o: &Offer) -> bool {
        self.listing_id.as_ref().is_none_or(|l| *l == o.listing_id)
            && self
                .party_id
                .as_ref()
                .is_none_or(|p| *p == o.buyer_id || o.seller_id.as_ref() == Some(p))
    }
}

/// A page and the cursor of the next page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemPage<T> {
    /// Items of this page.
    pub items: Vec<T>,
    /// Position after the last item, when more may follow.
    pub next: Option<Cursor>,
}

/// What happened to an offer acceptance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AcceptOutcome {
    /// Both the offer and the listing were written.
    Accepted,
    /// The offer changed meanwhile (nothing written).
    OfferChanged,
    /// The listing changed meanwhile (nothing written).
    ListingChanged,
}

/// Bids and offers.
#[async_trait]
pub trait BidStore: Send + Sync {
    /// Decides `request` against the listing and its current high bid in one atomic step and
    /// stores the bid if accepted. `Ok(Err(_))`: rejected by the rules (nothing stored).
    async fn place_bid(
        &self,
        request: &BidRequest,
    ) -> Result<Result<Bid, BidRejection>, StoreError>;

    /// The highest bid on a listing (more money, then earlier, then smaller id). For open
    /// auctions this is also the latest bid, which carries the extended end.
    async fn top_bid(&self, listing_id: &str) -> Result<Option<Bid>, StoreError>;

    /// How many bids a listing has.
    async fn bid_count(&self, listing_id: &str) -> Result<u64, StoreError>;

    /// One page of bids matching the query, newest first.
    async fn bids_page(&self, query: &BidQuery) -> Result<ItemPage<Bid>, StoreError>;

    /// Stores a new pending offer; [`StoreError::Conflict`] when the buyer already has an
    /// open (pending or countered) offer on the listing.
    async fn create_offer(&self, offer: &Offer) -> Result<(), StoreError>;

    /// The offer with this id.
    async fn offer(&self, id: &str) -> Result<Option<Offer>, StoreError>;

    /// Replaces the offer if its version is still `expected_version`; `false` otherwise.
    async fn update_offer(&self, offer: &Offer, expected_version: i64) -> Result<bool, StoreError>;

    /// Writes an accepted offer and its listing (now under contract) together: the offer if
    /// its version is still `expected_version`, the listing if its `updated_at` is still
    /// `listing_expected`. Nothing is written unless both still match.
    async fn accept_offer(
        &self,
        offer: &Offer,
        expected_version: i64,
        listing: &Listing,
        listing_expected: DateTime<Utc>,
    ) -> Result<AcceptOutcome, StoreError>;

    /// One page of offers matching the query, newest first.
    async fn offers_page(&self, query: &OfferQuery) -> Result<ItemPage<Offer>, StoreError>;
}

/// Turns a page fetched with `limit + 1` items into an [`ItemPage`].
pub(crate) fn into_page<T>(
    mut items: Vec<T>,
    limit: u32,
    key: impl Fn(&T) -> Cursor,
) -> ItemPage<T> {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let next = if items.len() > limit {
        items.truncate(limit);
        items.last().map(key)
    } else {
        None
    };
    ItemPage { items, next }
}

/// The cursor just after a bid in the newest-first order.
pub fn bid_cursor(b: &Bid) -> Cursor {
    Cursor {
        created_at_ms: b.placed_at.timestamp_millis(),
        id: b.id.clone(),
    }
}

/// The cursor just after an offer in the newest-first order.
pub fn offer_cursor(o: &Offer) -> Cursor {
    Cursor {
        created_at_ms: o.created_at.timestamp_millis(),
        id: o.id.clone(),
    }
}

/// The slot that keeps one open offer per buyer and listing: `<listing>:<buyer>` while the
/// offer is open, its own id once it is closed (so closed offers never collide).
pub fn open_offer_slot(o: &Offer) -> String {
    if o.status.is_open() {
        format!("{}:{}", o.listing_id, o.buyer_id)
    } else {
        format!("closed:{}", o.id)
    }
}
