use chrono::{TimeDelta, TimeZone};

use super::*;
use crate::domain::{ListingMeta, NewListing};

fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap()
}

fn listing() -> Listing {
    let n = NewListing {
        title: "Lot".into(),
        basin: "Permian".into(),
        state: "TX".into(),
        county: "Midland".into(),
        lon: -102.0,
        lat: 31.9,
        ..NewListing::default()
    };
    let mut meta = ListingMeta::new("l1".into(), at());
    meta.seller_id = Some("seller".into());
    n.validate_with(meta).unwrap()
}

fn doc(visibility: DocumentVisibility) -> Document {
    Document {
        id: "0190a0b0-0000-7000-8000-000000000001".into(),
        listing_id: "l1".into(),
        owner_id: "seller".into(),
        uploader_id: "seller".into(),
        title: "Logs".into(),
        kind: DocumentKind::Las,
        visibility,
        size_bytes: 10,
        sha256: "00".repeat(32),
        uploaded_at: at(),
    }
}

#[test]
fn nda_requests_move_pending_approved_denied_and_denied_is_final() {
    let r = NdaRequest::new("r1".into(), &listing(), "buyer", at());
    assert_eq!((r.status, r.version), (NdaStatus::Pending, 1));
    assert_eq!(r.seller_id.as_deref(), Some("seller"));
    let approved = r.decide(NdaStatus::Approved, "seller", at()).unwrap();
    assert_eq!(
        (approved.status, approved.version),
        (NdaStatus::Approved, 2)
    );
    assert!(approved.updated_at > r.updated_at, "strictly later");
    let revoked = approved
        .decide(NdaStatus::Denied, "seller", at() + TimeDelta::hours(1))
        .unwrap();
    assert_eq!(revoked.decided_by.as_deref(), Some("seller"));
    for to in [NdaStatus::Approved, NdaStatus::Denied, NdaStatus::Pending] {
        assert!(revoked.decide(to, "seller", at()).is_err(), "{to}");
    }
    assert!(
        approved
            .decide(NdaStatus::Approved, "seller", at())
            .is_err()
    );
    assert!(r.decide(NdaStatus::Pending, "seller", at()).is_err());
}

#[test]
fn nda_documents_need_management_or_an_approved_request() {
    let l = listing();
    let public = doc(DocumentVisibility::Public);
    let nda = doc(DocumentVisibility::Nda);
    assert!(may_download(&public, &l, "anyone", Role::Buyer, None));
    assert!(!may_download(&nda, &l, "buyer", Role::Buyer, None));
    assert!(may_download(&nda, &l, "seller", Role::Seller, None));
    assert!(may_download(&nda, &l, "admin", Role::Admin, None));
    assert!(!may_download(&nda, &l, "other", Role::Seller, None));
    let pending = NdaRequest::new("r1".into(), &l, "buyer", at());
    assert!(!may_download(
        &nda,
        &l,
        "buyer",
        Role::Buyer,
        Some(&pending)
    ));
    let approved = pending.decide(NdaStatus::Approved, "seller", at()).unwrap();
    assert!(may_download(
        &nda,
        &l,
        "buyer",
        Role::Buyer,
        Some(&approved)
    ));
    assert!(
        !may_download(&nda, &l, "intruder", Role::Buyer, Some(&approved)),
        "someone else's approval opens nothing"
    );
    let denied = approved.decide(NdaStatus::Denied, "seller", at()).unwrap();
    assert!(!may_download(&nda, &l, "buyer", Role::Buyer, Some(&denied)));
}

#[test]
fn titles_come_from_the_form_the_file_name_or_the_kind() {
    assert_eq!(
        document_title(Some("  Well logs  "), Some("x.las"), DocumentKind::Las).unwrap(),
        "Well logs"
    );
    assert_eq!(
        document_title(None, Some("C:\\data\\Unit 7 logs.las"), DocumentKind::Las).unwrap(),
        "Unit 7 logs.las"
    );
    assert_eq!(
        document_title(Some(" "), None, DocumentKind::Pdf).unwrap(),
        "PDF document"
    );
    assert!(document_title(Some(&"x".repeat(201)), None, DocumentKind::Pdf).is_err());
    assert_eq!(
        doc(DocumentVisibility::Nda).file_name(),
        "0190a0b0-0000-7000-8000-000000000001.las"
    );
}
