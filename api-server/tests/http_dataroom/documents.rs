//! Uploads, lists, downloads and deletes; content checks.

use axum::http::{Method, StatusCode};
use serde_json::Value;

use crate::fixtures::{self, CSV, LAS};
use crate::support::app::TestApp;
use crate::{Part, audit_types, download, listing, upload, upload_ok};

fn find<'a>(list: &'a Value, id: &str) -> &'a Value {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == id)
        .unwrap_or_else(|| panic!("{id} not in {list}"))
}

pub async fn upload_list_download_and_delete(app: TestApp) {
    let (seller_id, seller, _) = app.user("seller@example.com", "seller").await;
    let (_, buyer, _) = app.user("buyer@example.com", "buyer").await;
    let id = listing(&app, &seller, "active").await;
    let pdf = fixtures::pdf(2_000);
    let xlsx = fixtures::xlsx(&[]);

    let res = upload(
        &app,
        &id,
        &seller,
        &[
            Part::text("title", "Title opinion"),
            Part::file("opinion.pdf", "application/pdf", &pdf),
            Part::text("visibility", "public"),
        ],
    )
    .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let doc = res.json();
    assert_eq!(doc["kind"], "pdf");
    assert_eq!(doc["title"], "Title opinion");
    assert_eq!(doc["size_bytes"], 2_000);
    assert_eq!(doc["sha256"], fixtures::sha256(&pdf));
    assert_eq!(doc["visibility"], "public");
    assert_eq!(doc["content_type"], "application/pdf");
    let pdf_id = doc["id"].as_str().unwrap().to_owned();
    assert_eq!(doc["file_name"], format!("{pdf_id}.pdf"));

    let las = upload_ok(
        &app,
        &id,
        &seller,
        Part::file("7-12H.las", "text/plain", LAS.as_bytes()),
        "nda",
    )
    .await;
    assert_eq!(las["kind"], "las");
    assert_eq!(
        las["title"], "7-12H.las",
        "the file's name is the default title"
    );
    let sheet = upload_ok(
        &app,
        &id,
        &seller,
        Part::file("../../etc/model.xlsx", "application/octet-stream", &xlsx),
        "nda",
    )
    .await;
    assert_eq!(sheet["kind"], "xlsx");
    assert_eq!(sheet["title"], "model.xlsx", "directories are dropped");
    let csv = upload_ok(
        &app,
        &id,
        &seller,
        Part::file("prod.csv", "text/csv", CSV.as_bytes()),
        "public",
    )
    .await;
    assert_eq!(csv["kind"], "csv");
    let png = fixtures::png();
    let image = upload_ok(
        &app,
        &id,
        &seller,
        Part::file("map.png", "image/png", &png),
        "public",
    )
    .await;
    assert_eq!(image["kind"], "png");

    // The seller sees and may download everything, in upload order.
    let uri = format!("/api/v1/listings/{id}/documents");
    let mine = app.get(&uri, &seller).await.json();
    assert_eq!(mine["full_access"], true);
    assert_eq!(mine["items"].as_array().unwrap().len(), 5);
    assert_eq!(mine["items"][0]["id"], pdf_id.as_str());
    assert!(
        mine["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["can_download"] == true)
    );

    // A buyer sees the whole index but may download only the public documents.
    let theirs = app.get(&uri, &buyer).await.json();
    assert_eq!(theirs["full_access"], false);
    assert_eq!(theirs["nda_request"], Value::Null);
    assert_eq!(find(&theirs, &pdf_id)["can_download"], true);
    assert_eq!(
        find(&theirs, las["id"].as_str().unwrap())["can_download"],
        false
    );

    let d = download(&app, &pdf_id, &buyer).await;
    assert_eq!(d.status, StatusCode::OK);
    assert_eq!(d.bytes, pdf);
    assert_eq!(d.header("content-type"), "application/pdf");
    assert_eq!(
        d.header("content-disposition"),
        format!("attachment; filename=\"{pdf_id}.pdf\"")
    );
    assert_eq!(d.header("x-content-type-options"), "nosniff");
    assert_eq!(d.header("cache-control"), "private, no-store");
    let d = download(&app, image["id"].as_str().unwrap(), &buyer).await;
    assert_eq!(
        (d.status, d.header("content-type")),
        (StatusCode::OK, "image/png")
    );
    assert_eq!(d.bytes, png);
    let d = download(&app, sheet["id"].as_str().unwrap(), &seller).await;
    assert_eq!(d.bytes, xlsx);
    assert!(d.header("content-disposition").ends_with(".xlsx\""));

    // Delete: gone from the list and from downloads.
    let res = app
        .req(Method::DELETE, &format!("/api/v1/documents/{pdf_id}"))
        .token(&seller)
        .send()
        .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.body);
    assert_eq!(
        app.get(&uri, &seller).await.json()["items"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
    assert_eq!(
        download(&app, &pdf_id, &seller).await.status,
        StatusCode::NOT_FOUND
    );
    app.req(Method::DELETE, &format!("/api/v1/documents/{pdf_id}"))
        .token(&seller)
        .send()
        .await
        .assert_problem(404, "not-found");
    assert_eq!(
        download(&app, "bad%20id", &seller).await.status,
        StatusCode::NOT_FOUND
    );

    let types = audit_types(&app).await;
    for kind in [
        "document_uploaded",
        "document_downloaded",
        "document_deleted",
    ] {
        assert!(types.iter().any(|t| t == kind), "{kind} in {types:?}");
    }
    assert_eq!(
        types.iter().filter(|t| *t == "document_uploaded").count(),
        5
    );

    // Deleting the listing (withdrawn first) deletes its data room.
    let res = crate::post_json(
        &app,
        &format!("/api/v1/listings/{id}/status"),
        &seller,
        serde_json::json!({ "status": "withdrawn" }),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let res = app
        .req(Method::DELETE, &format!("/api/v1/listings/{id}"))
        .token(&seller)
        .send()
        .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.body);
    assert!(app.store.listing_documents(&id).await.unwrap().is_empty());
    assert_eq!(app.store.stored_bytes(&seller_id).await.unwrap(), 0);
}

pub async fn uploads_are_checked_by_content_not_by_name_or_declared_type(app: TestApp) {
    let (_, seller, _) = app.user("seller@example.com", "seller").await;
    let id = listing(&app, &seller, "active").await;
    let pdf = fixtures::pdf(500);
    let pdf: &[u8] = &pdf;
    fn one(file: Part<'_>) -> [Part<'_>; 2] {
        [file, Part::text("visibility", "public")]
    }
    let (elf, exe, bomb) = (fixtures::elf(), fixtures::exe(), fixtures::bomb());
    assert!(bomb.len() < 64 * 1024, "the bomb fits the upload limit");
    for file in [
        Part::file("report.pdf", "application/pdf", &elf),
        Part::file("logs.las", "text/plain", &exe),
    ] {
        upload(&app, &id, &seller, &one(file))
            .await
            .assert_problem(415, "unsupported-document");
    }
    let detail = upload(
        &app,
        &id,
        &seller,
        &one(Part::file("model.xlsx", "application/octet-stream", &bomb)),
    )
    .await
    .assert_problem(415, "unsupported-document");
    assert!(detail.contains("expands"), "{detail}");

    // A PDF declared as PNG (by Content-Type or by name) is refused; generic declarations
    // are ignored and the content decides.
    let detail = upload(
        &app,
        &id,
        &seller,
        &one(Part::file("scan.pdf", "image/png", pdf)),
    )
    .await
    .assert_problem(415, "document-type-mismatch");
    assert!(detail.contains("PNG") && detail.contains("PDF"), "{detail}");
    upload(
        &app,
        &id,
        &seller,
        &one(Part::file("scan.png", "application/octet-stream", pdf)),
    )
    .await
    .assert_problem(415, "document-type-mismatch");
    let doc = upload_ok(
        &app,
        &id,
        &seller,
        Part::file("scan.bin", "application/octet-stream", pdf),
        "public",
    )
    .await;
    assert_eq!(doc["kind"], "pdf");
    let d = crate::download(&app, doc["id"].as_str().unwrap(), &seller).await;
    assert_eq!(
        d.header("content-type"),
        "application/pdf",
        "served as what it is"
    );

    // Broken text kinds and plain archives.
    let bad_las: &[u8] = b"~WELL INFORMATION\nSTRT.FT 1 :\n~V\nVERS. 2.0 :\nWRAP. NO :\n";
    upload(
        &app,
        &id,
        &seller,
        &one(Part::file("w.las", "text/plain", bad_las)),
    )
    .await
    .assert_problem(415, "unsupported-document");
    let ragged: &[u8] = b"a,b,c\n1,2\n";
    upload(
        &app,
        &id,
        &seller,
        &one(Part::file("r.csv", "text/csv", ragged)),
    )
    .await
    .assert_problem(415, "unsupported-document");

    // Form errors.
    upload(
        &app,
        &id,
        &seller,
        &[Part::file("a.pdf", "application/pdf", pdf)],
    )
    .await
    .assert_problem(422, "invalid-body");
    upload(
        &app,
        &id,
        &seller,
        &[
            Part::file("a.pdf", "application/pdf", pdf),
            Part::text("visibility", "secret"),
        ],
    )
    .await
    .assert_problem(422, "invalid-body");
    upload(&app, &id, &seller, &[Part::text("visibility", "nda")])
        .await
        .assert_problem(422, "invalid-body");
    upload(
        &app,
        &id,
        &seller,
        &[
            Part::file("a.pdf", "application/pdf", pdf),
            Part::text("visibility", "nda"),
            Part::text("owner_id", "x"),
        ],
    )
    .await
    .assert_problem(422, "invalid-body");
    upload(
        &app,
        &id,
        &seller,
        &[
            Part::file("a.pdf", "application/pdf", b""),
            Part::text("visibility", "nda"),
        ],
    )
    .await
    .assert_problem(422, "invalid-body");
    app.req(Method::POST, &format!("/api/v1/listings/{id}/documents"))
        .token(&seller)
        .json(serde_json::json!({ "file": "JVBERi0=" }))
        .send()
        .await
        .assert_problem(415, "unsupported-media-type");

    let list = app
        .get(&format!("/api/v1/listings/{id}/documents"), &seller)
        .await
        .json();
    assert_eq!(
        list["items"].as_array().unwrap().len(),
        1,
        "only the valid PDF was stored"
    );
}
