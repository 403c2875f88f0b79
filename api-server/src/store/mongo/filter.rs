//! Translation of a [`ListingFilter`] and cursor to a MongoDB query document.
//!
//! User input only ever appears as a *value* (strings, numbers, dates, an escaped regex
//! pattern), never as a key, so it cannot become a query operator.
//!
//! `q` is matched with case-insensitive `$regex`es rather than `$text`: `$text` has different
//! semantics from the reference (stemming, stop words, no prefix matching), and FerretDB v1
//! (the MongoDB-wire server of the test environment) does not implement it. Each term must
//! start a word: it follows the start of the field or a character that is neither a letter nor
//! a digit, like the embedded store's FTS5 `unicode61` tokenizer. Regexes cannot use an index,
//! so text search on this backend scans the documents that the other filters leave.

use mongodb::bson::{Bson, DateTime as BsonDateTime, Document, doc};

use crate::domain::{
    BBox, KeyPart, ListingCursor, ListingFilter, ListingSort, ListingStatus, Visibility,
};

/// The stored field a sort orders by (`None`: relevance, ordered in Rust).
pub fn sort_field(sort: ListingSort) -> Option<&'static str> {
    match sort {
        ListingSort::Relevance => None,
        ListingSort::Newest => Some("created_at"),
        ListingSort::PriceAsc | ListingSort::PriceDesc => Some("asking_price_cents"),
        ListingSort::Production => Some("boe_sort"),
        ListingSort::EndingSoonest => Some("ends_at"),
    }
}

/// The sort document of `sort` (relevance: newest, re-ordered in Rust).
pub fn sort_doc(sort: ListingSort) -> Document {
    let field = sort_field(sort).unwrap_or("created_at");
    let dir = if sort.ascending() { 1 } else { -1 };
    doc! { field: dir, "_id": dir }
}

/// The query for `filter` (a `near` filter only as its bounding box: the exact distance is
/// checked in Rust), restricted to the documents taking part in `sort` and to those after
/// `after` in that order.
pub fn build(filter: &ListingFilter, sort: ListingSort, after: Option<&ListingCursor>) -> Document {
    let mut all: Vec<Document> = Vec::new();
    if let Some(text) = &filter.text {
        for term in text.terms() {
            let pattern = format!(r"(^|[^\p{{L}}\p{{N}}]){}", escape_regex(term));
            all.push(doc! { "$or": [
                { "title": { "$regex": &pattern, "$options": "i" } },
                { "description": { "$regex": &pattern, "$options": "i" } },
            ] });
        }
    }
    if let Some(t) = filter.listing_type {
        all.push(doc! { "type": t.as_str() });
    }
    if let Some(s) = filter.status {
        all.push(doc! { "status": s.as_str() });
    }
    if let Some(b) = &filter.basin {
        all.push(doc! { "basin": b.as_str() });
    }
    if let Some(s) = &filter.state {
        all.push(doc! { "state": s.as_str() });
    }
    if let Some(p) = filter.min_price_cents {
        all.push(doc! { "asking_price_cents": { "$gte": p } });
    }
    if let Some(p) = filter.max_price_cents {
        all.push(doc! { "asking_price_cents": { "$lte": p } });
    }
    push_min(&mut all, "net_acres", filter.min_net_acres);
    push_min(&mut all, "nri_pct", filter.min_nri_pct);
    push_min(&mut all, "boe_d", filter.min_boe_d);
    if let Some(c) = &filter.county {
        all.push(doc! { "county": c.as_str() });
    }
    if let Some(v) = filter.max_net_acres {
        all.push(doc! { "net_acres": { "$lte": v } });
    }
    if let Some(s) = filter.sale_type {
        all.push(doc! { "sale_type": s.as_str() });
    }
    if let Some(n) = &filter.near {
        push_bbox(&mut all, &n.bounding_box());
    }
    if let Some(b) = &filter.bbox {
        push_bbox(&mut all, b);
    }
    if let Some(t) = filter.ends_at_or_after_ms {
        all.push(doc! { "ends_at": { "$gte": BsonDateTime::from_millis(t) } });
    }
    let draft = ListingStatus::Draft.as_str();
    match &filter.visibility {
        Visibility::All => {}
        Visibility::NoDrafts => all.push(doc! { "status": { "$ne": draft } }),
        Visibility::OwnDrafts(seller) => all.push(doc! { "$or": [
            { "status": { "$ne": draft } },
            { "seller_id": seller.as_str() },
        ] }),
    }
    if sort == ListingSort::EndingSoonest {
        all.push(doc! { "ends_at": { "$ne": Bson::Null } });
    }
    if let Some(c) = after
        && let (Some(field), [key]) = (sort_field(sort), c.key.as_slice())
    {
        let value = match (field, key) {
            ("created_at" | "ends_at", KeyPart::Int(ms)) => {
                Bson::DateTime(BsonDateTime::from_millis(*ms))
            }
            (_, KeyPart::Int(i)) => Bson::Int64(*i),
            (_, KeyPart::Real(r)) => Bson::Double(*r),
        };
        let op = if sort.ascending() { "$gt" } else { "$lt" };
        all.push(doc! { "$or": [
            { field: { op: value.clone() } },
            { field: value, "_id": { op: c.id.as_str() } },
        ] });
    }
    combine(all)
}

/// One query document of all `conditions`: plain `{field: "value"}` equalities at the top
/// level, the rest under `$and`. The same query for MongoDB; FerretDB v1 pushes top-level
/// equalities on scalar values down to its SQL (fewer documents decoded and filtered per
/// search) but nothing under `$and`.
fn combine(conditions: Vec<Document>) -> Document {
    let mut top = Document::new();
    let mut rest = Vec::new();
    for d in conditions {
        let plain = d.len() == 1
            && d.iter().next().is_some_and(|(k, v)| {
                !k.starts_with('$') && matches!(v, Bson::String(_)) && !top.contains_key(k)
            });
        if plain {
            top.extend(d);
        } else {
            rest.push(d);
        }
    }
    match (top.is_empty(), rest.len()) {
        (_, 0) => top,
        (true, 1) => rest.pop().unwrap_or_default(),
        _ => {
            top.insert(
                "$and",
                rest.into_iter().map(Bson::Document).collect::<Vec<_>>(),
            );
            top
        }
    }
}

/// The indexed bounding-box condition on the `lat`/`lon` copy of the point.
fn push_bbox(all: &mut Vec<Document>, b: &BBox) {
    all.push(doc! {
        "lat": { "$gte": b.min_lat, "$lte": b.max_lat },
        "lon": { "$gte": b.min_lon, "$lte": b.max_lon },
    });
}

/// `{field: {$gte: min}}`; `null` values (absent fields) never compare as greater or equal.
fn push_min(all: &mut Vec<Document>, field: &str, min: Option<f64>) {
    if let Some(v) = min {
        all.push(doc! { field: { "$gte": v } });
    }
}

/// Escapes every regex metacharacter so `s` matches itself literally.
pub fn escape_regex(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if r"\.+*?()|[]{}^$#&-~/".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ListingStatus, TextQuery};

    #[test]
    fn empty_filter_is_empty_document() {
        assert_eq!(
            build(&ListingFilter::default(), ListingSort::Newest, None),
            Document::new()
        );
    }

    #[test]
    fn single_condition_is_not_wrapped() {
        let f = ListingFilter {
            status: Some(ListingStatus::Active),
            ..ListingFilter::default()
        };
        assert_eq!(
            build(&f, ListingSort::Newest, None),
            doc! { "status": "active" }
        );
    }

    #[test]
    fn operator_looking_input_stays_a_value() {
        let f = ListingFilter {
            basin: Some("{\"$ne\": null}".into()),
            text: TextQuery::parse("$where perm").unwrap(),
            ..ListingFilter::default()
        };
        let d = build(&f, ListingSort::Newest, None);
        let clauses = d.get_array("$and").unwrap();
        assert_eq!(clauses.len(), 2, "the two terms");
        assert_eq!(d.get_str("basin"), Ok("{\"$ne\": null}"));
        let text = format!("{}", clauses[0]);
        assert!(text.contains(r"[^\p{L}\p{N}])where"), "{text}");
    }

    #[test]
    fn plain_equalities_go_to_the_top_level() {
        let f = ListingFilter {
            status: Some(ListingStatus::Active),
            basin: Some("Bakken".into()),
            min_price_cents: Some(5),
            visibility: Visibility::NoDrafts,
            ..ListingFilter::default()
        };
        assert_eq!(
            build(&f, ListingSort::Newest, None),
            doc! {
                "status": "active",
                "basin": "Bakken",
                "$and": [
                    { "asking_price_cents": { "$gte": 5_i64 } },
                    { "status": { "$ne": "draft" } },
                ],
            }
        );
        let g = ListingFilter {
            basin: Some("Bakken".into()),
            ..ListingFilter::default()
        };
        let single = build(&g, ListingSort::Newest, None);
        assert_eq!(single, doc! { "basin": "Bakken" });
    }

    #[test]
    fn escapes_metacharacters() {
        assert_eq!(escape_regex("a.b*c"), r"a\.b\*c");
        assert_eq!(escape_regex(r"(x)|[y]\z"), r"\(x\)\|\[y\]\\z");
        assert_eq!(escape_regex("plain42"), "plain42");
    }
}
