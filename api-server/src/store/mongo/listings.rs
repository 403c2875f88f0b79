//! Listing queries and writes of the MongoDB store.
//!
//! Like the embedded store, two parts of a search run in Rust with the reference functions of
//! [`crate::domain`]: the exact great-circle distance of `near` (the query narrows to its
//! bounding box on the indexed `lat`/`lon` copy; FerretDB has no 2dsphere index and no
//! `$geoWithin`/`$centerSphere`), and the relevance order.
//!
//! FerretDB v1 applies update operators by reading the document, changing it and writing the
//! whole document back, so concurrent updates of one document lose writes (20 concurrent
//! `$inc`s left the counter at 3). Listing writes and view increments of this process are
//! therefore serialised by [`WRITES`]; across replicas on FerretDB a view can still be lost
//! and a concurrent edit can win over the optimistic `updated_at` check (MongoDB itself
//! applies each of these atomically).

use futures::TryStreamExt;
use mongodb::Collection;
use mongodb::bson::{Bson, Document, doc, to_document};

use super::doc::ListingDoc;
use super::{error, filter};
use crate::domain::{Listing, ListingCursor, ListingFilter, ListingSort, Page, SearchQuery};
use crate::store::StoreError;

/// Documents per batch when rows are filtered in Rust.
const BATCH: u32 = 200;

/// Serialises this process's listing updates, deletes and view increments (see above).
static WRITES: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// One page of `query`.
pub async fn search(
    coll: &Collection<ListingDoc>,
    query: &SearchQuery,
) -> Result<Page, StoreError> {
    if query.sort == ListingSort::Relevance {
        let rows = select(coll, &query.filter, query.sort, None, None).await?;
        return Ok(query.reference_page(&rows));
    }
    let want = usize::try_from(query.limit).unwrap_or(usize::MAX) + 1;
    let rows = select(
        coll,
        &query.filter,
        query.sort,
        query.after.as_ref(),
        Some(want),
    )
    .await?;
    Ok(query.page(rows))
}

/// How many listings match `filter`.
pub async fn count(
    coll: &Collection<ListingDoc>,
    filter: &ListingFilter,
) -> Result<u64, StoreError> {
    if filter.near.is_some() {
        let rows = select(coll, filter, ListingSort::Newest, None, None).await?;
        return Ok(u64::try_from(rows.len()).unwrap_or(u64::MAX));
    }
    coll.count_documents(filter::build(filter, ListingSort::Newest, None))
        .await
        .map_err(|e| error::map(e, "count"))
}

/// Documents matching `filter` in `sort` order after `after`, at most `max` (`None`: all),
/// with the exact `near` distance checked on each.
async fn select(
    coll: &Collection<ListingDoc>,
    filter: &ListingFilter,
    sort: ListingSort,
    after: Option<&ListingCursor>,
    max: Option<usize>,
) -> Result<Vec<Listing>, StoreError> {
    let mut find = coll
        .find(filter::build(filter, sort, after))
        .sort(filter::sort_doc(sort));
    match (max, filter.near) {
        (Some(n), None) => find = find.limit(i64::try_from(n).unwrap_or(i64::MAX)),
        _ => find = find.batch_size(BATCH),
    }
    let mut cursor = find.await.map_err(|e| error::map(e, "search"))?;
    let mut items = Vec::new();
    while let Some(d) = cursor
        .try_next()
        .await
        .map_err(|e| error::map(e, "search"))?
    {
        let l = Listing::try_from(d)?;
        if filter.near.is_none_or(|n| n.contains(l.location)) {
            items.push(l);
            if max.is_some_and(|m| items.len() >= m) {
                break;
            }
        }
    }
    Ok(items)
}

/// `$set` of every field a write may change (not the id, seller, creation time or views).
fn mutable_fields(l: &Listing) -> Result<Document, StoreError> {
    let mut d = to_document(&ListingDoc::from(l))
        .map_err(|e| StoreError::Backend(format!("encoding listing: {e}")))?;
    for key in ["_id", "seller_id", "created_at", "view_count"] {
        d.remove(key);
    }
    Ok(d)
}

/// Rewrites a listing if its `updated_at` is still `expected_ms`.
pub async fn update(
    coll: &Collection<ListingDoc>,
    l: &Listing,
    expected_ms: i64,
) -> Result<bool, StoreError> {
    let set = mutable_fields(l)?;
    let _serial = WRITES.lock().await;
    let res = coll
        .update_one(
            doc! { "_id": l.id.as_str(), "updated_at": mongodb::bson::DateTime::from_millis(expected_ms) },
            doc! { "$set": set },
        )
        .await
        .map_err(|e| error::map(e, "update"))?;
    Ok(res.matched_count == 1)
}

/// Deletes a listing if its `updated_at` is still `expected_ms`.
pub async fn delete(
    coll: &Collection<ListingDoc>,
    id: &str,
    expected_ms: i64,
) -> Result<bool, StoreError> {
    let _serial = WRITES.lock().await;
    let res = coll
        .delete_one(
            doc! { "_id": id, "updated_at": mongodb::bson::DateTime::from_millis(expected_ms) },
        )
        .await
        .map_err(|e| error::map(e, "delete"))?;
    Ok(res.deleted_count == 1)
}

/// Adds one view with `$inc` (atomic on the server).
pub async fn record_view(coll: &Collection<ListingDoc>, id: &str) -> Result<bool, StoreError> {
    let _serial = WRITES.lock().await;
    let res = coll
        .update_one(doc! { "_id": id }, doc! { "$inc": { "view_count": 1_i64 } })
        .await
        .map_err(|e| error::map(e, "record_view"))?;
    Ok(res.matched_count == 1)
}

/// Completes documents written before the full listing existed (no `updated_at`): adds
/// `updated_at`, `view_count`, `api_numbers`, the `lat`/`lon` copy and `boe_sort`, by
/// rewriting each through [`ListingDoc`]. Idempotent; run at connect.
pub async fn backfill(coll: &Collection<ListingDoc>) -> Result<u64, StoreError> {
    let old = doc! { "updated_at": { "$exists": false } };
    let mut cursor = coll
        .find(old)
        .batch_size(BATCH)
        .await
        .map_err(|e| error::map(e, "backfill"))?;
    let mut done = 0;
    while let Some(d) = cursor
        .try_next()
        .await
        .map_err(|e| error::map(e, "backfill"))?
    {
        let l = Listing::try_from(d)?;
        let mut set = mutable_fields(&l)?;
        set.insert("view_count", Bson::Int64(0));
        coll.update_one(
            doc! { "_id": l.id.as_str(), "updated_at": { "$exists": false } },
            doc! { "$set": set },
        )
        .await
        .map_err(|e| error::map(e, "backfill"))?;
        done += 1;
    }
    Ok(done)
}
