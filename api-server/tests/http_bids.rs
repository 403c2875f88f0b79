//! Bids and offers over HTTP (`oneshot`), on both stores: auction rules with a hand-moved
//! clock (soft close, end, settlement, reserve), sealed bids hidden until the end, the offer
//! life cycle, who may see and act on what (OWASP API1/API3), and concurrent requests racing
//! for one bid slot or one listing.
// clippy.toml's allow-unwrap-in-tests covers #[test] fns only, not this crate's helpers.
#![allow(clippy::unwrap_used)]

mod support;

#[path = "http_bids/auction.rs"]
mod auction;
#[path = "http_bids/offers.rs"]
mod offers;

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
                    crate::$module::$case(crate::TestApp::new(store, crate::long_tokens).await).await;
                }
            )+
        }
        mod mongodb {
            $(
                #[tokio::test]
                async fn $case() {
                    crate::support::backends::run_on_mongodb(|store| async move {
                        let app =
                            crate::TestApp::new(std::sync::Arc::new(store), crate::long_tokens).await;
                        crate::$module::$case(app).await;
                    })
                    .await;
                }
            )+
        }
    };
}

on_both_stores!(
    auction::auction_rules_soft_close_reserve_and_settlement,
    auction::sealed_bids_hidden_until_the_end,
    auction::concurrent_bids_exactly_one_wins_the_slot,
    offers::offer_life_cycle_accept_counter_reject_withdraw,
    offers::offers_and_bids_are_private,
    offers::concurrent_accepts_exactly_one_wins_the_listing,
);

/// Access tokens that outlive the hours the auction tests move the clock by.
pub(crate) fn long_tokens(s: &mut ogf_api::settings::Settings) {
    s.access_ttl = chrono::TimeDelta::days(1);
}

/// Creates an active listing as `token` with `sale_type` and extra fields; returns its id.
pub(crate) async fn listing(app: &TestApp, token: &str, sale_type: &str, extra: Value) -> String {
    let mut body = json!({
        "title": format!("{sale_type} lot"),
        "description": "Producing WI package.",
        "type": "working_interest",
        "status": "active",
        "basin": "Permian",
        "state": "TX",
        "county": "Midland",
        "location": { "lon": -102.08, "lat": 31.99 },
        "asking_price_cents": 1_000_000,
        "sale_type": sale_type,
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let res = app
        .req(Method::POST, "/api/v1/listings")
        .token(token)
        .json(body)
        .send()
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    res.json()["id"].as_str().unwrap().to_owned()
}

/// `now + minutes` on the app's clock, as RFC 3339.
pub(crate) fn in_minutes(app: &TestApp, minutes: i64) -> String {
    (ogf_api::clock::Clock::now(app.clock.as_ref()) + chrono::Duration::minutes(minutes))
        .to_rfc3339()
}

pub(crate) async fn post(app: &TestApp, uri: &str, token: &str, body: Value) -> Response {
    app.req(Method::POST, uri)
        .token(token)
        .json(body)
        .send()
        .await
}

pub(crate) async fn bid(app: &TestApp, listing: &str, token: &str, amount: i64) -> Response {
    let uri = format!("/api/v1/listings/{listing}/bids");
    post(app, &uri, token, json!({ "amount_cents": amount })).await
}

/// Advances the app's clock.
pub(crate) fn advance(app: &TestApp, minutes: i64) {
    app.clock.advance(chrono::TimeDelta::minutes(minutes));
}

/// Event types in the audit log (newest first), read as admin.
pub(crate) async fn audit_types(app: &TestApp) -> Vec<String> {
    let admin = app.admin_token().await;
    let res = app.get("/api/v1/admin/audit?limit=100", &admin).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    res.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_owned())
        .collect()
}
