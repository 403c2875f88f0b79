//! The BSON document of a listing in the `listings` collection.

use mongodb::bson::DateTime as BsonDateTime;
use serde::{Deserialize, Serialize};

use crate::domain::sort::NO_PRODUCTION;
use crate::domain::{EquipmentDetails, Listing, ListingMeta, NewListing, SaleTerms};
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

/// Equipment details, nested.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EquipmentDoc {
    pub make: String,
    pub model: String,
    pub year: Option<i32>,
    pub condition: String,
    pub hours: Option<i64>,
}

/// Stored form of a listing. Absent values are stored as `null`. Derived fields kept only for
/// filtering, sorting and indexes: `boe_d` (6:1), `boe_sort` (`boe_d`, or -1 without
/// production), and `lon`/`lat` (a copy of the point for the bounding-box index, as FerretDB
/// has no 2dsphere index).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ListingDoc {
    #[serde(rename = "_id")]
    pub id: String,
    #[serde(default)]
    pub seller_id: Option<String>,
    pub title: String,
    pub description: String,
    #[serde(rename = "type")]
    pub listing_type: String,
    pub status: String,
    pub basin: String,
    pub state: String,
    pub county: String,
    #[serde(default)]
    pub legal_description: Option<String>,
    pub location: GeoJsonPoint,
    #[serde(default)]
    pub lon: f64,
    #[serde(default)]
    pub lat: f64,
    pub net_acres: Option<f64>,
    pub gross_acres: Option<f64>,
    pub nri_pct: Option<f64>,
    pub wi_pct: Option<f64>,
    #[serde(default)]
    pub royalty_rate_pct: Option<f64>,
    #[serde(default)]
    pub operator: Option<String>,
    #[serde(default)]
    pub well_count: Option<i64>,
    #[serde(default)]
    pub api_numbers: Vec<String>,
    pub oil_bbl_d: Option<f64>,
    pub gas_mcf_d: Option<f64>,
    pub boe_d: Option<f64>,
    #[serde(default = "no_production")]
    pub boe_sort: f64,
    #[serde(default)]
    pub production_as_of: Option<String>,
    #[serde(default)]
    pub avg_monthly_net_cash_flow_cents: Option<i64>,
    pub asking_price_cents: i64,
    pub sale_type: String,
    #[serde(default)]
    pub reserve_price_cents: Option<i64>,
    #[serde(default)]
    pub starts_at: Option<BsonDateTime>,
    #[serde(default)]
    pub ends_at: Option<BsonDateTime>,
    #[serde(default)]
    pub bid_increment_cents: Option<i64>,
    #[serde(default)]
    pub equipment: Option<EquipmentDoc>,
    #[serde(default)]
    pub view_count: i64,
    pub created_at: BsonDateTime,
    /// Absent only on documents written before this field existed (then `created_at`).
    #[serde(default)]
    pub updated_at: Option<BsonDateTime>,
}

fn no_production() -> f64 {
    NO_PRODUCTION
}

fn bson_ms(t: chrono::DateTime<chrono::Utc>) -> BsonDateTime {
    BsonDateTime::from_millis(t.timestamp_millis())
}

impl From<&Listing> for ListingDoc {
    fn from(l: &Listing) -> Self {
        Self {
            id: l.id.clone(),
            seller_id: l.seller_id.clone(),
            title: l.title.clone(),
            description: l.description.clone(),
            listing_type: l.listing_type.as_str().to_owned(),
            status: l.status.as_str().to_owned(),
            basin: l.basin.clone(),
            state: l.state.as_str().to_owned(),
            county: l.county.clone(),
            legal_description: l.legal_description.clone(),
            location: GeoJsonPoint {
                kind: "Point".to_owned(),
                coordinates: [l.location.lon(), l.location.lat()],
            },
            lon: l.location.lon(),
            lat: l.location.lat(),
            net_acres: l.net_acres,
            gross_acres: l.gross_acres,
            nri_pct: l.nri_pct.map(|p| p.get()),
            wi_pct: l.wi_pct.map(|p| p.get()),
            royalty_rate_pct: l.royalty_rate_pct.map(|p| p.get()),
            operator: l.operator.clone(),
            well_count: l.well_count.map(i64::from),
            api_numbers: l
                .api_numbers
                .iter()
                .map(|a| a.as_str().to_owned())
                .collect(),
            oil_bbl_d: l.production.map(|p| p.oil_bbl_d()),
            gas_mcf_d: l.production.map(|p| p.gas_mcf_d()),
            boe_d: l.boe_d(),
            boe_sort: l.boe_d().unwrap_or(NO_PRODUCTION),
            production_as_of: l.production_as_of.map(|d| d.to_string()),
            avg_monthly_net_cash_flow_cents: l.avg_monthly_net_cash_flow_cents,
            asking_price_cents: l.asking_price_cents,
            sale_type: l.sale_type.as_str().to_owned(),
            reserve_price_cents: l.terms.reserve_price_cents,
            starts_at: l.terms.starts_at.map(bson_ms),
            ends_at: l.terms.ends_at.map(bson_ms),
            bid_increment_cents: l.terms.bid_increment_cents,
            equipment: l.equipment.as_ref().map(|e| EquipmentDoc {
                make: e.make.clone(),
                model: e.model.clone(),
                year: e.year.map(i32::from),
                condition: e.condition.as_str().to_owned(),
                hours: e.hours.map(i64::from),
            }),
            view_count: i64::try_from(l.view_count).unwrap_or(i64::MAX),
            created_at: bson_ms(l.created_at),
            updated_at: Some(bson_ms(l.updated_at)),
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
        let time = |t: BsonDateTime| {
            let ms = t.timestamp_millis();
            chrono::DateTime::from_timestamp_millis(ms)
                .ok_or_else(|| corrupt(format!("time {ms} ms out of range")))
        };
        let equipment = match d.equipment.clone() {
            None => None,
            Some(e) => Some(EquipmentDetails {
                make: e.make,
                model: e.model,
                year: e
                    .year
                    .map(u16::try_from)
                    .transpose()
                    .map_err(|_| corrupt("equipment.year out of range".into()))?,
                condition: e.condition.parse().map_err(|e| corrupt(format!("{e}")))?,
                hours: e
                    .hours
                    .map(u32::try_from)
                    .transpose()
                    .map_err(|_| corrupt("equipment.hours out of range".into()))?,
            }),
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
            legal_description: d.legal_description.clone(),
            lon: d.location.coordinates[0],
            lat: d.location.coordinates[1],
            net_acres: d.net_acres,
            gross_acres: d.gross_acres,
            nri_pct: d.nri_pct,
            wi_pct: d.wi_pct,
            royalty_rate_pct: d.royalty_rate_pct,
            operator: d.operator.clone(),
            well_count: d
                .well_count
                .map(u32::try_from)
                .transpose()
                .map_err(|_| corrupt("well_count out of range".into()))?,
            api_numbers: d.api_numbers.clone(),
            oil_bbl_d: d.oil_bbl_d,
            gas_mcf_d: d.gas_mcf_d,
            production_as_of: d
                .production_as_of
                .as_deref()
                .map(str::parse)
                .transpose()
                .map_err(|e| corrupt(format!("production_as_of: {e}")))?,
            avg_monthly_net_cash_flow_cents: d.avg_monthly_net_cash_flow_cents,
            asking_price_cents: d.asking_price_cents,
            sale_type: d.sale_type.parse().map_err(|e| corrupt(format!("{e}")))?,
            terms: SaleTerms {
                reserve_price_cents: d.reserve_price_cents,
                starts_at: d.starts_at.map(time).transpose()?,
                ends_at: d.ends_at.map(time).transpose()?,
                bid_increment_cents: d.bid_increment_cents,
            },
            equipment,
        };
        let created_at = time(d.created_at)?;
        let meta = ListingMeta {
            id: d.id.clone(),
            seller_id: d.seller_id.clone(),
            view_count: u64::try_from(d.view_count).unwrap_or(0),
            created_at,
            updated_at: d.updated_at.map(time).transpose()?.unwrap_or(created_at),
        };
        input
            .validate_with(meta)
            .map_err(|e| corrupt(e.to_string()))
    }
}
