//! The backup engine through its library API: exact round trips (property tests) on both
//! stores, tampering, wrong keys, truncation, schema mismatches, S3 against the test
//! environment's MinIO and MongoDB against its FerretDB.
#![allow(clippy::unwrap_used)]

mod backup_support;

use std::path::Path;

use backup_support::{Keys, S3Env, create_embedded, embedded, flip_middle, local_dest, snapshot};
use ogf_api::backup::dest::Destination;
use ogf_api::backup::engine;
use ogf_api::backup::store::StoreTarget;
use proptest::prelude::*;
use rusqlite::Connection;
use rusqlite::types::Value;

/// A value SQLite can hold in a TEXT-affinity column without conversion.
#[derive(Debug, Clone)]
enum Cell {
    Text(String),
    BadUtf8(Vec<u8>),
    Blob(Vec<u8>),
    Int(i64),
    Real(f64),
}

fn cell() -> impl Strategy<Value = Cell> {
    prop_oneof![
        4 => any::<String>().prop_map(Cell::Text),
        1 => "[\\PC]{2000,20000}".prop_map(Cell::Text),
        2 => prop::collection::vec(any::<u8>(), 0..64).prop_map(Cell::Blob),
        1 => prop::collection::vec(any::<u8>(), 100_000..200_000).prop_map(Cell::Blob),
        1 => prop::collection::vec(0x80u8..0xff, 1..16).prop_map(Cell::BadUtf8),
        1 => any::<i64>().prop_map(Cell::Int),
        1 => any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Cell::Real),
    ]
}

fn insert_rows(dir: &Path, cells: &[(Cell, Option<String>)]) {
    let conn = Connection::open(dir.join("ogf.sqlite3")).unwrap();
    for (i, (c, user)) in cells.iter().enumerate() {
        let sql = "INSERT INTO audit_events (id, at_ms, kind, user_id, detail) VALUES (?1, ?2, ?3, ?4, ?5)";
        let id = format!("evt-{i}");
        let kind = "test";
        match c {
            Cell::BadUtf8(b) => conn
                .execute(
                    "INSERT INTO audit_events (id, at_ms, kind, user_id, detail) \
                     VALUES (?1, ?2, ?3, ?4, CAST(?5 AS TEXT))",
                    rusqlite::params![id, i as i64, kind, user, b],
                )
                .unwrap(),
            other => {
                let v = match other {
                    Cell::Text(s) => Value::Text(s.clone()),
                    Cell::Blob(b) => Value::Blob(b.clone()),
                    Cell::Int(n) => Value::Integer(*n),
                    Cell::Real(f) => Value::Real(*f),
                    Cell::BadUtf8(_) => unreachable!(),
                };
                conn.execute(sql, rusqlite::params![id, i as i64, kind, user, v])
                    .unwrap()
            }
        };
    }
    // A listing with a unicode title, for the full-text index check.
    conn.execute(
        "INSERT INTO listings (id, title, description, listing_type, status, basin, state, county, \
         lon, lat, asking_price_cents, sale_type, created_at_ms) VALUES ('l1', 'Ñandú royalty \
         Permian', 'ü', 'royalty_interest', 'active', 'Permian', 'TX', 'Midland', -102.0, 31.9, 5, \
         'fixed', 1)",
        [],
    )
    .unwrap();
}

async fn fts_hits(dir: &Path, q: &str) -> i64 {
    // The API's search path opens the store (WAL mode) and queries the full-text index.
    ogf_api::store::EmbeddedStore::open(dir).await.unwrap();
    Connection::open(dir.join("ogf.sqlite3"))
        .unwrap()
        .query_row(
            "SELECT count(*) FROM listings_fts WHERE listings_fts MATCH ?1",
            [format!("\"{q}\"")],
            |r| r.get(0),
        )
        .unwrap()
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn embedded_round_trip_is_exact(
        cells in prop::collection::vec((cell(), prop::option::of("[a-z]{1,8}")), 0..40)
    ) {
        rt().block_on(async {
            let keys = Keys::new();
            let src = tempfile::tempdir().unwrap();
            let out = tempfile::tempdir().unwrap();
            create_embedded(src.path()).await;
            insert_rows(src.path(), &cells);
            let before = snapshot(src.path());
            let dest = local_dest(out.path());
            let report = engine::backup(&embedded(src.path()), &dest, keys.options()).await.unwrap();
            assert_eq!(report.counts["audit_events"], cells.len() as u64);

            // Into a new, empty data directory (bootstrap).
            let fresh = tempfile::tempdir().unwrap();
            let fresh_dir = fresh.path().join("data");
            engine::restore(&embedded(&fresh_dir), &dest, &report.id, &keys.identities).await.unwrap();
            assert_eq!(snapshot(&fresh_dir), before);
            assert_eq!(fts_hits(&fresh_dir, "ñandú").await, 1);

            // In place, over changed data.
            Connection::open(src.path().join("ogf.sqlite3")).unwrap()
                .execute_batch("DELETE FROM audit_events; DELETE FROM listings;").unwrap();
            engine::restore(&embedded(src.path()), &dest, "latest", &keys.identities).await.unwrap();
            assert_eq!(snapshot(src.path()), before);
            assert_eq!(fts_hits(src.path(), "permian").await, 1);
        });
    }
}

async fn backed_up(keys: &Keys) -> (tempfile::TempDir, tempfile::TempDir, Destination, String) {
    let src = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    create_embedded(src.path()).await;
    insert_rows(
        src.path(),
        &[
            (Cell::Text("hello".into()), None),
            (Cell::Blob(vec![0, 1, 2]), Some("u".into())),
        ],
    );
    let dest = local_dest(out.path());
    let report = engine::backup(&embedded(src.path()), &dest, keys.options())
        .await
        .unwrap();
    (src, out, dest, report.id)
}

#[tokio::test]
async fn tampered_artifact_is_an_integrity_error_and_live_data_is_unchanged() {
    let keys = Keys::new();
    let (src, out, dest, id) = backed_up(&keys).await;
    flip_middle(&out.path().join(format!("{id}.ogfbak")));
    Connection::open(src.path().join("ogf.sqlite3"))
        .unwrap()
        .execute("DELETE FROM audit_events WHERE id = 'evt-0'", [])
        .unwrap();
    let live = snapshot(src.path());
    let file_before = std::fs::read(src.path().join("ogf.sqlite3")).unwrap();
    for verify in [false, true] {
        let result = if verify {
            engine::verify(&embedded(src.path()), &dest, &id, &keys.identities).await
        } else {
            engine::restore(&embedded(src.path()), &dest, &id, &keys.identities).await
        };
        let e = result.unwrap_err();
        assert_eq!(e.exit_code(), 3, "{e}");
        assert_eq!(e.reason(), "IntegrityError");
    }
    assert_eq!(snapshot(src.path()), live);
    assert_eq!(
        std::fs::read(src.path().join("ogf.sqlite3")).unwrap(),
        file_before
    );
    let leftovers: Vec<_> = std::fs::read_dir(src.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.contains("restore"))
        .collect();
    assert!(leftovers.is_empty(), "staging files left: {leftovers:?}");
}

#[tokio::test]
async fn truncated_artifact_is_an_integrity_error() {
    let keys = Keys::new();
    let (src, out, dest, id) = backed_up(&keys).await;
    let path = out.path().join(format!("{id}.ogfbak"));
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() - 100]).unwrap();
    let e = engine::restore(&embedded(src.path()), &dest, &id, &keys.identities)
        .await
        .unwrap_err();
    assert_eq!(e.exit_code(), 3, "{e}");
}

#[tokio::test]
async fn wrong_identity_is_a_decryption_error() {
    let keys = Keys::new();
    let (src, _out, dest, id) = backed_up(&keys).await;
    let live = snapshot(src.path());
    let other = Keys::new();
    let e = engine::restore(&embedded(src.path()), &dest, &id, &other.identities)
        .await
        .unwrap_err();
    assert_eq!(e.exit_code(), 4, "{e}");
    assert!(e.to_string().contains("wrong key"), "{e}");
    assert_eq!(snapshot(src.path()), live);
}

#[tokio::test]
async fn any_of_several_recipients_can_restore() {
    let (a, b) = (Keys::new(), Keys::new());
    let src = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    create_embedded(src.path()).await;
    let dest = local_dest(out.path());
    let mut opts = a.options();
    opts.recipients.extend(b.options().recipients);
    let r = engine::backup(&embedded(src.path()), &dest, opts)
        .await
        .unwrap();
    for k in [&a, &b] {
        engine::verify(&embedded(src.path()), &dest, &r.id, &k.identities)
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn backup_with_verify_and_an_existing_id() {
    let keys = Keys::new();
    let src = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    create_embedded(src.path()).await;
    let dest = local_dest(out.path());
    let mut opts = keys.options();
    opts.id = Some("nightly-1".into());
    opts.verify_with = Some(keys.identities.clone());
    let r = engine::backup(&embedded(src.path()), &dest, opts)
        .await
        .unwrap();
    assert!(r.verified);
    let mut again = keys.options();
    again.id = Some("nightly-1".into());
    let e = engine::backup(&embedded(src.path()), &dest, again)
        .await
        .unwrap_err();
    assert_eq!(e.exit_code(), 2, "{e}");
    // --verify with a key that cannot decrypt: no marker is written.
    let mut bad = keys.options();
    bad.id = Some("nightly-2".into());
    bad.verify_with = Some(Keys::new().identities);
    let e = engine::backup(&embedded(src.path()), &dest, bad)
        .await
        .unwrap_err();
    assert_eq!(e.exit_code(), 4, "{e}");
    let ids: Vec<String> = engine::list(&dest)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.id)
        .collect();
    assert_eq!(ids, vec!["nightly-1"]);
}

#[tokio::test]
async fn archives_of_another_schema_version_are_refused() {
    let keys = Keys::new();
    let src = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    create_embedded(src.path()).await;
    let latest = ogf_api::store::embedded::schema::latest_version();
    Connection::open(src.path().join("ogf.sqlite3"))
        .unwrap()
        .pragma_update(None, "user_version", latest - 1)
        .unwrap();
    let dest = local_dest(out.path());
    let r = engine::backup(&embedded(src.path()), &dest, keys.options())
        .await
        .unwrap();
    let target = tempfile::tempdir().unwrap();
    let e = engine::restore(&embedded(target.path()), &dest, &r.id, &keys.identities)
        .await
        .unwrap_err();
    assert_eq!(e.exit_code(), 2, "{e}");
    assert!(e.to_string().contains("schema version"), "{e}");
    assert!(!target.path().join("ogf.sqlite3").exists());
}

#[tokio::test]
async fn s3_round_trip_tampering_and_missing_bucket() {
    let Some(s3) = S3Env::get() else { return };
    let keys = Keys::new();
    let src = tempfile::tempdir().unwrap();
    create_embedded(src.path()).await;
    insert_rows(src.path(), &[(Cell::Blob(vec![9; 100_000]), None)]);
    let before = snapshot(src.path());
    let dest = Destination::open(&s3.config(None)).unwrap();
    let r = engine::backup(&embedded(src.path()), &dest, keys.options())
        .await
        .unwrap();
    assert!(r.location.starts_with("s3://"), "{}", r.location);
    let listed = engine::list(&dest).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].sha256, r.sha256);

    let fresh = tempfile::tempdir().unwrap();
    engine::restore(&embedded(fresh.path()), &dest, "latest", &keys.identities)
        .await
        .unwrap();
    assert_eq!(snapshot(fresh.path()), before);

    // One flipped byte in the stored object.
    let name = format!("{}.ogfbak", r.id);
    let mut bytes = dest.get_small(&name).await.unwrap().unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x80;
    dest.put_small(&name, bytes).await.unwrap();
    let e = engine::restore(&embedded(fresh.path()), &dest, &r.id, &keys.identities)
        .await
        .unwrap_err();
    assert_eq!(e.exit_code(), 3, "{e}");
    assert_eq!(snapshot(fresh.path()), before);

    let missing = Destination::open(&s3.config(Some("ogf-no-such-bucket"))).unwrap();
    let e = engine::backup(&embedded(src.path()), &missing, keys.options())
        .await
        .unwrap_err();
    assert_eq!(e.exit_code(), 5, "{e}");
    assert!(e.to_string().contains("NoSuchBucket"), "{e}");
}

#[tokio::test]
async fn missing_embedded_database_is_a_store_error() {
    let keys = Keys::new();
    let empty = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let e = engine::backup(
        &embedded(empty.path()),
        &local_dest(out.path()),
        keys.options(),
    )
    .await
    .unwrap_err();
    assert_eq!(e.exit_code(), 6, "{e}");
    assert!(
        engine::list(&local_dest(out.path()))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        std::fs::read_dir(out.path()).unwrap().count(),
        0,
        "no partial artifact"
    );
}

#[tokio::test]
async fn restore_refuses_a_backup_of_the_other_store() {
    let keys = Keys::new();
    let (_src, _out, dest, id) = backed_up(&keys).await;
    let target = StoreTarget::Mongodb {
        uri: "mongodb://127.0.0.1:1/".into(),
        database: "x".into(),
    };
    let e = engine::restore(&target, &dest, &id, &keys.identities)
        .await
        .unwrap_err();
    assert_eq!(e.exit_code(), 2, "{e}");
}

/// Data-room documents are rows like any other: a backup carries their bytes (here 8 MiB,
/// far over one record batch) and a restore brings back metadata and content that match.
#[tokio::test]
async fn data_room_documents_survive_a_backup_and_restore() {
    use ogf_api::domain::{Document, DocumentKind, DocumentVisibility};
    use ogf_api::store::{DataRoomStore, EmbeddedStore};

    let keys = Keys::new();
    let src = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let content: Vec<u8> = (0..8u32 << 20).map(|i| (i % 251) as u8).collect();
    let doc = Document {
        id: "0190a0b0-0000-7000-8000-0000000000aa".into(),
        listing_id: "l1".into(),
        owner_id: "s1".into(),
        uploader_id: "s1".into(),
        title: "Logs".into(),
        kind: DocumentKind::Pdf,
        visibility: DocumentVisibility::Nda,
        size_bytes: content.len() as u64,
        sha256: "00".repeat(32),
        uploaded_at: chrono::DateTime::from_timestamp_millis(1_767_000_000_000).unwrap(),
    };
    {
        let store = EmbeddedStore::open(src.path()).await.unwrap();
        store
            .insert_document(&doc, &content, u64::MAX >> 1)
            .await
            .unwrap()
            .unwrap();
    }
    let dest = local_dest(out.path());
    let report = engine::backup(&embedded(src.path()), &dest, keys.options())
        .await
        .unwrap();
    assert_eq!(report.counts["documents"], 1);
    assert_eq!(report.counts["document_blobs"], 1);

    let fresh = tempfile::tempdir().unwrap();
    let fresh_dir = fresh.path().join("data");
    engine::restore(&embedded(&fresh_dir), &dest, &report.id, &keys.identities)
        .await
        .unwrap();
    let restored = EmbeddedStore::open(&fresh_dir).await.unwrap();
    assert_eq!(restored.document(&doc.id).await.unwrap(), Some(doc.clone()));
    assert!(restored.document_content(&doc.id).await.unwrap() == Some(content));
    assert_eq!(restored.stored_bytes("s1").await.unwrap(), 8 << 20);
}
