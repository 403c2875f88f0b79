//! Conformance cases: the activity log (grouped counts like the reference, distinct
//! signed-in actors, day ranges), a seller's listings, listing groups and registrations.

use chrono::{Duration, NaiveDate};
use ogf_api::domain::activity::{
    ActivityCount, ActivityEvent, ActivityKind, ActivityQuery, ListingGroup, sort_counts,
};
use ogf_api::domain::{ListingMeta, ListingStatus, ListingType, Role};
use ogf_api::store::Store;

use super::users::user;
use crate::support::{input, t0};

fn event(
    listing: &str,
    seller: &str,
    kind: ActivityKind,
    actor: Option<&str>,
    days: i64,
) -> ActivityEvent {
    ActivityEvent {
        listing_id: listing.into(),
        seller_id: seller.into(),
        kind,
        actor_id: actor.map(Into::into),
        at: t0() + Duration::days(days) + Duration::minutes(days * 7),
    }
}

fn dataset() -> Vec<ActivityEvent> {
    use ActivityKind::*;
    let mut v = vec![
        event("a", "s1", View, None, 0),
        event("a", "s1", View, None, 0),
        event("a", "s1", View, Some("u1"), 0),
        event("a", "s1", View, Some("u1"), 0),
        event("a", "s1", View, Some("u2"), 1),
        event("a", "s1", View, Some("u1"), 1),
        event("a", "s1", Watch, Some("u1"), 1),
        event("a", "s1", Unwatch, Some("u1"), 2),
        event("a", "s1", Bid, Some("u2"), 2),
        event("a", "s1", Offer, Some("u3"), 3),
        event("a", "s1", Sale, Some("s1"), 4),
        event("b", "s1", NdaRequest, Some("u1"), 1),
        event("b", "s1", View, Some("u3"), 5),
        event("c", "s2", View, Some("u1"), 1),
        event("c", "s2", Watch, Some("u2"), 1),
    ];
    // A quote and an operator-like actor id are stored literally.
    v.push(event("a", "s1", View, Some("{\"$ne\":null}"), 3));
    v.push(event("a", "s1", View, Some("o'brien"), 3));
    v
}

fn day(offset: i64) -> NaiveDate {
    (t0() + Duration::days(offset)).date_naive()
}

async fn counts(store: &dyn Store, q: &ActivityQuery) -> Vec<ActivityCount> {
    let mut got = store.activity_counts(q).await.unwrap();
    sort_counts(&mut got);
    got
}

pub async fn activity_counts_match_the_reference(store: &dyn Store) {
    let data = dataset();
    store.record_activity(&data[..5]).await.unwrap();
    store.record_activity(&data[5..]).await.unwrap();
    store.record_activity(&[]).await.unwrap();
    for seller in ["s1", "s2", "nobody"] {
        for (from, to) in [
            (None, 10),
            (Some(0), 0),
            (Some(1), 3),
            (Some(3), 3),
            (Some(6), 9),
        ] {
            for by_day in [false, true] {
                let q = ActivityQuery {
                    seller_id: seller.into(),
                    from: from.map(day),
                    to: day(to),
                    by_day,
                };
                assert_eq!(counts(store, &q).await, q.reference(&data), "{q:?}");
            }
        }
    }
    let q = ActivityQuery {
        seller_id: "s1".into(),
        from: Some(day(0)),
        to: day(0),
        by_day: false,
    };
    let got = counts(store, &q).await;
    assert_eq!(
        (got[0].events, got[0].actors),
        (4, 1),
        "anonymous views count once each"
    );
}

pub async fn seller_listings_groups_and_registrations(store: &dyn Store) {
    let mut listings = Vec::new();
    for (i, (seller, kind, basin, status)) in [
        ("s1", ListingType::Lease, "Permian", ListingStatus::Active),
        ("s1", ListingType::Lease, "Bakken", ListingStatus::Draft),
        (
            "s2",
            ListingType::Equipment,
            "Permian",
            ListingStatus::Active,
        ),
        (
            "s1",
            ListingType::MineralRights,
            "Permian",
            ListingStatus::Active,
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let mut n = input(&format!("Lot {i}"), "");
        n.listing_type = kind;
        n.basin = basin.into();
        n.status = status;
        if kind == ListingType::Equipment {
            n.equipment = Some(ogf_api::domain::EquipmentDetails {
                make: "Ajax".into(),
                model: "DPC-2802".into(),
                year: Some(2012),
                condition: ogf_api::domain::EquipmentCondition::Good,
                hours: None,
            });
        }
        let mut meta = ListingMeta::new(format!("l{i}"), t0() + Duration::minutes(i as i64));
        meta.seller_id = Some(seller.into());
        listings.push(n.validate_with(meta).unwrap());
    }
    store.insert_many(&listings).await.unwrap();

    let s1 = store.seller_listings("s1", 10).await.unwrap();
    let ids: Vec<&str> = s1.iter().map(|l| l.id.as_str()).collect();
    assert_eq!(ids, ["l3", "l1", "l0"], "newest first, every status");
    assert_eq!(s1[1].status, ListingStatus::Draft);
    assert_eq!(s1[0].listing_type, ListingType::MineralRights);
    assert_eq!(s1[0].title, "Lot 3");
    assert_eq!(store.seller_listings("s1", 2).await.unwrap().len(), 2);
    assert!(store.seller_listings("none", 10).await.unwrap().is_empty());

    let mut groups = store.listing_groups().await.unwrap();
    groups.sort();
    let g = |t: &str, b: &str, s: &str, count| ListingGroup {
        listing_type: t.into(),
        basin: b.into(),
        status: s.into(),
        count,
    };
    let mut want = vec![
        g("lease", "Permian", "active", 1),
        g("lease", "Bakken", "draft", 1),
        g("equipment", "Permian", "active", 1),
        g("mineral_rights", "Permian", "active", 1),
    ];
    want.sort();
    assert_eq!(groups, want);

    for (i, days) in [0, 0, 1, 3, 40].into_iter().enumerate() {
        let at = t0() + Duration::days(days) + Duration::hours(i as i64);
        let u = user(
            &format!("u{i}"),
            &format!("u{i}@example.com"),
            Role::Buyer,
            at,
        );
        store.create_user(&u).await.unwrap();
    }
    let regs = store.registrations_per_day(day(0), day(3)).await.unwrap();
    assert_eq!(regs, [(day(0), 2), (day(1), 1), (day(3), 1)]);
    let regs = store.registrations_per_day(day(1), day(1)).await.unwrap();
    assert_eq!(regs, [(day(1), 1)]);
}
