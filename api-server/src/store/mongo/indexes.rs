//! Indexes of the `listings` collection, created idempotently at start-up.

use mongodb::bson::{Document, doc};
use mongodb::options::IndexOptions;
use mongodb::{Collection, IndexModel};

use super::doc::ListingDoc;
use crate::store::StoreError;

/// Every index, by name: the newest-first order alone and behind each equality filter, and
/// the price range.
pub fn listing_indexes() -> Vec<(&'static str, Document)> {
    vec![
        ("listings_newest", doc! { "created_at": -1, "_id": -1 }),
        (
            "listings_type_newest",
            doc! { "type": 1, "created_at": -1, "_id": -1 },
        ),
        (
            "listings_status_newest",
            doc! { "status": 1, "created_at": -1, "_id": -1 },
        ),
        (
            "listings_basin_newest",
            doc! { "basin": 1, "created_at": -1, "_id": -1 },
        ),
        (
            "listings_state_newest",
            doc! { "state": 1, "created_at": -1, "_id": -1 },
        ),
        ("listings_price", doc! { "asking_price_cents": 1 }),
    ]
}

/// Creates the indexes; creating an index that exists with the same keys and name is a no-op.
///
/// One `createIndexes` command per index: FerretDB v1.24 drops the connection (a server-side
/// panic) when a single command lists several indexes that all exist already, i.e. on every
/// restart.
pub async fn ensure(coll: &Collection<ListingDoc>) -> Result<(), StoreError> {
    for (name, keys) in listing_indexes() {
        let model = IndexModel::builder()
            .keys(keys)
            .options(IndexOptions::builder().name(name.to_owned()).build())
            .build();
        coll.create_index(model)
            .await
            .map_err(|e| super::error::map(e, &format!("creating index {name}")))?;
    }
    Ok(())
}
