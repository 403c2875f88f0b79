//! The two store backends for tests: embedded in a temp dir, and MongoDB from
//! `OGF_MONGODB_URI` (a fresh `ogf_test_<uuid>` database, dropped even on failure). Without the
//! variable the MongoDB runs fail when `CI=true` and are skipped (with a message) otherwise.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures::FutureExt;
use ogf_api::store::{EmbeddedStore, MongoStore, Store};

/// An embedded store in a fresh temporary directory (keep the directory alive).
pub async fn embedded() -> (Arc<dyn Store>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = EmbeddedStore::open(dir.path()).await.unwrap();
    (Arc::new(store), dir)
}

/// A MongoDB store on a fresh database, or `None` when no server is configured (outside CI).
pub async fn mongodb() -> Option<MongoStore> {
    let Ok(uri) = std::env::var("OGF_MONGODB_URI") else {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("OGF_MONGODB_URI not set: run via `make test` which starts FerretDB");
        }
        eprintln!("skipped: OGF_MONGODB_URI not set (MongoDB cases need FerretDB or MongoDB)");
        return None;
    };
    let db = format!("ogf_test_{}", uuid::Uuid::new_v4().simple());
    Some(MongoStore::connect(&uri, &db).await.unwrap())
}

/// Runs a case on MongoDB and drops its database even when the case panics.
pub async fn run_on_mongodb<F, Fut>(case: F)
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
