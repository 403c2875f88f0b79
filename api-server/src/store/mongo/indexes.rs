//! Indexes of every collection, created idempotently at start-up.

use mongodb::bson::{Document, doc};
use mongodb::options::IndexOptions;
use mongodb::{Collection, IndexModel};

use crate::store::StoreError;

/// One index: name, keys, and whether it is unique.
#[derive(Debug, Clone)]
pub struct IndexSpec {
    /// Index name (stable: creating it again is a no-op).
    pub name: &'static str,
    /// Key document.
    pub keys: Document,
    /// Unique index.
    pub unique: bool,
}

fn index(name: &'static str, keys: Document) -> IndexSpec {
    IndexSpec {
        name,
        keys,
        unique: false,
    }
}

fn unique(name: &'static str, keys: Document) -> IndexSpec {
    IndexSpec {
        name,
        keys,
        unique: true,
    }
}

/// Indexes of `listings`: the newest-first order alone and behind each equality filter, the
/// price range, the other sort orders and the bounding-box prefilter.
pub fn listing_indexes() -> Vec<IndexSpec> {
    vec![
        index("listings_newest", doc! { "created_at": -1, "_id": -1 }),
        index(
            "listings_type_newest",
            doc! { "type": 1, "created_at": -1, "_id": -1 },
        ),
        index(
            "listings_status_newest",
            doc! { "status": 1, "created_at": -1, "_id": -1 },
        ),
        index(
            "listings_basin_newest",
            doc! { "basin": 1, "created_at": -1, "_id": -1 },
        ),
        index(
            "listings_state_newest",
            doc! { "state": 1, "created_at": -1, "_id": -1 },
        ),
        index("listings_price", doc! { "asking_price_cents": 1 }),
        index(
            "listings_county_newest",
            doc! { "county": 1, "created_at": -1, "_id": -1 },
        ),
        index(
            "listings_sale_type_newest",
            doc! { "sale_type": 1, "created_at": -1, "_id": -1 },
        ),
        index(
            "listings_seller_newest",
            doc! { "seller_id": 1, "created_at": -1, "_id": -1 },
        ),
        index(
            "listings_price_id",
            doc! { "asking_price_cents": 1, "_id": 1 },
        ),
        index("listings_production", doc! { "boe_sort": -1, "_id": -1 }),
        index("listings_ending", doc! { "ends_at": 1, "_id": 1 }),
        index("listings_lat_lon", doc! { "lat": 1, "lon": 1 }),
        // Search at scale (like the embedded store's migration 7): each equality filter with
        // each of the other orders (equality, sort, range), so that a filtered search in
        // price, production or end-time order reads its page in index order. FerretDB v1 (the
        // test environment) creates them but pushes down only top-level equality conditions
        // and never a sort, so there they only cost writes; MongoDB uses them.
        index(
            "listings_type_price",
            doc! { "type": 1, "asking_price_cents": 1, "_id": 1 },
        ),
        index(
            "listings_basin_price",
            doc! { "basin": 1, "asking_price_cents": 1, "_id": 1 },
        ),
        index(
            "listings_state_price",
            doc! { "state": 1, "asking_price_cents": 1, "_id": 1 },
        ),
        index(
            "listings_county_price",
            doc! { "county": 1, "asking_price_cents": 1, "_id": 1 },
        ),
        index(
            "listings_sale_type_price",
            doc! { "sale_type": 1, "asking_price_cents": 1, "_id": 1 },
        ),
        index(
            "listings_type_production",
            doc! { "type": 1, "boe_sort": -1, "_id": -1 },
        ),
        index(
            "listings_basin_production",
            doc! { "basin": 1, "boe_sort": -1, "_id": -1 },
        ),
        index(
            "listings_state_production",
            doc! { "state": 1, "boe_sort": -1, "_id": -1 },
        ),
        index(
            "listings_county_production",
            doc! { "county": 1, "boe_sort": -1, "_id": -1 },
        ),
        index(
            "listings_sale_type_production",
            doc! { "sale_type": 1, "boe_sort": -1, "_id": -1 },
        ),
        index(
            "listings_type_ending",
            doc! { "type": 1, "ends_at": 1, "_id": 1 },
        ),
        index(
            "listings_basin_ending",
            doc! { "basin": 1, "ends_at": 1, "_id": 1 },
        ),
        index(
            "listings_state_ending",
            doc! { "state": 1, "ends_at": 1, "_id": 1 },
        ),
        index(
            "listings_county_ending",
            doc! { "county": 1, "ends_at": 1, "_id": 1 },
        ),
        index(
            "listings_sale_type_ending",
            doc! { "sale_type": 1, "ends_at": 1, "_id": 1 },
        ),
    ]
}

/// Indexes of `users`: unique (normalised, lower-cased) e-mail, the listing order, roles.
pub fn user_indexes() -> Vec<IndexSpec> {
    vec![
        unique("users_email", doc! { "email": 1 }),
        index("users_created", doc! { "created_at": 1, "_id": 1 }),
        index("users_role", doc! { "role": 1 }),
    ]
}

/// Indexes of `sessions`: unique refresh-token hash, family and user (revocation).
pub fn session_indexes() -> Vec<IndexSpec> {
    vec![
        unique("sessions_refresh_hash", doc! { "refresh_hash": 1 }),
        index("sessions_family", doc! { "family_id": 1 }),
        index("sessions_user", doc! { "user_id": 1 }),
    ]
}

/// Indexes of `login_failures`: by user and time (lockout window).
pub fn failure_indexes() -> Vec<IndexSpec> {
    vec![index("login_failures_user", doc! { "user_id": 1, "at": 1 })]
}

/// Indexes of `audit`: newest first alone and behind the type and user filters.
pub fn audit_indexes() -> Vec<IndexSpec> {
    vec![
        index("audit_newest", doc! { "at": -1, "_id": -1 }),
        index("audit_kind_newest", doc! { "kind": 1, "at": -1, "_id": -1 }),
        index(
            "audit_user_newest",
            doc! { "user_id": 1, "at": -1, "_id": -1 },
        ),
    ]
}

/// Indexes of `market_prices`: unique `(series, date)` (range reads and on-or-before lookups).
pub fn market_indexes() -> Vec<IndexSpec> {
    vec![unique(
        "market_series_date",
        doc! { "series": 1, "date": 1 },
    )]
}

/// Indexes of `bids`: the unique slot (one bid per auction position, one sealed bid per
/// bidder), the high bid of a listing, and the newest-first lists by listing and by bidder.
pub fn bid_indexes() -> Vec<IndexSpec> {
    vec![
        unique("bids_slot", doc! { "slot": 1 }),
        index(
            "bids_listing_top",
            doc! { "listing_id": 1, "amount_cents": -1, "placed_at": 1, "_id": 1 },
        ),
        index(
            "bids_listing_newest",
            doc! { "listing_id": 1, "placed_at": -1, "_id": -1 },
        ),
        index(
            "bids_bidder_newest",
            doc! { "bidder_id": 1, "placed_at": -1, "_id": -1 },
        ),
    ]
}

/// Indexes of `offers`: the unique open slot (one open offer per buyer and listing) and the
/// newest-first lists by listing, buyer and seller.
pub fn offer_indexes() -> Vec<IndexSpec> {
    vec![
        unique("offers_open_slot", doc! { "open_slot": 1 }),
        index(
            "offers_listing_newest",
            doc! { "listing_id": 1, "created_at": -1, "_id": -1 },
        ),
        index(
            "offers_buyer_newest",
            doc! { "buyer_id": 1, "created_at": -1, "_id": -1 },
        ),
        index(
            "offers_seller_newest",
            doc! { "seller_id": 1, "created_at": -1, "_id": -1 },
        ),
    ]
}

/// Indexes of `conversations`: one per listing and buyer (unique), and each party's inbox
/// in latest-activity order.
pub fn conversation_indexes() -> Vec<IndexSpec> {
    vec![
        unique(
            "conversations_listing_buyer",
            doc! { "listing_id": 1, "buyer_id": 1 },
        ),
        index(
            "conversations_buyer_activity",
            doc! { "buyer_id": 1, "last_message_at": -1, "_id": -1 },
        ),
        index(
            "conversations_seller_activity",
            doc! { "seller_id": 1, "last_message_at": -1, "_id": -1 },
        ),
    ]
}

/// Indexes of `messages`: the unique number within a conversation (numbering race, unread
/// counts) and the newest-first thread.
pub fn message_indexes() -> Vec<IndexSpec> {
    vec![
        unique("messages_seq", doc! { "conversation_id": 1, "seq": 1 }),
        index(
            "messages_newest",
            doc! { "conversation_id": 1, "sent_at": -1, "_id": -1 },
        ),
    ]
}

/// Indexes of `watchlist` (unique by its `<user>:<listing>` id): a user's list, latest added
/// first, and the watchers of a listing.
pub fn watchlist_indexes() -> Vec<IndexSpec> {
    vec![
        index(
            "watchlist_user_newest",
            doc! { "user_id": 1, "added_at": -1, "listing_id": -1 },
        ),
        index("watchlist_listing", doc! { "listing_id": 1 }),
    ]
}

/// Indexes of `saved_searches`: a user's searches, newest first (and the per-user cap count).
pub fn saved_search_indexes() -> Vec<IndexSpec> {
    vec![index(
        "saved_searches_user_newest",
        doc! { "user_id": 1, "created_at": -1, "_id": -1 },
    )]
}

/// Indexes of `activity`: one seller's days (dashboard) and one listing's days.
pub fn activity_indexes() -> Vec<IndexSpec> {
    vec![
        index("activity_seller_day", doc! { "seller_id": 1, "day": 1 }),
        index("activity_listing_day", doc! { "listing_id": 1, "day": 1 }),
    ]
}

/// Creates `specs` on `coll`; creating an index that exists with the same keys, options and
/// name is a no-op.
///
/// One `createIndexes` command per index: FerretDB v1.24 drops the connection (a server-side
/// panic) when a single command lists several indexes that all exist already, i.e. on every
/// restart.
pub async fn ensure<T: Send + Sync>(
    coll: &Collection<T>,
    specs: Vec<IndexSpec>,
) -> Result<(), StoreError> {
    for spec in specs {
        let options = IndexOptions::builder()
            .name(spec.name.to_owned())
            .unique(spec.unique.then_some(true))
            .build();
        let model = IndexModel::builder()
            .keys(spec.keys)
            .options(options)
            .build();
        coll.create_index(model)
            .await
            .map_err(|e| super::error::map(e, &format!("creating index {}", spec.name)))?;
    }
    Ok(())
}
/// Indexes of `documents`: a listing's documents in upload order, and an owner's documents
/// with their sizes (the quota sum). `document_blobs` needs only its `_id`.
pub fn document_indexes() -> Vec<IndexSpec> {
    vec![
        index(
            "documents_listing",
            doc! { "listing_id": 1, "uploaded_at": 1, "_id": 1 },
        ),
        index("documents_owner", doc! { "owner_id": 1, "size_bytes": 1 }),
    ]
}

/// Indexes of `nda_requests`: one request per buyer and listing (unique), and the
/// newest-first lists by listing and by buyer.
pub fn nda_indexes() -> Vec<IndexSpec> {
    vec![
        unique("nda_listing_buyer", doc! { "listing_id": 1, "buyer_id": 1 }),
        index(
            "nda_listing_newest",
            doc! { "listing_id": 1, "created_at": -1, "_id": -1 },
        ),
        index(
            "nda_buyer_newest",
            doc! { "buyer_id": 1, "created_at": -1, "_id": -1 },
        ),
    ]
}
