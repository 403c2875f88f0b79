//! The admin overview: registrations per day and the listing inventory by type, basin and
//! status (pure; the handler reads the counts).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::DateRange;
use crate::domain::activity::ListingGroup;

/// A count on one day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DayCount {
    /// The UTC day.
    pub day: NaiveDate,
    /// How many.
    pub count: u64,
}

/// `GET /api/v1/admin/analytics`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AdminOverview {
    /// First day of the registrations (UTC).
    pub from: NaiveDate,
    /// Last day of the registrations (UTC).
    pub to: NaiveDate,
    /// Accounts created per day of the range, every day listed (zeros included).
    pub registrations: Vec<DayCount>,
    /// Accounts created within the range.
    pub registrations_total: u64,
    /// Listings now, every status.
    pub listings_total: u64,
    /// Listings by type wire name.
    pub listings_by_type: BTreeMap<String, u64>,
    /// Listings by basin or play.
    pub listings_by_basin: BTreeMap<String, u64>,
    /// Listings by status wire name.
    pub listings_by_status: BTreeMap<String, u64>,
    /// Active auction and sealed-bid listings whose scheduled end is not past.
    pub active_auctions: u64,
}

/// Builds the overview from registrations per day (days without any may be missing),
/// listing groups and the active auction count.
pub fn build(
    range: DateRange,
    registrations: &[(NaiveDate, u64)],
    groups: &[ListingGroup],
    active_auctions: u64,
) -> AdminOverview {
    let per_day: BTreeMap<NaiveDate, u64> = registrations.iter().copied().collect();
    let registrations: Vec<DayCount> = range
        .days()
        .map(|day| DayCount {
            day,
            count: per_day.get(&day).copied().unwrap_or(0),
        })
        .collect();
    let mut by_type = BTreeMap::new();
    let mut by_basin = BTreeMap::new();
    let mut by_status = BTreeMap::new();
    for g in groups {
        *by_type.entry(g.listing_type.clone()).or_default() += g.count;
        *by_basin.entry(g.basin.clone()).or_default() += g.count;
        *by_status.entry(g.status.clone()).or_default() += g.count;
    }
    AdminOverview {
        from: range.from,
        to: range.to,
        registrations_total: registrations.iter().map(|d| d.count).sum(),
        registrations,
        listings_total: groups.iter().map(|g| g.count).sum(),
        listings_by_type: by_type,
        listings_by_basin: by_basin,
        listings_by_status: by_status,
        active_auctions,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(t: &str, b: &str, s: &str, count: u64) -> ListingGroup {
        ListingGroup {
            listing_type: t.into(),
            basin: b.into(),
            status: s.into(),
            count,
        }
    }

    #[test]
    fn sums_groups_and_fills_every_day() {
        let day = |d| NaiveDate::from_ymd_opt(2026, 3, d).unwrap();
        let range = DateRange {
            from: day(1),
            to: day(3),
        };
        let o = build(
            range,
            &[(day(2), 4)],
            &[
                group("lease", "Permian", "active", 2),
                group("lease", "Bakken", "draft", 1),
                group("equipment", "Permian", "active", 3),
            ],
            1,
        );
        let counts: Vec<u64> = o.registrations.iter().map(|d| d.count).collect();
        assert_eq!(counts, [0, 4, 0]);
        assert_eq!(o.registrations_total, 4);
        assert_eq!(o.listings_total, 6);
        assert_eq!(o.listings_by_type["lease"], 3);
        assert_eq!(o.listings_by_basin["Permian"], 5);
        assert_eq!(o.listings_by_status["active"], 5);
        assert_eq!(o.active_auctions, 1);
    }
}
