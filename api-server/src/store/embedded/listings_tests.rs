//! Query plans of searches (EXPLAIN QUERY PLAN: which index a search walks, no sort of every
//! match) and the dense access paths against the reference semantics, on more listings than
//! [`DENSE`] (the store conformance suite's datasets are smaller, so they only take the sparse
//! paths). Demo data: "synthetic", "demo" and "county" are in (nearly) every listing, the
//! lower 48 states hold every listing, 1,000 km around Midland most of them.

use chrono::{TimeZone, Utc};
use rusqlite::Connection;

use super::*;
use crate::domain::{
    GeoPoint, ListingStatus, ListingType, Near, SaleType, StateCode, TextQuery, Visibility,
};
use crate::store::embedded::{functions, row, schema};

fn empty_db() -> Connection {
    let mut conn = Connection::open_in_memory().unwrap();
    schema::migrate(&mut conn).unwrap();
    functions::register(&conn).unwrap();
    conn
}

/// `n` demo listings (a deterministic dataset of realistic basins, types and words).
fn db_with(n: usize) -> (Connection, Vec<Listing>) {
    let conn = empty_db();
    let newest = Utc.with_ymd_and_hms(2026, 1, 15, 12, 0, 0).unwrap();
    let data = crate::demo::generate(n, 0x5EA_2C4, newest).unwrap();
    conn.execute_batch("BEGIN").unwrap();
    for l in &data {
        row::insert(&conn, l).unwrap();
    }
    conn.execute_batch("COMMIT").unwrap();
    (conn, data)
}

/// The plan of the search SQL, one detail line per step.
fn plan(
    conn: &Connection,
    filter: &ListingFilter,
    sort: ListingSort,
    access: &Access,
) -> Vec<String> {
    let (sql, params) = select_sql(filter, sort, None, Some(21), access);
    let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
    stmt.query_map(rusqlite::params_from_iter(params), |r| {
        r.get::<_, String>(3)
    })
    .unwrap()
    .map(Result::unwrap)
    .collect()
}

fn assert_walks(plan: &[String], index: &str) {
    let text = plan.join(" | ");
    assert!(
        plan.iter()
            .any(|step| step.contains(&format!("INDEX {index}"))),
        "expected to walk {index}: {text}"
    );
    assert!(!text.contains("TEMP B-TREE"), "sorts every match: {text}");
}

fn anonymous() -> ListingFilter {
    ListingFilter {
        visibility: Visibility::NoDrafts,
        ..ListingFilter::default()
    }
}

#[test]
fn every_equality_filter_reads_each_order_from_one_index() {
    let conn = empty_db();
    let filters: [(&str, ListingFilter); 5] = [
        (
            "type",
            ListingFilter {
                listing_type: Some(ListingType::Lease),
                ..anonymous()
            },
        ),
        (
            "basin",
            ListingFilter {
                basin: Some("Bakken".into()),
                ..anonymous()
            },
        ),
        (
            "state",
            ListingFilter {
                state: Some(StateCode::parse("state", "ND").unwrap()),
                ..anonymous()
            },
        ),
        (
            "county",
            ListingFilter {
                county: Some("Reeves".into()),
                ..anonymous()
            },
        ),
        (
            "sale_type",
            ListingFilter {
                sale_type: Some(SaleType::Auction),
                ..anonymous()
            },
        ),
    ];
    let orders = [
        (ListingSort::Newest, "newest"),
        (ListingSort::PriceAsc, "price"),
        (ListingSort::PriceDesc, "price"),
        (ListingSort::Production, "production"),
        (ListingSort::EndingSoonest, "ending"),
    ];
    for (field, filter) in &filters {
        for (sort, suffix) in orders {
            let p = plan(&conn, filter, sort, &Access::default());
            assert_walks(&p, &format!("listings_{field}_{suffix}"));
        }
    }
}

#[test]
fn a_price_range_within_a_state_reads_the_range_in_price_order() {
    let conn = empty_db();
    let filter = ListingFilter {
        state: Some(StateCode::parse("state", "ND").unwrap()),
        min_price_cents: Some(10_000_000),
        max_price_cents: Some(50_000_000),
        ..anonymous()
    };
    let p = plan(&conn, &filter, ListingSort::PriceDesc, &Access::default());
    assert_walks(&p, "listings_state_price");
    assert!(
        p.join(" ")
            .contains("(state=? AND asking_price_cents>? AND asking_price_cents<?)"),
        "{p:?}"
    );
}

#[test]
fn unfiltered_orders_walk_their_index() {
    let conn = empty_db();
    for (sort, index) in [
        (ListingSort::Newest, "listings_newest"),
        (ListingSort::PriceAsc, "listings_price_id"),
        (ListingSort::Production, "listings_production"),
        (ListingSort::EndingSoonest, "listings_ending"),
    ] {
        assert_walks(&plan(&conn, &anonymous(), sort, &Access::default()), index);
    }
}

fn near_midland(radius_km: f64) -> ListingFilter {
    ListingFilter {
        near: Some(Near::new(GeoPoint::new(-102.03, 31.87).unwrap(), radius_km).unwrap()),
        ..anonymous()
    }
}

#[test]
fn geo_search_uses_the_box_index_when_sparse_and_the_order_when_dense() {
    let conn = empty_db();
    let filter = near_midland(50.0);
    let sparse = plan(&conn, &filter, ListingSort::Newest, &Access::default()).join(" | ");
    assert!(
        sparse.contains("INDEX listings_lat_lon (lat>? AND lat<?)"),
        "{sparse}"
    );
    let dense = Access {
        geo_dense: true,
        ..Access::default()
    };
    assert_walks(
        &plan(&conn, &filter, ListingSort::Newest, &dense),
        "listings_newest",
    );
    assert_walks(
        &plan(&conn, &filter, ListingSort::PriceDesc, &dense),
        "listings_price_id",
    );
}

#[test]
fn text_search_starts_at_the_fts_rows_when_sparse_and_walks_the_order_when_dense() {
    let conn = empty_db();
    let filter = ListingFilter {
        text: TextQuery::parse("midland").unwrap(),
        ..anonymous()
    };
    let sparse = plan(&conn, &filter, ListingSort::Newest, &Access::default()).join(" | ");
    assert!(
        sparse.contains("SCAN listings_fts VIRTUAL TABLE"),
        "{sparse}"
    );
    assert!(sparse.contains("INTEGER PRIMARY KEY (rowid=?)"), "{sparse}");
    let dense = Access {
        text_dense: true,
        ..Access::default()
    };
    assert_walks(
        &plan(&conn, &filter, ListingSort::Newest, &dense),
        "listings_newest",
    );
}

#[test]
fn a_dense_relevance_group_walks_the_newest_order() {
    let conn = empty_db();
    let filter = ListingFilter {
        text: TextQuery::parse("permian").unwrap(),
        ..anonymous()
    };
    let access = Access {
        text_score: Some(("permian".into(), 1)),
        text_dense: true,
        ..Access::default()
    };
    let p = plan(&conn, &filter, ListingSort::Newest, &access);
    assert_walks(&p, "listings_newest");
    assert!(!p.join(" ").contains("listings_fts"), "{p:?}");
}

#[test]
fn density_is_measured_on_the_data() {
    let (conn, _) = db_with(1_100);
    let everywhere = ListingFilter {
        bbox: Some(BBox::new(-180.0, -90.0, 180.0, 90.0).unwrap()),
        text: TextQuery::parse("synthetic").unwrap(),
        ..anonymous()
    };
    let a = access(&conn, &everywhere, None, &mut TextCounts::default()).unwrap();
    assert!(a.geo_dense && a.text_dense, "{a:?}");
    let nowhere = ListingFilter {
        near: Some(Near::new(GeoPoint::new(0.0, 0.0).unwrap(), 10.0).unwrap()),
        text: TextQuery::parse("zzzzqx").unwrap(),
        ..anonymous()
    };
    let a = access(&conn, &nowhere, None, &mut TextCounts::default()).unwrap();
    assert!(!a.geo_dense && !a.text_dense, "{a:?}");
    assert_eq!(count_text(&conn, "\"zzzzqx\"*").unwrap(), 0);
}

/// Walks up to `pages` pages of `query` on the store and on the reference; they must agree.
fn assert_pages_match_reference(conn: &Connection, data: &[Listing], mut query: SearchQuery) {
    for page_no in 0..4 {
        let expected = query.reference_page(data);
        let got = search(conn, &query, &mut TextCounts::default()).unwrap();
        let ids = |p: &Page| p.items.iter().map(|l| l.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&got), ids(&expected), "page {page_no} of {query:?}");
        assert_eq!(got.next, expected.next, "cursor after page {page_no}");
        match got.next {
            Some(c) => query.after = Some(c),
            None => break,
        }
    }
}

#[test]
fn dense_and_grouped_searches_return_the_reference_pages() {
    let (conn, data) = db_with(2_500);
    let mut queries = Vec::new();
    for q in [
        "permian",
        "royalty checks",
        "mineral permian",
        "midland",
        "synthetic demo",
        "county",
        "synthetic county",
        "wells basin county",
        "a b c d",
    ] {
        for sort in [
            ListingSort::Relevance,
            ListingSort::Newest,
            ListingSort::PriceAsc,
        ] {
            queries.push(SearchQuery {
                sort,
                limit: 17,
                ..SearchQuery::new(ListingFilter {
                    text: TextQuery::parse(q).unwrap(),
                    ..anonymous()
                })
            });
        }
    }
    let lower_48 = BBox::new(-125.0, 24.0, -66.0, 50.0).unwrap();
    for sort in [
        ListingSort::Newest,
        ListingSort::PriceDesc,
        ListingSort::Production,
        ListingSort::EndingSoonest,
    ] {
        queries.push(SearchQuery {
            sort,
            ..SearchQuery::new(ListingFilter {
                bbox: Some(lower_48),
                ..anonymous()
            })
        });
        queries.push(SearchQuery {
            sort,
            ..SearchQuery::new(ListingFilter {
                listing_type: Some(ListingType::RoyaltyInterest),
                ..near_midland(1_000.0)
            })
        });
    }
    queries.push(SearchQuery {
        sort: ListingSort::Relevance,
        ..SearchQuery::new(ListingFilter {
            text: TextQuery::parse("royalty").unwrap(),
            near: near_midland(600.0).near,
            status: Some(ListingStatus::Active),
            ..ListingFilter::default()
        })
    });
    for query in queries {
        assert_pages_match_reference(&conn, &data, query);
    }
}

#[test]
fn dense_lower_relevance_groups_are_tested_per_row_and_match_the_reference() {
    let (conn, data) = db_with(2_500);
    for q in ["synthetic county", "synthetic wells county"] {
        let text = TextQuery::parse(q).unwrap().unwrap();
        let terms = text.terms();
        let dense_lower = (0..terms.len())
            .filter(|&s| count_text(&conn, &relevance_group(terms, s)).unwrap() >= DENSE)
            .count();
        assert!(dense_lower > 0, "{q}: no dense group below the top one");
        assert_pages_match_reference(
            &conn,
            &data,
            SearchQuery {
                sort: ListingSort::Relevance,
                limit: 17,
                ..SearchQuery::new(ListingFilter {
                    text: Some(text),
                    ..anonymous()
                })
            },
        );
    }
}

#[test]
fn remembered_counts_give_the_same_pages_as_fresh_ones() {
    let (conn, data) = db_with(1_200);
    let mut counts = TextCounts::default();
    for q in ["royalty checks", "permian", "synthetic county"] {
        let query = SearchQuery {
            sort: ListingSort::Relevance,
            ..SearchQuery::new(ListingFilter {
                text: TextQuery::parse(q).unwrap(),
                ..anonymous()
            })
        };
        let first = search(&conn, &query, &mut counts).unwrap();
        let again = search(&conn, &query, &mut counts).unwrap();
        let expected = query.reference_page(&data);
        let ids = |p: &Page| p.items.iter().map(|l| l.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&first), ids(&expected), "{q}");
        assert_eq!(ids(&again), ids(&expected), "{q} with remembered counts");
    }
}
