//! The backup engine on the MongoDB store (FerretDB in the test environment): exact round
//! trips of random documents, in-place restore with index creation, tampering, scratch verify.
#![allow(clippy::unwrap_used)]

mod backup_support;

use backup_support::{Keys, flip_middle, local_dest, mongodb_uri, unique_db};
use futures::TryStreamExt;
use mongodb::bson::{Binary, Bson, Document, RawDocumentBuf, doc, spec::BinarySubtype};
use ogf_api::backup::engine;
use ogf_api::backup::store::StoreTarget;
use proptest::prelude::*;

fn leaf() -> impl Strategy<Value = Bson> {
    prop_oneof![
        any::<String>().prop_map(Bson::String),
        "[\\PC]{1000,5000}".prop_map(Bson::String),
        any::<i32>().prop_map(Bson::Int32),
        any::<i64>().prop_map(Bson::Int64),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Bson::Double),
        any::<bool>().prop_map(Bson::Boolean),
        Just(Bson::Null),
        prop::collection::vec(any::<u8>(), 0..64).prop_map(|bytes| Bson::Binary(Binary {
            subtype: BinarySubtype::Generic,
            bytes
        })),
        prop::collection::vec(any::<u8>(), 50_000..120_000).prop_map(|bytes| Bson::Binary(
            Binary {
                subtype: BinarySubtype::Generic,
                bytes
            }
        )),
        (0i64..4_102_444_800_000)
            .prop_map(|ms| Bson::DateTime(mongodb::bson::DateTime::from_millis(ms))),
    ]
}

fn value() -> impl Strategy<Value = Bson> {
    // FerretDB v1 rejects arrays directly inside arrays; documents inside arrays are fine.
    leaf().prop_recursive(3, 24, 4, |inner| {
        let doc = prop::collection::vec(("[a-z][a-z0-9_]{0,7}", inner), 0..4)
            .prop_map(|kv| Bson::Document(kv.into_iter().collect::<Document>()));
        prop_oneof![
            prop::collection::vec(prop_oneof![leaf(), doc.clone()], 0..4).prop_map(Bson::Array),
            doc,
        ]
    })
}

fn document() -> impl Strategy<Value = Document> {
    prop::collection::vec(("[a-z][a-zA-Z0-9_]{0,9}", value()), 0..6)
        .prop_map(|kv| kv.into_iter().collect::<Document>())
}

async fn raw_contents(db: &mongodb::Database) -> Vec<(String, Vec<RawDocumentBuf>)> {
    let mut names = db.list_collection_names().await.unwrap();
    names.sort();
    let mut out = Vec::new();
    for n in names {
        let docs: Vec<RawDocumentBuf> = db
            .collection::<RawDocumentBuf>(&n)
            .find(doc! {})
            .sort(doc! { "_id": 1 })
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap();
        out.push((n, docs));
    }
    out
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

struct Db {
    client: mongodb::Client,
    name: String,
    uri: String,
}

impl Db {
    async fn new(uri: &str) -> Self {
        let client = mongodb::Client::with_uri_str(uri).await.unwrap();
        Self {
            client,
            name: unique_db(),
            uri: uri.to_owned(),
        }
    }
    fn db(&self) -> mongodb::Database {
        self.client.database(&self.name)
    }
    fn target(&self) -> StoreTarget {
        StoreTarget::Mongodb {
            uri: self.uri.clone(),
            database: self.name.clone(),
        }
    }
    async fn drop(self) {
        self.db().drop().await.unwrap();
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]

    #[test]
    fn mongodb_round_trip_is_exact(docs in prop::collection::vec(document(), 0..25)) {
        let Some(uri) = mongodb_uri() else { return Ok(()) };
        rt().block_on(async {
            let db = Db::new(&uri).await;
            // The store's own collections (with its indexes) and a free-form one.
            ogf_api::store::MongoStore::connect(&uri, &db.name).await.unwrap();
            let things = db.db().collection::<Document>("things");
            for (i, mut d) in docs.into_iter().enumerate() {
                d.insert("_id", format!("doc-{i:04}"));
                things.insert_one(d).await.unwrap();
            }
            db.db().collection::<Document>("listings")
                .insert_one(doc! { "_id": "l1", "title": "Ñandú", "created_at": 1i64 })
                .await
                .unwrap();
            let before = raw_contents(&db.db()).await;
            let keys = Keys::new();
            let out = tempfile::tempdir().unwrap();
            let dest = local_dest(out.path());
            let r = engine::backup(&db.target(), &dest, keys.options()).await.unwrap();
            assert_eq!(r.consistency.as_deref(), Some("per-collection"), "FerretDB has no snapshot reads");

            // Change the live data: drop one collection, add one, change a document.
            db.db().collection::<Document>("things").drop().await.unwrap();
            db.db().collection::<Document>("extra").insert_one(doc! { "x": 1 }).await.unwrap();
            db.db().collection::<Document>("listings")
                .update_one(doc! { "_id": "l1" }, doc! { "$set": { "title": "changed" } })
                .await
                .unwrap();
            let restored = engine::restore(&db.target(), &dest, &r.id, &keys.identities).await;
            let after = raw_contents(&db.db()).await;
            let indexes = db.db().collection::<Document>("listings").list_index_names().await;
            db.drop().await;
            restored.unwrap();
            assert_eq!(after, before);
            assert!(indexes.unwrap().contains(&"listings_newest".to_owned()));
        });
    }
}

#[tokio::test]
async fn mongodb_tampered_restore_and_verify_leave_live_data_alone() {
    let Some(uri) = mongodb_uri() else { return };
    let db = Db::new(&uri).await;
    let result = async {
        let coll = db.db().collection::<Document>("listings");
        for i in 0..50 {
            coll.insert_one(doc! { "_id": format!("l{i:03}"), "n": i, "bin": Binary { subtype: BinarySubtype::Generic, bytes: vec![i as u8; 100] } })
                .await
                .unwrap();
        }
        let keys = Keys::new();
        let out = tempfile::tempdir().unwrap();
        let dest = local_dest(out.path());
        let r = engine::backup(&db.target(), &dest, keys.options()).await.unwrap();
        assert_eq!(r.counts["listings"], 50);
        coll.delete_one(doc! { "_id": "l000" }).await.unwrap();
        let live = raw_contents(&db.db()).await;

        // verify: full test restore into scratch collections, dropped afterwards.
        let v = engine::verify(&db.target(), &dest, &r.id, &keys.identities).await.unwrap();
        assert!(v.verified);
        assert_eq!(raw_contents(&db.db()).await, live, "verify must not touch live data");

        // wrong key, then tampering.
        let e = engine::restore(&db.target(), &dest, &r.id, &Keys::new().identities)
            .await
            .unwrap_err();
        assert_eq!(e.exit_code(), 4, "{e}");
        flip_middle(&out.path().join(format!("{}.ogfbak", r.id)));
        let e = engine::restore(&db.target(), &dest, &r.id, &keys.identities)
            .await
            .unwrap_err();
        assert_eq!(e.exit_code(), 3, "{e}");
        assert_eq!(raw_contents(&db.db()).await, live, "live data unchanged, no staging left");
    }
    .await;
    db.drop().await;
    result
}

#[tokio::test]
async fn unreachable_mongodb_is_a_store_error() {
    let keys = Keys::new();
    let out = tempfile::tempdir().unwrap();
    let target = StoreTarget::Mongodb {
        uri: "mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=500".into(),
        database: "x".into(),
    };
    let e = engine::backup(&target, &local_dest(out.path()), keys.options())
        .await
        .unwrap_err();
    assert_eq!(e.exit_code(), 6, "{e}");
}

/// Data-room documents (one BSON binary each) go through a backup and an in-place restore
/// intact; several of several MiB exceed one `insertMany` batch by bytes.
#[tokio::test]
async fn mongodb_data_room_documents_survive_a_backup_and_restore() {
    use ogf_api::domain::{Document as Doc, DocumentKind, DocumentVisibility};
    use ogf_api::store::{DataRoomStore, MongoStore};

    let Some(uri) = mongodb_uri() else { return };
    let db = Db::new(&uri).await;
    let result = async {
        let store = MongoStore::connect(&uri, &db.name).await.unwrap();
        let mut docs = Vec::new();
        for i in 0..5u8 {
            let content: Vec<u8> = (0..(5u32 << 20)).map(|j| (j % 251) as u8 ^ i).collect();
            let d = Doc {
                id: format!("0190a0b0-0000-7000-8000-0000000000a{i}"),
                listing_id: "l1".into(),
                owner_id: "s1".into(),
                uploader_id: "s1".into(),
                title: format!("Logs {i}"),
                kind: DocumentKind::Las,
                visibility: DocumentVisibility::Nda,
                size_bytes: content.len() as u64,
                sha256: "00".repeat(32),
                uploaded_at: chrono::DateTime::from_timestamp_millis(
                    1_767_000_000_000 + i64::from(i),
                )
                .unwrap(),
            };
            store
                .insert_document(&d, &content, u64::MAX >> 1)
                .await
                .unwrap()
                .unwrap();
            docs.push((d, content));
        }
        let keys = Keys::new();
        let out = tempfile::tempdir().unwrap();
        let dest = local_dest(out.path());
        let r = engine::backup(&db.target(), &dest, keys.options())
            .await
            .unwrap();
        assert_eq!(r.counts["document_blobs"], 5);
        store.delete_document(&docs[0].0.id).await.unwrap();
        engine::restore(&db.target(), &dest, &r.id, &keys.identities)
            .await
            .unwrap();
        for (d, content) in &docs {
            assert_eq!(store.document(&d.id).await.unwrap().as_ref(), Some(d));
            assert!(store.document_content(&d.id).await.unwrap().as_ref() == Some(content));
        }
        let indexes = db
            .db()
            .collection::<Document>("nda_requests")
            .list_index_names()
            .await;
        assert!(indexes.unwrap().contains(&"nda_listing_buyer".to_owned()));
    }
    .await;
    db.drop().await;
    result
}
