//! Search filters and their reference semantics, which every store must reproduce exactly.

use super::cursor::Cursor;
use super::kinds::{ListingStatus, ListingType};
use super::listing::Listing;
use super::values::{StateCode, ValidationError};

/// Longest accepted `q`, in characters.
pub const MAX_QUERY_CHARS: usize = 200;
/// Most terms accepted in `q`.
pub const MAX_TERMS: usize = 8;
/// Page size when none is asked for.
pub const DEFAULT_LIMIT: u32 = 20;
/// Largest page size; larger requests are capped to it.
pub const MAX_LIMIT: u32 = 100;

/// Full-text query: lower-case terms, each of which must start a word of the title or the
/// description (case-insensitive prefix match, all terms required).
///
/// Words are maximal runs of letters and digits; everything else separates words, so `q` can
/// never carry query syntax to a store (`$where`, `.*`, `"`, `*` are just separators).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextQuery {
    terms: Vec<String>,
}

impl TextQuery {
    /// Splits `raw` into terms; `Ok(None)` when it has no letters or digits.
    pub fn parse(raw: &str) -> Result<Option<Self>, ValidationError> {
        if raw.chars().count() > MAX_QUERY_CHARS {
            return Err(ValidationError::new(
                "q",
                format!("must be at most {MAX_QUERY_CHARS} characters"),
            ));
        }
        let terms: Vec<String> = words(raw).map(str::to_lowercase).collect();
        if terms.len() > MAX_TERMS {
            return Err(ValidationError::new(
                "q",
                format!("must have at most {MAX_TERMS} words"),
            ));
        }
        Ok((!terms.is_empty()).then_some(Self { terms }))
    }

    /// The lower-case terms (each non-empty, letters and digits only).
    pub fn terms(&self) -> &[String] {
        &self.terms
    }

    /// Reference semantics: every term prefixes some word of `title` or `description`.
    pub fn matches(&self, title: &str, description: &str) -> bool {
        let words: Vec<String> = words(title)
            .chain(words(description))
            .map(str::to_lowercase)
            .collect();
        self.terms
            .iter()
            .all(|t| words.iter().any(|w| w.starts_with(t.as_str())))
    }
}

fn words(s: &str) -> impl Iterator<Item = &str> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
}

/// Which listings a search returns. Every `min_*`/`max_*` bound is inclusive; a listing whose
/// field is absent never satisfies a bound on that field.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListingFilter {
    /// Full-text terms.
    pub text: Option<TextQuery>,
    /// Exact type.
    pub listing_type: Option<ListingType>,
    /// Exact status.
    pub status: Option<ListingStatus>,
    /// Exact (case-sensitive) basin name.
    pub basin: Option<String>,
    /// Exact state.
    pub state: Option<StateCode>,
    /// Lowest asking price, cents.
    pub min_price_cents: Option<i64>,
    /// Highest asking price, cents.
    pub max_price_cents: Option<i64>,
    /// Fewest net acres.
    pub min_net_acres: Option<f64>,
    /// Lowest NRI, percent.
    pub min_nri_pct: Option<f64>,
    /// Lowest BOE/d.
    pub min_boe_d: Option<f64>,
}

impl ListingFilter {
    /// Reference semantics of the filter (the stores translate it to their query languages;
    /// the conformance tests check them against this function).
    pub fn matches(&self, l: &Listing) -> bool {
        fn at_least(bound: Option<f64>, value: Option<f64>) -> bool {
            bound.is_none_or(|b| value.is_some_and(|v| v >= b))
        }
        self.text
            .as_ref()
            .is_none_or(|t| t.matches(&l.title, &l.description))
            && self.listing_type.is_none_or(|t| t == l.listing_type)
            && self.status.is_none_or(|s| s == l.status)
            && self.basin.as_ref().is_none_or(|b| *b == l.basin)
            && self.state.as_ref().is_none_or(|s| *s == l.state)
            && self
                .min_price_cents
                .is_none_or(|p| l.asking_price_cents >= p)
            && self
                .max_price_cents
                .is_none_or(|p| l.asking_price_cents <= p)
            && at_least(self.min_net_acres, l.net_acres)
            && at_least(self.min_nri_pct, l.nri_pct.map(|p| p.get()))
            && at_least(self.min_boe_d, l.boe_d())
    }
}

/// A search: filter, page size and where the previous page ended.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchQuery {
    /// Which listings.
    pub filter: ListingFilter,
    /// Page size, 1..=[`MAX_LIMIT`].
    pub limit: u32,
    /// Return only listings after this position (newest first order).
    pub after: Option<Cursor>,
}

impl SearchQuery {
    /// A first page of `filter` with the default size.
    pub fn new(filter: ListingFilter) -> Self {
        Self {
            filter,
            limit: DEFAULT_LIMIT,
            after: None,
        }
    }
}

/// Parses a page size: absent → default, over the cap → the cap, zero or negative → error.
pub fn parse_limit(raw: Option<&str>) -> Result<u32, ValidationError> {
    let Some(raw) = raw else {
        return Ok(DEFAULT_LIMIT);
    };
    let value: i64 = raw
        .trim()
        .parse()
        .map_err(|_| ValidationError::new("limit", "must be an integer"))?;
    if value < 1 {
        return Err(ValidationError::new("limit", "must be at least 1"));
    }
    Ok(u32::try_from(value.min(i64::from(MAX_LIMIT))).unwrap_or(MAX_LIMIT))
}

/// One page of results, newest first, with the cursor of the next page if there is one.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// The listings of this page.
    pub items: Vec<Listing>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<Cursor>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_query_splits_on_non_alphanumerics() {
        let q = TextQuery::parse("  Midland-County, $where .* \"NMA\"* ")
            .unwrap()
            .unwrap();
        assert_eq!(q.terms(), ["midland", "county", "where", "nma"]);
        assert_eq!(TextQuery::parse(" .* $ ").unwrap(), None);
        assert_eq!(TextQuery::parse("").unwrap(), None);
    }

    #[test]
    fn text_query_limits() {
        assert!(TextQuery::parse(&"a".repeat(MAX_QUERY_CHARS + 1)).is_err());
        assert!(TextQuery::parse("a b c d e f g h i").is_err());
        assert!(TextQuery::parse("a b c d e f g h").is_ok());
    }

    #[test]
    fn text_matching_is_word_prefix_and_all_terms() {
        let q = TextQuery::parse("mid perm").unwrap().unwrap();
        assert!(q.matches("Midland minerals", "In the PERMIAN basin."));
        assert!(
            !q.matches("Midland minerals", "Delaware basin"),
            "all terms required"
        );
        let q = TextQuery::parse("land").unwrap().unwrap();
        assert!(
            !q.matches("Midland", ""),
            "prefix of a word, not any substring"
        );
        assert!(q.matches("Mid-land", ""), "punctuation separates words");
    }

    #[test]
    fn limit_parsing() {
        assert_eq!(parse_limit(None), Ok(DEFAULT_LIMIT));
        assert_eq!(parse_limit(Some("7")), Ok(7));
        assert_eq!(parse_limit(Some("100000")), Ok(MAX_LIMIT));
        assert_eq!(
            parse_limit(Some("99999999999999999999")).unwrap_err().field,
            "limit"
        );
        for bad in ["0", "-1", "ten", "", "2.5"] {
            assert!(parse_limit(Some(bad)).is_err(), "{bad:?} accepted");
        }
    }
}
