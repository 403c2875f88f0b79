//! Bids on `auction` and `sealed_bid` listings: which bids are accepted, the soft close, and
//! how an ended sale turns out. No I/O: the stores call [`decide_bid`] inside their atomic
//! write, with the state they read in it.
//!
//! Rules:
//! - bidding is open while the listing is `active`, from `starts_at` (if any) until the
//!   effective end: the listing's `ends_at`, or later when bids extended it;
//! - open auctions: the first bid must be at least the asking price (the opening bid), every
//!   later bid at least the current high bid plus the bid increment (default
//!   [`DEFAULT_INCREMENT_CENTS`]); a bid less than [`SOFT_CLOSE`] before the end moves the
//!   end [`SOFT_CLOSE`] later;
//! - sealed bids: at least the asking price, one per bidder, no extension; amounts stay
//!   hidden from other bidders until the end;
//! - the seller never bids on their own listing;
//! - after the end, the highest bid wins if it reaches the reserve price (which is never
//!   revealed); ties of sealed bids go to the earlier bid.

use chrono::{DateTime, TimeDelta, Utc};

use super::kinds::{ListingStatus, SaleType};
use super::listing::Listing;

/// The soft-close window, and how far a bid inside it moves the end.
pub const SOFT_CLOSE: TimeDelta = TimeDelta::minutes(5);
/// Bid increment of auctions that do not set one, cents ($1).
pub const DEFAULT_INCREMENT_CENTS: i64 = 100;
/// Largest accepted amount of a bid or offer, cents ($10 trillion).
pub const MAX_AMOUNT_CENTS: i64 = 1_000_000_000_000_000;

/// An accepted bid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bid {
    /// Unique id (UUID v7).
    pub id: String,
    /// The listing bid on.
    pub listing_id: String,
    /// Who bid.
    pub bidder_id: String,
    /// Amount, cents.
    pub amount_cents: i64,
    /// A sealed bid (hidden from other bidders until the end).
    pub sealed: bool,
    /// Position among the listing's open-auction bids, from 1 (0 for sealed bids). Two bids
    /// never share a position: this is the slot concurrent bidders compete for.
    pub seq: u32,
    /// The effective end of bidding after this bid (moved by the soft close).
    pub ends_at: DateTime<Utc>,
    /// When it was placed (millisecond precision).
    pub placed_at: DateTime<Utc>,
}

impl Bid {
    /// The key that is unique per listing in both stores: the position of an open-auction
    /// bid, the bidder of a sealed bid.
    pub fn slot(&self) -> String {
        if self.sealed {
            format!("{}:sealed:{}", self.listing_id, self.bidder_id)
        } else {
            format!("{}:{}", self.listing_id, self.seq)
        }
    }
}

/// A bid as requested, before the rules are applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BidRequest {
    /// Id for the bid if it is accepted.
    pub id: String,
    /// The listing.
    pub listing_id: String,
    /// Who bids.
    pub bidder_id: String,
    /// Amount, cents.
    pub amount_cents: i64,
    /// Now.
    pub at: DateTime<Utc>,
}

/// Why a bid was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BidRejection {
    /// The listing does not exist.
    #[error("no such listing")]
    NoListing,
    /// The listing is not sold by auction or sealed bid.
    #[error("this listing is not sold by auction or sealed bid")]
    NotBiddable,
    /// The listing is not active (draft, under contract, sold, withdrawn).
    #[error("bidding is closed: the listing is {0}")]
    NotActive(ListingStatus),
    /// Before `starts_at`.
    #[error("bidding opens at {0}")]
    NotStarted(DateTime<Utc>),
    /// At or after the effective end (or no end time is set).
    #[error("bidding has ended")]
    Ended,
    /// Sellers do not bid on their own listings.
    #[error("sellers cannot bid on their own listings")]
    OwnListing,
    /// Below the minimum.
    #[error("the bid must be at least {minimum_cents} cents")]
    TooLow {
        /// The lowest acceptable amount now.
        minimum_cents: i64,
    },
    /// Not a positive amount within [`MAX_AMOUNT_CENTS`].
    #[error("amount_cents must be within 1-{MAX_AMOUNT_CENTS}")]
    InvalidAmount,
    /// One sealed bid per bidder.
    #[error("you already placed a sealed bid on this listing")]
    AlreadyBid,
    /// Other bids kept winning the slot; the caller may retry.
    #[error("too many concurrent bids; try again")]
    Busy,
}

/// Checks an amount of a bid or offer: 1 ..= [`MAX_AMOUNT_CENTS`].
pub fn valid_amount(cents: i64) -> bool {
    (1..=MAX_AMOUNT_CENTS).contains(&cents)
}

/// Whether the listing takes bids at all (auction or sealed bid).
pub fn is_biddable(listing: &Listing) -> bool {
    matches!(listing.sale_type, SaleType::Auction | SaleType::SealedBid)
}

/// When bidding ends: the later of the listing's `ends_at` and the end set by the latest
/// open-auction bid (`top`); `None` when neither exists.
pub fn effective_end(listing: &Listing, top: Option<&Bid>) -> Option<DateTime<Utc>> {
    let extended = top.filter(|b| !b.sealed).map(|b| b.ends_at);
    match (listing.terms.ends_at, extended) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

/// The lowest acceptable next bid: the asking price first, then (open auctions) the high bid
/// plus the increment.
pub fn minimum_bid(listing: &Listing, top: Option<&Bid>) -> i64 {
    let opening = listing.asking_price_cents.max(1);
    match top {
        Some(b) if listing.sale_type == SaleType::Auction => b
            .amount_cents
            .saturating_add(
                listing
                    .terms
                    .bid_increment_cents
                    .unwrap_or(DEFAULT_INCREMENT_CENTS),
            )
            .max(opening),
        _ => opening,
    }
}

/// Applies the rules to a bid request. `top` is the listing's current high bid (for open
/// auctions: the latest), `own_sealed` whether the bidder already has a sealed bid on it.
pub fn decide_bid(
    listing: &Listing,
    top: Option<&Bid>,
    own_sealed: bool,
    req: &BidRequest,
) -> Result<Bid, BidRejection> {
    if !is_biddable(listing) {
        return Err(BidRejection::NotBiddable);
    }
    if listing.status != ListingStatus::Active {
        return Err(BidRejection::NotActive(listing.status));
    }
    if listing.is_owned_by(&req.bidder_id) {
        return Err(BidRejection::OwnListing);
    }
    if let Some(start) = listing.terms.starts_at
        && req.at < start
    {
        return Err(BidRejection::NotStarted(start));
    }
    let end = effective_end(listing, top).ok_or(BidRejection::Ended)?;
    if req.at >= end {
        return Err(BidRejection::Ended);
    }
    if !valid_amount(req.amount_cents) {
        return Err(BidRejection::InvalidAmount);
    }
    let minimum_cents = minimum_bid(listing, top);
    if req.amount_cents < minimum_cents {
        return Err(BidRejection::TooLow { minimum_cents });
    }
    let sealed = listing.sale_type == SaleType::SealedBid;
    if sealed && own_sealed {
        return Err(BidRejection::AlreadyBid);
    }
    let (seq, ends_at) = if sealed {
        (0, end)
    } else {
        let seq = top.map_or(1, |b| b.seq.saturating_add(1));
        let ends_at = if end - req.at <= SOFT_CLOSE {
            end + SOFT_CLOSE
        } else {
            end
        };
        (seq, ends_at)
    };
    Ok(Bid {
        id: req.id.clone(),
        listing_id: req.listing_id.clone(),
        bidder_id: req.bidder_id.clone(),
        amount_cents: req.amount_cents,
        sealed,
        seq,
        ends_at,
        placed_at: chrono::SubsecRound::trunc_subsecs(req.at, 3),
    })
}

/// How a bidding sale stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuctionOutcome {
    /// Bidding is still open.
    Open,
    /// Ended without bids.
    NoBids,
    /// Ended; the high bid is below the reserve price: no sale.
    ReserveNotMet,
    /// Ended; this bid wins.
    Won(Bid),
}

impl AuctionOutcome {
    /// `open`, `no_bids`, `reserve_not_met` or `won`.
    pub fn as_str(&self) -> &'static str {
        match self {
            AuctionOutcome::Open => "open",
            AuctionOutcome::NoBids => "no_bids",
            AuctionOutcome::ReserveNotMet => "reserve_not_met",
            AuctionOutcome::Won(_) => "won",
        }
    }
}

/// The outcome at `now`, given the listing's highest bid (`top`).
pub fn outcome(listing: &Listing, top: Option<&Bid>, now: DateTime<Utc>) -> AuctionOutcome {
    match effective_end(listing, top) {
        Some(end) if now < end => AuctionOutcome::Open,
        _ => match top {
            None => AuctionOutcome::NoBids,
            Some(b) if b.amount_cents < listing.terms.reserve_price_cents.unwrap_or(0) => {
                AuctionOutcome::ReserveNotMet
            }
            Some(b) => AuctionOutcome::Won(b.clone()),
        },
    }
}

/// Whether `a` ranks above `b` as the high bid: more money, then earlier, then smaller id.
pub fn outranks(a: &Bid, b: &Bid) -> bool {
    use std::cmp::Reverse;
    (Reverse(a.amount_cents), a.placed_at, &a.id) < (Reverse(b.amount_cents), b.placed_at, &b.id)
}

#[cfg(test)]
#[path = "auction_tests.rs"]
mod tests;
