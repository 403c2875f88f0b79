//! JSON representation of a listing, as one caller may see it.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Principal;
use crate::domain::{EquipmentCondition, EquipmentDetails, Listing};

/// A point as `{ "lon": .., "lat": .. }`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LocationView {
    /// Longitude, [-180, 180].
    pub lon: f64,
    /// Latitude, [-90, 90].
    pub lat: f64,
}

/// Equipment details (equipment listings only).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EquipmentView {
    /// Manufacturer (1-80 characters).
    pub make: String,
    /// Model (1-80 characters).
    pub model: String,
    /// Year built (1900-2100).
    #[serde(default)]
    pub year: Option<u16>,
    /// Condition.
    pub condition: EquipmentCondition,
    /// Operating hours.
    #[serde(default)]
    pub hours: Option<u32>,
}

impl From<EquipmentDetails> for EquipmentView {
    fn from(e: EquipmentDetails) -> Self {
        Self {
            make: e.make,
            model: e.model,
            year: e.year,
            condition: e.condition,
            hours: e.hours,
        }
    }
}

impl From<EquipmentView> for EquipmentDetails {
    fn from(e: EquipmentView) -> Self {
        Self {
            make: e.make,
            model: e.model,
            year: e.year,
            condition: e.condition,
            hours: e.hours,
        }
    }
}

/// A listing as the API returns it; `boe_d` is derived (6:1). `reserve_price_cents` is
/// present only for the owning seller and admins (absent, not `null`, for everyone else).
#[derive(Debug, Serialize, ToSchema)]
pub struct ListingView {
    /// Id.
    pub id: String,
    /// Owning seller's user id (`null` for demo and imported listings).
    pub seller_id: Option<String>,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Listing type wire name.
    #[serde(rename = "type")]
    pub listing_type: &'static str,
    /// Status wire name.
    pub status: &'static str,
    /// Basin or play.
    pub basin: String,
    /// State code.
    pub state: String,
    /// County or parish.
    pub county: String,
    /// Legal description.
    pub legal_description: Option<String>,
    /// Location.
    pub location: LocationView,
    /// Net acres.
    pub net_acres: Option<f64>,
    /// Gross acres.
    pub gross_acres: Option<f64>,
    /// NRI percent.
    pub nri_pct: Option<f64>,
    /// WI percent.
    pub wi_pct: Option<f64>,
    /// Lease royalty rate, percent.
    pub royalty_rate_pct: Option<f64>,
    /// Operator of record.
    pub operator: Option<String>,
    /// Number of wells.
    pub well_count: Option<u32>,
    /// API well numbers, canonical `SS-CCC-WWWWW[-DD[-EE]]`.
    pub api_numbers: Vec<String>,
    /// Oil bbl/d.
    pub oil_bbl_d: Option<f64>,
    /// Gas Mcf/d.
    pub gas_mcf_d: Option<f64>,
    /// BOE/d at 6:1 (`oil + gas / 6`).
    pub boe_d: Option<f64>,
    /// Date the production figures refer to.
    pub production_as_of: Option<NaiveDate>,
    /// Average monthly net cash flow, US cents.
    pub avg_monthly_net_cash_flow_cents: Option<i64>,
    /// Asking price, US cents.
    pub asking_price_cents: i64,
    /// Sale type wire name.
    pub sale_type: &'static str,
    /// Reserve price, US cents: only for the owning seller and admins.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<i64>)]
    pub reserve_price_cents: Option<Option<i64>>,
    /// When bidding opens.
    pub starts_at: Option<DateTime<Utc>>,
    /// When bidding closes.
    pub ends_at: Option<DateTime<Utc>>,
    /// Smallest raise over the high bid, US cents (auctions).
    pub bid_increment_cents: Option<i64>,
    /// Equipment details (equipment listings).
    pub equipment: Option<EquipmentView>,
    /// Views by anyone but the owner.
    pub view_count: u64,
    /// Creation time (RFC 3339, UTC).
    pub created_at: DateTime<Utc>,
    /// Last change (RFC 3339, UTC).
    pub updated_at: DateTime<Utc>,
}

impl ListingView {
    /// The listing as `caller` (`None`: anonymous) may see it.
    pub fn for_caller(l: Listing, caller: Option<&Principal>) -> Self {
        let manages = caller.is_some_and(|p| l.is_managed_by(&p.user_id, p.role));
        Self::new(l, manages)
    }

    /// The listing with (`confidential`) or without its reserve price.
    pub fn new(l: Listing, confidential: bool) -> Self {
        Self {
            boe_d: l.boe_d(),
            oil_bbl_d: l.production.map(|p| p.oil_bbl_d()),
            gas_mcf_d: l.production.map(|p| p.gas_mcf_d()),
            reserve_price_cents: confidential.then_some(l.terms.reserve_price_cents),
            id: l.id,
            seller_id: l.seller_id,
            title: l.title,
            description: l.description,
            listing_type: l.listing_type.as_str(),
            status: l.status.as_str(),
            basin: l.basin,
            state: l.state.as_str().to_owned(),
            county: l.county,
            legal_description: l.legal_description,
            location: LocationView {
                lon: l.location.lon(),
                lat: l.location.lat(),
            },
            net_acres: l.net_acres,
            gross_acres: l.gross_acres,
            nri_pct: l.nri_pct.map(|p| p.get()),
            wi_pct: l.wi_pct.map(|p| p.get()),
            royalty_rate_pct: l.royalty_rate_pct.map(|p| p.get()),
            operator: l.operator,
            well_count: l.well_count,
            api_numbers: l
                .api_numbers
                .iter()
                .map(|a| a.as_str().to_owned())
                .collect(),
            production_as_of: l.production_as_of,
            avg_monthly_net_cash_flow_cents: l.avg_monthly_net_cash_flow_cents,
            asking_price_cents: l.asking_price_cents,
            sale_type: l.sale_type.as_str(),
            starts_at: l.terms.starts_at,
            ends_at: l.terms.ends_at,
            bid_increment_cents: l.terms.bid_increment_cents,
            equipment: l.equipment.map(EquipmentView::from),
            view_count: l.view_count,
            created_at: l.created_at,
            updated_at: l.updated_at,
        }
    }
}
