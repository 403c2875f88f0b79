//! `ogf-api demo load` and `ogf-api demo drop-database` (used by `bench/search.sh`): the real
//! binary against a fresh embedded store, and the scratch-name guard of `drop-database`.

use std::process::Command;

use ogf_api::domain::{ListingFilter, SearchQuery};
use ogf_api::store::{EmbeddedStore, ListingStore};

fn demo(args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_ogf-api"))
        .arg("demo")
        .args(args)
        .env_remove("OGF_MONGODB_URI")
        .env_remove("OGF_MONGODB_DATABASE")
        .env_remove("OGF_STORE")
        .env_remove("OGF_DATA_DIR")
        .output()
        .expect("run ogf-api demo");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test]
async fn load_fills_an_empty_store_once_with_the_seeded_listings() {
    let data = tempfile::tempdir().expect("tempdir");
    let dir = data.path().to_str().expect("utf-8 path");
    let (code, out, err) = demo(&["load", "--count", "2500", "--seed", "7", "--data-dir", dir]);
    assert_eq!(code, 0, "{out} {err}");
    assert!(
        out.starts_with("loaded 2500 demo listings into embedded at "),
        "{out}"
    );

    let (code, out, err) = demo(&["load", "--count", "10", "--data-dir", dir]);
    assert_eq!(code, 5, "a store with listings is left alone: {out} {err}");
    assert!(err.contains("already holds listings"), "{err}");

    let store = EmbeddedStore::open(data.path()).await.expect("open");
    assert_eq!(store.count(&ListingFilter::default()).await.unwrap(), 2500);
    // The same seed gives the same listings (ids and creation times are relative to the load
    // time, the rest is not).
    let mut stored = Vec::new();
    let mut query = SearchQuery {
        limit: 100,
        ..SearchQuery::new(ListingFilter::default())
    };
    loop {
        let page = store.search(&query).await.expect("search");
        stored.extend(
            page.items
                .iter()
                .map(|l| (l.title.clone(), l.asking_price_cents)),
        );
        match page.next {
            Some(next) => query.after = Some(next),
            None => break,
        }
    }
    let mut expected: Vec<_> = ogf_api::demo::generate(2500, 7, chrono::Utc::now())
        .unwrap()
        .into_iter()
        .map(|l| (l.title, l.asking_price_cents))
        .collect();
    stored.sort();
    expected.sort();
    assert_eq!(stored, expected);
}

#[test]
fn drop_database_refuses_anything_but_a_scratch_mongodb_database() {
    let (code, _, err) = demo(&["drop-database", "--store", "embedded"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("needs --store mongodb"), "{err}");
    // Refused before connecting: nothing listens on port 9.
    let (code, _, err) = demo(&[
        "drop-database",
        "--store",
        "mongodb",
        "--mongodb-uri",
        "mongodb://127.0.0.1:9/",
        "--mongodb-database",
        "ogf",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("only scratch databases named ogf_bench_"),
        "{err}"
    );
}
