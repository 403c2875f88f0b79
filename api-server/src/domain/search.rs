//! Search filters and their reference semantics, which every store must reproduce exactly.

use super::geo::{BBox, Near};
use super::kinds::{ListingStatus, ListingType, SaleType};
use super::listing::Listing;
use super::sort::{ListingCursor, ListingSort};
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
        let terms: Vec<String> = lower_words(raw).collect();
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

    /// Relevance score: how many terms prefix a word of the title (0..=8).
    pub fn title_score(&self, title: &str) -> u32 {
        let words: Vec<String> = lower_words(title).collect();
        let hits = self
            .terms
            .iter()
            .filter(|t| words.iter().any(|w| w.starts_with(t.as_str())))
            .count();
        u32::try_from(hits).unwrap_or(u32::MAX)
    }

    /// Relevance of a listing with this `title` and `description`: its
    /// [`TextQuery::title_score`] when the query [matches](TextQuery::matches) it, `None`
    /// when not. Reads the description only when some term is not in the title.
    pub fn score(&self, title: &str, description: &str) -> Option<u32> {
        let title_words: Vec<String> = lower_words(title).collect();
        let in_title: Vec<bool> = self
            .terms
            .iter()
            .map(|t| title_words.iter().any(|w| w.starts_with(t.as_str())))
            .collect();
        let score = u32::try_from(in_title.iter().filter(|hit| **hit).count()).ok()?;
        if in_title.iter().all(|hit| *hit) {
            return Some(score);
        }
        let description_words: Vec<String> = lower_words(description).collect();
        let all =
            self.terms.iter().zip(&in_title).all(|(t, hit)| {
                *hit || description_words.iter().any(|w| w.starts_with(t.as_str()))
            });
        all.then_some(score)
    }

    /// Reference semantics: every term prefixes some word of `title` or `description`.
    pub fn matches(&self, title: &str, description: &str) -> bool {
        self.score(title, description).is_some()
    }
}

/// The lower-cased words of `s`. Lower-casing comes first: it can add characters that are not
/// letters or digits (`İ` becomes `i` + U+0307 COMBINING DOT ABOVE), and those must separate
/// words like any other, so that every term is letters and digits only.
fn lower_words(s: &str) -> impl Iterator<Item = String> {
    s.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect::<Vec<_>>()
        .into_iter()
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
    /// Exact (case-sensitive) county.
    pub county: Option<String>,
    /// Most net acres.
    pub max_net_acres: Option<f64>,
    /// Exact sale type.
    pub sale_type: Option<SaleType>,
    /// Within a radius of a point (great-circle distance).
    pub near: Option<Near>,
    /// Within a lon/lat box.
    pub bbox: Option<BBox>,
    /// Only listings whose end time is at or after this instant (Unix ms).
    pub ends_at_or_after_ms: Option<i64>,
    /// Whose drafts the caller may see.
    pub visibility: Visibility,
}

/// Which drafts a search may return: drafts are visible to their seller and admins only.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Visibility {
    /// Every listing (admins, internal callers).
    #[default]
    All,
    /// No drafts (anonymous callers, buyers).
    NoDrafts,
    /// No drafts except this seller's own.
    OwnDrafts(String),
}

impl Visibility {
    /// Whether a listing is visible.
    pub fn allows(&self, l: &Listing) -> bool {
        match self {
            Visibility::All => true,
            Visibility::NoDrafts => l.status != ListingStatus::Draft,
            Visibility::OwnDrafts(seller) => {
                l.status != ListingStatus::Draft || l.is_owned_by(seller)
            }
        }
    }
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
            && self.county.as_ref().is_none_or(|c| *c == l.county)
            && self
                .max_net_acres
                .is_none_or(|m| l.net_acres.is_some_and(|v| v <= m))
            && self.sale_type.is_none_or(|s| s == l.sale_type)
            && self.near.is_none_or(|n| n.contains(l.location))
            && self.bbox.is_none_or(|b| b.contains(l.location))
            && self
                .ends_at_or_after_ms
                .is_none_or(|t| l.terms.ends_at.is_some_and(|e| e.timestamp_millis() >= t))
            && self.visibility.allows(l)
    }
}

/// A search: filter, order, page size and where the previous page ended.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchQuery {
    /// Which listings.
    pub filter: ListingFilter,
    /// Order (relevance needs `filter.text`; without it, it orders like newest).
    pub sort: ListingSort,
    /// Page size, 1..=[`MAX_LIMIT`].
    pub limit: u32,
    /// Return only listings after this position (its sort must be `sort`).
    pub after: Option<ListingCursor>,
}

impl SearchQuery {
    /// A first page of `filter`, newest first, with the default size.
    pub fn new(filter: ListingFilter) -> Self {
        Self {
            filter,
            sort: ListingSort::Newest,
            limit: DEFAULT_LIMIT,
            after: None,
        }
    }

    /// Reference semantics of a whole query over `data`: the page and the next cursor.
    pub fn reference_page(&self, data: &[Listing]) -> Page {
        let text = self.filter.text.as_ref();
        let mut hits: Vec<(Vec<super::sort::KeyPart>, &Listing)> = data
            .iter()
            .filter(|l| self.filter.matches(l) && self.sort.includes(l))
            .map(|l| (self.sort.key(l, text), l))
            .filter(|(k, l)| self.after.as_ref().is_none_or(|c| c.precedes(k, &l.id)))
            .collect();
        hits.sort_by(|a, b| self.sort.compare((&a.0, &a.1.id), (&b.0, &b.1.id)));
        let rows = hits.into_iter().map(|(_, l)| l.clone()).collect();
        self.page(rows)
    }

    /// Turns rows in this query's order, fetched with `limit + 1`, into a [`Page`]: the extra
    /// row only says that a next page exists.
    pub fn page(&self, mut rows: Vec<Listing>) -> Page {
        let limit = usize::try_from(self.limit).unwrap_or(usize::MAX);
        let next = if rows.len() > limit {
            rows.truncate(limit);
            rows.last()
                .map(|l| ListingCursor::after(self.sort, l, self.filter.text.as_ref()))
        } else {
            None
        };
        Page { items: rows, next }
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

/// One page of results, in the query's order, with the cursor of the next page if any.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// The listings of this page.
    pub items: Vec<Listing>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<ListingCursor>,
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

    /// Found by the `search_query` fuzz target: `İ` lower-cases to `i` + U+0307, which is not a
    /// letter, so the term was not letters and digits only (and FTS5 split it where the
    /// reference matcher did not).
    #[test]
    fn lower_casing_that_adds_a_mark_still_splits_words() {
        let q = TextQuery::parse("İstanbul ZAMAN").unwrap().unwrap();
        assert_eq!(q.terms(), ["i", "stanbul", "zaman"]);
        for term in q.terms() {
            assert!(term.chars().all(char::is_alphanumeric), "{term:?}");
        }
        assert!(q.matches("İSTANBUL", "zamanı"));
        assert_eq!(q.title_score("İstanbul"), 2);
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
