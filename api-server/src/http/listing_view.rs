//! JSON representation of a listing.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::Listing;

/// A point as `{ "lon": .., "lat": .. }`.
#[derive(Debug, Serialize, ToSchema)]
pub struct LocationView {
    /// Longitude.
    pub lon: f64,
    /// Latitude.
    pub lat: f64,
}

/// A listing as the API returns it; `boe_d` is derived (6:1).
#[derive(Debug, Serialize, ToSchema)]
pub struct ListingView {
    /// Id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Listing type wire name.
    #[serde(rename = "type")]
    pub listing_type: &'static str,
    /// Status wire name.
    pub status: &'static str,
    /// Basin.
    pub basin: String,
    /// State code.
    pub state: String,
    /// County.
    pub county: String,
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
    /// Oil bbl/d.
    pub oil_bbl_d: Option<f64>,
    /// Gas Mcf/d.
    pub gas_mcf_d: Option<f64>,
    /// BOE/d at 6:1.
    pub boe_d: Option<f64>,
    /// Asking price, US cents.
    pub asking_price_cents: i64,
    /// Sale type wire name.
    pub sale_type: &'static str,
    /// Creation time (RFC 3339, UTC).
    pub created_at: DateTime<Utc>,
}

impl From<Listing> for ListingView {
    fn from(l: Listing) -> Self {
        Self {
            boe_d: l.boe_d(),
            oil_bbl_d: l.production.map(|p| p.oil_bbl_d()),
            gas_mcf_d: l.production.map(|p| p.gas_mcf_d()),
            id: l.id,
            title: l.title,
            description: l.description,
            listing_type: l.listing_type.as_str(),
            status: l.status.as_str(),
            basin: l.basin,
            state: l.state.as_str().to_owned(),
            county: l.county,
            location: LocationView {
                lon: l.location.lon(),
                lat: l.location.lat(),
            },
            net_acres: l.net_acres,
            gross_acres: l.gross_acres,
            nri_pct: l.nri_pct.map(|p| p.get()),
            wi_pct: l.wi_pct.map(|p| p.get()),
            asking_price_cents: l.asking_price_cents,
            sale_type: l.sale_type.as_str(),
            created_at: l.created_at,
        }
    }
}
