//! Unit tests of conversation rules and message validation.
use super::*;
use crate::domain::{ListingMeta, NewListing};
use chrono::TimeZone;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap()
}

fn listing(status: ListingStatus, seller: Option<&str>) -> Listing {
    let n = NewListing {
        title: "Permian minerals".into(),
        description: String::new(),
        basin: "Permian".into(),
        state: "TX".into(),
        county: "Midland".into(),
        lon: -102.0,
        lat: 31.9,
        asking_price_cents: 1_000,
        status,
        ..NewListing::default()
    };
    let mut meta = ListingMeta::new("l1".into(), now());
    meta.seller_id = seller.map(str::to_owned);
    n.validate_with(meta).unwrap()
}

#[test]
fn starts_on_selling_listings_of_someone_else() {
    for status in [ListingStatus::Active, ListingStatus::UnderContract] {
        let c = Conversation::start("c1".into(), &listing(status, Some("s")), "b", now()).unwrap();
        assert_eq!((c.buyer_id.as_str(), c.seller_id.as_str()), ("b", "s"));
        assert_eq!((c.last_seq, c.buyer_read_seq, c.seller_read_seq), (0, 0, 0));
        assert_eq!(c.party("b"), Some(ConversationParty::Buyer));
        assert_eq!(c.party("s"), Some(ConversationParty::Seller));
        assert_eq!(c.party("admin"), None);
        assert_eq!(c.counterpart("b"), "s");
        assert_eq!(c.counterpart("s"), "b");
    }
}

#[test]
fn refuses_own_sellerless_and_closed_listings() {
    let active = listing(ListingStatus::Active, Some("s"));
    assert_eq!(
        Conversation::start("c".into(), &active, "s", now()),
        Err(StartError::OwnListing)
    );
    let demo = listing(ListingStatus::Active, None);
    assert_eq!(
        Conversation::start("c".into(), &demo, "b", now()),
        Err(StartError::NoSeller)
    );
    for status in [
        ListingStatus::Draft,
        ListingStatus::Sold,
        ListingStatus::Withdrawn,
    ] {
        let l = listing(status, Some("s"));
        assert_eq!(
            Conversation::start("c".into(), &l, "b", now()),
            Err(StartError::Closed(status))
        );
    }
}

#[test]
fn bodies_are_trimmed_and_bounded() {
    assert_eq!(
        message_body("  hello\r\nthere\t ").unwrap(),
        "hello\r\nthere"
    );
    assert!(message_body("   \n ").is_err());
    assert!(message_body("").is_err());
    assert!(message_body("bell\u{7}").is_err());
    let max = "é".repeat(MAX_BODY_CHARS);
    assert_eq!(message_body(&max).unwrap(), max);
    assert!(message_body(&format!("{max}x")).is_err());
}

#[test]
fn previews_are_short_single_lines() {
    assert_eq!(preview("a\nb"), "a b");
    let long = "x".repeat(PREVIEW_CHARS + 10);
    assert_eq!(preview(&long).chars().count(), PREVIEW_CHARS);
}
