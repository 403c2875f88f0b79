//! Conversations, watchlists and saved searches over HTTP (`oneshot`), on both stores: the
//! flows, unread counts (also under concurrent messages), who may read what (OWASP API1
//! BOLA: only the two parties read a conversation, only the owner a saved search; API3:
//! reserve prices stay hidden in watchlists and matches; API5: admins cannot start
//! conversations), validation, pagination, and saved-search matches new since last seen with
//! listings created between calls.
// clippy.toml's allow-unwrap-in-tests covers #[test] fns only, not this crate's helpers.
#![allow(clippy::unwrap_used)]

mod support;

#[path = "http_messaging/conversations.rs"]
mod conversations;
#[path = "http_messaging/saved_searches.rs"]
mod saved_searches;
#[path = "http_messaging/watchlist.rs"]
mod watchlist;

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use support::app::TestApp;
use support::http::Response;

macro_rules! on_both_stores {
    ($($module:ident :: $case:ident),+ $(,)?) => {
        mod embedded {
            $(
                #[tokio::test]
                async fn $case() {
                    let (store, _dir) = crate::support::backends::embedded().await;
                    crate::$module::$case(crate::TestApp::new(store, |_| {}).await).await;
                }
            )+
        }
        mod mongodb {
            $(
                #[tokio::test]
                async fn $case() {
                    crate::support::backends::run_on_mongodb(|store| async move {
                        let app = crate::TestApp::new(std::sync::Arc::new(store), |_| {}).await;
                        crate::$module::$case(app).await;
                    })
                    .await;
                }
            )+
        }
    };
}

on_both_stores!(
    conversations::conversation_flow_inbox_and_unread_counts,
    conversations::conversations_are_private_to_their_two_parties,
    conversations::message_validation_and_listing_status_rules,
    conversations::concurrent_messages_keep_unread_counts_exact,
    watchlist::watchlist_add_remove_list_and_views,
    saved_searches::saved_searches_validate_canonicalise_and_stay_private,
    saved_searches::saved_search_cap_is_enforced,
    saved_searches::matches_are_new_since_last_seen,
);

/// Creates a listing as `token` (active unless `extra` says otherwise); returns its id.
pub(crate) async fn listing(app: &TestApp, token: &str, title: &str, extra: Value) -> String {
    let mut body = json!({
        "title": title,
        "description": "Producing WI package.",
        "type": "working_interest",
        "status": "active",
        "basin": "Permian",
        "state": "TX",
        "county": "Midland",
        "location": { "lon": -102.08, "lat": 31.99 },
        "asking_price_cents": 1_000_000,
        "sale_type": "fixed",
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let res = post(app, "/api/v1/listings", token, body).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    res.json()["id"].as_str().unwrap().to_owned()
}

pub(crate) async fn post(app: &TestApp, uri: &str, token: &str, body: Value) -> Response {
    app.req(Method::POST, uri)
        .token(token)
        .json(body)
        .send()
        .await
}

pub(crate) async fn send(app: &TestApp, method: Method, uri: &str, token: &str) -> Response {
    app.req(method, uri).token(token).send().await
}

/// Advances the app's clock by `seconds`.
pub(crate) fn advance(app: &TestApp, seconds: i64) {
    app.clock.advance(chrono::TimeDelta::seconds(seconds));
}

/// Every item of a paged list at `uri` (which has no query yet), following `next_cursor`.
pub(crate) async fn walk(app: &TestApp, uri: &str, token: &str, limit: u32) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page_uri = match &cursor {
            Some(c) => format!("{uri}?limit={limit}&cursor={c}"),
            None => format!("{uri}?limit={limit}"),
        };
        let res = app.get(&page_uri, token).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        let page = res.json();
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= limit as usize);
        out.extend(items.iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return out,
        }
    }
}
