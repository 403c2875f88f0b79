//! Conformance cases: the full listing, optimistic updates, deletes and view counts.

use chrono::{Duration, NaiveDate};
use ogf_api::domain::{
    EquipmentCondition, EquipmentDetails, ListingFilter, ListingStatus, ListingType, SaleType,
    Visibility,
};
use ogf_api::store::ListingStore;

use crate::support::{input, make, t0, walk};

/// A listing with every optional field set.
fn full() -> ogf_api::domain::Listing {
    let mut n = input("Full WI package", "Every field set.");
    n.listing_type = ListingType::WorkingInterest;
    n.legal_description = Some("Section 12, Block 38, T-1-S, T&P RR Co Survey".into());
    n.net_acres = Some(80.0);
    n.gross_acres = Some(640.0);
    n.nri_pct = Some(75.0);
    n.wi_pct = Some(100.0);
    n.royalty_rate_pct = Some(25.0);
    n.operator = Some("Diamondback Energy".into());
    n.well_count = Some(3);
    n.api_numbers = vec!["4232912345".into(), "42-329-12346-01".into()];
    n.oil_bbl_d = Some(120.5);
    n.gas_mcf_d = Some(300.0);
    n.production_as_of = NaiveDate::from_ymd_opt(2025, 12, 1);
    n.avg_monthly_net_cash_flow_cents = Some(-1_250_000);
    n.sale_type = SaleType::Auction;
    n.terms.reserve_price_cents = Some(90_000_000);
    n.terms.starts_at = Some(t0() + Duration::days(1));
    n.terms.ends_at = Some(t0() + Duration::days(30));
    n.terms.bid_increment_cents = Some(500_000);
    let mut meta = ogf_api::domain::ListingMeta::new("full-1".into(), t0());
    meta.seller_id = Some("seller-1".into());
    meta.view_count = 7;
    meta.updated_at = t0() + Duration::seconds(3);
    n.validate_with(meta).unwrap()
}

pub async fn full_listing_round_trips(store: &dyn ListingStore) {
    let l = full();
    store.insert(&l).await.unwrap();
    assert_eq!(store.get(&l.id).await.unwrap().as_ref(), Some(&l));
    let mut e = input("2015 Ariel JGK/4", "Compressor");
    e.listing_type = ListingType::Equipment;
    e.equipment = Some(EquipmentDetails {
        make: "Ariel".into(),
        model: "JGK/4".into(),
        year: Some(2015),
        condition: EquipmentCondition::Good,
        hours: Some(30_000),
    });
    let e = make("equip-1", e, t0());
    store.insert(&e).await.unwrap();
    assert_eq!(store.get("equip-1").await.unwrap(), Some(e));
}

pub async fn update_is_optimistic_and_keeps_views(store: &dyn ListingStore) {
    let l = full();
    store.insert(&l).await.unwrap();
    assert!(store.record_view(&l.id).await.unwrap());
    assert!(!store.record_view("nope").await.unwrap());
    let mut next = l.clone();
    next.title = "Renamed WI package".into();
    next.operator = None;
    next.api_numbers.clear();
    next.view_count = 0; // never written by update
    next.seller_id = Some("someone-else".into()); // never written by update
    next.updated_at = l.updated_at + Duration::milliseconds(1);
    assert!(store.update(&next, l.updated_at).await.unwrap());
    let stored = store.get(&l.id).await.unwrap().unwrap();
    assert_eq!(stored.title, "Renamed WI package");
    assert_eq!(stored.operator, None);
    assert!(stored.api_numbers.is_empty());
    assert_eq!(stored.view_count, 8, "views kept");
    assert_eq!(stored.seller_id.as_deref(), Some("seller-1"), "owner kept");
    assert_eq!(stored.updated_at, next.updated_at);
    // A writer holding the old version loses.
    assert!(!store.update(&next, l.updated_at).await.unwrap());
    assert!(!store.delete(&l.id, l.updated_at).await.unwrap());
    // The text index follows the new title.
    let filter = ListingFilter {
        text: ogf_api::domain::TextQuery::parse("renamed").unwrap(),
        ..ListingFilter::default()
    };
    assert_eq!(walk(store, &filter, 5).await, ["full-1"]);
    assert!(store.delete(&l.id, next.updated_at).await.unwrap());
    assert_eq!(store.get(&l.id).await.unwrap(), None);
    assert_eq!(walk(store, &filter, 5).await, Vec::<String>::new());
}

pub async fn concurrent_view_increments_are_atomic(store: &dyn ListingStore) {
    let l = make("v-1", input("Viewed", ""), t0());
    store.insert(&l).await.unwrap();
    let views = (0..20).map(|_| store.record_view("v-1"));
    for r in futures::future::join_all(views).await {
        assert!(r.unwrap());
    }
    let stored = store.get("v-1").await.unwrap().unwrap();
    assert_eq!(stored.view_count, 20);
    assert_eq!(
        stored.updated_at, l.updated_at,
        "views do not change updated_at"
    );
}

pub async fn drafts_are_visible_to_their_seller_only(store: &dyn ListingStore) {
    let mut data = Vec::new();
    for (id, seller, status) in [
        ("d1", Some("s1"), ListingStatus::Draft),
        ("d2", Some("s2"), ListingStatus::Draft),
        ("d3", None, ListingStatus::Draft),
        ("a1", Some("s1"), ListingStatus::Active),
        ("w1", Some("s2"), ListingStatus::Withdrawn),
    ] {
        let mut n = input(&format!("Listing {id}"), "");
        n.status = status;
        let mut meta = ogf_api::domain::ListingMeta::new(id.into(), t0());
        meta.seller_id = seller.map(str::to_owned);
        data.push(n.validate_with(meta).unwrap());
    }
    store.insert_many(&data).await.unwrap();
    for (visibility, want) in [
        (Visibility::All, vec!["w1", "d3", "d2", "d1", "a1"]),
        (Visibility::NoDrafts, vec!["w1", "a1"]),
        (Visibility::OwnDrafts("s1".into()), vec!["w1", "d1", "a1"]),
    ] {
        let filter = ListingFilter {
            visibility,
            ..ListingFilter::default()
        };
        assert_eq!(walk(store, &filter, 2).await, want, "{filter:?}");
        assert_eq!(store.count(&filter).await.unwrap(), want.len() as u64);
    }
}
