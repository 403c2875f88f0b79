//! Store conformance: the same cases run against the embedded store (temp dir) and MongoDB.
//!
//! The MongoDB run reads `OGF_MONGODB_URI` (e.g. FerretDB from `e2e/testenv`); each case uses
//! its own database `ogf_test_<uuid>`, dropped afterwards. Without the variable the MongoDB
//! cases fail when `CI=true` and are skipped (with a message) otherwise.
// clippy.toml's allow-unwrap-in-tests covers #[test] fns only, not this crate's helpers.
#![allow(clippy::unwrap_used)]

mod support;

use ogf_api::store::{EmbeddedStore, ListingStore, MongoStore};

#[path = "store_conformance/cases/mod.rs"]
mod cases;

use support::backends::{embedded, run_on_mongodb};

macro_rules! conformance {
    ($($case:ident),+ $(,)?) => {
        mod embedded {
            $(
                #[tokio::test]
                async fn $case() {
                    let (store, _dir) = super::embedded().await;
                    super::cases::$case(store.as_ref()).await;
                }
            )+
        }
        mod mongodb {
            $(
                #[tokio::test]
                async fn $case() {
                    super::run_on_mongodb(|store| async move { super::cases::$case(&store).await })
                    .await;
                }
            )+
        }
    };
}

conformance!(
    round_trip_preserves_every_field,
    unknown_id_is_none,
    duplicate_id_is_a_conflict,
    empty_store_and_empty_bulk_insert,
    newest_first_with_id_tie_break,
    filters_match_reference,
    text_search_matches_reference,
    operator_like_input_is_literal,
    demo_dataset_matches_reference,
    pagination_never_repeats_or_skips_under_inserts,
    users_round_trip_with_unique_case_insensitive_email,
    users_page_in_creation_order,
    sessions_rotate_once_and_revoke,
    login_failures_count_within_the_window,
    operator_like_user_input_is_literal,
    audit_log_filters_and_pages_like_the_reference,
    full_listing_round_trips,
    update_is_optimistic_and_keeps_views,
    concurrent_view_increments_are_atomic,
    drafts_are_visible_to_their_seller_only,
    new_filters_and_geo_match_reference,
    every_sort_pages_like_the_reference,
    every_sort_never_repeats_or_skips_under_inserts,
    market_upserts_count_and_read_back_by_range,
    market_extreme_values_round_trip,
    market_concurrent_upserts_of_the_same_dates_keep_one_point_each,
    bids_follow_the_auction_rules,
    concurrent_bids_for_one_slot_exactly_one_wins,
    offers_change_by_compare_and_set,
    conversations_are_one_per_listing_and_buyer_with_numbered_messages,
    unread_counts_follow_read_positions_and_the_inbox_pages,
    concurrent_messages_get_distinct_numbers_and_exact_unread_counts,
    watchlist_adds_once_pages_newest_first_and_counts_watchers,
    saved_searches_are_owned_capped_and_seen_forward,
    concurrent_saved_search_creations_respect_the_cap,
    activity_counts_match_the_reference,
    seller_listings_groups_and_registrations,
    documents_round_trip_with_their_bytes_in_upload_order,
    document_quota_counts_per_owner_and_refuses_overruns,
    concurrent_uploads_never_pass_the_quota_together,
    nda_requests_are_one_per_buyer_and_change_by_compare_and_set,
);

#[tokio::test]
async fn mongodb_indexes_are_created_idempotently() {
    run_on_mongodb(|store| async move {
        use ogf_api::store::mongo::{self, indexes};
        let collections = [
            (mongo::LISTINGS, indexes::listing_indexes()),
            (mongo::USERS, indexes::user_indexes()),
            (mongo::SESSIONS, indexes::session_indexes()),
            (mongo::LOGIN_FAILURES, indexes::failure_indexes()),
            (mongo::AUDIT, indexes::audit_indexes()),
            (mongo::MARKET_PRICES, indexes::market_indexes()),
            (mongo::BIDS, indexes::bid_indexes()),
            (mongo::OFFERS, indexes::offer_indexes()),
            (mongo::CONVERSATIONS, indexes::conversation_indexes()),
            (mongo::MESSAGES, indexes::message_indexes()),
            (mongo::WATCHLIST, indexes::watchlist_indexes()),
            (mongo::SAVED_SEARCHES, indexes::saved_search_indexes()),
            (mongo::ACTIVITY, indexes::activity_indexes()),
            (mongo::DOCUMENTS, indexes::document_indexes()),
            (mongo::NDA_REQUESTS, indexes::nda_indexes()),
        ];
        let mut before = Vec::new();
        for (collection, specs) in &collections {
            let names = store.collection_index_names(collection).await.unwrap();
            for spec in specs {
                assert!(
                    names.iter().any(|n| n == spec.name),
                    "{} missing from {collection}: {names:?}",
                    spec.name
                );
            }
            before.push(names);
        }
        // Connecting again re-runs index creation on the same database (as on every restart).
        let uri = std::env::var("OGF_MONGODB_URI").unwrap();
        let again = MongoStore::connect(&uri, store.database_name())
            .await
            .unwrap();
        for ((collection, _), names) in collections.iter().zip(before) {
            assert_eq!(
                again.collection_index_names(collection).await.unwrap(),
                names
            );
        }
    })
    .await;
}

#[tokio::test]
async fn embedded_store_reopens_with_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let data = support::crafted();
    {
        let store = EmbeddedStore::open(dir.path()).await.unwrap();
        store.insert_many(&data).await.unwrap();
    }
    let store = EmbeddedStore::open(dir.path()).await.unwrap();
    assert_eq!(
        store.count(&Default::default()).await.unwrap(),
        data.len() as u64
    );
    let filter = ogf_api::domain::ListingFilter {
        text: ogf_api::domain::TextQuery::parse("midland").unwrap(),
        ..Default::default()
    };
    assert_eq!(
        support::walk(&store, &filter, 10).await,
        ["c01", "c03"],
        "FTS index persisted"
    );
}
