//! Who may see, download and manage what (OWASP API1 BOLA, API5 function level).

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::fixtures::{self, LAS};
use crate::support::app::TestApp;
use crate::{Part, audit_types, download, listing, post_json, upload, upload_ok};

fn nda_uri(listing: &str) -> String {
    format!("/api/v1/listings/{listing}/nda")
}

async fn decide(app: &TestApp, request: &Value, action: &str, token: &str) -> crate::Response {
    let uri = format!(
        "/api/v1/nda-requests/{}/{action}",
        request["id"].as_str().unwrap()
    );
    post_json(app, &uri, token, json!({})).await
}

pub async fn nda_documents_open_only_after_an_approved_request(app: TestApp) {
    let (_, seller, _) = app.user("seller@example.com", "seller").await;
    let (buyer_id, buyer, _) = app.user("buyer@example.com", "buyer").await;
    let (_, other, _) = app.user("other@example.com", "buyer").await;
    let (_, rival, _) = app.user("rival@example.com", "seller").await;
    let id = listing(&app, &seller, "active").await;
    let las = upload_ok(
        &app,
        &id,
        &seller,
        Part::file("w.las", "text/plain", LAS.as_bytes()),
        "nda",
    )
    .await;
    let las_id = las["id"].as_str().unwrap();

    let d = download(&app, las_id, &buyer).await;
    assert_eq!(
        (d.status, d.problem().as_str()),
        (StatusCode::FORBIDDEN, "data-room-access-required")
    );

    // Accepting the NDA: explicit, idempotent.
    post_json(&app, &nda_uri(&id), &buyer, json!({ "accept": false }))
        .await
        .assert_problem(422, "invalid-body");
    let res = post_json(&app, &nda_uri(&id), &buyer, json!({ "accept": true })).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let request = res.json();
    assert_eq!(request["status"], "pending");
    assert_eq!(request["buyer_id"], buyer_id.as_str());
    let res = post_json(&app, &nda_uri(&id), &buyer, json!({ "accept": true })).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.json()["id"], request["id"]);
    // Admins and the seller need no NDA.
    post_json(&app, &nda_uri(&id), &seller, json!({ "accept": true }))
        .await
        .assert_problem(403, "forbidden");
    let admin = app.admin_token().await;
    post_json(&app, &nda_uri(&id), &admin, json!({ "accept": true }))
        .await
        .assert_problem(403, "forbidden");

    // Pending: still no access. Nobody but the seller (or an admin) decides.
    assert_eq!(
        download(&app, las_id, &buyer).await.status,
        StatusCode::FORBIDDEN
    );
    decide(&app, &request, "approve", &buyer)
        .await
        .assert_problem(403, "forbidden");
    decide(&app, &request, "approve", &other)
        .await
        .assert_problem(404, "not-found");
    decide(&app, &request, "approve", &rival)
        .await
        .assert_problem(404, "not-found");
    let requests_uri = format!("/api/v1/listings/{id}/nda-requests");
    app.get(&requests_uri, &buyer)
        .await
        .assert_problem(403, "forbidden");
    app.get(&requests_uri, &rival)
        .await
        .assert_problem(403, "forbidden");
    let seen = app.get(&requests_uri, &seller).await.json();
    assert_eq!(seen["items"][0]["id"], request["id"]);
    let mine = app.get("/api/v1/me/nda-requests", &buyer).await.json();
    assert_eq!(mine["items"].as_array().unwrap().len(), 1);
    assert_eq!(mine["items"][0]["status"], "pending");
    assert!(
        app.get("/api/v1/me/nda-requests", &other).await.json()["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    // Approved: the buyer downloads; others still cannot.
    let res = decide(&app, &request, "approve", &seller).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.json()["status"], "approved");
    let d = download(&app, las_id, &buyer).await;
    assert_eq!(d.status, StatusCode::OK);
    assert_eq!(d.bytes, LAS.as_bytes());
    assert_eq!(d.header("content-type"), "text/plain; charset=utf-8");
    assert_eq!(
        download(&app, las_id, &other).await.status,
        StatusCode::FORBIDDEN
    );
    let room = app
        .get(&format!("/api/v1/listings/{id}/documents"), &buyer)
        .await
        .json();
    assert_eq!(room["full_access"], true);
    assert_eq!(room["nda_request"]["status"], "approved");
    assert_eq!(room["items"][0]["can_download"], true);
    decide(&app, &request, "approve", &seller)
        .await
        .assert_problem(409, "invalid-transition");

    // Revoked: denied stays denied, whatever the buyer does.
    let res = decide(&app, &request, "deny", &seller).await;
    assert_eq!(res.json()["status"], "denied");
    assert_eq!(
        download(&app, las_id, &buyer).await.status,
        StatusCode::FORBIDDEN
    );
    let res = post_json(&app, &nda_uri(&id), &buyer, json!({ "accept": true })).await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.json()["status"], "denied");
    decide(&app, &request, "approve", &seller)
        .await
        .assert_problem(409, "invalid-transition");
    assert_eq!(
        download(&app, las_id, &buyer).await.status,
        StatusCode::FORBIDDEN
    );

    // Another buyer denied at once; an admin may decide too.
    let res = post_json(&app, &nda_uri(&id), &other, json!({ "accept": true })).await;
    let second = res.json();
    let res = decide(&app, &second, "deny", &admin).await;
    assert_eq!(res.json()["status"], "denied");
    assert_eq!(
        download(&app, las_id, &other).await.status,
        StatusCode::FORBIDDEN
    );

    let types = audit_types(&app).await;
    for kind in [
        "nda_accepted",
        "data_room_access_approved",
        "data_room_access_denied",
    ] {
        assert!(types.iter().any(|t| t == kind), "{kind} in {types:?}");
    }
    assert_eq!(
        types.iter().filter(|t| *t == "nda_accepted").count(),
        2,
        "idempotent"
    );
}

pub async fn only_the_seller_or_an_admin_manage_a_data_room(app: TestApp) {
    let (seller_id, seller, _) = app.user("seller@example.com", "seller").await;
    let (_, rival, _) = app.user("rival@example.com", "seller").await;
    let (_, buyer, _) = app.user("buyer@example.com", "buyer").await;
    let admin = app.admin_token().await;
    let id = listing(&app, &seller, "active").await;
    let draft = listing(&app, &seller, "draft").await;
    let pdf = fixtures::pdf(1_000);
    let parts = |v: &'static str| {
        [
            Part::file("a.pdf", "application/pdf", &pdf),
            Part::text("visibility", v),
        ]
    };

    upload(&app, &id, &rival, &parts("public"))
        .await
        .assert_problem(403, "forbidden");
    upload(&app, &id, &buyer, &parts("public"))
        .await
        .assert_problem(403, "forbidden");
    upload(&app, &draft, &rival, &parts("public"))
        .await
        .assert_problem(404, "not-found");
    upload(&app, "no-such-listing", &seller, &parts("public"))
        .await
        .assert_problem(404, "not-found");
    let res = app
        .req(Method::POST, &format!("/api/v1/listings/{id}/documents"))
        .raw("multipart/form-data; boundary=x", b"--x--\r\n")
        .send()
        .await;
    res.assert_problem(401, "unauthorized");

    // An admin uploads on the seller's behalf: the seller's quota, the seller's audit trail.
    let doc = upload_ok(
        &app,
        &id,
        &admin,
        Part::file("a.pdf", "application/pdf", &pdf),
        "nda",
    )
    .await;
    assert_eq!(app.store.stored_bytes(&seller_id).await.unwrap(), 1_000);
    let doc_id = doc["id"].as_str().unwrap();
    assert_eq!(download(&app, doc_id, &admin).await.status, StatusCode::OK);
    assert_eq!(download(&app, doc_id, &seller).await.status, StatusCode::OK);
    assert_eq!(
        download(&app, doc_id, &rival).await.status,
        StatusCode::FORBIDDEN
    );

    let delete = |token: String| {
        let app = &app;
        async move {
            app.req(Method::DELETE, &format!("/api/v1/documents/{doc_id}"))
                .token(&token)
                .send()
                .await
        }
    };
    delete(rival.clone()).await.assert_problem(403, "forbidden");
    delete(buyer.clone()).await.assert_problem(403, "forbidden");
    assert!(
        app.store.document(doc_id).await.unwrap().is_some(),
        "still there"
    );

    // Drafts' data rooms are invisible to everyone but their managers.
    let in_draft = upload_ok(
        &app,
        &draft,
        &seller,
        Part::file("b.pdf", "application/pdf", &pdf),
        "public",
    )
    .await;
    let in_draft_id = in_draft["id"].as_str().unwrap();
    app.get(&format!("/api/v1/listings/{draft}/documents"), &buyer)
        .await
        .assert_problem(404, "not-found");
    assert_eq!(
        download(&app, in_draft_id, &buyer).await.status,
        StatusCode::NOT_FOUND
    );
    post_json(&app, &nda_uri(&draft), &buyer, json!({ "accept": true }))
        .await
        .assert_problem(404, "not-found");
    app.req(Method::GET, &format!("/api/v1/listings/{id}/documents"))
        .send()
        .await
        .assert_problem(401, "unauthorized");

    assert_eq!(delete(admin.clone()).await.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.store.stored_bytes(&seller_id).await.unwrap(),
        1_000,
        "the draft's file"
    );
}
