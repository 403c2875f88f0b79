//! The BSON document of a listing in the `listings` collection.

use mongodb::bson::DateTime as BsonDateTime;
use serde::{Deserialize, Serialize};

use crate::domain::{Listing, NewListing};
use crate::store::StoreError;

/// A GeoJSON point, as 2dsphere indexes expect.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GeoJsonPoint {
    /// Always `Point`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `[lon, lat]`.
    pub coordinates: [f64; 2],
}

/// Stored form of a listing. Absent values are stored as `null`; `boe_d` is derived from oil
/// and gas and kept only for filtering.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ListingDoc {
    #[serde(rename = "_id")]
    pub id: String,
    pub title: String,
    pub description: String,
    #[serde(rename = "type")]
    pub listing_type: String,
    pub status: String,
    pub basin: String,
    pub state: String,
    pub county: String,
    pub location: GeoJsonPoint,
    pub net_acres: Option<f64>,
    pub gross_acres: Option<f64>,
    pub nri_pct: Option<f64>,
    pub wi_pct: Option<f64>,
    pub oil_bbl_d: Option<f64>,
    pub gas_mcf_d: Option<f64>,
    pub boe_d: Option<f64>,
    pub asking_price_cents: i64,
    pub sale_type: String,
    pub created_at: BsonDateTime,
}

impl From<&Listing> for ListingDoc {
    fn from(l: &Listing) -> Self {
        Self {
            id: l.id.clone(),
            title: l.title.clone(),
            description: l.description.clone(),
            listing_type: l.listing_type.as_str().to_owned(),
            status: l.status.as_str().to_owned(),
            basin: l.basin.clone(),
            state: l.state.as_str().to_owned(),
            county: l.county.clone(),
            location: GeoJsonPoint {
                kind: "Point".to_owned(),
                coordinates: [l.location.lon(), l.location.lat()],
            },
            net_acres: l.net_acres,
            gross_acres: l.gross_acres,
            nri_pct: l.nri_pct.map(|p| p.get()),
            wi_pct: l.wi_pct.map(|p| p.get()),
            oil_bbl_d: l.production.map(|p| p.oil_bbl_d()),
            gas_mcf_d: l.production.map(|p| p.gas_mcf_d()),
            boe_d: l.boe_d(),
            asking_price_cents: l.asking_price_cents,
            sale_type: l.sale_type.as_str().to_owned(),
            created_at: BsonDateTime::from_millis(l.created_at.timestamp_millis()),
        }
    }
}

impl TryFrom<ListingDoc> for Listing {
    type Error = StoreError;

    fn try_from(d: ListingDoc) -> Result<Self, Self::Error> {
        let corrupt = |reason: String| StoreError::Corrupt {
            id: d.id.clone(),
            reason,
        };
        let input = NewListing {
            title: d.title.clone(),
            description: d.description.clone(),
            listing_type: d
                .listing_type
                .parse()
                .map_err(|e| corrupt(format!("{e}")))?,
            status: d.status.parse().map_err(|e| corrupt(format!("{e}")))?,
            basin: d.basin.clone(),
            state: d.state.clone(),
            county: d.county.clone(),
            lon: d.location.coordinates[0],
            lat: d.location.coordinates[1],
            net_acres: d.net_acres,
            gross_acres: d.gross_acres,
            nri_pct: d.nri_pct,
            wi_pct: d.wi_pct,
            oil_bbl_d: d.oil_bbl_d,
            gas_mcf_d: d.gas_mcf_d,
            asking_price_cents: d.asking_price_cents,
            sale_type: d.sale_type.parse().map_err(|e| corrupt(format!("{e}")))?,
        };
        let ms = d.created_at.timestamp_millis();
        let created_at = chrono::DateTime::from_timestamp_millis(ms)
            .ok_or_else(|| corrupt(format!("created_at {ms} ms out of range")))?;
        input
            .validate(d.id.clone(), created_at)
            .map_err(|e| corrupt(e.to_string()))
    }
}
