//! Query parameters of `GET /api/v1/listings` and their translation to a [`SearchQuery`].

use serde::Deserialize;
use utoipa::IntoParams;

use super::problem::Problem;
use crate::domain::search::parse_limit;
use crate::domain::{
    Cursor, ListingFilter, ListingStatus, ListingType, SearchQuery, StateCode, TextQuery,
};

/// The only sort order of this version.
pub const SORT_NEWEST: &str = "newest";

/// Raw parameters. Unknown names are rejected (a typo must not silently widen a search);
/// empty values count as absent.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// Words; each must begin a word of the title or description (max 8 words, 200 chars).
    q: Option<String>,
    /// Listing type (`lease`, `producing_property`, `mineral_rights`, `royalty_interest`, `working_interest`, `equipment`, `service`).
    #[serde(rename = "type")]
    #[param(rename = "type")]
    listing_type: Option<String>,
    /// Status (`draft`, `active`, `under_contract`, `sold`, `withdrawn`).
    status: Option<String>,
    /// Basin, exact and case-sensitive (e.g. `Permian`).
    basin: Option<String>,
    /// Two-letter state code, any case.
    state: Option<String>,
    /// Minimum asking price, integer cents (inclusive).
    min_price: Option<String>,
    /// Maximum asking price, integer cents (inclusive).
    max_price: Option<String>,
    /// Minimum net acres.
    min_net_acres: Option<String>,
    /// Minimum net revenue interest, percent 0-100.
    min_nri: Option<String>,
    /// Minimum production, BOE/d (6:1).
    min_boe_d: Option<String>,
    /// Page size, 1-100 (default 20; larger values are capped).
    limit: Option<String>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
    /// Sort order; only `newest`.
    sort: Option<String>,
}

impl SearchParams {
    /// Validates every parameter; the first invalid one becomes a 400 problem.
    pub fn into_query(self) -> Result<SearchQuery, Problem> {
        let bad = |e: &dyn std::fmt::Display| Problem::invalid_parameter(e.to_string());
        if let Some(sort) = present(self.sort)
            && sort != SORT_NEWEST
        {
            return Err(Problem::invalid_parameter(format!(
                "sort: unsupported value '{sort}'; supported: {SORT_NEWEST}"
            )));
        }
        let text = match present(self.q) {
            Some(q) => TextQuery::parse(&q).map_err(|e| bad(&e))?,
            None => None,
        };
        let min_price_cents = cents("min_price", self.min_price)?;
        let max_price_cents = cents("max_price", self.max_price)?;
        if let (Some(lo), Some(hi)) = (min_price_cents, max_price_cents)
            && lo > hi
        {
            return Err(Problem::invalid_parameter(
                "min_price: must not exceed max_price",
            ));
        }
        let filter = ListingFilter {
            text,
            listing_type: present(self.listing_type)
                .map(|t| t.parse::<ListingType>())
                .transpose()
                .map_err(|e| bad(&format_args!("type: {e}")))?,
            status: present(self.status)
                .map(|s| s.parse::<ListingStatus>())
                .transpose()
                .map_err(|e| bad(&format_args!("status: {e}")))?,
            basin: match present(self.basin) {
                Some(b) if b.chars().count() > 64 => {
                    return Err(Problem::invalid_parameter(
                        "basin: must be at most 64 characters",
                    ));
                }
                b => b,
            },
            state: present(self.state)
                .map(|s| StateCode::parse("state", &s))
                .transpose()
                .map_err(|e| bad(&e))?,
            min_price_cents,
            max_price_cents,
            min_net_acres: number("min_net_acres", self.min_net_acres, f64::MAX)?,
            min_nri_pct: number("min_nri", self.min_nri, 100.0)?,
            min_boe_d: number("min_boe_d", self.min_boe_d, f64::MAX)?,
        };
        let limit = parse_limit(present(self.limit).as_deref()).map_err(|e| bad(&e))?;
        let after = present(self.cursor)
            .map(|c| Cursor::decode(&c))
            .transpose()
            .map_err(|e| bad(&e))?;
        Ok(SearchQuery {
            filter,
            limit,
            after,
        })
    }
}

fn present(v: Option<String>) -> Option<String> {
    v.filter(|s| !s.trim().is_empty())
}

fn cents(name: &str, raw: Option<String>) -> Result<Option<i64>, Problem> {
    present(raw)
        .map(|s| match s.trim().parse::<i64>() {
            Ok(v) if v >= 0 => Ok(v),
            _ => Err(Problem::invalid_parameter(format!(
                "{name}: must be a whole number of cents >= 0"
            ))),
        })
        .transpose()
}

fn number(name: &str, raw: Option<String>, max: f64) -> Result<Option<f64>, Problem> {
    present(raw)
        .map(|s| match s.trim().parse::<f64>() {
            Ok(v) if v.is_finite() && (0.0..=max).contains(&v) => Ok(v),
            _ if max < f64::MAX => Err(Problem::invalid_parameter(format!(
                "{name}: must be a number within [0, {max}]"
            ))),
            _ => Err(Problem::invalid_parameter(format!(
                "{name}: must be a number >= 0"
            ))),
        })
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(pairs: &[(&str, &str)]) -> Result<SearchQuery, Problem> {
        let qs = pairs
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&");
        let params: SearchParams = from_query_string(&qs);
        params.into_query()
    }

    fn from_query_string(qs: &str) -> SearchParams {
        axum::extract::Query::<SearchParams>::try_from_uri(&format!("/?{qs}").parse().unwrap())
            .unwrap()
            .0
    }

    #[test]
    fn full_query() {
        let q = parse(&[
            ("q", "midland"),
            ("type", "royalty_interest"),
            ("status", "active"),
            ("basin", "Permian"),
            ("state", "tx"),
            ("min_price", "100"),
            ("max_price", "200"),
            ("min_net_acres", "10.5"),
            ("min_nri", "75"),
            ("min_boe_d", "3"),
            ("limit", "500"),
            ("sort", "newest"),
        ])
        .unwrap();
        assert_eq!(q.limit, 100);
        assert_eq!(q.filter.listing_type, Some(ListingType::RoyaltyInterest));
        assert_eq!(q.filter.state.unwrap().as_str(), "TX");
        assert_eq!(q.filter.min_nri_pct, Some(75.0));
        assert_eq!(q.filter.text.unwrap().terms(), ["midland"]);
    }

    #[test]
    fn empty_values_are_absent() {
        let q = parse(&[("q", ""), ("type", ""), ("limit", "")]).unwrap();
        assert_eq!(q, SearchQuery::new(ListingFilter::default()));
    }

    #[test]
    fn each_bad_parameter_is_named() {
        let cases = [
            ("sort", "price", "sort"),
            ("type", "oil_well", "type"),
            ("status", "open", "status"),
            ("state", "Texas", "state"),
            ("min_price", "-1", "min_price"),
            ("max_price", "1e3", "max_price"),
            ("min_net_acres", "NaN", "min_net_acres"),
            ("min_nri", "101", "min_nri"),
            ("min_boe_d", "-2", "min_boe_d"),
            ("limit", "-1", "limit"),
            ("cursor", "bogus", "cursor"),
        ];
        for (k, v, field) in cases {
            let p = parse(&[(k, v)]).unwrap_err();
            assert_eq!(p.status().as_u16(), 400);
            assert!(format!("{p:?}").contains(field), "{k}={v}: {p:?}");
        }
        assert!(parse(&[("min_price", "5"), ("max_price", "4")]).is_err());
    }
}
