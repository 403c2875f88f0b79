//! Search orders and their keyset cursors.
//!
//! Every order is total: a sort key, then the id as tie-break (in the key's direction). A
//! cursor holds the sort, the key and the id of the last item of a page, and the next page
//! holds the items strictly after it, so a walk never repeats or skips an item that exists
//! for the whole walk, whatever is added meanwhile (new items sorting before the cursor are
//! simply not part of this walk).

use std::cmp::Ordering;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::listing::{Listing, validate_id};
use super::search::TextQuery;

/// Longest accepted encoded cursor.
const MAX_ENCODED_LEN: usize = 240;
/// Sort key of listings without production in the `production` order (after every real
/// value, which is >= 0).
pub const NO_PRODUCTION: f64 = -1.0;

wire_enum!(
    /// Order of search results.
    ListingSort, "sort" {
        /// Most `q` words in the title first, then newest (only with `q`).
        Relevance => "relevance",
        /// Newest first (`created_at` desc).
        Newest => "newest",
        /// Cheapest first.
        PriceAsc => "price_asc",
        /// Most expensive first.
        PriceDesc => "price_desc",
        /// Highest BOE/d first; listings without production last.
        Production => "production",
        /// Soonest end time first; only listings with an end time.
        EndingSoonest => "ending_soonest",
    }
);

/// One component of a sort key.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum KeyPart {
    /// Integers (cents, milliseconds, scores).
    Int(i64),
    /// Reals (BOE/d).
    Real(f64),
}

impl KeyPart {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (KeyPart::Int(a), KeyPart::Int(b)) => a.cmp(b),
            (KeyPart::Real(a), KeyPart::Real(b)) => a.total_cmp(b),
            (KeyPart::Int(_), KeyPart::Real(_)) => Ordering::Less,
            (KeyPart::Real(_), KeyPart::Int(_)) => Ordering::Greater,
        }
    }
}

impl ListingSort {
    /// Whether the order is ascending (cursor continues with larger keys).
    pub fn ascending(self) -> bool {
        matches!(self, ListingSort::PriceAsc | ListingSort::EndingSoonest)
    }

    /// Whether a listing takes part in this order at all (`ending_soonest`: has an end).
    pub fn includes(self, l: &Listing) -> bool {
        self != ListingSort::EndingSoonest || l.terms.ends_at.is_some()
    }

    /// The sort key of `l` (without the id). `text` is the query's `q` (relevance only).
    pub fn key(self, l: &Listing, text: Option<&TextQuery>) -> Vec<KeyPart> {
        let created = KeyPart::Int(l.created_at.timestamp_millis());
        match self {
            ListingSort::Relevance => {
                let score = text.map_or(0, |t| t.title_score(&l.title));
                vec![KeyPart::Int(i64::from(score)), created]
            }
            ListingSort::Newest => vec![created],
            ListingSort::PriceAsc | ListingSort::PriceDesc => {
                vec![KeyPart::Int(l.asking_price_cents)]
            }
            ListingSort::Production => vec![KeyPart::Real(l.boe_d().unwrap_or(NO_PRODUCTION))],
            ListingSort::EndingSoonest => vec![KeyPart::Int(
                l.terms.ends_at.map_or(i64::MAX, |t| t.timestamp_millis()),
            )],
        }
    }

    /// Compares two `(key, id)` positions in this order (`Less`: `a` comes first).
    pub fn compare(self, a: (&[KeyPart], &str), b: (&[KeyPart], &str)) -> Ordering {
        let by_key =
            a.0.iter()
                .zip(b.0)
                .map(|(x, y)| x.cmp(y))
                .find(|o| o.is_ne())
                .unwrap_or(Ordering::Equal);
        let natural = by_key.then_with(|| a.1.cmp(b.1));
        if self.ascending() {
            natural
        } else {
            natural.reverse()
        }
    }

    /// Reference order of two listings.
    pub fn compare_listings(self, a: &Listing, b: &Listing, text: Option<&TextQuery>) -> Ordering {
        self.compare((&self.key(a, text), &a.id), (&self.key(b, text), &b.id))
    }
}

/// A position in a search order.
#[derive(Debug, Clone, PartialEq)]
pub struct ListingCursor {
    /// The order this cursor belongs to.
    pub sort: ListingSort,
    /// Sort key of the last item seen.
    pub key: Vec<KeyPart>,
    /// Id of the last item seen.
    pub id: String,
}

/// Why a cursor string was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid cursor: {0}")]
pub struct ListingCursorError(&'static str);

impl ListingCursor {
    /// The position just after `l` in `sort`.
    pub fn after(sort: ListingSort, l: &Listing, text: Option<&TextQuery>) -> Self {
        Self {
            sort,
            key: sort.key(l, text),
            id: l.id.clone(),
        }
    }

    /// Whether `l` (with key `key`) comes strictly after this position.
    pub fn precedes(&self, key: &[KeyPart], id: &str) -> bool {
        self.sort.compare((&self.key, &self.id), (key, id)) == Ordering::Less
    }

    /// The opaque string given to clients: base64url of `v2|<sort>|<key,...>|<id>`.
    pub fn encode(&self) -> String {
        let key: Vec<String> = self
            .key
            .iter()
            .map(|k| match k {
                KeyPart::Int(i) => i.to_string(),
                KeyPart::Real(r) => format!("r{r}"),
            })
            .collect();
        URL_SAFE_NO_PAD.encode(format!("v2|{}|{}|{}", self.sort, key.join(","), self.id))
    }

    /// Parses a string made by [`ListingCursor::encode`].
    pub fn decode(raw: &str) -> Result<Self, ListingCursorError> {
        if raw.is_empty() || raw.len() > MAX_ENCODED_LEN {
            return Err(ListingCursorError("wrong length"));
        }
        let bytes = URL_SAFE_NO_PAD
            .decode(raw)
            .map_err(|_| ListingCursorError("not base64url"))?;
        let text = String::from_utf8(bytes).map_err(|_| ListingCursorError("not UTF-8"))?;
        let mut parts = text.splitn(4, '|');
        if parts.next() != Some("v2") {
            return Err(ListingCursorError("unknown version"));
        }
        let sort: ListingSort = parts
            .next()
            .and_then(|s| s.parse().ok())
            .ok_or(ListingCursorError("bad sort"))?;
        let key = parts
            .next()
            .ok_or(ListingCursorError("missing key"))?
            .split(',')
            .map(|p| match p.strip_prefix('r') {
                Some(r) => r
                    .parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite())
                    .map(KeyPart::Real),
                None => p.parse::<i64>().ok().map(KeyPart::Int),
            })
            .collect::<Option<Vec<_>>>()
            .ok_or(ListingCursorError("bad key"))?;
        let expected_len = if sort == ListingSort::Relevance { 2 } else { 1 };
        let real = sort == ListingSort::Production;
        let shape_ok =
            key.len() == expected_len && key.iter().all(|k| matches!(k, KeyPart::Real(_)) == real);
        if !shape_ok {
            return Err(ListingCursorError("key does not fit the sort"));
        }
        let id = parts.next().ok_or(ListingCursorError("missing id"))?;
        validate_id(id).map_err(|_| ListingCursorError("bad id"))?;
        Ok(Self {
            sort,
            key,
            id: id.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_for_every_sort() {
        let cases = [
            (
                ListingSort::Relevance,
                vec![KeyPart::Int(2), KeyPart::Int(-5)],
            ),
            (ListingSort::Newest, vec![KeyPart::Int(1_700_000_000_123)]),
            (ListingSort::PriceAsc, vec![KeyPart::Int(0)]),
            (ListingSort::PriceDesc, vec![KeyPart::Int(i64::MAX)]),
            (ListingSort::Production, vec![KeyPart::Real(0.1 + 0.2)]),
            (ListingSort::Production, vec![KeyPart::Real(NO_PRODUCTION)]),
            (ListingSort::EndingSoonest, vec![KeyPart::Int(42)]),
        ];
        for (sort, key) in cases {
            let c = ListingCursor {
                sort,
                key,
                id: "0190a1b2-c3d4".into(),
            };
            assert_eq!(ListingCursor::decode(&c.encode()), Ok(c));
        }
    }

    #[test]
    fn rejects_garbage_and_mismatched_keys() {
        let enc = |s: &str| URL_SAFE_NO_PAD.encode(s);
        for bad in [
            String::new(),
            "***".into(),
            enc("v1|1|abc"),
            enc("v2|cheapest|1|abc"),
            enc("v2|newest|r1.5|abc"),
            enc("v2|production|1|abc"),
            enc("v2|production|rNaN|abc"),
            enc("v2|relevance|1|abc"),
            enc("v2|newest|1|a/b"),
            enc("v2|newest|1"),
        ] {
            assert!(ListingCursor::decode(&bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn order_direction_and_tie_break() {
        let k = |v: i64| vec![KeyPart::Int(v)];
        let asc = ListingSort::PriceAsc;
        assert_eq!(asc.compare((&k(1), "b"), (&k(2), "a")), Ordering::Less);
        assert_eq!(asc.compare((&k(1), "a"), (&k(1), "b")), Ordering::Less);
        let desc = ListingSort::PriceDesc;
        assert_eq!(desc.compare((&k(1), "b"), (&k(2), "a")), Ordering::Greater);
        assert_eq!(desc.compare((&k(1), "b"), (&k(1), "a")), Ordering::Less);
        let c = ListingCursor {
            sort: desc,
            key: k(5),
            id: "m".into(),
        };
        assert!(c.precedes(&k(5), "a") && c.precedes(&k(4), "z"));
        assert!(!c.precedes(&k(5), "m") && !c.precedes(&k(6), "a"));
    }
}
