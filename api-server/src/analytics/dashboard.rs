//! The seller dashboard: per listing and per day, what buyers did, computed from grouped
//! activity counts (pure; the handler reads the counts).
//!
//! Definitions: `views` count every view by someone other than the seller (anonymous ones
//! too); `unique_viewers` count distinct signed-in viewers over the range (per day: that day);
//! `watchers` is the current number of watchers as of the range's last day (watches minus
//! unwatches since the beginning); `new_watches` the watches within the range;
//! `conversion` is `(bids + offers) / unique_viewers` (`null` without unique viewers).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::DateRange;
use crate::domain::activity::{ActivityCount, ActivityKind, SellerListing};

/// Figures of one listing (or of all listings) over the range.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Figures {
    /// Views by anyone but the seller, anonymous ones included.
    pub views: u64,
    /// Distinct signed-in viewers.
    pub unique_viewers: u64,
    /// Users watching now (as of the range's last day).
    pub watchers: u64,
    /// Watches added within the range.
    pub new_watches: u64,
    /// NDA access requests.
    pub nda_requests: u64,
    /// Accepted bids.
    pub bids: u64,
    /// Offers made.
    pub offers: u64,
    /// Moves to under contract or sold.
    pub sales: u64,
    /// `(bids + offers) / unique_viewers`; `null` without unique viewers.
    pub conversion: Option<f64>,
}

/// Figures of one day (days without any activity are left out).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DayFigures {
    /// The UTC day.
    pub day: NaiveDate,
    /// Views.
    pub views: u64,
    /// Distinct signed-in viewers that day.
    pub unique_viewers: u64,
    /// Watches added.
    pub new_watches: u64,
    /// Watches removed.
    pub unwatches: u64,
    /// NDA access requests.
    pub nda_requests: u64,
    /// Accepted bids.
    pub bids: u64,
    /// Offers made.
    pub offers: u64,
    /// Moves to under contract or sold.
    pub sales: u64,
}

/// One listing's analytics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ListingAnalytics {
    /// Listing id.
    pub listing_id: String,
    /// Title.
    pub title: String,
    /// Type wire name.
    #[serde(rename = "type")]
    pub listing_type: String,
    /// Current status wire name.
    pub status: String,
    /// Figures over the whole range.
    pub totals: Figures,
    /// Figures per day, oldest first.
    pub days: Vec<DayFigures>,
}

/// `GET /api/v1/me/analytics`: the caller's listings (newest first) and their sums.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SellerDashboard {
    /// First day (UTC).
    pub from: NaiveDate,
    /// Last day (UTC).
    pub to: NaiveDate,
    /// Per listing, newest listing first.
    pub listings: Vec<ListingAnalytics>,
    /// Sums over the listings (`unique_viewers` summed per listing; `conversion` from the sums).
    pub totals: Figures,
    /// The seller has more listings than one dashboard shows (the newest are shown).
    pub truncated: bool,
}

fn conversion(bids: u64, offers: u64, unique: u64) -> Option<f64> {
    (unique > 0).then(|| (bids + offers) as f64 / unique as f64)
}

fn add(f: &mut Figures, c: &ActivityCount) {
    match c.kind {
        ActivityKind::View => {
            f.views += c.events;
            f.unique_viewers += c.actors;
        }
        ActivityKind::Watch => f.new_watches += c.events,
        ActivityKind::Unwatch => {}
        ActivityKind::NdaRequest => f.nda_requests += c.events,
        ActivityKind::Bid => f.bids += c.events,
        ActivityKind::Offer => f.offers += c.events,
        ActivityKind::Sale => f.sales += c.events,
    }
}

fn add_day(d: &mut DayFigures, c: &ActivityCount) {
    match c.kind {
        ActivityKind::View => {
            d.views += c.events;
            d.unique_viewers += c.actors;
        }
        ActivityKind::Watch => d.new_watches += c.events,
        ActivityKind::Unwatch => d.unwatches += c.events,
        ActivityKind::NdaRequest => d.nda_requests += c.events,
        ActivityKind::Bid => d.bids += c.events,
        ActivityKind::Offer => d.offers += c.events,
        ActivityKind::Sale => d.sales += c.events,
    }
}

/// Builds the dashboard of `listings` from the counts of the range grouped by day
/// (`daily`) and over the range (`range`), and the counts up to the range's end (`to_date`,
/// for the current watchers). Counts of listings not in `listings` are ignored.
pub fn build(
    range: DateRange,
    listings: &[SellerListing],
    truncated: bool,
    daily: &[ActivityCount],
    totals: &[ActivityCount],
    to_date: &[ActivityCount],
) -> SellerDashboard {
    let mut figures: BTreeMap<&str, Figures> = BTreeMap::new();
    let mut days: BTreeMap<&str, BTreeMap<NaiveDate, DayFigures>> = BTreeMap::new();
    for c in totals {
        add(figures.entry(&c.listing_id).or_default(), c);
    }
    // Watches and unwatches are summed apart first: the counts come in no particular order.
    let mut watch_events: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    for c in to_date {
        let (watches, unwatches) = watch_events.entry(&c.listing_id).or_default();
        match c.kind {
            ActivityKind::Watch => *watches += c.events,
            ActivityKind::Unwatch => *unwatches += c.events,
            _ => {}
        }
    }
    for (listing_id, (watches, unwatches)) in watch_events {
        figures.entry(listing_id).or_default().watchers = watches.saturating_sub(unwatches);
    }
    for c in daily {
        let Some(day) = c.day else { continue };
        let d = days
            .entry(&c.listing_id)
            .or_default()
            .entry(day)
            .or_insert_with(|| DayFigures {
                day,
                ..DayFigures::default()
            });
        add_day(d, c);
    }
    let mut sum = Figures::default();
    let listings: Vec<ListingAnalytics> = listings
        .iter()
        .map(|l| {
            let mut f = figures.remove(l.id.as_str()).unwrap_or_default();
            f.conversion = conversion(f.bids, f.offers, f.unique_viewers);
            sum.views += f.views;
            sum.unique_viewers += f.unique_viewers;
            sum.watchers += f.watchers;
            sum.new_watches += f.new_watches;
            sum.nda_requests += f.nda_requests;
            sum.bids += f.bids;
            sum.offers += f.offers;
            sum.sales += f.sales;
            ListingAnalytics {
                listing_id: l.id.clone(),
                title: l.title.clone(),
                listing_type: l.listing_type.as_str().to_owned(),
                status: l.status.as_str().to_owned(),
                totals: f,
                days: days
                    .remove(l.id.as_str())
                    .map(|d| d.into_values().collect())
                    .unwrap_or_default(),
            }
        })
        .collect();
    sum.conversion = conversion(sum.bids, sum.offers, sum.unique_viewers);
    SellerDashboard {
        from: range.from,
        to: range.to,
        listings,
        totals: sum,
        truncated,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ListingStatus, ListingType};

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, d).unwrap()
    }

    fn c(
        listing: &str,
        d: Option<u32>,
        kind: ActivityKind,
        events: u64,
        actors: u64,
    ) -> ActivityCount {
        ActivityCount {
            listing_id: listing.into(),
            day: d.map(day),
            kind,
            events,
            actors,
        }
    }

    fn listing(id: &str) -> SellerListing {
        SellerListing {
            id: id.into(),
            title: format!("Lot {id}"),
            listing_type: ListingType::Lease,
            status: ListingStatus::Active,
        }
    }

    #[test]
    fn figures_per_listing_per_day_and_totals() {
        use ActivityKind::*;
        let range = DateRange {
            from: day(1),
            to: day(2),
        };
        let daily = [
            c("a", Some(1), View, 3, 1),
            c("a", Some(2), View, 2, 2),
            c("a", Some(2), Watch, 1, 1),
            c("a", Some(2), Bid, 1, 1),
            c("other", Some(1), View, 9, 9),
        ];
        let totals = [
            c("a", None, View, 5, 2),
            c("a", None, Watch, 1, 1),
            c("a", None, Bid, 1, 1),
            c("a", None, Offer, 1, 1),
        ];
        // Unwatches first, as a store grouping by kind name returns them.
        let to_date = [c("a", None, Unwatch, 1, 1), c("a", None, Watch, 3, 3)];
        let d = build(
            range,
            &[listing("a"), listing("b")],
            false,
            &daily,
            &totals,
            &to_date,
        );
        let a = &d.listings[0];
        assert_eq!(
            (
                a.totals.views,
                a.totals.unique_viewers,
                a.totals.watchers,
                a.totals.new_watches
            ),
            (5, 2, 2, 1)
        );
        assert_eq!(a.totals.conversion, Some(1.0));
        assert_eq!(a.days.len(), 2);
        assert_eq!(
            (a.days[1].views, a.days[1].unique_viewers, a.days[1].bids),
            (2, 2, 1)
        );
        assert_eq!(d.listings[1].totals, Figures::default());
        assert_eq!((d.totals.views, d.totals.bids, d.totals.offers), (5, 1, 1));
        assert_eq!(d.totals.conversion, Some(1.0));
    }
}
