//! Listing activity events, the raw material of the analytics: who did what to which
//! listing, when. Stores keep them append-only and answer grouped counts
//! ([`ActivityQuery`]); [`ActivityQuery::reference`] is the semantics both implement.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};

use super::{ListingStatus, ListingType};

wire_enum!(
    /// What happened to a listing.
    ActivityKind, "activity kind" {
        /// Someone other than its seller opened the listing.
        View => "view",
        /// A user added it to their watchlist.
        Watch => "watch",
        /// A user removed it from their watchlist.
        Unwatch => "unwatch",
        /// A buyer asked for NDA access to its data room.
        NdaRequest => "nda_request",
        /// A bid was accepted.
        Bid => "bid",
        /// An offer was made.
        Offer => "offer",
        /// The listing went under contract (every sale passes through it: one deal, one event).
        Sale => "sale",
    }
);

/// One thing that happened to a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityEvent {
    /// The listing.
    pub listing_id: String,
    /// Its seller (the dashboard owner; events of listings without a seller are not kept).
    pub seller_id: String,
    /// What happened.
    pub kind: ActivityKind,
    /// Who did it; `None` for anonymous views.
    pub actor_id: Option<String>,
    /// When (millisecond precision in both stores).
    pub at: DateTime<Utc>,
}

impl ActivityEvent {
    /// The UTC calendar day of the event (the dashboard's bucket).
    pub fn day(&self) -> NaiveDate {
        self.at.date_naive()
    }
}

/// Grouped counts of one seller's events dated `from..=to` (UTC days).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityQuery {
    /// Only events of this seller's listings.
    pub seller_id: String,
    /// First day (`None`: since the beginning).
    pub from: Option<NaiveDate>,
    /// Last day.
    pub to: NaiveDate,
    /// Group by day too (`true`), or over the whole range (`false`).
    pub by_day: bool,
}

/// The count of one group: `(listing, day if grouped by day, kind)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityCount {
    /// The listing.
    pub listing_id: String,
    /// The day, when the query groups by day.
    pub day: Option<NaiveDate>,
    /// The kind.
    pub kind: ActivityKind,
    /// How many events.
    pub events: u64,
    /// How many distinct signed-in actors (anonymous events count in `events` only).
    pub actors: u64,
}

impl PartialOrd for ActivityKind {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ActivityKind {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl ActivityQuery {
    /// Whether `e` is counted.
    pub fn matches(&self, e: &ActivityEvent) -> bool {
        let day = e.day();
        e.seller_id == self.seller_id && self.from.is_none_or(|f| day >= f) && day <= self.to
    }

    /// Reference semantics: the counts of `events`, ordered by listing, day, kind. Stores
    /// return the same groups in any order; callers sort with [`sort_counts`].
    pub fn reference(&self, events: &[ActivityEvent]) -> Vec<ActivityCount> {
        type Key = (String, Option<NaiveDate>, ActivityKind);
        let mut groups: BTreeMap<Key, (u64, BTreeSet<&str>)> = BTreeMap::new();
        for e in events.iter().filter(|e| self.matches(e)) {
            let day = self.by_day.then(|| e.day());
            let g = groups
                .entry((e.listing_id.clone(), day, e.kind))
                .or_default();
            g.0 += 1;
            if let Some(a) = &e.actor_id {
                g.1.insert(a);
            }
        }
        groups
            .into_iter()
            .map(
                |((listing_id, day, kind), (events, actors))| ActivityCount {
                    listing_id,
                    day,
                    kind,
                    events,
                    actors: actors.len() as u64,
                },
            )
            .collect()
    }
}

/// Sorts counts like [`ActivityQuery::reference`] (listing, day, kind).
pub fn sort_counts(counts: &mut [ActivityCount]) {
    counts.sort_by(|a, b| (&a.listing_id, a.day, a.kind).cmp(&(&b.listing_id, b.day, b.kind)));
}

/// A seller's listing as the dashboard names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SellerListing {
    /// Id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Type.
    pub listing_type: ListingType,
    /// Status.
    pub status: ListingStatus,
}

/// How many listings share a type, basin and status (the admin overview's raw counts).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ListingGroup {
    /// Type wire name.
    pub listing_type: String,
    /// Basin or play.
    pub basin: String,
    /// Status wire name.
    pub status: String,
    /// How many listings.
    pub count: u64,
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn ev(listing: &str, kind: ActivityKind, actor: Option<&str>, day: u32) -> ActivityEvent {
        ActivityEvent {
            listing_id: listing.into(),
            seller_id: "s".into(),
            kind,
            actor_id: actor.map(Into::into),
            at: Utc.with_ymd_and_hms(2026, 3, day, 10, 0, 0).unwrap(),
        }
    }

    #[test]
    fn reference_counts_events_and_distinct_actors() {
        let events = [
            ev("a", ActivityKind::View, None, 1),
            ev("a", ActivityKind::View, Some("u"), 1),
            ev("a", ActivityKind::View, Some("u"), 2),
            ev("a", ActivityKind::View, Some("v"), 2),
            ev("b", ActivityKind::Bid, Some("u"), 3),
        ];
        let date = |d| NaiveDate::from_ymd_opt(2026, 3, d).unwrap();
        let q = ActivityQuery {
            seller_id: "s".into(),
            from: Some(date(1)),
            to: date(2),
            by_day: false,
        };
        let counts = q.reference(&events);
        assert_eq!(counts.len(), 1);
        assert_eq!((counts[0].events, counts[0].actors), (4, 2));
        let daily = ActivityQuery { by_day: true, ..q }.reference(&events);
        let got: Vec<_> = daily.iter().map(|c| (c.day, c.events, c.actors)).collect();
        assert_eq!(got, [(Some(date(1)), 2, 1), (Some(date(2)), 2, 2)]);
    }
}
