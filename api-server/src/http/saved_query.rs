//! The query of a saved search: the parameters of `GET /api/v1/listings`, validated by the
//! same parser ([`SearchParams`]) and stored in one canonical form, so that two spellings of
//! one search (`state=tx` and `state=TX`, `q=" Permian  oil"` and `q=permian oil`) store the
//! same thing and the stored query always parses again.
//!
//! Canonical form: an object of strings holding only the parameters that restrict the search,
//! each value rewritten from the parsed query (terms lower-cased and joined by one space,
//! state codes upper-case, numbers in Rust's shortest round-trip notation). `sort` is kept
//! only when it differs from the default; `limit` and `cursor` describe one page of one walk,
//! not a search, and are rejected.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::problem::Problem;
use super::search_params::SearchParams;
use crate::domain::{ListingSort, SearchQuery};

/// Parameters that never belong to a saved search.
const PAGE_PARAMS: [&str; 2] = ["limit", "cursor"];

/// Validates a saved-search `query` object (values: strings, numbers or booleans) and returns
/// its canonical form; any problem is a 422 naming the parameter.
pub fn canonical(raw: &Map<String, Value>) -> Result<BTreeMap<String, String>, Problem> {
    let mut strings = Map::new();
    for (k, v) in raw {
        if PAGE_PARAMS.contains(&k.as_str()) {
            return Err(Problem::invalid_body(format!(
                "query.{k}: not part of a saved search (it pages one walk)"
            )));
        }
        let s = match v {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Null => continue,
            _ => {
                return Err(Problem::invalid_body(format!(
                    "query.{k}: must be a string or a number"
                )));
            }
        };
        strings.insert(k.clone(), Value::String(s));
    }
    let query =
        parse(strings).map_err(|p| Problem::invalid_body(format!("query: {}", p.detail())))?;
    Ok(render(&query))
}

/// The search a canonical query stands for (page size and cursor left at their defaults).
pub fn to_query(canonical: &BTreeMap<String, String>) -> Result<SearchQuery, Problem> {
    let strings = canonical
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    parse(strings)
}

fn parse(strings: Map<String, Value>) -> Result<SearchQuery, Problem> {
    let params: SearchParams = serde_json::from_value(Value::Object(strings))
        .map_err(|e| Problem::invalid_parameter(e.to_string()))?;
    params.into_query()
}

/// The canonical parameters of a parsed query.
fn render(q: &SearchQuery) -> BTreeMap<String, String> {
    let f = &q.filter;
    let mut out = BTreeMap::new();
    let mut put = |k: &str, v: Option<String>| {
        if let Some(v) = v {
            out.insert(k.to_owned(), v);
        }
    };
    put("q", f.text.as_ref().map(|t| t.terms().join(" ")));
    put("type", f.listing_type.map(|t| t.as_str().to_owned()));
    put("status", f.status.map(|s| s.as_str().to_owned()));
    put("basin", f.basin.clone());
    put("state", f.state.as_ref().map(|s| s.as_str().to_owned()));
    put("county", f.county.clone());
    put("min_price", f.min_price_cents.map(|v| v.to_string()));
    put("max_price", f.max_price_cents.map(|v| v.to_string()));
    put("min_net_acres", f.min_net_acres.map(|v| v.to_string()));
    put("max_net_acres", f.max_net_acres.map(|v| v.to_string()));
    put("min_nri", f.min_nri_pct.map(|v| v.to_string()));
    put("min_boe_d", f.min_boe_d.map(|v| v.to_string()));
    put("sale_type", f.sale_type.map(|s| s.as_str().to_owned()));
    put(
        "near",
        f.near
            .map(|n| format!("{},{}", n.center.lon(), n.center.lat())),
    );
    put("radius_km", f.near.map(|n| n.radius_km.to_string()));
    put(
        "bbox",
        f.bbox
            .map(|b| format!("{},{},{},{}", b.min_lon, b.min_lat, b.max_lon, b.max_lat)),
    );
    let default_sort = if f.text.is_some() {
        ListingSort::Relevance
    } else {
        ListingSort::Newest
    };
    put(
        "sort",
        (q.sort != default_sort).then(|| q.sort.as_str().to_owned()),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn spellings_of_one_search_store_the_same_thing() {
        let a = canonical(&obj(json!({
            "q": "  Permian,  OIL ", "state": "tx", "min_price": 100, "min_nri": "75.0",
            "near": "-102.1, 31.9", "radius_km": 50, "basin": "", "sort": "relevance",
        })))
        .unwrap();
        let b = canonical(&obj(json!({
            "q": "permian oil", "state": "TX", "min_price": "100", "min_nri": 75,
            "near": "-102.1,31.9", "radius_km": "50.0",
        })))
        .unwrap();
        assert_eq!(a, b);
        assert_eq!(a["q"], "permian oil");
        assert_eq!(a["state"], "TX");
        assert_eq!(a["near"], "-102.1,31.9");
        assert!(!a.contains_key("basin") && !a.contains_key("sort"), "{a:?}");
    }

    #[test]
    fn canonical_queries_parse_back_to_the_same_search() {
        let c = canonical(&obj(json!({
            "type": "royalty_interest", "status": "active", "county": "Midland",
            "max_price": 5_000_000, "min_net_acres": 10.5, "max_net_acres": 640,
            "min_boe_d": 3, "sale_type": "auction", "bbox": "-104,30,-100,33",
            "sort": "price_desc",
        })))
        .unwrap();
        let q = to_query(&c).unwrap();
        assert_eq!(q.sort, ListingSort::PriceDesc);
        assert_eq!(q.filter.min_net_acres, Some(10.5));
        assert_eq!(render(&q), c);
        assert_eq!(canonical(&obj(json!({}))).unwrap(), BTreeMap::new());
    }

    #[test]
    fn invalid_queries_are_422_naming_the_parameter() {
        for (bad, field) in [
            (json!({ "limit": 5 }), "limit"),
            (json!({ "cursor": "abc" }), "cursor"),
            (json!({ "colour": "red" }), "colour"),
            (json!({ "state": "Texas" }), "state"),
            (json!({ "min_price": -1 }), "min_price"),
            (json!({ "type": ["lease"] }), "type"),
            (json!({ "near": "1,2" }), "radius_km"),
            (json!({ "sort": "relevance" }), "sort"),
        ] {
            let p = canonical(&obj(bad.clone())).unwrap_err();
            assert_eq!(p.status().as_u16(), 422, "{bad}");
            assert!(p.detail().contains(field), "{bad}: {p:?}");
        }
    }
}
