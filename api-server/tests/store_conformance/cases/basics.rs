//! Conformance cases: storing, reading, ordering and paging.

use chrono::Duration;
use ogf_api::domain::{ListingFilter, SearchQuery};
use ogf_api::store::{ListingStore, StoreError};

use super::load;
use crate::support::{crafted, expected, input, make, t0, walk};

pub async fn round_trip_preserves_every_field(store: &dyn ListingStore) {
    let data = crafted();
    load(store, &data).await;
    for l in &data {
        assert_eq!(store.get(&l.id).await.unwrap().as_ref(), Some(l));
    }
    let mut n = input("One more", "inserted alone");
    n.oil_bbl_d = Some(0.1);
    n.gas_mcf_d = Some(1.0 / 3.0);
    n.nri_pct = Some(83.3333);
    let one = make("single-1", n, t0() + Duration::milliseconds(7));
    store.insert(&one).await.unwrap();
    assert_eq!(store.get("single-1").await.unwrap(), Some(one));
}

pub async fn unknown_id_is_none(store: &dyn ListingStore) {
    load(store, &crafted()).await;
    assert_eq!(store.get("no-such-id").await.unwrap(), None);
    assert_eq!(
        store.get("C01").await.unwrap(),
        None,
        "ids are case-sensitive"
    );
}

pub async fn duplicate_id_is_a_conflict(store: &dyn ListingStore) {
    let data = crafted();
    store.insert(&data[0]).await.unwrap();
    let mut again = data[1].clone();
    again.id = data[0].id.clone();
    match store.insert(&again).await {
        Err(StoreError::Conflict(id)) => assert_eq!(id, data[0].id),
        other => panic!("expected conflict, got {other:?}"),
    }
    assert!(matches!(
        store.insert_many(&[again]).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(
        store.get(&data[0].id).await.unwrap().as_ref(),
        Some(&data[0]),
        "unchanged"
    );
}

pub async fn empty_store_and_empty_bulk_insert(store: &dyn ListingStore) {
    store.insert_many(&[]).await.unwrap();
    assert_eq!(store.count(&ListingFilter::default()).await.unwrap(), 0);
    let page = store
        .search(&SearchQuery::new(ListingFilter::default()))
        .await
        .unwrap();
    assert!(page.items.is_empty() && page.next.is_none());
    store.ping().await.unwrap();
}

pub async fn newest_first_with_id_tie_break(store: &dyn ListingStore) {
    let data = crafted();
    load(store, &data).await;
    let all = walk(store, &ListingFilter::default(), 100).await;
    assert_eq!(
        all,
        [
            "c01", "c02", "c03", "c04", "c05", "c06", "c07", "c08", "c09", "c12", "c11", "c10"
        ]
    );
    assert_eq!(
        walk(store, &ListingFilter::default(), 1).await,
        all,
        "one per page"
    );
    assert_eq!(
        walk(store, &ListingFilter::default(), 11).await,
        all,
        "last page of one"
    );
    assert_eq!(
        walk(store, &ListingFilter::default(), 12).await,
        all,
        "exactly one page"
    );
}

pub async fn pagination_never_repeats_or_skips_under_inserts(store: &dyn ListingStore) {
    let mut data = Vec::new();
    for i in 0..30 {
        // Pairs share a timestamp, so the id tie-break is exercised at page edges.
        let at = t0() - Duration::seconds(i / 2);
        data.push(make(
            &format!("p{i:02}"),
            input(&format!("Original {i}"), ""),
            at,
        ));
    }
    load(store, &data).await;
    let want = expected(&data, &ListingFilter::default());
    let mut query = SearchQuery {
        limit: 4,
        ..SearchQuery::new(ListingFilter::default())
    };
    let mut seen = Vec::new();
    let mut added = 0;
    loop {
        let page = store.search(&query).await.unwrap();
        seen.extend(page.items.iter().map(|l| l.id.clone()));
        for _ in 0..2 {
            added += 1;
            let at = t0() + Duration::seconds(added);
            store
                .insert(&make(&format!("n{added:02}"), input("Newer", ""), at))
                .await
                .unwrap();
        }
        match page.next {
            Some(c) => query.after = Some(c),
            None => break,
        }
    }
    assert_eq!(seen, want, "every original listing exactly once, in order");
    let total = store.count(&ListingFilter::default()).await.unwrap();
    assert_eq!(total, 30 + added as u64);
    assert_eq!(
        walk(store, &ListingFilter::default(), 7).await.len() as u64,
        total
    );
}
