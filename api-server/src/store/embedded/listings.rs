//! Listing queries and writes of the embedded store, on a connection (blocking).
//!
//! Searches are one SQL query in the requested order with a keyset condition; the exact
//! great-circle distance of `near` is checked on the rows in Rust with the reference function
//! of [`crate::domain`] (SQL narrows to its bounding box).
//!
//! Full-text and geographic conditions are first measured (how many listings match, counted
//! up to [`DENSE`]) to pick their access path (see [`Access`]): few matches are read through
//! their index and sorted, many are found by walking the order's index.
//!
//! Relevance (title score, then newest) is read score group by score group, highest first:
//! each group is an FTS5 query ([`relevance_group`]) read in newest order like any other
//! search, until the page is full; a dense group is instead tested per row with the
//! reference score while walking the newest order. With more than [`MAX_GROUPED_TERMS`] terms (the groups'
//! FTS5 queries would grow combinatorially) every match is ranked in Rust by the reference.

use rusqlite::{Connection, params_from_iter};

use super::query::{Access, Where, fts_query, order_by, relevance_group};
use super::row;
use super::text_counts::TextCounts;
use crate::domain::{
    BBox, KeyPart, Listing, ListingCursor, ListingFilter, ListingSort, Page, SearchQuery,
};
use crate::store::StoreError;

/// A full-text or geographic condition matching at least this many listings is dense.
pub const DENSE: i64 = 1_000;
/// Most `q` terms for which relevance is read group by group.
const MAX_GROUPED_TERMS: usize = 3;

/// One page of `query`, read in one transaction (one snapshot); `counts` are this
/// connection's remembered full-text counts.
pub fn search(
    conn: &Connection,
    query: &SearchQuery,
    counts: &mut TextCounts,
) -> Result<Page, StoreError> {
    let tx = conn.unchecked_transaction().map_err(row::backend)?;
    counts.refresh(conn)?;
    let page = search_in_snapshot(conn, query, counts)?;
    tx.commit().map_err(row::backend)?;
    Ok(page)
}

fn search_in_snapshot(
    conn: &Connection,
    query: &SearchQuery,
    counts: &mut TextCounts,
) -> Result<Page, StoreError> {
    let want = usize::try_from(query.limit).unwrap_or(usize::MAX) + 1;
    if query.sort == ListingSort::Relevance {
        return relevance(conn, query, want, counts);
    }
    let access = access(conn, &query.filter, None, counts)?;
    let rows = select(
        conn,
        &query.filter,
        query.sort,
        query.after.as_ref(),
        Some(want),
        &access,
    )?;
    Ok(query.page(rows))
}

/// A relevance page: score groups from the highest (or the cursor's) down, each in newest
/// order, until `want` rows are found.
fn relevance(
    conn: &Connection,
    query: &SearchQuery,
    want: usize,
    counts: &mut TextCounts,
) -> Result<Page, StoreError> {
    let terms = match &query.filter.text {
        Some(text) if text.terms().len() <= MAX_GROUPED_TERMS => text.terms(),
        _ => return relevance_in_rust(conn, query, counts),
    };
    // The cursor's position: its score group, and its place in that group's newest order.
    let (from_score, within) = match &query.after {
        None => (i64::MAX, None),
        Some(c) => match c.key.as_slice() {
            [KeyPart::Int(score), created @ KeyPart::Int(_)] => (
                *score,
                Some(ListingCursor {
                    sort: ListingSort::Newest,
                    key: vec![*created],
                    id: c.id.clone(),
                }),
            ),
            _ => return relevance_in_rust(conn, query, counts),
        },
    };
    let mut rows = Vec::new();
    for score in (0..=terms.len()).rev() {
        let score_i = i64::try_from(score).unwrap_or(i64::MAX);
        if score_i > from_score {
            continue;
        }
        let group = relevance_group(terms, score);
        let matches = counts.count(conn, &group)?;
        if matches == 0 {
            continue;
        }
        let mut access = access(conn, &query.filter, Some((group, matches)), counts)?;
        if access.text_dense {
            // Walking the newest order, a dense group is tested per row in Rust: it stops
            // after about `want / density` listings, while its FTS rowids would all be
            // collected first (the prefix terms' doclists in full, growing with the data).
            access.text_score = Some((terms.join(" "), score_i));
        }
        let after = if score_i == from_score {
            within.as_ref()
        } else {
            None
        };
        rows.extend(select(
            conn,
            &query.filter,
            ListingSort::Newest,
            after,
            Some(want - rows.len()),
            &access,
        )?);
        if rows.len() >= want {
            break;
        }
    }
    Ok(query.page(rows))
}

/// Every match ranked in Rust (cursor, order and page by the reference).
fn relevance_in_rust(
    conn: &Connection,
    query: &SearchQuery,
    counts: &mut TextCounts,
) -> Result<Page, StoreError> {
    let access = access(conn, &query.filter, None, counts)?;
    let rows = select(conn, &query.filter, query.sort, None, None, &access)?;
    Ok(query.reference_page(&rows))
}

/// The access path of `filter` (`group`: a relevance group's FTS5 query and its match count).
fn access(
    conn: &Connection,
    filter: &ListingFilter,
    group: Option<(String, i64)>,
    counts: &mut TextCounts,
) -> Result<Access, StoreError> {
    let (fts, text_dense) = match (group, &filter.text) {
        (Some((expr, matches)), _) => (Some(expr), matches >= DENSE),
        (None, Some(text)) => (None, counts.count(conn, &fts_query(text.terms()))? >= DENSE),
        (None, None) => (None, false),
    };
    let boxes: Vec<BBox> = filter
        .near
        .map(|n| n.bounding_box())
        .into_iter()
        .chain(filter.bbox)
        .collect();
    let mut geo_dense = !boxes.is_empty();
    for b in &boxes {
        geo_dense &= count_box(conn, b)? >= DENSE;
    }
    Ok(Access {
        fts,
        text_dense,
        geo_dense,
        text_score: None,
    })
}

/// How many listings match the FTS5 query `expr`, counted up to [`DENSE`].
pub(super) fn count_text(conn: &Connection, expr: &str) -> Result<i64, StoreError> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT count(*) FROM (SELECT 1 FROM listings_fts WHERE listings_fts MATCH ?1 LIMIT ?2)",
        )
        .map_err(row::backend)?;
    stmt.query_row(rusqlite::params![expr, DENSE], |r| r.get(0))
        .map_err(row::backend)
}

/// How many listings lie in `b`, counted up to [`DENSE`] (on the `listings_lat_lon` index alone).
fn count_box(conn: &Connection, b: &BBox) -> Result<i64, StoreError> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT count(*) FROM (SELECT 1 FROM listings \
             WHERE lat >= ?1 AND lat <= ?2 AND lon >= ?3 AND lon <= ?4 LIMIT ?5)",
        )
        .map_err(row::backend)?;
    stmt.query_row(
        rusqlite::params![b.min_lat, b.max_lat, b.min_lon, b.max_lon, DENSE],
        |r| r.get(0),
    )
    .map_err(row::backend)
}

/// How many listings match `filter`.
pub fn count(conn: &Connection, filter: &ListingFilter) -> Result<u64, StoreError> {
    if filter.near.is_some() {
        let rows = select(
            conn,
            filter,
            ListingSort::Newest,
            None,
            None,
            &Access::default(),
        )?;
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

/// The SQL text and parameters of [`select`].
pub fn select_sql(
    filter: &ListingFilter,
    sort: ListingSort,
    after: Option<&ListingCursor>,
    max: Option<usize>,
    access: &Access,
) -> (String, Vec<rusqlite::types::Value>) {
    let clause = Where::planned(filter, sort, after, access);
    // Without an exact post-filter, SQL can stop at `max` rows itself (a bound parameter, so
    // that every page size shares one cached statement).
    let limit = match (max, filter.near) {
        (Some(_), None) => " LIMIT ?",
        _ => "",
    };
    let sql = format!(
        "SELECT {} FROM listings l{}{}{}",
        row::SELECT_COLUMNS,
        clause.sql(),
        order_by(sort),
        limit
    );
    let mut params = clause.into_params();
    if let (Some(n), None) = (max, filter.near) {
        params.push(rusqlite::types::Value::Integer(
            i64::try_from(n).unwrap_or(i64::MAX),
        ));
    }
    (sql, params)
}

/// Rows matching `filter` in `sort` order after `after`, at most `max` of them (`None`: all),
/// with the exact `near` distance checked on each row.
fn select(
    conn: &Connection,
    filter: &ListingFilter,
    sort: ListingSort,
    after: Option<&ListingCursor>,
    max: Option<usize>,
    access: &Access,
) -> Result<Vec<Listing>, StoreError> {
    let (sql, params) = select_sql(filter, sort, after, max, access);
    let mut stmt = conn.prepare_cached(&sql).map_err(row::backend)?;
    let mut rows = stmt.query(params_from_iter(params)).map_err(row::backend)?;
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

#[cfg(test)]
#[path = "listings_tests.rs"]
mod tests;
