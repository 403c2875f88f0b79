//! Conformance cases: watchlists (idempotent adds, newest-first pages, watcher counts) and
//! saved searches (owned, capped even under concurrent creations, last-seen only forward).

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use futures::future::join_all;
use ogf_api::domain::{Cursor, SavedSearch, WatchEntry};
use ogf_api::store::Store;

use crate::support::t0;

fn entry(user: &str, listing: &str, at: DateTime<Utc>) -> WatchEntry {
    WatchEntry {
        user_id: user.into(),
        listing_id: listing.into(),
        added_at: at,
    }
}

fn search(id: &str, user: &str, at: DateTime<Utc>) -> SavedSearch {
    SavedSearch {
        id: id.into(),
        user_id: user.into(),
        name: format!("Search {id}"),
        query: BTreeMap::from([
            ("q".to_owned(), "permian oil".to_owned()),
            ("state".to_owned(), "TX".to_owned()),
            (
                "basin".to_owned(),
                "Eagle Ford \"South\" $where.x".to_owned(),
            ),
        ]),
        created_at: at,
        last_seen_at: None,
    }
}

async fn watched(store: &dyn Store, user: &str, limit: u32) -> Vec<WatchEntry> {
    let mut after: Option<Cursor> = None;
    let mut out = Vec::new();
    loop {
        let page = store
            .watchlist_page(user, after.as_ref(), limit)
            .await
            .unwrap();
        assert!(page.items.len() <= limit as usize);
        out.extend(page.items);
        match page.next {
            Some(c) => after = Some(c),
            None => return out,
        }
    }
}

pub async fn watchlist_adds_once_pages_newest_first_and_counts_watchers(store: &dyn Store) {
    let at = |m: i64| t0() + Duration::minutes(m);
    assert!(store.watch(&entry("u1", "l1", at(0))).await.unwrap());
    assert!(
        !store.watch(&entry("u1", "l1", at(5))).await.unwrap(),
        "idempotent"
    );
    assert!(store.watch(&entry("u1", "l2", at(1))).await.unwrap());
    assert!(store.watch(&entry("u1", "l3", at(1))).await.unwrap());
    assert!(store.watch(&entry("u2", "l1", at(2))).await.unwrap());
    let want = vec![
        entry("u1", "l3", at(1)),
        entry("u1", "l2", at(1)),
        entry("u1", "l1", at(0)),
    ];
    for limit in [1, 2, 10] {
        assert_eq!(watched(store, "u1", limit).await, want, "limit {limit}");
    }
    assert_eq!(store.watcher_count("l1").await.unwrap(), 2);
    assert_eq!(store.watcher_count("l9").await.unwrap(), 0);
    assert!(store.unwatch("u1", "l1").await.unwrap());
    assert!(!store.unwatch("u1", "l1").await.unwrap());
    assert_eq!(store.watcher_count("l1").await.unwrap(), 1);
    assert_eq!(watched(store, "u1", 10).await.len(), 2);
    assert!(watched(store, "u3", 10).await.is_empty());
}

pub async fn saved_searches_are_owned_capped_and_seen_forward(store: &dyn Store) {
    let at = |m: i64| t0() + Duration::minutes(m);
    for i in 0..3 {
        let s = search(&format!("s{i}"), "u1", at(i));
        assert!(store.create_saved_search(&s, 3).await.unwrap());
    }
    assert!(
        !store
            .create_saved_search(&search("s3", "u1", at(3)), 3)
            .await
            .unwrap()
    );
    assert!(
        store
            .create_saved_search(&search("t0", "u2", at(3)), 3)
            .await
            .unwrap()
    );
    let mine: Vec<String> = store
        .saved_searches("u1")
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(mine, ["s2", "s1", "s0"]);
    assert_eq!(
        store.saved_search("s1").await.unwrap(),
        Some(search("s1", "u1", at(1)))
    );
    assert_eq!(store.saved_search("s3").await.unwrap(), None);
    // Deleting: only the owner's.
    assert!(!store.delete_saved_search("s1", "u2").await.unwrap());
    assert!(store.delete_saved_search("s1", "u1").await.unwrap());
    assert!(!store.delete_saved_search("s1", "u1").await.unwrap());
    assert!(
        store
            .create_saved_search(&search("s4", "u1", at(4)), 3)
            .await
            .unwrap()
    );
    // Last seen: set, moved forward, never back; a gone search is `false`.
    assert!(store.mark_search_seen("s0", at(10)).await.unwrap());
    assert!(store.mark_search_seen("s0", at(5)).await.unwrap());
    assert_eq!(
        store
            .saved_search("s0")
            .await
            .unwrap()
            .unwrap()
            .last_seen_at,
        Some(at(10))
    );
    assert!(store.mark_search_seen("s0", at(20)).await.unwrap());
    assert_eq!(
        store
            .saved_search("s0")
            .await
            .unwrap()
            .unwrap()
            .last_seen_at,
        Some(at(20))
    );
    assert!(!store.mark_search_seen("s1", at(20)).await.unwrap());
}

pub async fn concurrent_saved_search_creations_respect_the_cap(store: &dyn Store) {
    let creates = (0..12).map(|i| {
        let s = search(&format!("c{i:02}"), "u1", t0() + Duration::seconds(i));
        async move { store.create_saved_search(&s, 5).await.unwrap() }
    });
    let stored = join_all(creates).await.into_iter().filter(|ok| *ok).count();
    assert_eq!(stored, 5);
    assert_eq!(store.saved_searches("u1").await.unwrap().len(), 5);
}
