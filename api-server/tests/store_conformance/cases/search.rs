//! Conformance cases: filters and full-text search against the reference semantics.

use ogf_api::demo;
use ogf_api::domain::{ListingFilter, ListingStatus, ListingType, StateCode, TextQuery};
use ogf_api::store::ListingStore;

use super::{assert_matches_reference, load};
use crate::support::{crafted, expected, t0, walk};

pub async fn filters_match_reference(store: &dyn ListingStore) {
    let data = crafted();
    load(store, &data).await;
    let f = ListingFilter::default;
    let filters = [
        ListingFilter {
            listing_type: Some(ListingType::WorkingInterest),
            ..f()
        },
        ListingFilter {
            listing_type: Some(ListingType::Lease),
            ..f()
        },
        ListingFilter {
            status: Some(ListingStatus::Active),
            ..f()
        },
        ListingFilter {
            status: Some(ListingStatus::Sold),
            ..f()
        },
        ListingFilter {
            basin: Some("SCOOP/STACK".into()),
            ..f()
        },
        ListingFilter {
            basin: Some("permian".into()),
            ..f()
        },
        ListingFilter {
            state: Some(StateCode::parse("state", "tx").unwrap()),
            ..f()
        },
        ListingFilter {
            min_price_cents: Some(50_000_000),
            ..f()
        },
        ListingFilter {
            max_price_cents: Some(49_999_999),
            ..f()
        },
        ListingFilter {
            max_price_cents: Some(0),
            ..f()
        },
        ListingFilter {
            min_price_cents: Some(35_000_000),
            max_price_cents: Some(120_000_000),
            ..f()
        },
        ListingFilter {
            min_net_acres: Some(50.0),
            ..f()
        },
        ListingFilter {
            min_nri_pct: Some(80.0),
            ..f()
        },
        ListingFilter {
            min_nri_pct: Some(0.0),
            ..f()
        },
        ListingFilter {
            min_boe_d: Some(20.0),
            ..f()
        },
        ListingFilter {
            min_boe_d: Some(1_000.0),
            ..f()
        },
        ListingFilter {
            min_boe_d: Some(0.0),
            ..f()
        },
        ListingFilter {
            listing_type: Some(ListingType::WorkingInterest),
            min_nri_pct: Some(75.0),
            min_price_cents: Some(100_000_000),
            state: Some(StateCode::parse("state", "OK").unwrap()),
            ..f()
        },
    ];
    for filter in &filters {
        assert_matches_reference(store, &data, filter, &[2, 100]).await;
    }
    // Spot checks that the reference itself says what the boundaries mean.
    assert_eq!(
        expected(&data, &filters[11]),
        ["c01", "c03", "c04", "c07"],
        "min_net_acres inclusive"
    );
    assert_eq!(
        expected(&data, &filters[12]),
        ["c02", "c05"],
        "min_nri inclusive, 79.999 out"
    );
    assert_eq!(
        expected(&data, &filters[14]),
        ["c01", "c02", "c04", "c05", "c07"]
    );
}

pub async fn text_search_matches_reference(store: &dyn ListingStore) {
    let data = crafted();
    load(store, &data).await;
    let cases: &[(&str, &[&str])] = &[
        ("midland", &["c01", "c03"]),
        ("MID", &["c01", "c02", "c03"]),
        ("land", &[]),
        ("perm basin", &["c01", "c07"]),
        ("stack", &["c02"]),
        ("where", &["c08"]),
        ("ne null", &["c08"]),
        ("1", &["c03", "c06"]),
        ("340 hp", &["c06"]),
        ("100", &["c03"]),
        ("gas desoto", &["c05"]),
        ("dry parish louis", &["c05"]),
        ("\u{f1}and\u{fa}", &["c09"]),
        ("\u{d1}AN", &["c09"]),
        ("andu", &[]),
        ("tie breaker", &["c12", "c11", "c10"]),
        ("zzz", &[]),
    ];
    for (q, want) in cases {
        let filter = ListingFilter {
            text: TextQuery::parse(q).unwrap(),
            ..Default::default()
        };
        assert_eq!(expected(&data, &filter), *want, "reference for q={q:?}");
        assert_matches_reference(store, &data, &filter, &[1, 50]).await;
    }
    let both = ListingFilter {
        text: TextQuery::parse("royalty").unwrap(),
        status: Some(ListingStatus::Active),
        ..Default::default()
    };
    assert_matches_reference(store, &data, &both, &[1, 10]).await;
}

pub async fn operator_like_input_is_literal(store: &dyn ListingStore) {
    let data = crafted();
    load(store, &data).await;
    for basin in [
        "{\"$ne\": null}",
        "$ne",
        ".*",
        "Permian' OR '1'='1",
        "Permian\"; --",
    ] {
        let filter = ListingFilter {
            basin: Some(basin.into()),
            ..Default::default()
        };
        assert!(
            walk(store, &filter, 10).await.is_empty(),
            "basin {basin:?} matched something"
        );
    }
    assert_eq!(
        TextQuery::parse(".* $ne ^")
            .unwrap()
            .map(|t| t.terms().to_vec()),
        Some(vec!["ne".to_owned()])
    );
    assert_eq!(
        store.count(&ListingFilter::default()).await.unwrap(),
        data.len() as u64
    );
}

pub async fn demo_dataset_matches_reference(store: &dyn ListingStore) {
    let data = demo::generate(300, 42, t0()).unwrap();
    load(store, &data).await;
    let f = ListingFilter::default;
    let mut filters = vec![
        f(),
        ListingFilter {
            basin: Some("Permian".into()),
            ..f()
        },
        ListingFilter {
            state: Some(StateCode::parse("state", "ok").unwrap()),
            ..f()
        },
        ListingFilter {
            status: Some(ListingStatus::Active),
            ..f()
        },
        ListingFilter {
            min_price_cents: Some(100_000_000),
            ..f()
        },
        ListingFilter {
            max_price_cents: Some(10_000_000),
            ..f()
        },
        ListingFilter {
            min_net_acres: Some(100.0),
            ..f()
        },
        ListingFilter {
            min_nri_pct: Some(80.0),
            ..f()
        },
        ListingFilter {
            min_boe_d: Some(50.0),
            ..f()
        },
        ListingFilter {
            text: TextQuery::parse("royalty").unwrap(),
            ..f()
        },
        ListingFilter {
            text: TextQuery::parse("county tx").unwrap(),
            ..f()
        },
        ListingFilter {
            text: TextQuery::parse("compress").unwrap(),
            ..f()
        },
        ListingFilter {
            text: TextQuery::parse("wells").unwrap(),
            basin: Some("Bakken".into()),
            min_boe_d: Some(10.0),
            ..f()
        },
    ];
    filters.extend(ListingType::ALL.iter().map(|t| ListingFilter {
        listing_type: Some(*t),
        ..f()
    }));
    for filter in &filters {
        assert!(
            !expected(&data, filter).is_empty(),
            "dataset exercises {filter:?}"
        );
        assert_matches_reference(store, &data, filter, &[25]).await;
    }
}
