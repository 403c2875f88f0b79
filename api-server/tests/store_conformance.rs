//! Store conformance: the same cases run against the embedded store (temp dir) and MongoDB.
//!
//! The MongoDB run reads `OGF_MONGODB_URI` (e.g. FerretDB from `e2e/testenv`); each case uses
//! its own database `ogf_test_<uuid>`, dropped afterwards. Without the variable the MongoDB
//! cases fail when `CI=true` and are skipped (with a message) otherwise.
// clippy.toml's allow-unwrap-in-tests covers #[test] fns only, not this crate's helpers.
#![allow(clippy::unwrap_used)]

mod support;

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures::FutureExt;
use ogf_api::store::{EmbeddedStore, ListingStore, MongoStore};

#[path = "store_conformance/cases/mod.rs"]
mod cases;

/// An embedded store in a fresh temporary directory.
async fn embedded() -> (Arc<dyn ListingStore>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = EmbeddedStore::open(dir.path()).await.unwrap();
    (Arc::new(store), dir)
}

/// A MongoDB store on a fresh database, or `None` when no server is configured (outside CI).
async fn mongodb() -> Option<MongoStore> {
    let Ok(uri) = std::env::var("OGF_MONGODB_URI") else {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("OGF_MONGODB_URI not set: run via `make test` which starts FerretDB");
        }
        eprintln!(
            "skipped: OGF_MONGODB_URI not set (MongoDB conformance cases need FerretDB or MongoDB)"
        );
        return None;
    };
    let db = format!("ogf_test_{}", uuid::Uuid::new_v4().simple());
    Some(MongoStore::connect(&uri, &db).await.unwrap())
}

/// Runs a case on MongoDB and drops its database even when the case panics.
async fn run_on_mongodb<F, Fut>(case: F)
where
    F: FnOnce(MongoStore) -> Fut,
    Fut: Future<Output = ()>,
{
    let Some(store) = mongodb().await else { return };
    let result = AssertUnwindSafe(case(store.clone())).catch_unwind().await;
    store.drop_database().await.unwrap();
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
}

macro_rules! conformance {
    ($($case:ident),+ $(,)?) => {
        mod embedded {
            $(
                #[tokio::test]
                async fn $case() {
                    let (store, _dir) = super::embedded().await;
                    super::cases::$case(store.as_ref()).await;
                }
            )+
        }
        mod mongodb {
            $(
                #[tokio::test]
                async fn $case() {
                    super::run_on_mongodb(|store| async move { super::cases::$case(&store).await })
                    .await;
                }
            )+
        }
    };
}

conformance!(
    round_trip_preserves_every_field,
    unknown_id_is_none,
    duplicate_id_is_a_conflict,
    empty_store_and_empty_bulk_insert,
    newest_first_with_id_tie_break,
    filters_match_reference,
    text_search_matches_reference,
    operator_like_input_is_literal,
    demo_dataset_matches_reference,
    pagination_never_repeats_or_skips_under_inserts,
);

#[tokio::test]
async fn mongodb_indexes_are_created_idempotently() {
    run_on_mongodb(|store| async move {
        let names = store.index_names().await.unwrap();
        for (name, _) in ogf_api::store::mongo::indexes::listing_indexes() {
            assert!(
                names.iter().any(|n| n == name),
                "{name} missing from {names:?}"
            );
        }
        // Connecting again re-runs index creation on the same database (as on every restart).
        let uri = std::env::var("OGF_MONGODB_URI").unwrap();
        let again = MongoStore::connect(&uri, store.database_name())
            .await
            .unwrap();
        assert_eq!(again.index_names().await.unwrap(), names);
    })
    .await;
}

#[tokio::test]
async fn embedded_store_reopens_with_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let data = support::crafted();
    {
        let store = EmbeddedStore::open(dir.path()).await.unwrap();
        store.insert_many(&data).await.unwrap();
    }
    let store = EmbeddedStore::open(dir.path()).await.unwrap();
    assert_eq!(
        store.count(&Default::default()).await.unwrap(),
        data.len() as u64
    );
    let filter = ogf_api::domain::ListingFilter {
        text: ogf_api::domain::TextQuery::parse("midland").unwrap(),
        ..Default::default()
    };
    assert_eq!(
        support::walk(&store, &filter, 10).await,
        ["c01", "c03"],
        "FTS index persisted"
    );
}
