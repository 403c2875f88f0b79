//! Translation of a [`ListingFilter`] and cursor to SQL with bound parameters only.

use rusqlite::types::Value;

use crate::domain::{
    BBox, KeyPart, ListingCursor, ListingFilter, ListingSort, ListingStatus, Visibility,
};

/// A WHERE clause (always starting with `WHERE`) and its parameters, in order.
#[derive(Debug, Default)]
pub struct Where {
    clauses: Vec<&'static str>,
    params: Vec<Value>,
}

/// How a search with a full-text or geographic condition reaches its rows; the rows are the
/// same either way, only the work differs.
///
/// A *sparse* condition (few listings match) is best read through its own index (the FTS
/// rowids, `listings_lat_lon`) and the matches sorted. A *dense* one (a common word, a big
/// box) matches so many listings that sorting them all grows with the data, while walking the
/// sort order's index and testing each listing stops after about `limit / density` listings,
/// whatever the size: for dense conditions the column is written `+l.seq` / `+l.lat`, which
/// keeps SQLite from using their index, so that it walks the order's index instead.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Access {
    /// FTS5 expression used instead of the one of `filter.text` (a relevance group).
    pub fts: Option<String>,
    /// The full-text condition is dense.
    pub text_dense: bool,
    /// The `near`/`bbox` condition is dense.
    pub geo_dense: bool,
    /// Instead of the full-text condition: listings that these (space-separated) terms match
    /// with this title score, tested per row with [`super::functions::TEXT_SCORE`] (a dense
    /// relevance group, found by walking the newest order).
    pub text_score: Option<(String, i64)>,
}

impl Where {
    /// The clause for `filter` (a `near` filter only as its bounding box: the exact distance
    /// is checked on the rows), restricted to the listings taking part in `sort`, plus the
    /// keyset condition for `after`.
    pub fn build(filter: &ListingFilter, sort: ListingSort, after: Option<&ListingCursor>) -> Self {
        Self::planned(filter, sort, after, &Access::default())
    }

    /// [`Where::build`] with the access path of `access`.
    pub fn planned(
        filter: &ListingFilter,
        sort: ListingSort,
        after: Option<&ListingCursor>,
        access: &Access,
    ) -> Self {
        let mut w = Where::default();
        if let Some((terms, score)) = &access.text_score {
            w.clauses
                .push("ogf_text_score(l.title, l.description, ?) = ?");
            w.params.push(Value::Text(terms.clone()));
            w.params.push(Value::Integer(*score));
        } else if let Some(text) = &filter.text {
            let expr = access
                .fts
                .clone()
                .unwrap_or_else(|| fts_query(text.terms()));
            w.push(
                if access.text_dense {
                    "+l.seq IN (SELECT rowid FROM listings_fts WHERE listings_fts MATCH ?)"
                } else {
                    "l.seq IN (SELECT rowid FROM listings_fts WHERE listings_fts MATCH ?)"
                },
                Value::Text(expr),
            );
        }
        if let Some(t) = filter.listing_type {
            w.push("l.listing_type = ?", Value::Text(t.as_str().to_owned()));
        }
        if let Some(s) = filter.status {
            w.push("l.status = ?", Value::Text(s.as_str().to_owned()));
        }
        if let Some(b) = &filter.basin {
            w.push("l.basin = ?", Value::Text(b.clone()));
        }
        if let Some(s) = &filter.state {
            w.push("l.state = ?", Value::Text(s.as_str().to_owned()));
        }
        if let Some(p) = filter.min_price_cents {
            w.push("l.asking_price_cents >= ?", Value::Integer(p));
        }
        if let Some(p) = filter.max_price_cents {
            w.push("l.asking_price_cents <= ?", Value::Integer(p));
        }
        if let Some(v) = filter.min_net_acres {
            w.push("l.net_acres >= ?", Value::Real(v));
        }
        if let Some(v) = filter.min_nri_pct {
            w.push("l.nri_pct >= ?", Value::Real(v));
        }
        if let Some(v) = filter.min_boe_d {
            w.push("l.boe_d >= ?", Value::Real(v));
        }
        if let Some(c) = &filter.county {
            w.push("l.county = ?", Value::Text(c.clone()));
        }
        if let Some(v) = filter.max_net_acres {
            w.push("l.net_acres <= ?", Value::Real(v));
        }
        if let Some(s) = filter.sale_type {
            w.push("l.sale_type = ?", Value::Text(s.as_str().to_owned()));
        }
        if let Some(n) = &filter.near {
            w.bbox(&n.bounding_box(), access.geo_dense);
        }
        if let Some(b) = &filter.bbox {
            w.bbox(b, access.geo_dense);
        }
        if let Some(t) = filter.ends_at_or_after_ms {
            w.push("l.ends_at_ms >= ?", Value::Integer(t));
        }
        match &filter.visibility {
            Visibility::All => {}
            Visibility::NoDrafts => w.push(
                "l.status <> ?",
                Value::Text(ListingStatus::Draft.as_str().to_owned()),
            ),
            Visibility::OwnDrafts(seller) => {
                w.clauses.push("(l.status <> ? OR l.seller_id = ?)");
                w.params
                    .push(Value::Text(ListingStatus::Draft.as_str().to_owned()));
                w.params.push(Value::Text(seller.clone()));
            }
        }
        if sort == ListingSort::EndingSoonest {
            w.clauses.push("l.ends_at_ms IS NOT NULL");
        }
        if let Some(c) = after
            && let (Some(condition), [key]) = (keyset(sort), c.key.as_slice())
        {
            w.clauses.push(condition);
            w.params.push(match key {
                KeyPart::Int(i) => Value::Integer(*i),
                KeyPart::Real(r) => Value::Real(*r),
            });
            w.params.push(Value::Text(c.id.clone()));
        }
        w
    }

    fn bbox(&mut self, b: &BBox, dense: bool) {
        let [lat_min, lat_max, lon_min, lon_max] = if dense {
            ["+l.lat >= ?", "+l.lat <= ?", "+l.lon >= ?", "+l.lon <= ?"]
        } else {
            ["l.lat >= ?", "l.lat <= ?", "l.lon >= ?", "l.lon <= ?"]
        };
        self.push(lat_min, Value::Real(b.min_lat));
        self.push(lat_max, Value::Real(b.max_lat));
        self.push(lon_min, Value::Real(b.min_lon));
        self.push(lon_max, Value::Real(b.max_lon));
    }

    fn push(&mut self, clause: &'static str, param: Value) {
        self.clauses.push(clause);
        self.params.push(param);
    }

    /// The SQL text: empty, or ` WHERE a AND b ...`.
    pub fn sql(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", self.clauses.join(" AND "))
        }
    }

    /// The parameters, consumed.
    pub fn into_params(self) -> Vec<Value> {
        self.params
    }
}

/// The SQL expression of a sort key (`None`: relevance, ordered in Rust).
pub fn sort_expr(sort: ListingSort) -> Option<&'static str> {
    match sort {
        ListingSort::Relevance => None,
        ListingSort::Newest => Some("l.created_at_ms"),
        ListingSort::PriceAsc | ListingSort::PriceDesc => Some("l.asking_price_cents"),
        // Same expression as the `listings_production` index; -1 = NO_PRODUCTION.
        ListingSort::Production => Some("COALESCE(l.boe_d, -1.0)"),
        ListingSort::EndingSoonest => Some("l.ends_at_ms"),
    }
}

/// ` ORDER BY <key> <dir>, l.id <dir>` for `sort` (relevance: newest, re-ordered in Rust).
pub fn order_by(sort: ListingSort) -> String {
    let expr = sort_expr(sort).unwrap_or("l.created_at_ms");
    let dir = if sort.ascending() { "ASC" } else { "DESC" };
    format!(" ORDER BY {expr} {dir}, l.id {dir}")
}

/// The keyset condition "strictly after `(?, ?)`" of `sort` (`None`: relevance).
fn keyset(sort: ListingSort) -> Option<&'static str> {
    match sort {
        ListingSort::Relevance => None,
        ListingSort::Newest => Some("(l.created_at_ms, l.id) < (?, ?)"),
        ListingSort::PriceAsc => Some("(l.asking_price_cents, l.id) > (?, ?)"),
        ListingSort::PriceDesc => Some("(l.asking_price_cents, l.id) < (?, ?)"),
        ListingSort::Production => Some("(COALESCE(l.boe_d, -1.0), l.id) < (?, ?)"),
        ListingSort::EndingSoonest => Some("(l.ends_at_ms, l.id) > (?, ?)"),
    }
}

/// FTS5 query: every term as a quoted prefix (`"perm"* "midl"*`, implicit AND). Terms hold only
/// letters and digits (see [`crate::domain::TextQuery`]), so quoting cannot be escaped.
pub fn fts_query(terms: &[String]) -> String {
    terms
        .iter()
        .map(|t| format!("\"{t}\"*"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// FTS5 query of the listings matching `terms` whose relevance score
/// ([`crate::domain::TextQuery::title_score`]: how many terms begin a word of the title) is
/// exactly `score`: all terms anywhere, at least `score` of them in the title, not more.
pub fn relevance_group(terms: &[String], score: usize) -> String {
    if score >= terms.len() {
        // Every term in the title: the whole query matches.
        return at_least_in_title(terms, terms.len());
    }
    let all = fts_query(terms);
    let mut expr = format!("({all})");
    if score > 0 {
        expr = format!("{expr} AND ({})", at_least_in_title(terms, score));
    }
    format!("{expr} NOT ({})", at_least_in_title(terms, score + 1))
}

/// FTS5 query: at least `n` (>= 1) of `terms` begin a word of the title (an OR over every
/// `n`-subset of an AND of column-filtered prefixes).
fn at_least_in_title(terms: &[String], n: usize) -> String {
    subsets(terms.len(), n)
        .iter()
        .map(|subset| {
            let and = subset
                .iter()
                .map(|&i| format!("{{title}} : \"{}\"*", terms[i]))
                .collect::<Vec<_>>()
                .join(" AND ");
            format!("({and})")
        })
        .collect::<Vec<_>>()
        .join(" OR ")
}

/// Every `n`-element subset of `0..len`, as sorted index lists.
fn subsets(len: usize, n: usize) -> Vec<Vec<usize>> {
    if n == 0 {
        return vec![Vec::new()];
    }
    if n > len {
        return Vec::new();
    }
    let mut out = subsets(len - 1, n);
    for mut s in subsets(len - 1, n - 1) {
        s.push(len - 1);
        out.push(s);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ListingType, TextQuery};

    #[test]
    fn empty_filter_has_no_where() {
        let w = Where::build(&ListingFilter::default(), ListingSort::Newest, None);
        assert_eq!(w.sql(), "");
        assert!(w.into_params().is_empty());
    }

    #[test]
    fn values_are_bound_not_interpolated() {
        let filter = ListingFilter {
            text: TextQuery::parse("perm' OR 1=1 --").unwrap(),
            listing_type: Some(ListingType::Lease),
            basin: Some("Permian'; DROP TABLE listings; --".into()),
            ..ListingFilter::default()
        };
        let cursor = ListingCursor {
            sort: ListingSort::Newest,
            key: vec![KeyPart::Int(5)],
            id: "abc".into(),
        };
        let w = Where::build(&filter, ListingSort::Newest, Some(&cursor));
        let sql = w.sql();
        assert!(!sql.contains("DROP") && !sql.contains("perm"), "{sql}");
        assert_eq!(sql.matches('?').count(), 5, "{sql}");
        let params = w.into_params();
        assert_eq!(
            params[0],
            Value::Text("\"perm\"* \"or\"* \"1\"* \"1\"*".into())
        );
    }
}
