//! Unit tests of the offer life cycle.
use super::*;
use crate::domain::{ListingMeta, NewListing};
use chrono::TimeZone;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap()
}

fn listing(sale_type: SaleType) -> Listing {
    let n = NewListing {
        title: "Best offer lot".into(),
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
    let mut meta = ListingMeta::new("l1".into(), now());
    meta.seller_id = Some("seller".into());
    n.validate_with(meta).unwrap()
}

fn offer() -> Offer {
    Offer::new(
        "o1".into(),
        &listing(SaleType::BestOffer),
        "buyer",
        900,
        Some(" cash, 30 days ".into()),
        now(),
    )
    .unwrap()
}

#[test]
fn new_offers_are_checked() {
    let o = offer();
    assert_eq!(o.status, OfferStatus::Pending);
    assert_eq!(o.message.as_deref(), Some("cash, 30 days"));
    assert_eq!(o.seller_id.as_deref(), Some("seller"));
    let l = listing(SaleType::BestOffer);
    let field = |r: Result<Offer, ValidationError>| r.unwrap_err().field;
    assert_eq!(
        field(Offer::new("x".into(), &l, "buyer", 0, None, now())),
        "amount_cents"
    );
    assert_eq!(
        field(Offer::new("x".into(), &l, "seller", 10, None, now())),
        "listing"
    );
    let fixed = listing(SaleType::Fixed);
    assert_eq!(
        field(Offer::new("x".into(), &fixed, "buyer", 10, None, now())),
        "listing"
    );
    let long = "x".repeat(MAX_MESSAGE_CHARS + 1);
    assert_eq!(
        field(Offer::new("x".into(), &l, "buyer", 10, Some(long), now())),
        "message"
    );
}

#[test]
fn transition_table() {
    use OfferAction::*;
    use OfferParty::*;
    let pending = offer();
    let countered = pending.apply(Seller, Counter(950), now()).unwrap();
    assert_eq!(countered.status, OfferStatus::Countered);
    assert_eq!(countered.version, 2);
    let cases: Vec<(&Offer, OfferParty, OfferAction, Option<OfferStatus>)> = vec![
        (&pending, Seller, Accept, Some(OfferStatus::Accepted)),
        (&pending, Seller, Reject, Some(OfferStatus::Rejected)),
        (&pending, Buyer, Withdraw, Some(OfferStatus::Withdrawn)),
        (&pending, Buyer, Accept, None),
        (&pending, Seller, Withdraw, None),
        (&pending, Buyer, Counter(2_000), None),
        (&countered, Buyer, Accept, Some(OfferStatus::Accepted)),
        (&countered, Buyer, Withdraw, Some(OfferStatus::Withdrawn)),
        (&countered, Seller, Reject, Some(OfferStatus::Rejected)),
        (&countered, Seller, Accept, None),
        (&countered, Seller, Counter(2_000), None),
    ];
    for (o, party, action, want) in cases {
        let got = o.apply(party, action, now()).map(|n| n.status).ok();
        assert_eq!(got, want, "{party:?} {action:?} on {}", o.status);
    }
    let accepted = countered.apply(Buyer, Accept, now()).unwrap();
    assert_eq!(accepted.agreed_cents(), Some(950));
    assert_eq!(
        pending.apply(Seller, Accept, now()).unwrap().agreed_cents(),
        Some(900)
    );
    for action in [Accept, Reject, Withdraw, Counter(5_000)] {
        for party in [Buyer, Seller] {
            assert!(accepted.apply(party, action, now()).is_err(), "final");
        }
    }
    let err = pending.apply(Seller, Counter(900), now()).unwrap_err();
    assert!(matches!(err, OfferError::Invalid(ref v) if v.field == "counter_cents"));
    assert_eq!(
        pending.apply(Buyer, Accept, now()).unwrap_err().to_string(),
        "the buyer cannot accept an offer that is pending"
    );
}
