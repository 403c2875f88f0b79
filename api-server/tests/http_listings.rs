//! Listing writes and search over HTTP (`oneshot`), on both stores: happy paths,
//! authorization failures (401 vs 403, another seller's listing, reserve prices), validation.
// clippy.toml's allow-unwrap-in-tests covers #[test] fns only, not this crate's helpers.
#![allow(clippy::unwrap_used)]

mod support;

#[path = "http_listings/access.rs"]
mod access;
#[path = "http_listings/search.rs"]
mod search;
#[path = "http_listings/writes.rs"]
mod writes;

use support::app::TestApp;

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
    writes::seller_lifecycle_create_edit_publish_withdraw_delete,
    writes::validation_errors_are_422_problems,
    access::authorization_failures_401_403_404,
    access::reserve_price_only_for_owner_and_admin,
    access::views_counted_for_non_owners,
    search::search_parameters_sorts_and_cursors,
);

/// A valid create body: an auction lease ending in a week, with a reserve.
pub(crate) fn lease_body(app: &TestApp, title: &str) -> serde_json::Value {
    let ends = ogf_api::clock::Clock::now(app.clock.as_ref()) + chrono::Duration::days(7);
    serde_json::json!({
        "title": title,
        "description": "Undeveloped leasehold, 3/16 royalty.",
        "type": "lease",
        "basin": "Permian",
        "state": "tx",
        "county": "Midland",
        "legal_description": "Section 12, Block 38",
        "location": { "lon": -102.08, "lat": 31.99 },
        "net_acres": 160.0,
        "gross_acres": 320.0,
        "royalty_rate_pct": 18.75,
        "operator": "Diamondback Energy",
        "well_count": 2,
        "api_numbers": ["4232912345", "42-329-12346"],
        "oil_bbl_d": 30.0,
        "gas_mcf_d": 60.0,
        "production_as_of": "2025-12-01",
        "avg_monthly_net_cash_flow_cents": 1_500_000,
        "asking_price_cents": 50_000_000,
        "sale_type": "auction",
        "reserve_price_cents": 40_000_000,
        "ends_at": ends.to_rfc3339(),
        "bid_increment_cents": 100_000,
    })
}
