//! The per-file limit, the body limits per route, and the per-seller quota.

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::fixtures;
use crate::support::app::TestApp;
use crate::{BODY_LIMIT, MAX_UPLOAD, Part, QUOTA, listing, upload, upload_ok};

pub async fn oversized_files_are_413_and_only_the_upload_route_admits_them(app: TestApp) {
    let (_, seller, _) = app.user("seller@example.com", "seller").await;
    let id = listing(&app, &seller, "active").await;

    // Exactly the limit is fine, and larger than any JSON body the API takes.
    let at_limit = fixtures::pdf(MAX_UPLOAD);
    assert!(at_limit.len() > 2 * BODY_LIMIT);
    let doc = upload_ok(
        &app,
        &id,
        &seller,
        Part::file("a.pdf", "application/pdf", &at_limit),
        "public",
    )
    .await;
    assert_eq!(doc["size_bytes"], MAX_UPLOAD);

    // One byte more: the file is refused while it is read.
    let over = fixtures::pdf(MAX_UPLOAD + 1);
    let res = upload(
        &app,
        &id,
        &seller,
        &[
            Part::file("b.pdf", "application/pdf", &over),
            Part::text("visibility", "public"),
        ],
    )
    .await;
    let detail = res.assert_problem(413, "file-too-large");
    assert!(detail.contains(&MAX_UPLOAD.to_string()), "{detail}");
    // Far more, streamed without a length: stopped by the route's body limit while read.
    let huge = fixtures::pdf(4 * MAX_UPLOAD);
    let parts = [
        Part::file("c.pdf", "application/pdf", &huge),
        Part::text("visibility", "public"),
    ];
    upload(&app, &id, &seller, &parts)
        .await
        .assert_problem(413, "file-too-large");
    // With a Content-Length over the route's limit: refused before the handler runs.
    let body = crate::form(&parts);
    let res = app
        .req(Method::POST, &format!("/api/v1/listings/{id}/documents"))
        .token(&seller)
        .header("content-length", &body.len().to_string())
        .raw(
            &format!("multipart/form-data; boundary={}", crate::BOUNDARY),
            &body,
        )
        .send()
        .await;
    res.assert_problem(413, "payload-too-large");

    // Other routes keep the small JSON limit.
    let big_json = json!({ "title": "x".repeat(2 * BODY_LIMIT) });
    let res = app
        .req(Method::POST, "/api/v1/listings")
        .token(&seller)
        .json(big_json)
        .send()
        .await;
    assert_eq!(res.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", res.body);
    let res = app
        .req(Method::POST, &format!("/api/v1/listings/{id}/nda"))
        .token(&seller)
        .raw("application/json", &vec![b' '; 2 * BODY_LIMIT])
        .send()
        .await;
    assert_eq!(res.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", res.body);

    let list = app
        .get(&format!("/api/v1/listings/{id}/documents"), &seller)
        .await
        .json();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
}

pub async fn the_quota_is_per_seller_and_freed_by_deletes(app: TestApp) {
    let (seller_id, seller, _) = app.user("seller@example.com", "seller").await;
    let (_, other, _) = app.user("other@example.com", "seller").await;
    let id = listing(&app, &seller, "active").await;
    let second = listing(&app, &seller, "active").await;
    let theirs = listing(&app, &other, "active").await;
    let size = 50 * 1024;
    let pdf = fixtures::pdf(size);
    let file = || Part::file("q.pdf", "application/pdf", &pdf);

    // 3 x 50 KiB fit in 160 KiB, across the seller's listings; a fourth does not.
    let first = upload_ok(&app, &id, &seller, file(), "public").await;
    upload_ok(&app, &id, &seller, file(), "nda").await;
    upload_ok(&app, &second, &seller, file(), "public").await;
    let res = upload(
        &app,
        &second,
        &seller,
        &[file(), Part::text("visibility", "public")],
    )
    .await;
    let detail = res.assert_problem(409, "quota-exceeded");
    assert!(detail.contains(&QUOTA.to_string()), "{detail}");
    assert_eq!(
        app.store.stored_bytes(&seller_id).await.unwrap(),
        3 * size as u64
    );

    // Another seller has a quota of their own.
    upload_ok(&app, &theirs, &other, file(), "public").await;

    // Deleting frees space.
    let res = app
        .req(
            Method::DELETE,
            &format!("/api/v1/documents/{}", first["id"].as_str().unwrap()),
        )
        .token(&seller)
        .send()
        .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT);
    upload_ok(&app, &second, &seller, file(), "public").await;
}
