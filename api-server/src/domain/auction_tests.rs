//! Unit tests of the bidding rules.
use super::*;
use crate::domain::{ListingMeta, NewListing};
use chrono::TimeZone;

fn t(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap() + TimeDelta::minutes(minutes)
}

fn listing(sale_type: SaleType) -> Listing {
    let mut n = NewListing {
        title: "Auction lot".into(),
        description: String::new(),
        basin: "Permian".into(),
        state: "TX".into(),
        county: "Midland".into(),
        lon: -102.0,
        lat: 31.9,
        asking_price_cents: 1_000,
        sale_type,
        ..NewListing::default()
    };
    n.terms.ends_at = Some(t(60));
    if sale_type != SaleType::BestOffer {
        n.terms.reserve_price_cents = Some(5_000);
    }
    if sale_type == SaleType::Auction {
        n.terms.bid_increment_cents = Some(100);
    }
    let mut meta = ListingMeta::new("l1".into(), t(-60));
    meta.seller_id = Some("seller".into());
    n.validate_with(meta).unwrap()
}

fn req(bidder: &str, amount: i64, at: DateTime<Utc>) -> BidRequest {
    BidRequest {
        id: format!("b-{bidder}-{amount}"),
        listing_id: "l1".into(),
        bidder_id: bidder.into(),
        amount_cents: amount,
        at,
    }
}

#[test]
fn first_bid_needs_the_asking_price_then_the_increment() {
    let l = listing(SaleType::Auction);
    assert_eq!(
        decide_bid(&l, None, false, &req("a", 999, t(0))),
        Err(BidRejection::TooLow {
            minimum_cents: 1_000
        })
    );
    let first = decide_bid(&l, None, false, &req("a", 1_000, t(0))).unwrap();
    assert_eq!((first.seq, first.ends_at, first.sealed), (1, t(60), false));
    assert_eq!(
        decide_bid(&l, Some(&first), false, &req("b", 1_099, t(1))),
        Err(BidRejection::TooLow {
            minimum_cents: 1_100
        })
    );
    let second = decide_bid(&l, Some(&first), false, &req("b", 1_100, t(1))).unwrap();
    assert_eq!(second.seq, 2);
    assert_eq!(second.slot(), "l1:2");
}

#[test]
fn soft_close_extends_by_five_minutes() {
    let l = listing(SaleType::Auction);
    let early = decide_bid(&l, None, false, &req("a", 1_000, t(54))).unwrap();
    assert_eq!(early.ends_at, t(60), "6 minutes before: no extension");
    let late = decide_bid(&l, Some(&early), false, &req("b", 1_100, t(56))).unwrap();
    assert_eq!(late.ends_at, t(65));
    assert_eq!(effective_end(&l, Some(&late)), Some(t(65)));
    // Bidding continues in the extension, and a bid in its last 5 minutes extends again.
    let later = decide_bid(&l, Some(&late), false, &req("a", 1_200, t(62))).unwrap();
    assert_eq!(later.ends_at, t(70));
    assert_eq!(
        decide_bid(&l, Some(&later), false, &req("b", 9_000, t(70))),
        Err(BidRejection::Ended)
    );
}

#[test]
fn state_and_party_rules() {
    let mut l = listing(SaleType::Auction);
    assert_eq!(
        decide_bid(&l, None, false, &req("seller", 1_000, t(0))),
        Err(BidRejection::OwnListing)
    );
    assert_eq!(
        decide_bid(&l, None, false, &req("a", 0, t(0))),
        Err(BidRejection::InvalidAmount)
    );
    assert_eq!(
        decide_bid(&l, None, false, &req("a", 1_000, t(60))),
        Err(BidRejection::Ended)
    );
    l.terms.starts_at = Some(t(10));
    assert_eq!(
        decide_bid(&l, None, false, &req("a", 1_000, t(0))),
        Err(BidRejection::NotStarted(t(10)))
    );
    l.status = ListingStatus::UnderContract;
    assert_eq!(
        decide_bid(&l, None, false, &req("a", 1_000, t(20))),
        Err(BidRejection::NotActive(ListingStatus::UnderContract))
    );
    let fixed = listing(SaleType::BestOffer);
    assert_eq!(
        decide_bid(&fixed, None, false, &req("a", 1_000, t(0))),
        Err(BidRejection::NotBiddable)
    );
}

#[test]
fn sealed_bids_one_per_bidder_without_extension() {
    let l = listing(SaleType::SealedBid);
    let b = decide_bid(&l, None, false, &req("a", 2_000, t(59))).unwrap();
    assert_eq!((b.sealed, b.seq, b.ends_at), (true, 0, t(60)));
    assert_eq!(b.slot(), "l1:sealed:a");
    // A lower sealed bid than the current top is fine (bids are independent).
    let c = decide_bid(&l, Some(&b), false, &req("c", 1_000, t(59))).unwrap();
    assert_eq!(c.amount_cents, 1_000);
    assert_eq!(
        decide_bid(&l, Some(&b), true, &req("a", 3_000, t(59))),
        Err(BidRejection::AlreadyBid)
    );
}

#[test]
fn outcome_respects_the_reserve() {
    let l = listing(SaleType::Auction);
    assert_eq!(outcome(&l, None, t(0)), AuctionOutcome::Open);
    assert_eq!(outcome(&l, None, t(60)), AuctionOutcome::NoBids);
    let low = decide_bid(&l, None, false, &req("a", 4_999, t(0))).unwrap();
    assert_eq!(
        outcome(&l, Some(&low), t(60)),
        AuctionOutcome::ReserveNotMet
    );
    let high = decide_bid(&l, Some(&low), false, &req("b", 5_099, t(1))).unwrap();
    assert_eq!(outcome(&l, Some(&high), t(59)), AuctionOutcome::Open);
    assert_eq!(
        outcome(&l, Some(&high), t(60)),
        AuctionOutcome::Won(high.clone())
    );
    assert!(outranks(&high, &low));
    let tie = Bid {
        id: "z".into(),
        placed_at: high.placed_at + TimeDelta::seconds(1),
        ..high.clone()
    };
    assert!(outranks(&high, &tie), "earlier wins a tie");
    assert!(!outranks(&tie, &high));
}
