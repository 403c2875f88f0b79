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

impl Where {
    /// The clause for `filter` (a `near` filter only as its bounding box: the exact distance
    /// is checked on the rows), restricted to the listings taking part in `sort`, plus the
    /// keyset condition for `after`.
    pub fn build(filter: &ListingFilter, sort: ListingSort, after: Option<&ListingCursor>) -> Self {
        let mut w = Where::default();
        if let Some(text) = &filter.text {
            w.push(
                "l.seq IN (SELECT rowid FROM listings_fts WHERE listings_fts MATCH ?)",
                Value::Text(fts_query(text.terms())),
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
            w.bbox(&n.bounding_box());
        }
        if let Some(b) = &filter.bbox {
            w.bbox(b);
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

    fn bbox(&mut self, b: &BBox) {
        self.push("l.lat >= ?", Value::Real(b.min_lat));
        self.push("l.lat <= ?", Value::Real(b.max_lat));
        self.push("l.lon >= ?", Value::Real(b.min_lon));
        self.push("l.lon <= ?", Value::Real(b.max_lon));
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
fn fts_query(terms: &[String]) -> String {
    terms
        .iter()
        .map(|t| format!("\"{t}\"*"))
        .collect::<Vec<_>>()
        .join(" ")
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
