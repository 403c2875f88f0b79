//! Conformance cases: data-room documents (bytes kept exactly, upload order, quota decided
//! atomically with the insert) and NDA requests (one per buyer and listing, compare-and-set).

use chrono::Duration;
use futures::future::join_all;
use ogf_api::domain::{
    Document, DocumentKind, DocumentVisibility, NdaRequest, NdaStatus, SaleType,
};
use ogf_api::store::dataroom::{NdaQuery, QuotaExceeded};
use ogf_api::store::{Store, StoreError};

use super::bids::sale;
use crate::support::t0;

fn doc(id: &str, listing: &str, owner: &str, size: u64, minutes: i64) -> Document {
    Document {
        id: id.into(),
        listing_id: listing.into(),
        owner_id: owner.into(),
        uploader_id: owner.into(),
        title: format!("Document {id}"),
        kind: DocumentKind::Pdf,
        visibility: DocumentVisibility::Nda,
        size_bytes: size,
        sha256: "ab".repeat(32),
        uploaded_at: t0() + Duration::minutes(minutes),
    }
}

/// Bytes of every value, including NUL and 0xFF, of `size` length.
fn bytes(size: u64) -> Vec<u8> {
    (0..size).map(|i| (i % 256) as u8).collect()
}

pub async fn documents_round_trip_with_their_bytes_in_upload_order(store: &dyn Store) {
    // The default upload limit, 10 MiB, fits in one BSON document too.
    let big = doc("d2", "l1", "s1", 10 << 20, 1);
    let small = doc("d1", "l1", "s1", 300, 2);
    let other = doc("d3", "l2", "s1", 10, 0);
    for d in [&big, &small, &other] {
        store
            .insert_document(d, &bytes(d.size_bytes), u64::MAX >> 1)
            .await
            .unwrap()
            .unwrap();
    }
    assert!(matches!(
        store.insert_document(&small, b"x", u64::MAX >> 1).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(store.document("d2").await.unwrap().as_ref(), Some(&big));
    assert_eq!(store.document("nope").await.unwrap(), None);
    assert_eq!(
        store.document_content("d2").await.unwrap().unwrap(),
        bytes(10 << 20),
        "10 MiB kept byte for byte"
    );
    assert_eq!(store.document_content("nope").await.unwrap(), None);
    let ids: Vec<String> = store
        .listing_documents("l1")
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.id)
        .collect();
    assert_eq!(ids, ["d2", "d1"]);
    assert!(store.delete_document("d2").await.unwrap());
    assert!(!store.delete_document("d2").await.unwrap());
    assert_eq!(store.document_content("d2").await.unwrap(), None);
    assert_eq!(store.delete_data_room("l2").await.unwrap(), 1);
    assert_eq!(store.document("d3").await.unwrap(), None);
    assert_eq!(store.listing_documents("l1").await.unwrap(), vec![small]);
}

pub async fn document_quota_counts_per_owner_and_refuses_overruns(store: &dyn Store) {
    store
        .insert_document(&doc("a", "l1", "s1", 600, 0), &bytes(600), 1_000)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        store
            .insert_document(&doc("b", "l1", "s1", 401, 1), &bytes(401), 1_000)
            .await
            .unwrap(),
        Err(QuotaExceeded {
            used_bytes: 600,
            quota_bytes: 1_000
        })
    );
    assert_eq!(store.document("b").await.unwrap(), None, "nothing stored");
    store
        .insert_document(&doc("c", "l1", "s1", 400, 2), &bytes(400), 1_000)
        .await
        .unwrap()
        .unwrap();
    // Another owner has a quota of their own.
    store
        .insert_document(&doc("d", "l2", "s2", 900, 3), &bytes(900), 1_000)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(store.stored_bytes("s1").await.unwrap(), 1_000);
    assert_eq!(store.stored_bytes("s2").await.unwrap(), 900);
    assert_eq!(store.stored_bytes("nobody").await.unwrap(), 0);
    store.delete_document("a").await.unwrap();
    assert_eq!(store.stored_bytes("s1").await.unwrap(), 400);
}

pub async fn concurrent_uploads_never_pass_the_quota_together(store: &dyn Store) {
    let docs: Vec<Document> = (0..8)
        .map(|i| doc(&format!("c{i}"), "l1", "s1", 300, i))
        .collect();
    let results = join_all(
        docs.iter()
            .map(|d| async move { store.insert_document(d, &bytes(300), 1_000).await.unwrap() }),
    )
    .await;
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 3);
    assert_eq!(store.stored_bytes("s1").await.unwrap(), 900);
}

pub async fn nda_requests_are_one_per_buyer_and_change_by_compare_and_set(store: &dyn Store) {
    let listing = sale("l1", SaleType::Fixed);
    let at = |m: i64| t0() + Duration::minutes(m);
    let first = NdaRequest::new("r1".into(), &listing, "b1", at(0));
    let (stored, new) = store.request_nda(&first).await.unwrap();
    assert!(new);
    assert_eq!(stored, first);
    let again = NdaRequest::new("r2".into(), &listing, "b1", at(1));
    let (stored, new) = store.request_nda(&again).await.unwrap();
    assert!(!new, "one request per buyer and listing");
    assert_eq!(stored.id, "r1");
    // Concurrent first requests of another buyer: one stored, every caller gets it.
    let racing: Vec<NdaRequest> = (0..6)
        .map(|i| NdaRequest::new(format!("x{i}"), &listing, "b2", at(2)))
        .collect();
    let got = join_all(racing.iter().map(|r| store.request_nda(r))).await;
    let got: Vec<(NdaRequest, bool)> = got.into_iter().map(Result::unwrap).collect();
    assert_eq!(got.iter().filter(|(_, new)| *new).count(), 1);
    assert!(got.windows(2).all(|w| w[0].0.id == w[1].0.id));

    let approved = first.decide(NdaStatus::Approved, "seller", at(3)).unwrap();
    assert!(store.update_nda_request(&approved, 1).await.unwrap());
    assert!(
        !store.update_nda_request(&approved, 1).await.unwrap(),
        "stale version"
    );
    assert_eq!(
        store.nda_request("r1").await.unwrap(),
        Some(approved.clone())
    );
    assert_eq!(
        store.nda_request_for("l1", "b1").await.unwrap(),
        Some(approved)
    );
    assert_eq!(store.nda_request_for("l1", "b9").await.unwrap(), None);
    assert_eq!(store.nda_request("nope").await.unwrap(), None);

    let other = NdaRequest::new("r3".into(), &sale("l2", SaleType::Fixed), "b1", at(4));
    store.request_nda(&other).await.unwrap();
    let page = |listing: Option<&str>, buyer: Option<&str>| NdaQuery {
        listing_id: listing.map(str::to_owned),
        buyer_id: buyer.map(str::to_owned),
        after: None,
        limit: 1,
    };
    let mut q = page(None, Some("b1"));
    let mut ids = Vec::new();
    loop {
        let p = store.nda_requests_page(&q).await.unwrap();
        assert!(p.items.len() <= 1);
        assert!(p.items.iter().all(|r| q.matches(r)));
        ids.extend(p.items.into_iter().map(|r| r.id));
        match p.next {
            Some(c) => q.after = Some(c),
            None => break,
        }
    }
    assert_eq!(ids, ["r3", "r1"], "newest first");
    let mut q = page(Some("l1"), None);
    q.limit = 10;
    let listing_ids: Vec<String> = store
        .nda_requests_page(&q)
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|r| r.buyer_id)
        .collect();
    assert_eq!(listing_ids, ["b2", "b1"]);

    // Deleting the listing's data room removes its requests (and only its requests).
    assert_eq!(store.delete_data_room("l1").await.unwrap(), 0);
    assert_eq!(store.nda_request("r1").await.unwrap(), None);
    assert_eq!(store.nda_request_for("l1", "b2").await.unwrap(), None);
    assert!(store.nda_request("r3").await.unwrap().is_some());
}
