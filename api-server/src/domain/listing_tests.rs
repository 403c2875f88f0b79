//! Unit tests of the listing rules.
use super::*;
use crate::domain::terms::MAX_WELL_COUNT;
use crate::domain::{EquipmentDetails, Role};
use chrono::SubsecRound;
use chrono::TimeZone;

fn sample() -> NewListing {
    NewListing {
        title: "  320 NMA Midland County minerals ".into(),
        description: "Fee minerals under active development.".into(),
        listing_type: ListingType::MineralRights,
        status: ListingStatus::Active,
        basin: "Permian".into(),
        state: "tx".into(),
        county: "Midland".into(),
        lon: -102.03,
        lat: 31.87,
        net_acres: Some(320.0),
        gross_acres: Some(640.0),
        nri_pct: Some(80.0),
        wi_pct: None,
        oil_bbl_d: Some(30.0),
        gas_mcf_d: None,
        asking_price_cents: 250_000_000,
        sale_type: SaleType::Auction,
        ..NewListing::default()
    }
}

fn at() -> DateTime<Utc> {
    Utc.timestamp_opt(1_700_000_000, 123_456_789).unwrap()
}

#[test]
fn valid_listing_is_normalised() {
    let l = sample().validate("abc-1".into(), at()).unwrap();
    assert_eq!(l.title, "320 NMA Midland County minerals");
    assert_eq!(l.state.as_str(), "TX");
    assert_eq!(
        l.created_at.timestamp_subsec_nanos(),
        123_000_000,
        "truncated to ms"
    );
    assert_eq!(l.boe_d(), Some(30.0), "gas missing counts as zero");
}

#[test]
fn no_production_means_no_boe() {
    let mut n = sample();
    n.oil_bbl_d = None;
    assert_eq!(n.validate("a".into(), at()).unwrap().boe_d(), None);
}

#[test]
fn each_rule_names_its_field() {
    type Mutation = Box<dyn Fn(&mut NewListing)>;
    let cases: Vec<(&str, Mutation)> = vec![
        ("title", Box::new(|n| n.title = " ab ".into())),
        (
            "title",
            Box::new(|n| n.title = "x".repeat(MAX_TITLE_CHARS + 1)),
        ),
        ("title", Box::new(|n| n.title = "bad\u{0}title".into())),
        ("basin", Box::new(|n| n.basin = "  ".into())),
        ("county", Box::new(|n| n.county = String::new())),
        ("state", Box::new(|n| n.state = "Texas".into())),
        ("location.lat", Box::new(|n| n.lat = 91.0)),
        ("net_acres", Box::new(|n| n.net_acres = Some(-1.0))),
        ("net_acres", Box::new(|n| n.net_acres = Some(700.0))),
        ("gross_acres", Box::new(|n| n.gross_acres = Some(f64::NAN))),
        ("nri_pct", Box::new(|n| n.nri_pct = Some(101.0))),
        ("wi_pct", Box::new(|n| n.wi_pct = Some(-3.0))),
        ("gas_mcf_d", Box::new(|n| n.gas_mcf_d = Some(-0.1))),
        (
            "asking_price_cents",
            Box::new(|n| n.asking_price_cents = -1),
        ),
    ];
    for (field, mutate) in cases {
        let mut n = sample();
        mutate(&mut n);
        let err = n.validate("id".into(), at()).unwrap_err();
        assert_eq!(err.field, field, "{err}");
    }
}

#[test]
fn ids_are_url_and_store_safe() {
    assert!(validate_id(&new_listing_id()).is_ok());
    for bad in ["", "a/b", "a b", "$ne", "é", &"x".repeat(65)] {
        assert!(validate_id(bad).is_err(), "{bad:?} accepted");
    }
    assert_eq!(
        sample().validate("a.b".into(), at()).unwrap_err().field,
        "id"
    );
}

#[test]
fn management_and_visibility() {
    let mut l = sample().validate("a".into(), at()).unwrap();
    l.seller_id = Some("s1".into());
    assert!(l.is_managed_by("s1", Role::Seller));
    assert!(!l.is_managed_by("s2", Role::Seller));
    assert!(
        !l.is_managed_by("s1", Role::Buyer),
        "a demoted seller manages nothing"
    );
    assert!(l.is_managed_by("x", Role::Admin));
    l.status = ListingStatus::Draft;
    assert!(!l.is_visible_to(None));
    assert!(!l.is_visible_to(Some(("s2", Role::Seller))));
    assert!(l.is_visible_to(Some(("s1", Role::Seller))));
    l.status = ListingStatus::Withdrawn;
    assert!(l.is_visible_to(None));
}

#[test]
fn updated_at_strictly_increases() {
    let l = sample().validate("a".into(), at()).unwrap();
    assert_eq!(
        l.next_updated_at(at()),
        at().trunc_subsecs(3) + chrono::TimeDelta::milliseconds(1)
    );
    let later = at() + chrono::TimeDelta::seconds(5);
    assert_eq!(l.next_updated_at(later), later.trunc_subsecs(3));
}

#[test]
fn new_fields_are_validated() {
    type Mutation = Box<dyn Fn(&mut NewListing)>;
    let cases: Vec<(&str, Mutation)> = vec![
        (
            "royalty_rate_pct",
            Box::new(|n| n.royalty_rate_pct = Some(120.0)),
        ),
        ("operator", Box::new(|n| n.operator = Some(" ".into()))),
        (
            "legal_description",
            Box::new(|n| n.legal_description = Some("x".repeat(2_001))),
        ),
        (
            "well_count",
            Box::new(|n| n.well_count = Some(MAX_WELL_COUNT + 1)),
        ),
        (
            "api_numbers",
            Box::new(|n| n.api_numbers = vec!["123".into()]),
        ),
        (
            "api_numbers",
            Box::new(|n| {
                n.well_count = Some(1);
                n.api_numbers = vec!["4232912345".into(), "4232912346".into()];
            }),
        ),
        (
            "production_as_of",
            Box::new(|n| {
                n.oil_bbl_d = None;
                n.production_as_of = chrono::NaiveDate::from_ymd_opt(2025, 12, 1);
            }),
        ),
        (
            "equipment",
            Box::new(|n| {
                n.equipment = Some(EquipmentDetails {
                    make: "Ariel".into(),
                    model: "JGK/4".into(),
                    year: None,
                    condition: crate::domain::EquipmentCondition::Good,
                    hours: None,
                })
            }),
        ),
        (
            "bid_increment_cents",
            Box::new(|n| n.terms.bid_increment_cents = Some(-5)),
        ),
    ];
    for (field, mutate) in cases {
        let mut n = sample();
        mutate(&mut n);
        let err = n.validate("id".into(), at()).unwrap_err();
        assert_eq!(err.field, field, "{err}");
    }
}

#[test]
fn write_rules_require_equipment_and_an_end_to_publish_auctions() {
    let mut l = sample().validate("a".into(), at()).unwrap();
    assert_eq!(l.check_write_rules(at()).unwrap_err().field, "ends_at");
    l.terms.ends_at = Some(at() + chrono::TimeDelta::days(1));
    assert!(l.check_write_rules(at()).is_ok());
    assert!(
        l.check_write_rules(at() + chrono::TimeDelta::days(2))
            .is_err(),
        "end passed"
    );
    l.status = ListingStatus::Draft;
    assert!(
        l.check_write_rules(at() + chrono::TimeDelta::days(2))
            .is_ok(),
        "drafts may wait"
    );
    l.listing_type = ListingType::Equipment;
    assert_eq!(l.check_write_rules(at()).unwrap_err().field, "equipment");
}
