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
            // `q` is the same for every row of a statement: parsed once, kept by SQLite as
            // the argument's auxiliary data.
            let query = ctx.get_or_create_aux(2, |q| {
                Ok::<_, rusqlite::Error>(
                    TextQuery::parse(q.as_str().unwrap_or_default())
                        .ok()
                        .flatten(),
                )
            })?;
            let score = Option::as_ref(&query).and_then(|q| q.score(title, description));
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

    #[test]
    fn q_parsed_once_per_statement_still_scores_every_row() {
        let conn = Connection::open_in_memory().unwrap();
        register(&conn).unwrap();
        let scores: Vec<i64> = conn
            .prepare(
                "SELECT ogf_text_score(t, '', ?1) FROM (SELECT 'Permian lease' AS t \
                 UNION ALL SELECT 'Bakken well' UNION ALL SELECT 'Permian Midland')",
            )
            .unwrap()
            .query_map(["perm mid"], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(scores, vec![-1, -1, 2]);
    }
}
