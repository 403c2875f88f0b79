//! Conformance cases: the newer filters (county, net-acre range, sale type, geo), every sort
//! order with its keyset cursor, and paging under inserts, against the reference
//! ([`SearchQuery::reference_page`]) on a fixed dataset.

use std::collections::HashSet;

use chrono::Duration;
use ogf_api::domain::{
    BBox, GeoPoint, Listing, ListingFilter, ListingSort, Near, SaleType, SearchQuery, TextQuery,
};
use ogf_api::store::ListingStore;

use super::load;
use crate::support::{crafted, input, make, t0};

/// `crafted()` plus listings around the Permian with ties in price, production and end time,
/// and points on both sides of the geo boundaries used below.
pub(crate) fn dataset() -> Vec<Listing> {
    let mut v = crafted();
    let spots = [
        // (id, lon, lat, county, price, oil, ends in hours, sale type)
        (
            "g01",
            -102.08,
            31.99,
            "Midland",
            5_000_000,
            Some(10.0),
            Some(5),
            SaleType::Auction,
        ),
        (
            "g02",
            -102.37,
            31.85,
            "Ector",
            5_000_000,
            Some(10.0),
            Some(5),
            SaleType::Auction,
        ),
        (
            "g03",
            -103.50,
            31.40,
            "Reeves",
            7_500_000,
            Some(250.0),
            Some(48),
            SaleType::SealedBid,
        ),
        (
            "g04",
            -101.90,
            32.30,
            "Martin",
            7_500_000,
            None,
            Some(1),
            SaleType::Auction,
        ),
        (
            "g05",
            -104.00,
            32.50,
            "Eddy",
            1,
            Some(0.0),
            None,
            SaleType::BestOffer,
        ),
        (
            "g06",
            -102.08,
            32.44,
            "Midland",
            900_000_000,
            Some(999.5),
            Some(24),
            SaleType::Auction,
        ),
        (
            "g07",
            -97.50,
            35.50,
            "Canadian",
            5_000_000,
            Some(10.0),
            None,
            SaleType::Fixed,
        ),
        (
            "g08",
            -102.00,
            31.95,
            "Midland",
            12_345,
            Some(40.0),
            Some(5),
            SaleType::SealedBid,
        ),
    ];
    for (i, (id, lon, lat, county, price, oil, ends, sale)) in spots.into_iter().enumerate() {
        let mut n = input(
            &format!("Spot {id} Permian acreage"),
            "Permian royalty package",
        );
        n.lon = lon;
        n.lat = lat;
        n.county = county.into();
        n.asking_price_cents = price;
        n.oil_bbl_d = oil;
        n.net_acres = Some(40.0 * (i as f64 + 1.0));
        n.gross_acres = Some(640.0);
        n.sale_type = sale;
        n.terms.ends_at = ends.map(|h| t0() + Duration::hours(h));
        v.push(make(id, n, t0() - Duration::minutes(30 + i as i64 % 3)));
    }
    v
}

/// Every id of `query` by following cursors through `store`.
async fn store_walk(store: &dyn ListingStore, query: &SearchQuery) -> Vec<String> {
    let mut q = query.clone();
    let mut ids = Vec::new();
    for _ in 0..1_000 {
        let page = store.search(&q).await.unwrap();
        assert!(page.items.len() <= q.limit as usize);
        ids.extend(page.items.iter().map(|l| l.id.clone()));
        match page.next {
            Some(c) => {
                assert_eq!(c.sort, q.sort);
                q.after = Some(c)
            }
            None => return ids,
        }
    }
    panic!("pagination did not end");
}

/// Every id of `query` over `data` by the reference, page by page.
fn reference_walk(data: &[Listing], query: &SearchQuery) -> Vec<String> {
    let mut q = query.clone();
    let mut ids = Vec::new();
    loop {
        let page = q.reference_page(data);
        ids.extend(page.items.iter().map(|l| l.id.clone()));
        match page.next {
            Some(c) => q.after = Some(c),
            None => return ids,
        }
    }
}

fn midland() -> GeoPoint {
    GeoPoint::new(-102.08, 31.99).unwrap()
}

pub async fn new_filters_and_geo_match_reference(store: &dyn ListingStore) {
    let data = dataset();
    load(store, &data).await;
    let f = ListingFilter::default;
    let near = |km: f64| Near::new(midland(), km).unwrap();
    let filters = [
        ListingFilter {
            county: Some("Midland".into()),
            ..f()
        },
        ListingFilter {
            county: Some("midland".into()),
            ..f()
        },
        ListingFilter {
            max_net_acres: Some(120.0),
            ..f()
        },
        ListingFilter {
            min_net_acres: Some(80.0),
            max_net_acres: Some(200.0),
            ..f()
        },
        ListingFilter {
            sale_type: Some(SaleType::SealedBid),
            ..f()
        },
        ListingFilter {
            near: Some(near(10.0)),
            ..f()
        },
        ListingFilter {
            near: Some(near(35.0)),
            ..f()
        },
        ListingFilter {
            near: Some(near(300.0)),
            min_boe_d: Some(10.0),
            ..f()
        },
        ListingFilter {
            bbox: Some(BBox::new(-102.5, 31.8, -102.0, 32.0).unwrap()),
            ..f()
        },
        ListingFilter {
            bbox: Some(BBox::new(-180.0, -90.0, 180.0, 90.0).unwrap()),
            near: Some(near(60.0)),
            text: TextQuery::parse("spot").unwrap(),
            ..f()
        },
    ];
    for filter in &filters {
        super::assert_matches_reference(store, &data, filter, &[2, 50]).await;
    }
    let query = |filter: &ListingFilter| SearchQuery::new(filter.clone());
    assert_eq!(
        reference_walk(&data, &query(&filters[5])),
        ["g01", "g08"],
        "10 km around Midland: Odessa (about 28 km) is out"
    );
    assert!(reference_walk(&data, &query(&filters[6])).contains(&"g02".to_owned()));
}

pub async fn every_sort_pages_like_the_reference(store: &dyn ListingStore) {
    let data = dataset();
    load(store, &data).await;
    let text = TextQuery::parse("permian royalty").unwrap();
    let mut queries = Vec::new();
    for sort in ListingSort::ALL {
        for filter in [
            ListingFilter::default(),
            ListingFilter {
                text: text.clone(),
                ..ListingFilter::default()
            },
            ListingFilter {
                near: Some(Near::new(midland(), 80.0).unwrap()),
                ..ListingFilter::default()
            },
        ] {
            queries.push(SearchQuery {
                sort: *sort,
                ..SearchQuery::new(filter)
            });
        }
    }
    for q in queries {
        let want = reference_walk(&data, &q);
        assert!(!want.is_empty(), "{q:?}");
        for limit in [1, 3, 100] {
            let q = SearchQuery { limit, ..q.clone() };
            assert_eq!(
                store_walk(store, &q).await,
                want,
                "{:?} limit {limit}",
                q.sort
            );
        }
    }
    // Spot checks of the reference itself.
    let first = |sort: ListingSort, filter: ListingFilter| {
        reference_walk(
            &data,
            &SearchQuery {
                sort,
                ..SearchQuery::new(filter)
            },
        )
    };
    assert_eq!(
        first(ListingSort::PriceAsc, ListingFilter::default())[..3],
        ["c05", "g05", "g08"]
    );
    assert_eq!(
        first(ListingSort::PriceDesc, ListingFilter::default())[0],
        "g06"
    );
    let by_production = first(ListingSort::Production, ListingFilter::default());
    assert_eq!(
        by_production[..2],
        ["c05", "g06"],
        "6,000 Mcf/d = 1,000 BOE/d"
    );
    assert_eq!(
        by_production.last().map(String::as_str),
        Some("c03"),
        "without production last, id desc"
    );
    let ending = first(ListingSort::EndingSoonest, ListingFilter::default());
    assert_eq!(
        ending,
        ["g04", "g01", "g02", "g08", "g06", "g03"],
        "ties by id asc"
    );
    let relevance = first(
        ListingSort::Relevance,
        ListingFilter {
            text: text.clone(),
            ..ListingFilter::default()
        },
    );
    assert_eq!(relevance.len(), 9, "{relevance:?}");
    assert_eq!(
        relevance[0], "g07",
        "title hits first, newest first, id desc on ties"
    );
    assert_eq!(relevance[8], "c01", "no word in the title: last");
}

pub async fn every_sort_never_repeats_or_skips_under_inserts(store: &dyn ListingStore) {
    let data = dataset();
    load(store, &data).await;
    let mut added = 0_i64;
    for sort in ListingSort::ALL {
        let filter = ListingFilter {
            text: TextQuery::parse("spot").unwrap(),
            ..ListingFilter::default()
        };
        let mut query = SearchQuery {
            sort: *sort,
            limit: 2,
            ..SearchQuery::new(filter)
        };
        let before: Vec<Listing> = store_all(store, &query).await;
        let original: HashSet<String> = before.iter().map(|l| l.id.clone()).collect();
        let mut seen: Vec<Listing> = Vec::new();
        loop {
            let page = store.search(&query).await.unwrap();
            seen.extend(page.items.iter().cloned());
            // New listings that sort anywhere: before, between and after the cursor (on the
            // first pages only, so that the walk ends).
            let inserts = if seen.len() <= 6 { 3 } else { 0 };
            for k in 0..inserts {
                added += 1;
                let mut n = input(&format!("Spot new{added}"), "Permian");
                n.asking_price_cents = [1, 5_000_000, 2_000_000_000][k];
                n.oil_bbl_d = [None, Some(10.0), Some(5_000.0)][k];
                n.sale_type = SaleType::Auction;
                n.terms.ends_at = Some(t0() + Duration::hours([0, 5, 500][k]));
                let at = t0() + Duration::seconds(added);
                store
                    .insert(&make(&format!("n{added:03}"), n, at))
                    .await
                    .unwrap();
            }
            match page.next {
                Some(c) => query.after = Some(c),
                None => break,
            }
        }
        let ids: Vec<&str> = seen.iter().map(|l| l.id.as_str()).collect();
        let unique: HashSet<&str> = ids.iter().copied().collect();
        assert_eq!(unique.len(), ids.len(), "{sort}: repeated {ids:?}");
        let originals_seen: Vec<&str> = ids
            .iter()
            .copied()
            .filter(|id| original.contains(*id))
            .collect();
        let want: Vec<&str> = before.iter().map(|l| l.id.as_str()).collect();
        assert_eq!(
            originals_seen, want,
            "{sort}: every original once, in order"
        );
        let text = query.filter.text.as_ref();
        for pair in seen.windows(2) {
            assert!(
                sort.compare_listings(&pair[0], &pair[1], text).is_lt(),
                "{sort}: out of order {} {}",
                pair[0].id,
                pair[1].id
            );
        }
    }
}

async fn store_all(store: &dyn ListingStore, query: &SearchQuery) -> Vec<Listing> {
    let mut q = SearchQuery {
        limit: 100,
        ..query.clone()
    };
    let mut all = Vec::new();
    loop {
        let page = store.search(&q).await.unwrap();
        all.extend(page.items);
        match page.next {
            Some(c) => q.after = Some(c),
            None => return all,
        }
    }
}
