//! SQL functions the embedded store registers on each connection.

use rusqlite::Connection;
use rusqlite::functions::FunctionFlags;

use crate::domain::TextQuery;
use crate::store::StoreError;

/// `ogf_title_score(title, q)`: [`TextQuery::title_score`] of `q` (space-separated terms) on
/// `title`, computed by the reference function itself. Dense relevance groups test it per
/// row while walking the newest order.
pub const TITLE_SCORE: &str = "ogf_title_score";

/// Registers the functions on `conn`.
pub fn register(conn: &Connection) -> Result<(), StoreError> {
    conn.create_scalar_function(
        TITLE_SCORE,
        2,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| {
            let title = ctx.get_raw(0).as_str().unwrap_or_default();
            let q = ctx.get_raw(1).as_str().unwrap_or_default();
            let score = match TextQuery::parse(q) {
                Ok(Some(query)) => query.title_score(title),
                _ => 0,
            };
            Ok(i64::from(score))
        },
    )
    .map_err(|e| StoreError::Schema(format!("registering {TITLE_SCORE}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_score_is_the_reference() {
        let conn = Connection::open_in_memory().unwrap();
        register(&conn).unwrap();
        let score = |title: &str, q: &str| -> i64 {
            conn.query_row("SELECT ogf_title_score(?1, ?2)", [title, q], |r| r.get(0))
                .unwrap()
        };
        assert_eq!(
            score("Mineral Rights - Midland County (Permian)", "perm mid"),
            2
        );
        assert_eq!(
            score("Mineral Rights - Midland County (Permian)", "perm land"),
            1
        );
        assert_eq!(score("Frac pump", "zzz"), 0);
        assert_eq!(score("anything", ""), 0);
    }
}
