//! Listing queries and writes of the embedded store, on a connection (blocking).
//!
//! Searches are one SQL query in the requested order with a keyset condition, except for two
//! parts done on the rows in Rust with the reference functions of [`crate::domain`]: the
//! exact great-circle distance of `near` (SQL narrows to its bounding box through the
//! `listings_lat_lon` index), and the relevance order (the score is computed per row).

use rusqlite::{Connection, params_from_iter};

use super::query::{Where, order_by};
use super::row;
use crate::domain::{Listing, ListingFilter, ListingSort, Page, SearchQuery};
use crate::store::StoreError;

/// One page of `query`.
pub fn search(conn: &Connection, query: &SearchQuery) -> Result<Page, StoreError> {
    if query.sort == ListingSort::Relevance {
        // Every candidate, ranked in Rust (cursor, order and page by the reference).
        let rows = select(conn, &query.filter, query.sort, None, None)?;
        return Ok(query.reference_page(&rows));
    }
    let want = usize::try_from(query.limit).unwrap_or(usize::MAX) + 1;
    let rows = select(
        conn,
        &query.filter,
        query.sort,
        query.after.as_ref(),
        Some(want),
    )?;
    Ok(query.page(rows))
}

/// How many listings match `filter`.
pub fn count(conn: &Connection, filter: &ListingFilter) -> Result<u64, StoreError> {
    if filter.near.is_some() {
        let rows = select(conn, filter, ListingSort::Newest, None, None)?;
        return Ok(u64::try_from(rows.len()).unwrap_or(u64::MAX));
    }
    let clause = Where::build(filter, ListingSort::Newest, None);
    let sql = format!("SELECT count(*) FROM listings l{}", clause.sql());
    let mut stmt = conn.prepare_cached(&sql).map_err(row::backend)?;
    let n: i64 = stmt
        .query_row(params_from_iter(clause.into_params()), |r| r.get(0))
        .map_err(row::backend)?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// Rows matching `filter` in `sort` order after `after`, at most `max` of them (`None`: all),
/// with the exact `near` distance checked on each row.
fn select(
    conn: &Connection,
    filter: &ListingFilter,
    sort: ListingSort,
    after: Option<&crate::domain::ListingCursor>,
    max: Option<usize>,
) -> Result<Vec<Listing>, StoreError> {
    let clause = Where::build(filter, sort, after);
    // Without an exact post-filter, SQL can stop at `max` rows itself.
    let limit = match (max, filter.near) {
        (Some(n), None) => format!(" LIMIT {n}"),
        _ => String::new(),
    };
    let sql = format!(
        "SELECT {} FROM listings l{}{}{}",
        row::SELECT_COLUMNS,
        clause.sql(),
        order_by(sort),
        limit
    );
    let mut stmt = conn.prepare_cached(&sql).map_err(row::backend)?;
    let mut rows = stmt
        .query(params_from_iter(clause.into_params()))
        .map_err(row::backend)?;
    let mut items = Vec::new();
    while let Some(r) = rows.next().map_err(row::backend)? {
        let l = row::from_row(r)?;
        if filter.near.is_none_or(|n| n.contains(l.location)) {
            items.push(l);
            if max.is_some_and(|m| items.len() >= m) {
                break;
            }
        }
    }
    Ok(items)
}

/// The listing with this id.
pub fn get(conn: &Connection, id: &str) -> Result<Option<Listing>, StoreError> {
    let sql = format!(
        "SELECT {} FROM listings l WHERE l.id = ?1",
        row::SELECT_COLUMNS
    );
    let mut stmt = conn.prepare_cached(&sql).map_err(row::backend)?;
    let mut rows = stmt.query([id]).map_err(row::backend)?;
    match rows.next().map_err(row::backend)? {
        Some(r) => row::from_row(r).map(Some),
        None => Ok(None),
    }
}

/// Deletes a listing if it is still at version `expected_ms` (its `updated_at`).
pub fn delete(conn: &Connection, id: &str, expected_ms: i64) -> Result<bool, StoreError> {
    let mut stmt = conn
        .prepare_cached("DELETE FROM listings WHERE id = ?1 AND updated_at_ms = ?2")
        .map_err(row::backend)?;
    let n = stmt
        .execute(rusqlite::params![id, expected_ms])
        .map_err(row::backend)?;
    Ok(n == 1)
}

/// Adds one view (a single atomic `UPDATE`).
pub fn record_view(conn: &Connection, id: &str) -> Result<bool, StoreError> {
    let mut stmt = conn
        .prepare_cached("UPDATE listings SET view_count = view_count + 1 WHERE id = ?1")
        .map_err(row::backend)?;
    let n = stmt.execute([id]).map_err(row::backend)?;
    Ok(n == 1)
}
