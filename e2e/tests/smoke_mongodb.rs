//! The MongoDB wire-protocol server (FerretDB in the test environment) is real:
//! the official driver inserts, finds and enforces a unique index.

use mongodb::bson::{Document, doc};
use mongodb::error::{ErrorKind, WriteFailure};
use mongodb::options::IndexOptions;
use mongodb::{Client, IndexModel};
use ogf_e2e::env;

#[tokio::test]
async fn insert_find_unique_index_and_duplicate_key() {
    let Some(mongo) = env::mongo() else { return };
    let client = Client::with_uri_str(&mongo.uri).await.expect("connect");
    let db = client.database(&format!("ogf_e2e_{}", uuid::Uuid::new_v4().simple()));
    let users = db.collection::<Document>("users");

    let index = IndexModel::builder()
        .keys(doc! {"email": 1})
        .options(
            IndexOptions::builder()
                .unique(true)
                .name("email_unique".to_string())
                .build(),
        )
        .build();
    users
        .create_index(index)
        .await
        .expect("create unique index");

    users
        .insert_one(doc! {"email": "seller@example.com", "role": "seller", "acres": 640.5})
        .await
        .expect("first insert");
    let found = users
        .find_one(doc! {"email": "seller@example.com"})
        .await
        .expect("find")
        .expect("found");
    assert_eq!(found.get_str("role").expect("role"), "seller");
    assert_eq!(found.get_f64("acres").expect("acres"), 640.5);

    let err = users
        .insert_one(doc! {"email": "seller@example.com", "role": "buyer"})
        .await
        .expect_err("duplicate email must be rejected");
    match *err.kind {
        ErrorKind::Write(WriteFailure::WriteError(ref w)) => {
            assert_eq!(w.code, 11000, "duplicate key: {w:?}")
        }
        ref other => panic!("expected a duplicate-key write error, got {other:?}"),
    }
    assert_eq!(users.count_documents(doc! {}).await.expect("count"), 1);

    let names: Vec<String> = users.list_index_names().await.expect("indexes");
    assert!(names.iter().any(|n| n == "email_unique"), "{names:?}");
    db.drop().await.expect("drop test database");
}
