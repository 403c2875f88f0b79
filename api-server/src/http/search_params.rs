//! Query parameters of `GET /api/v1/listings` and their translation to a [`SearchQuery`].

use serde::Deserialize;
use utoipa::IntoParams;

use super::problem::Problem;
use crate::domain::search::parse_limit;
use crate::domain::{
    BBox, GeoPoint, ListingCursor, ListingFilter, ListingSort, ListingStatus, ListingType, Near,
    SaleType, SearchQuery, StateCode, TextQuery,
};

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
    /// County or parish, exact and case-sensitive (e.g. `Midland`).
    county: Option<String>,
    /// Maximum net acres (inclusive).
    max_net_acres: Option<String>,
    /// Sale type (`fixed`, `auction`, `sealed_bid`, `best_offer`).
    sale_type: Option<String>,
    /// Center of a radius search, `lon,lat` (needs `radius_km`).
    near: Option<String>,
    /// Radius around `near` in km, in (0, 1000] (great-circle distance, inclusive).
    radius_km: Option<String>,
    /// Bounding box `minLon,minLat,maxLon,maxLat` (edges inclusive; no antimeridian crossing).
    bbox: Option<String>,
    /// Page size, 1-100 (default 20; larger values are capped).
    limit: Option<String>,
    /// `next_cursor` of the previous page (only valid with the same `sort`).
    cursor: Option<String>,
    /// Order: `relevance` (default with `q`; needs `q`), `newest` (default without `q`),
    /// `price_asc`, `price_desc`, `production` (BOE/d desc, listings without production last),
    /// `ending_soonest` (only listings whose end time is still ahead).
    sort: Option<String>,
}

impl SearchParams {
    /// Validates every parameter; the first invalid one becomes a 400 problem. Visibility
    /// and the end-time bound of `ending_soonest` are the caller's to set.
    pub fn into_query(self) -> Result<SearchQuery, Problem> {
        let bad = |e: &dyn std::fmt::Display| Problem::invalid_parameter(e.to_string());
        let text = match present(self.q) {
            Some(q) => TextQuery::parse(&q).map_err(|e| bad(&e))?,
            None => None,
        };
        let sort = match present(self.sort) {
            None if text.is_some() => ListingSort::Relevance,
            None => ListingSort::Newest,
            Some(s) => s
                .parse::<ListingSort>()
                .map_err(|e| bad(&format_args!("sort: {e}")))?,
        };
        if sort == ListingSort::Relevance && text.is_none() {
            return Err(Problem::invalid_parameter(
                "sort: relevance needs a q with at least one word",
            ));
        }
        let min_price_cents = cents("min_price", self.min_price)?;
        let max_price_cents = cents("max_price", self.max_price)?;
        if let (Some(lo), Some(hi)) = (min_price_cents, max_price_cents)
            && lo > hi
        {
            return Err(Problem::invalid_parameter(
                "min_price: must not exceed max_price",
            ));
        }
        let min_net_acres = number("min_net_acres", self.min_net_acres, f64::MAX)?;
        let max_net_acres = number("max_net_acres", self.max_net_acres, f64::MAX)?;
        if let (Some(lo), Some(hi)) = (min_net_acres, max_net_acres)
            && lo > hi
        {
            return Err(Problem::invalid_parameter(
                "min_net_acres: must not exceed max_net_acres",
            ));
        }
        let near = match (present(self.near), present(self.radius_km)) {
            (None, None) => None,
            (Some(_), None) => {
                return Err(Problem::invalid_parameter("radius_km: required with near"));
            }
            (None, Some(_)) => {
                return Err(Problem::invalid_parameter("near: required with radius_km"));
            }
            (Some(p), Some(r)) => {
                let [lon, lat] = coordinates::<2>("near", &p, "lon,lat")?;
                let center = GeoPoint::new(lon, lat)
                    .map_err(|e| bad(&format_args!("near: {}", e.message)))?;
                let radius = r.trim().parse::<f64>().unwrap_or(f64::NAN);
                Some(Near::new(center, radius).map_err(|e| bad(&e))?)
            }
        };
        let bbox = match present(self.bbox) {
            None => None,
            Some(b) => {
                let [a, b2, c, d] = coordinates::<4>("bbox", &b, "minLon,minLat,maxLon,maxLat")?;
                Some(BBox::new(a, b2, c, d).map_err(|e| bad(&e))?)
            }
        };
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
            basin: bounded("basin", self.basin)?,
            state: present(self.state)
                .map(|s| StateCode::parse("state", &s))
                .transpose()
                .map_err(|e| bad(&e))?,
            min_price_cents,
            max_price_cents,
            min_net_acres,
            min_nri_pct: number("min_nri", self.min_nri, 100.0)?,
            min_boe_d: number("min_boe_d", self.min_boe_d, f64::MAX)?,
            county: bounded("county", self.county)?,
            max_net_acres,
            sale_type: present(self.sale_type)
                .map(|s| s.parse::<SaleType>())
                .transpose()
                .map_err(|e| bad(&format_args!("sale_type: {e}")))?,
            near,
            bbox,
            ..ListingFilter::default()
        };
        let limit = parse_limit(present(self.limit).as_deref()).map_err(|e| bad(&e))?;
        let after = present(self.cursor)
            .map(|c| ListingCursor::decode(&c))
            .transpose()
            .map_err(|e| bad(&format_args!("cursor: {e}")))?;
        if after.as_ref().is_some_and(|c| c.sort != sort) {
            return Err(Problem::invalid_parameter(
                "cursor: belongs to another sort order",
            ));
        }
        Ok(SearchQuery {
            filter,
            sort,
            limit,
            after,
        })
    }
}

/// An exact-match text parameter of at most 64 characters.
fn bounded(name: &str, raw: Option<String>) -> Result<Option<String>, Problem> {
    match present(raw) {
        Some(v) if v.chars().count() > 64 => Err(Problem::invalid_parameter(format!(
            "{name}: must be at most 64 characters"
        ))),
        v => Ok(v),
    }
}

/// `N` comma-separated finite numbers.
fn coordinates<const N: usize>(name: &str, raw: &str, shape: &str) -> Result<[f64; N], Problem> {
    let values: Vec<f64> = raw
        .split(',')
        .map(|p| p.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| Problem::invalid_parameter(format!("{name}: must be {shape}")))?;
    match <[f64; N]>::try_from(values) {
        Ok(v) if v.iter().all(|x| x.is_finite()) => Ok(v),
        _ => Err(Problem::invalid_parameter(format!(
            "{name}: must be {shape}"
        ))),
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
            ("county", "Midland"),
            ("max_net_acres", "640"),
            ("sale_type", "auction"),
            ("near", "-102.1,31.9"),
            ("radius_km", "50"),
            ("bbox", "-104,30,-100,33"),
        ])
        .unwrap();
        assert_eq!(q.sort, ListingSort::Newest);
        assert_eq!(q.filter.county.as_deref(), Some("Midland"));
        assert_eq!(q.filter.sale_type, Some(SaleType::Auction));
        assert_eq!(q.filter.near.unwrap().radius_km, 50.0);
        assert_eq!(q.filter.bbox.unwrap().max_lat, 33.0);
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
            ("sort", "relevance", "sort"),
            ("county", &"x".repeat(65), "county"),
            ("max_net_acres", "-1", "max_net_acres"),
            ("sale_type", "swap", "sale_type"),
            ("near", "1,2", "radius_km"),
            ("radius_km", "5", "near"),
            ("bbox", "1,2,3", "bbox"),
            ("bbox", "5,0,1,1", "bbox"),
            ("bbox", "a,b,c,d", "bbox"),
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
        assert!(parse(&[("min_net_acres", "5"), ("max_net_acres", "4")]).is_err());
        assert!(parse(&[("near", "200,0"), ("radius_km", "5")]).is_err());
        assert!(parse(&[("near", "0,0"), ("radius_km", "0")]).is_err());
        assert!(parse(&[("near", "0,0"), ("radius_km", "5000")]).is_err());
    }

    #[test]
    fn sort_defaults_and_cursor_must_match_the_sort() {
        assert_eq!(parse(&[("q", "mid")]).unwrap().sort, ListingSort::Relevance);
        assert_eq!(parse(&[]).unwrap().sort, ListingSort::Newest);
        let c = ListingCursor {
            sort: ListingSort::PriceAsc,
            key: vec![crate::domain::KeyPart::Int(5)],
            id: "abc".into(),
        }
        .encode();
        assert!(parse(&[("sort", "price_asc"), ("cursor", &c)]).is_ok());
        let p = parse(&[("sort", "price_desc"), ("cursor", &c)]).unwrap_err();
        assert!(format!("{p:?}").contains("another sort"), "{p:?}");
    }
}
