//! Conformance cases: bids (rules applied atomically, one winner per slot) and offers
//! (compare-and-set, one open offer per buyer and listing, acceptance with the listing).

use chrono::{DateTime, Duration, Utc};
use futures::future::join_all;
use ogf_api::domain::{
    Bid, BidRejection, BidRequest, Cursor, Listing, ListingMeta, ListingStatus, Offer, OfferAction,
    OfferParty, OfferStatus, SaleType,
};
use ogf_api::store::bids::{AcceptOutcome, BidQuery, OfferQuery};
use ogf_api::store::{Store, StoreError};

use crate::support::{input, t0};

/// An active listing of `sale_type` by `seller`, ending an hour after `t0`, asking $10.00
/// (auctions: increment $1.00, reserve $50.00).
pub(crate) fn sale(id: &str, sale_type: SaleType) -> Listing {
    let mut n = input("Sale lot", "For bids and offers.");
    n.sale_type = sale_type;
    n.asking_price_cents = 1_000;
    if sale_type != SaleType::BestOffer && sale_type != SaleType::Fixed {
        n.terms.ends_at = Some(t0() + Duration::minutes(60));
        n.terms.reserve_price_cents = Some(5_000);
    }
    if sale_type == SaleType::Auction {
        n.terms.bid_increment_cents = Some(100);
    }
    let mut meta = ListingMeta::new(id.into(), t0() - Duration::days(1));
    meta.seller_id = Some("seller".into());
    n.validate_with(meta).unwrap()
}

fn req(listing: &str, bidder: &str, amount: i64, at: DateTime<Utc>) -> BidRequest {
    BidRequest {
        id: uuid::Uuid::now_v7().to_string(),
        listing_id: listing.into(),
        bidder_id: bidder.into(),
        amount_cents: amount,
        at,
    }
}

async fn all_bids(store: &dyn Store, query: BidQuery) -> Vec<Bid> {
    let mut q = query;
    let mut out = Vec::new();
    loop {
        let page = store.bids_page(&q).await.unwrap();
        assert!(page.items.len() <= q.limit as usize);
        out.extend(page.items);
        match page.next {
            Some(c) => q.after = Some(c),
            None => return out,
        }
    }
}

fn by_listing(listing: &str, limit: u32) -> BidQuery {
    BidQuery {
        listing_id: Some(listing.into()),
        bidder_id: None,
        after: None,
        limit,
    }
}

pub async fn bids_follow_the_auction_rules(store: &dyn Store) {
    store.insert(&sale("a1", SaleType::Auction)).await.unwrap();
    store.insert(&sale("fixed", SaleType::Fixed)).await.unwrap();
    let at = |m: i64| t0() + Duration::minutes(m);
    let place = |r: BidRequest| async move { store.place_bid(&r).await.unwrap() };
    assert_eq!(
        place(req("nope", "b1", 1_000, at(0))).await,
        Err(BidRejection::NoListing)
    );
    assert_eq!(
        place(req("fixed", "b1", 1_000, at(0))).await,
        Err(BidRejection::NotBiddable)
    );
    assert_eq!(
        place(req("a1", "b1", 999, at(0))).await,
        Err(BidRejection::TooLow {
            minimum_cents: 1_000
        })
    );
    assert_eq!(
        place(req("a1", "seller", 1_000, at(0))).await,
        Err(BidRejection::OwnListing)
    );
    assert_eq!(store.top_bid("a1").await.unwrap(), None);
    let first = place(req("a1", "b1", 1_000, at(0))).await.unwrap();
    assert_eq!((first.seq, first.ends_at), (1, at(60)));
    assert_eq!(
        place(req("a1", "b2", 1_099, at(1))).await,
        Err(BidRejection::TooLow {
            minimum_cents: 1_100
        })
    );
    let second = place(req("a1", "b2", 1_100, at(1))).await.unwrap();
    // Soft close: 3 minutes before the end, the end moves 5 minutes.
    let late = place(req("a1", "b1", 1_500, at(57))).await.unwrap();
    assert_eq!((late.seq, late.ends_at), (3, at(65)));
    let in_extension = place(req("a1", "b3", 1_600, at(64))).await.unwrap();
    assert_eq!(in_extension.ends_at, at(70));
    assert_eq!(
        place(req("a1", "b2", 9_000, at(70))).await,
        Err(BidRejection::Ended)
    );
    assert_eq!(
        store.top_bid("a1").await.unwrap().as_ref(),
        Some(&in_extension)
    );
    assert_eq!(store.bid_count("a1").await.unwrap(), 4);
    assert_eq!(store.bid_count("fixed").await.unwrap(), 0);
    // Newest first, with every page size; by bidder across listings.
    let newest: Vec<Bid> = vec![in_extension.clone(), late.clone(), second, first.clone()];
    for limit in [1, 2, 3, 10] {
        assert_eq!(all_bids(store, by_listing("a1", limit)).await, newest);
    }
    let mine = BidQuery {
        listing_id: None,
        bidder_id: Some("b1".into()),
        after: None,
        limit: 1,
    };
    assert_eq!(all_bids(store, mine).await, vec![late, first]);
    let after_all = BidQuery {
        after: Some(Cursor {
            created_at_ms: 0,
            id: String::new(),
        }),
        ..by_listing("a1", 10)
    };
    assert!(store.bids_page(&after_all).await.unwrap().items.is_empty());
}

pub async fn concurrent_bids_for_one_slot_exactly_one_wins(store: &dyn Store) {
    store
        .insert(&sale("race", SaleType::Auction))
        .await
        .unwrap();
    let at = t0() + Duration::minutes(1);
    for round in 0..3_i64 {
        // Every bidder offers exactly the current minimum: one slot, eight contenders.
        let minimum = 1_000 + 100 * round;
        let bidders: Vec<String> = (0..8).map(|i| format!("r{round}-b{i}")).collect();
        let results = join_all(
            bidders
                .iter()
                .map(|b| async move { store.place_bid(&req("race", b, minimum, at)).await }),
        )
        .await;
        let won: Vec<Bid> = results
            .iter()
            .filter_map(|r| r.as_ref().unwrap().as_ref().ok().cloned())
            .collect();
        assert_eq!(won.len(), 1, "round {round}: {results:?}");
        assert_eq!(won[0].seq, u32::try_from(round + 1).unwrap());
        for r in &results {
            match r.as_ref().unwrap() {
                Ok(b) => assert_eq!(b, &won[0]),
                Err(e) => assert_eq!(
                    e,
                    &BidRejection::TooLow {
                        minimum_cents: minimum + 100
                    },
                    "losers are decided again on the new high bid"
                ),
            }
        }
    }
    assert_eq!(store.bid_count("race").await.unwrap(), 3);
    // Sealed: one bid per bidder even when the same bidder sends two at once.
    store
        .insert(&sale("sealed", SaleType::SealedBid))
        .await
        .unwrap();
    let twice = join_all((0..4).map(|i| async move {
        store
            .place_bid(&req("sealed", "s1", 2_000 + i, at))
            .await
            .unwrap()
    }))
    .await;
    assert_eq!(twice.iter().filter(|r| r.is_ok()).count(), 1, "{twice:?}");
    assert!(
        twice
            .iter()
            .filter_map(|r| r.as_ref().err())
            .all(|e| *e == BidRejection::AlreadyBid)
    );
    let other = store
        .place_bid(&req("sealed", "s2", 1_500, at))
        .await
        .unwrap()
        .unwrap();
    assert!(other.sealed);
    assert_eq!(other.ends_at, t0() + Duration::minutes(60), "no soft close");
    let top = store.top_bid("sealed").await.unwrap().unwrap();
    assert_eq!(top.bidder_id, "s1", "highest sealed bid");
}

fn offer(id: &str, listing: &Listing, buyer: &str, amount: i64) -> Offer {
    Offer::new(id.into(), listing, buyer, amount, None, t0()).unwrap()
}

pub async fn offers_change_by_compare_and_set(store: &dyn Store) {
    let listing = sale("bo", SaleType::BestOffer);
    store.insert(&listing).await.unwrap();
    let o1 = offer("o1", &listing, "buyer1", 900);
    store.create_offer(&o1).await.unwrap();
    assert_eq!(store.offer("o1").await.unwrap().as_ref(), Some(&o1));
    assert_eq!(store.offer("nope").await.unwrap(), None);
    // One open offer per buyer and listing.
    let dup = offer("o1b", &listing, "buyer1", 950);
    assert!(matches!(
        store.create_offer(&dup).await,
        Err(StoreError::Conflict(_))
    ));
    let o2 = offer("o2", &listing, "buyer2", 800);
    store.create_offer(&o2).await.unwrap();

    // Two concurrent transitions from the same version: exactly one is written.
    let countered = o1
        .apply(OfferParty::Seller, OfferAction::Counter(990), t0())
        .unwrap();
    let withdrawn = o1
        .apply(OfferParty::Buyer, OfferAction::Withdraw, t0())
        .unwrap();
    let (a, b) = tokio::join!(
        store.update_offer(&countered, o1.version),
        store.update_offer(&withdrawn, o1.version)
    );
    assert!(a.unwrap() ^ b.unwrap(), "exactly one transition wins");
    let now = store.offer("o1").await.unwrap().unwrap();
    assert!(now == countered || now == withdrawn, "{now:?}");
    assert_eq!(now.version, 2);
    assert!(!store.update_offer(&countered, o1.version).await.unwrap());

    // A closed offer frees the slot: the buyer may offer again.
    if now.status == OfferStatus::Countered {
        let rejected = now
            .apply(OfferParty::Seller, OfferAction::Reject, t0())
            .unwrap();
        assert!(store.update_offer(&rejected, now.version).await.unwrap());
    }
    let o3 = offer("o3", &listing, "buyer1", 1_000);
    store.create_offer(&o3).await.unwrap();

    // Accepting writes the offer and the listing together, or neither.
    let accepted = o3
        .apply(OfferParty::Seller, OfferAction::Accept, t0())
        .unwrap();
    let mut under_contract = listing.clone();
    under_contract.status = ListingStatus::UnderContract;
    under_contract.updated_at = listing.next_updated_at(t0());
    let stale = listing.updated_at - Duration::seconds(1);
    assert_eq!(
        store
            .accept_offer(&accepted, o3.version, &under_contract, stale)
            .await
            .unwrap(),
        AcceptOutcome::ListingChanged
    );
    assert_eq!(store.offer("o3").await.unwrap().as_ref(), Some(&o3));
    assert_eq!(
        store.get("bo").await.unwrap().unwrap().status,
        ListingStatus::Active
    );
    assert_eq!(
        store
            .accept_offer(
                &accepted,
                o3.version + 1,
                &under_contract,
                listing.updated_at
            )
            .await
            .unwrap(),
        AcceptOutcome::OfferChanged
    );
    assert_eq!(
        store
            .accept_offer(&accepted, o3.version, &under_contract, listing.updated_at)
            .await
            .unwrap(),
        AcceptOutcome::Accepted
    );
    assert_eq!(store.offer("o3").await.unwrap().as_ref(), Some(&accepted));
    assert_eq!(
        store.get("bo").await.unwrap().unwrap().status,
        ListingStatus::UnderContract
    );

    // Pages: newest first, by listing and by party (buyer or seller).
    let all = |q: OfferQuery| async move {
        let mut q = q;
        let mut ids = Vec::new();
        loop {
            let page = store.offers_page(&q).await.unwrap();
            ids.extend(page.items.iter().map(|o| o.id.clone()));
            match page.next {
                Some(c) => q.after = Some(c),
                None => return ids,
            }
        }
    };
    let q = |listing: Option<&str>, party: Option<&str>| OfferQuery {
        listing_id: listing.map(str::to_owned),
        party_id: party.map(str::to_owned),
        after: None,
        limit: 1,
    };
    // Same created_at: id decides (descending).
    assert_eq!(all(q(Some("bo"), None)).await, ["o3", "o2", "o1"]);
    assert_eq!(all(q(None, Some("buyer1"))).await, ["o3", "o1"]);
    assert_eq!(all(q(None, Some("seller"))).await, ["o3", "o2", "o1"]);
    assert_eq!(all(q(Some("bo"), Some("buyer2"))).await, ["o2"]);
    assert!(all(q(None, Some("stranger"))).await.is_empty());
}
