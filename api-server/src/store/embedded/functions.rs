//! SQL functions the embedded store registers on each connection.

use rusqlite::Connection;
use rusqlite::functions::FunctionFlags;

use crate::domain::TextQuery;
use crate::store::StoreError;

/// `ogf_text_score(title, description, q)`: [`TextQuery::score`] of `q` (space-separated
/// terms) on a listing, computed by the reference function itself: its title score when `q`
/// matches it, -1 when not. Dense relevance groups test it per row while walking the newest
/// order.
pub const TEXT_SCORE: &str = "ogf_text_score";

/// Registers the functions on `conn`.
pub fn register(conn: &Connection) -> Result<(), StoreError> {
    conn.create_scalar_function(
        TEXT_SCORE,
        3,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| {
            let title = ctx.get_raw(0).as_str().unwrap_or_default();
            let description = ctx.get_raw(1).as_str().unwrap_or_default();
            let q = ctx.get_raw(2).as_str().unwrap_or_default();
            let score = match TextQuery::parse(q) {
                Ok(Some(query)) => query.score(title, description),
                _ => None,
            };
            Ok(score.map_or(-1, i64::from))
        },
    )
    .map_err(|e| StoreError::Schema(format!("registering {TEXT_SCORE}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_score_is_the_reference() {
        let conn = Connection::open_in_memory().unwrap();
        register(&conn).unwrap();
        let score = |title: &str, description: &str, q: &str| -> i64 {
            conn.query_row(
                "SELECT ogf_text_score(?1, ?2, ?3)",
                [title, description, q],
                |r| r.get(0),
            )
            .unwrap()
        };
        let title = "Mineral Rights - Midland County (Permian)";
        assert_eq!(score(title, "", "perm mid"), 2);
        assert_eq!(score(title, "steady royalty checks", "perm royal"), 1);
        assert_eq!(score(title, "steady royalty checks", "royal check"), 0);
        assert_eq!(score(title, "steady royalty checks", "perm land"), -1);
        assert_eq!(score("Frac pump", "", "zzz"), -1);
        assert_eq!(score("anything", "", ""), -1);
    }
}
