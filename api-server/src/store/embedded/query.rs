//! Translation of a [`ListingFilter`] and cursor to SQL with bound parameters only.

use rusqlite::types::Value;

use crate::domain::{Cursor, ListingFilter};

/// A WHERE clause (always starting with `WHERE`) and its parameters, in order.
#[derive(Debug, Default)]
pub struct Where {
    clauses: Vec<&'static str>,
    params: Vec<Value>,
}

impl Where {
    /// The clause for `filter`, plus the keyset condition for `after`.
    pub fn build(filter: &ListingFilter, after: Option<&Cursor>) -> Self {
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
        if let Some(c) = after {
            w.clauses.push("(l.created_at_ms, l.id) < (?, ?)");
            w.params.push(Value::Integer(c.created_at_ms));
            w.params.push(Value::Text(c.id.clone()));
        }
        w
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
        let w = Where::build(&ListingFilter::default(), None);
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
        let cursor = Cursor {
            created_at_ms: 5,
            id: "abc".into(),
        };
        let w = Where::build(&filter, Some(&cursor));
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
