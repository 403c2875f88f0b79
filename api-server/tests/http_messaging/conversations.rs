//! Conversations over HTTP: start and continue, inbox, messages, read marks, unread counts,
//! privacy, validation, listing status rules, concurrency.

use axum::http::{Method, StatusCode};
use futures::future::join_all;
use serde_json::{Value, json};

use crate::support::app::TestApp;
use crate::{advance, listing, post, send, walk};

fn start_uri(listing: &str) -> String {
    format!("/api/v1/listings/{listing}/conversations")
}

fn messages_uri(conversation: &str) -> String {
    format!("/api/v1/conversations/{conversation}/messages")
}

async fn start(app: &TestApp, listing: &str, token: &str, body: &str) -> Value {
    let res = post(app, &start_uri(listing), token, json!({ "body": body })).await;
    assert!(
        res.status == StatusCode::CREATED || res.status == StatusCode::OK,
        "{}",
        res.body
    );
    res.json()
}

async fn unread(app: &TestApp, token: &str) -> u64 {
    let res = app.get("/api/v1/me/unread", token).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    res.json()["unread_count"].as_u64().unwrap()
}

async fn inbox(app: &TestApp, token: &str) -> Vec<Value> {
    let res = app.get("/api/v1/conversations", token).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    res.json()["items"].as_array().unwrap().clone()
}

pub async fn conversation_flow_inbox_and_unread_counts(app: TestApp) {
    let (seller_id, seller, _) = app.user("seller@example.com", "seller").await;
    let (b1_id, b1, _) = app.user("b1@example.com", "buyer").await;
    let lot = listing(&app, &seller, "Midland minerals", json!({})).await;

    let res = post(
        &app,
        &start_uri(&lot),
        &b1,
        json!({ "body": "  Is it HBP?  " }),
    )
    .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let started = res.json();
    let cid = started["conversation"]["id"].as_str().unwrap().to_owned();
    assert_eq!(started["conversation"]["listing_id"], lot.as_str());
    assert_eq!(started["conversation"]["buyer_id"], b1_id.as_str());
    assert_eq!(started["conversation"]["seller_id"], seller_id.as_str());
    assert_eq!(started["message"]["body"], "Is it HBP?", "trimmed");
    assert_eq!(started["message"]["seq"], 1);
    assert_eq!(started["message"]["sender_id"], b1_id.as_str());
    // The same buyer on the same listing continues the conversation.
    advance(&app, 1);
    let res = post(
        &app,
        &start_uri(&lot),
        &b1,
        json!({ "body": "And the NRI?" }),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.json()["conversation"]["id"], cid.as_str());
    assert_eq!(res.json()["message"]["seq"], 2);

    // The seller's inbox and unread count.
    assert_eq!(unread(&app, &seller).await, 2);
    assert_eq!(unread(&app, &b1).await, 0);
    let items = inbox(&app, &seller).await;
    assert_eq!(items.len(), 1);
    let item = &items[0];
    assert_eq!(item["id"], cid.as_str());
    assert_eq!(item["listing_id"], lot.as_str());
    assert_eq!(item["listing_title"], "Midland minerals");
    assert_eq!(item["role"], "seller");
    assert_eq!(item["counterpart_id"], b1_id.as_str());
    assert_eq!(item["unread_count"], 2);
    assert_eq!(item["last_message"]["preview"], "And the NRI?");
    assert_eq!(item["last_message"]["sender_id"], b1_id.as_str());
    let buyer_item = &inbox(&app, &b1).await[0];
    assert_eq!(buyer_item["role"], "buyer");
    assert_eq!(buyer_item["counterpart_id"], seller_id.as_str());
    assert_eq!(buyer_item["unread_count"], 0);

    // Reading marks read.
    let res = app.get(&messages_uri(&cid), &seller).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let bodies: Vec<String> = res.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(bodies, ["And the NRI?", "Is it HBP?"], "newest first");
    assert_eq!(unread(&app, &seller).await, 0);

    // The seller answers; the buyer marks read explicitly.
    advance(&app, 1);
    let res = post(
        &app,
        &messages_uri(&cid),
        &seller,
        json!({ "body": "Yes, 75% NRI." }),
    )
    .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    assert_eq!(res.json()["seq"], 3);
    assert_eq!(res.json()["sender_id"], seller_id.as_str());
    assert_eq!(unread(&app, &b1).await, 1);
    assert_eq!(
        unread(&app, &seller).await,
        0,
        "own messages are never unread"
    );
    let res = send(
        &app,
        Method::POST,
        &format!("/api/v1/conversations/{cid}/read"),
        &b1,
    )
    .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.body);
    assert_eq!(unread(&app, &b1).await, 0);

    // Message pages: every size, newest first, no repeats.
    for i in 0..4 {
        advance(&app, 1);
        let body = json!({ "body": format!("follow-up {i}") });
        let res = post(&app, &messages_uri(&cid), &b1, body).await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    }
    for limit in [1, 3, 100] {
        let seqs: Vec<u64> = walk(&app, &messages_uri(&cid), &seller, limit)
            .await
            .iter()
            .map(|m| m["seq"].as_u64().unwrap())
            .collect();
        assert_eq!(seqs, [7, 6, 5, 4, 3, 2, 1], "limit {limit}");
    }

    // Inbox pages, latest activity first: three more listings, three more conversations.
    let mut newest_first = vec![cid.clone()];
    for i in 0..3 {
        let other = listing(&app, &seller, &format!("Lot {i}"), json!({})).await;
        advance(&app, 1);
        let c = start(&app, &other, &b1, "Interested.").await;
        newest_first.insert(0, c["conversation"]["id"].as_str().unwrap().to_owned());
    }
    for limit in [1, 2, 10] {
        let ids: Vec<String> = walk(&app, "/api/v1/conversations", &seller, limit)
            .await
            .iter()
            .map(|c| c["id"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(ids, newest_first, "limit {limit}");
    }
    assert_eq!(unread(&app, &seller).await, 3);
    app.get("/api/v1/conversations?limit=0", &seller)
        .await
        .assert_problem(400, "invalid-parameter");
    app.get("/api/v1/conversations?cursor=bogus", &seller)
        .await
        .assert_problem(400, "invalid-parameter");
}

pub async fn conversations_are_private_to_their_two_parties(app: TestApp) {
    let (_, seller, _) = app.user("seller@example.com", "seller").await;
    let (_, b1, _) = app.user("b1@example.com", "buyer").await;
    let (_, b2, _) = app.user("b2@example.com", "buyer").await;
    let (_, other_seller, _) = app.user("other@example.com", "seller").await;
    let admin = app.admin_token().await;
    let lot = listing(&app, &seller, "Private lot", json!({})).await;
    let c = start(&app, &lot, &b1, "Private question").await;
    let cid = c["conversation"]["id"].as_str().unwrap();

    // API1: nobody else reads, writes or marks it, admins included; it looks absent.
    for token in [&b2, &other_seller, &admin] {
        app.get(&messages_uri(cid), token)
            .await
            .assert_problem(404, "not-found");
        post(&app, &messages_uri(cid), token, json!({ "body": "hi" }))
            .await
            .assert_problem(404, "not-found");
        send(
            &app,
            Method::POST,
            &format!("/api/v1/conversations/{cid}/read"),
            token,
        )
        .await
        .assert_problem(404, "not-found");
        assert!(inbox(&app, token).await.is_empty());
        assert_eq!(unread(&app, token).await, 0);
    }
    for bad in ["no-such-id", "a%2Fb", "%24ne"] {
        app.get(&messages_uri(bad), &b1)
            .await
            .assert_problem(404, "not-found");
    }
    // API5: admins do not start conversations; sellers not on their own listings.
    post(&app, &start_uri(&lot), &admin, json!({ "body": "hi" }))
        .await
        .assert_problem(403, "forbidden");
    post(&app, &start_uri(&lot), &seller, json!({ "body": "hi" }))
        .await
        .assert_problem(403, "forbidden");
    // Another seller may ask as a buyer would.
    let res = post(
        &app,
        &start_uri(&lot),
        &other_seller,
        json!({ "body": "hi" }),
    )
    .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    // Without a token: 401 everywhere.
    for (method, uri) in [
        (Method::GET, "/api/v1/conversations".to_owned()),
        (Method::GET, "/api/v1/me/unread".to_owned()),
        (Method::GET, messages_uri(cid)),
        (Method::POST, format!("/api/v1/conversations/{cid}/read")),
    ] {
        app.req(method, &uri)
            .send()
            .await
            .assert_problem(401, "unauthorized");
    }
    app.req(Method::POST, &start_uri(&lot))
        .json(json!({ "body": "hi" }))
        .send()
        .await
        .assert_problem(401, "unauthorized");
    // The parties still see their thread.
    assert_eq!(inbox(&app, &b1).await.len(), 1);
    assert_eq!(inbox(&app, &seller).await.len(), 2);
}

pub async fn message_validation_and_listing_status_rules(app: TestApp) {
    let (_, seller, _) = app.user("seller@example.com", "seller").await;
    let (_, b1, _) = app.user("b1@example.com", "buyer").await;
    let lot = listing(&app, &seller, "Validated lot", json!({})).await;
    let uri = start_uri(&lot);
    let too_long = "x".repeat(5_001);
    for body in [
        json!({ "body": "" }),
        json!({ "body": "  \n\t " }),
        json!({ "body": too_long }),
        json!({ "body": "bell \u{7}" }),
        json!({ "body": 5 }),
        json!({}),
        json!({ "body": "hi", "sender_id": "someone-else" }),
    ] {
        post(&app, &uri, &b1, body.clone())
            .await
            .assert_problem(422, "invalid-body");
    }
    let longest = "é".repeat(5_000);
    let c = start(&app, &lot, &b1, &longest).await;
    assert_eq!(
        c["message"]["body"].as_str().unwrap().chars().count(),
        5_000
    );
    let cid = c["conversation"]["id"].as_str().unwrap().to_owned();
    post(&app, &messages_uri(&cid), &b1, json!({ "body": " " }))
        .await
        .assert_problem(422, "invalid-body");
    // The inbox preview is short.
    let preview = inbox(&app, &seller).await[0]["last_message"]["preview"]
        .as_str()
        .unwrap()
        .chars()
        .count();
    assert_eq!(preview, 140);

    // Drafts of others do not exist for a buyer; unknown listings neither.
    let draft = listing(&app, &seller, "Draft lot", json!({ "status": "draft" })).await;
    post(&app, &start_uri(&draft), &b1, json!({ "body": "hi" }))
        .await
        .assert_problem(404, "not-found");
    post(
        &app,
        &start_uri("no-such-listing"),
        &b1,
        json!({ "body": "hi" }),
    )
    .await
    .assert_problem(404, "not-found");
    // A withdrawn listing takes no new conversations, but existing ones go on.
    let res = post(
        &app,
        &format!("/api/v1/listings/{lot}/status"),
        &seller,
        json!({ "status": "withdrawn" }),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let (_, b2, _) = app.user("b2@example.com", "buyer").await;
    post(&app, &uri, &b2, json!({ "body": "Still available?" }))
        .await
        .assert_problem(409, "not-accepting-messages");
    post(&app, &uri, &b1, json!({ "body": "Still available?" }))
        .await
        .assert_problem(409, "not-accepting-messages");
    let res = post(
        &app,
        &messages_uri(&cid),
        &seller,
        json!({ "body": "Withdrawn, sorry." }),
    )
    .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    // A deleted listing: the thread stays, without a title.
    let res = send(
        &app,
        Method::DELETE,
        &format!("/api/v1/listings/{lot}"),
        &seller,
    )
    .await;
    assert!(res.status.is_success(), "{}", res.body);
    let item = &inbox(&app, &b1).await[0];
    assert_eq!(item["id"], cid.as_str());
    assert!(item["listing_title"].is_null(), "{item}");
    assert_eq!(item["unread_count"], 1);
}

pub async fn concurrent_messages_keep_unread_counts_exact(app: TestApp) {
    let (_, seller, _) = app.user("seller@example.com", "seller").await;
    let (_, b1, _) = app.user("b1@example.com", "buyer").await;
    let lot = listing(&app, &seller, "Busy lot", json!({})).await;
    let c = start(&app, &lot, &b1, "First").await;
    let cid = c["conversation"]["id"].as_str().unwrap().to_owned();
    let uri = messages_uri(&cid);
    let sends = (0..12).map(|i| {
        let (uri, token) = (
            uri.clone(),
            if i % 3 == 0 {
                seller.clone()
            } else {
                b1.clone()
            },
        );
        let app = &app;
        async move { post(app, &uri, &token, json!({ "body": format!("m{i}") })).await }
    });
    let results = join_all(sends).await;
    let mut seqs: Vec<u64> = results
        .iter()
        .map(|r| {
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
            r.json()["seq"].as_u64().unwrap()
        })
        .collect();
    seqs.sort_unstable();
    assert_eq!(seqs, (2..=13).collect::<Vec<_>>());
    // Buyer: 1 + 8 messages; seller: 4.
    assert_eq!(unread(&app, &seller).await, 9);
    assert_eq!(unread(&app, &b1).await, 4);
    assert_eq!(inbox(&app, &seller).await[0]["unread_count"], 9);
}
