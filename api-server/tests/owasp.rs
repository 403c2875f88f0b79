//! Security tests mapped to the OWASP API Security Top 10 (2023), one module per item: each
//! attacks the API the way an attacker would and asserts the defended behaviour (status,
//! problem body, and that nothing leaked or changed). HTTP cases run on both stores;
//! `docs/security.md` links every item to its tests here and elsewhere.
// clippy.toml's allow-unwrap-in-tests covers #[test] fns only, not this crate's helpers.
#![allow(clippy::unwrap_used)]

mod support;

#[path = "owasp/api01_bola.rs"]
mod api01_bola;
#[path = "owasp/api02_authentication.rs"]
mod api02_authentication;
#[path = "owasp/api03_property_authorization.rs"]
mod api03_property_authorization;
#[path = "owasp/api04_resource_consumption.rs"]
mod api04_resource_consumption;
#[path = "owasp/api05_function_authorization.rs"]
mod api05_function_authorization;
#[path = "owasp/api06_business_flows.rs"]
mod api06_business_flows;
#[path = "owasp/api07_ssrf.rs"]
mod api07_ssrf;
#[path = "owasp/api08_misconfiguration.rs"]
mod api08_misconfiguration;
#[path = "owasp/api09_inventory.rs"]
mod api09_inventory;
#[path = "owasp/api10_unsafe_consumption.rs"]
mod api10_unsafe_consumption;

use axum::http::{Method, StatusCode};
use ogf_api::settings::Settings;
use serde_json::{Value, json};
use support::app::TestApp;
use support::http::Response;

/// Runs each `module::case` on the embedded store and on MongoDB, with the app's settings
/// changed by the function after `=>`.
macro_rules! on_both_stores {
    ($($module:ident :: $case:ident => $adjust:path),+ $(,)?) => {
        mod embedded {
            $(
                #[tokio::test]
                async fn $case() {
                    let (store, _dir) = crate::support::backends::embedded().await;
                    crate::$module::$case(crate::TestApp::new(store, $adjust).await).await;
                }
            )+
        }
        mod mongodb {
            $(
                #[tokio::test]
                async fn $case() {
                    crate::support::backends::run_on_mongodb(|store| async move {
                        let app = crate::TestApp::new(std::sync::Arc::new(store), $adjust).await;
                        crate::$module::$case(app).await;
                    })
                    .await;
                }
            )+
        }
    };
}

on_both_stores!(
    api01_bola::a_rival_seller_sweeping_a_listings_routes_changes_and_learns_nothing => crate::defaults,
    api01_bola::foreign_objects_look_exactly_like_missing_ones => crate::defaults,
    api01_bola::a_buyer_cannot_reach_another_buyers_offer_or_nda_request => crate::defaults,
    api02_authentication::forged_tokens_are_refused => crate::api02_authentication::known_key,
    api02_authentication::tokens_cannot_be_used_for_the_other_purpose => crate::api02_authentication::known_key,
    api02_authentication::login_failures_do_not_reveal_which_accounts_exist => crate::api02_authentication::known_key,
    api02_authentication::a_deleted_users_tokens_die_with_the_account => crate::api02_authentication::known_key,
    api03_property_authorization::nobody_registers_or_promotes_themselves_to_admin => crate::defaults,
    api03_property_authorization::server_owned_listing_fields_cannot_be_assigned => crate::defaults,
    api03_property_authorization::the_reserve_price_never_reaches_a_buyer => crate::defaults,
    api04_resource_consumption::every_body_route_refuses_an_oversize_body => crate::api04_resource_consumption::small_bodies,
    api04_resource_consumption::page_sizes_are_capped_on_every_paged_route => crate::defaults,
    api04_resource_consumption::hostile_queries_and_nesting_are_refused_cheaply => crate::defaults,
    api05_function_authorization::every_admin_route_refuses_everyone_but_admins => crate::defaults,
    api05_function_authorization::role_bound_functions_refuse_the_other_roles => crate::defaults,
    api06_business_flows::bid_spamming_runs_out_of_trading_budget => crate::api06_business_flows::three_trades_a_minute,
    api06_business_flows::offers_across_many_listings_share_one_budget => crate::api06_business_flows::three_trades_a_minute,
    api06_business_flows::registration_spamming_hits_the_per_ip_limit => crate::api06_business_flows::three_auth_calls_a_minute,
    api07_ssrf::urls_in_user_input_are_stored_as_inert_text => crate::defaults,
    api08_misconfiguration::errors_carry_the_security_headers_and_no_internals => crate::defaults,
    api08_misconfiguration::trace_and_unknown_methods_are_405_problems => crate::defaults,
    api08_misconfiguration::cors_grants_nothing_to_an_unknown_origin => crate::api08_misconfiguration::one_cors_origin,
    api08_misconfiguration::authenticated_errors_are_not_cacheable_either => crate::defaults,
    api09_inventory::unknown_versions_and_debug_paths_are_404_problems => crate::defaults,
    api09_inventory::documented_paths_answer_only_their_documented_methods => crate::defaults,
    api09_inventory::path_tricks_do_not_reach_hidden_routes => crate::defaults,
);

/// The test app's settings, unchanged.
fn defaults(_: &mut Settings) {}

/// Asserts a refusal that tells the caller nothing: `403 forbidden` or `404 not-found`.
fn assert_refused(res: &Response, what: &str) {
    match res.status.as_u16() {
        403 => res.assert_problem(403, "forbidden"),
        404 => res.assert_problem(404, "not-found"),
        other => panic!("{what}: expected 403/404, got {other}: {}", res.body),
    };
}

/// Sends `body` (`Value::Null`: none) with `token` (empty: none).
async fn call(app: &TestApp, method: Method, uri: &str, token: &str, body: Value) -> Response {
    let mut req = app.req(method, uri);
    if !token.is_empty() {
        req = req.token(token);
    }
    if !body.is_null() {
        req = req.json(body);
    }
    req.send().await
}

/// Creates a listing as `token` with `sale_type`, `status` and extra fields; returns its JSON.
async fn listing(app: &TestApp, token: &str, sale_type: &str, status: &str, extra: Value) -> Value {
    let mut body = json!({
        "title": format!("{sale_type} {status} lot"),
        "description": "Producing WI package, Midland County.",
        "type": "working_interest",
        "status": status,
        "basin": "Permian",
        "state": "TX",
        "county": "Midland",
        "location": { "lon": -102.08, "lat": 31.99 },
        "asking_price_cents": 1_000_000,
        "sale_type": sale_type,
    });
    if sale_type == "auction" && extra.get("ends_at").is_none() {
        let ends = ogf_api::clock::Clock::now(app.clock.as_ref()) + chrono::Duration::days(3);
        body["ends_at"] = json!(ends.to_rfc3339());
    }
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let res = call(app, Method::POST, "/api/v1/listings", token, body).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    res.json()
}
