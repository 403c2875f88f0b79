//! Request bodies of the listing writes. Only the writable fields exist: server-set ones
//! (`id`, `seller_id`, `view_count`, `created_at`, `updated_at`, `boe_d`) are unknown fields,
//! which [`super::json_body::StrictJson`] rejects with `422 invalid-body`.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Deserializer};
use utoipa::ToSchema;

use super::listing_view::{EquipmentView, LocationView};
use crate::domain::{ListingStatus, ListingType, NewListing, SaleTerms, SaleType};

/// `POST /api/v1/listings`. `status` may only be `draft` (default) or `active`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateListingRequest {
    /// Title, 3-200 characters.
    pub title: String,
    /// Description, up to 20,000 characters.
    #[serde(default)]
    pub description: String,
    /// What is sold.
    #[serde(rename = "type")]
    pub listing_type: ListingType,
    /// `draft` (default) or `active`.
    #[serde(default)]
    pub status: Option<ListingStatus>,
    /// Basin or play.
    pub basin: String,
    /// Two-letter state code.
    pub state: String,
    /// County or parish.
    pub county: String,
    /// Legal description.
    #[serde(default)]
    pub legal_description: Option<String>,
    /// Representative point.
    pub location: LocationView,
    /// Net acres.
    #[serde(default)]
    pub net_acres: Option<f64>,
    /// Gross acres.
    #[serde(default)]
    pub gross_acres: Option<f64>,
    /// NRI percent.
    #[serde(default)]
    pub nri_pct: Option<f64>,
    /// WI percent.
    #[serde(default)]
    pub wi_pct: Option<f64>,
    /// Royalty rate percent.
    #[serde(default)]
    pub royalty_rate_pct: Option<f64>,
    /// Operator of record.
    #[serde(default)]
    pub operator: Option<String>,
    /// Number of wells.
    #[serde(default)]
    pub well_count: Option<u32>,
    /// API well numbers (10, 12 or 14 digits, dashes optional).
    #[serde(default)]
    pub api_numbers: Vec<String>,
    /// Oil bbl/d.
    #[serde(default)]
    pub oil_bbl_d: Option<f64>,
    /// Gas Mcf/d.
    #[serde(default)]
    pub gas_mcf_d: Option<f64>,
    /// Date of the production figures (`YYYY-MM-DD`; needs production).
    #[serde(default)]
    pub production_as_of: Option<NaiveDate>,
    /// Average monthly net cash flow, cents.
    #[serde(default)]
    pub avg_monthly_net_cash_flow_cents: Option<i64>,
    /// Asking price, cents.
    pub asking_price_cents: i64,
    /// How it is sold.
    pub sale_type: SaleType,
    /// Reserve price, cents (auctions and sealed bids; confidential).
    #[serde(default)]
    pub reserve_price_cents: Option<i64>,
    /// When bidding opens (RFC 3339).
    #[serde(default)]
    pub starts_at: Option<DateTime<Utc>>,
    /// When bidding closes (RFC 3339; required to publish auctions and sealed bids).
    #[serde(default)]
    pub ends_at: Option<DateTime<Utc>>,
    /// Bid increment, cents (auctions).
    #[serde(default)]
    pub bid_increment_cents: Option<i64>,
    /// Equipment details (required exactly on equipment listings).
    #[serde(default)]
    pub equipment: Option<EquipmentView>,
}

impl CreateListingRequest {
    /// The listing input (status defaults to draft).
    pub fn into_input(self) -> NewListing {
        NewListing {
            title: self.title,
            description: self.description,
            listing_type: self.listing_type,
            status: self.status.unwrap_or(ListingStatus::Draft),
            basin: self.basin,
            state: self.state,
            county: self.county,
            legal_description: self.legal_description,
            lon: self.location.lon,
            lat: self.location.lat,
            net_acres: self.net_acres,
            gross_acres: self.gross_acres,
            nri_pct: self.nri_pct,
            wi_pct: self.wi_pct,
            royalty_rate_pct: self.royalty_rate_pct,
            operator: self.operator,
            well_count: self.well_count,
            api_numbers: self.api_numbers,
            oil_bbl_d: self.oil_bbl_d,
            gas_mcf_d: self.gas_mcf_d,
            production_as_of: self.production_as_of,
            avg_monthly_net_cash_flow_cents: self.avg_monthly_net_cash_flow_cents,
            asking_price_cents: self.asking_price_cents,
            sale_type: self.sale_type,
            terms: SaleTerms {
                reserve_price_cents: self.reserve_price_cents,
                starts_at: self.starts_at,
                ends_at: self.ends_at,
                bid_increment_cents: self.bid_increment_cents,
            },
            equipment: self.equipment.map(Into::into),
        }
    }
}

/// A present field (a `null` is a type error: the field cannot be cleared).
fn required<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// A clearable field: absent → `None` (unchanged), `null` → `Some(None)` (cleared).
fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// `PATCH /api/v1/listings/{id}`: only the fields given change; `null` clears an optional
/// field. A `status` change must be a valid transition.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateListingRequest {
    /// Title.
    #[serde(default, deserialize_with = "required")]
    #[schema(value_type = Option<String>)]
    pub title: Option<String>,
    /// Description.
    #[serde(default, deserialize_with = "required")]
    #[schema(value_type = Option<String>)]
    pub description: Option<String>,
    /// What is sold.
    #[serde(rename = "type", default, deserialize_with = "required")]
    #[schema(value_type = Option<ListingType>)]
    pub listing_type: Option<ListingType>,
    /// New status (a valid transition only).
    #[serde(default, deserialize_with = "required")]
    #[schema(value_type = Option<ListingStatus>)]
    pub status: Option<ListingStatus>,
    /// Basin.
    #[serde(default, deserialize_with = "required")]
    #[schema(value_type = Option<String>)]
    pub basin: Option<String>,
    /// State code.
    #[serde(default, deserialize_with = "required")]
    #[schema(value_type = Option<String>)]
    pub state: Option<String>,
    /// County.
    #[serde(default, deserialize_with = "required")]
    #[schema(value_type = Option<String>)]
    pub county: Option<String>,
    /// Legal description (`null` clears).
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub legal_description: Option<Option<String>>,
    /// Location.
    #[serde(default, deserialize_with = "required")]
    #[schema(value_type = Option<LocationView>)]
    pub location: Option<LocationView>,
    /// Net acres (`null` clears).
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<f64>)]
    pub net_acres: Option<Option<f64>>,
    /// Gross acres (`null` clears).
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<f64>)]
    pub gross_acres: Option<Option<f64>>,
    /// NRI percent (`null` clears).
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<f64>)]
    pub nri_pct: Option<Option<f64>>,
    /// WI percent (`null` clears).
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<f64>)]
    pub wi_pct: Option<Option<f64>>,
    /// Royalty rate percent (`null` clears).
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<f64>)]
    pub royalty_rate_pct: Option<Option<f64>>,
    /// Operator (`null` clears).
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub operator: Option<Option<String>>,
    /// Well count (`null` clears).
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<u32>)]
    pub well_count: Option<Option<u32>>,
    /// API numbers (replaces the list).
    #[serde(default, deserialize_with = "required")]
    #[schema(value_type = Option<Vec<String>>)]
    pub api_numbers: Option<Vec<String>>,
    /// Oil bbl/d (`null` clears).
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<f64>)]
    pub oil_bbl_d: Option<Option<f64>>,
    /// Gas Mcf/d (`null` clears).
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<f64>)]
    pub gas_mcf_d: Option<Option<f64>>,
    /// Production date (`null` clears).
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<NaiveDate>)]
    pub production_as_of: Option<Option<NaiveDate>>,
    /// Average monthly net cash flow, cents (`null` clears).
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i64>)]
    pub avg_monthly_net_cash_flow_cents: Option<Option<i64>>,
    /// Asking price, cents.
    #[serde(default, deserialize_with = "required")]
    #[schema(value_type = Option<i64>)]
    pub asking_price_cents: Option<i64>,
    /// Sale type.
    #[serde(default, deserialize_with = "required")]
    #[schema(value_type = Option<SaleType>)]
    pub sale_type: Option<SaleType>,
    /// Reserve price, cents (`null` clears).
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i64>)]
    pub reserve_price_cents: Option<Option<i64>>,
    /// Bidding start (`null` clears).
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub starts_at: Option<Option<DateTime<Utc>>>,
    /// Bidding end (`null` clears).
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub ends_at: Option<Option<DateTime<Utc>>>,
    /// Bid increment, cents (`null` clears).
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i64>)]
    pub bid_increment_cents: Option<Option<i64>>,
    /// Equipment details (`null` clears; replaces the whole object).
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<EquipmentView>)]
    pub equipment: Option<Option<EquipmentView>>,
}

/// Sets `target` when the patch has a value; records the field name.
fn set<T>(changed: &mut Vec<&'static str>, name: &'static str, target: &mut T, value: Option<T>) {
    if let Some(v) = value {
        *target = v;
        changed.push(name);
    }
}

impl UpdateListingRequest {
    /// Applies the given fields to `n` (not `status`: see [`Self::status`]); returns the names
    /// of the fields given, in declaration order.
    pub fn apply(self, n: &mut NewListing) -> Vec<&'static str> {
        let mut c = Vec::new();
        set(&mut c, "title", &mut n.title, self.title);
        set(&mut c, "description", &mut n.description, self.description);
        set(&mut c, "type", &mut n.listing_type, self.listing_type);
        set(&mut c, "basin", &mut n.basin, self.basin);
        set(&mut c, "state", &mut n.state, self.state);
        set(&mut c, "county", &mut n.county, self.county);
        set(
            &mut c,
            "legal_description",
            &mut n.legal_description,
            self.legal_description,
        );
        if let Some(loc) = self.location {
            n.lon = loc.lon;
            n.lat = loc.lat;
            c.push("location");
        }
        set(&mut c, "net_acres", &mut n.net_acres, self.net_acres);
        set(&mut c, "gross_acres", &mut n.gross_acres, self.gross_acres);
        set(&mut c, "nri_pct", &mut n.nri_pct, self.nri_pct);
        set(&mut c, "wi_pct", &mut n.wi_pct, self.wi_pct);
        let royalty = self.royalty_rate_pct;
        set(&mut c, "royalty_rate_pct", &mut n.royalty_rate_pct, royalty);
        set(&mut c, "operator", &mut n.operator, self.operator);
        set(&mut c, "well_count", &mut n.well_count, self.well_count);
        set(&mut c, "api_numbers", &mut n.api_numbers, self.api_numbers);
        set(&mut c, "oil_bbl_d", &mut n.oil_bbl_d, self.oil_bbl_d);
        set(&mut c, "gas_mcf_d", &mut n.gas_mcf_d, self.gas_mcf_d);
        let as_of = self.production_as_of;
        set(&mut c, "production_as_of", &mut n.production_as_of, as_of);
        set(
            &mut c,
            "avg_monthly_net_cash_flow_cents",
            &mut n.avg_monthly_net_cash_flow_cents,
            self.avg_monthly_net_cash_flow_cents,
        );
        let price = self.asking_price_cents;
        set(
            &mut c,
            "asking_price_cents",
            &mut n.asking_price_cents,
            price,
        );
        set(&mut c, "sale_type", &mut n.sale_type, self.sale_type);
        let t = &mut n.terms;
        let reserve = self.reserve_price_cents;
        set(
            &mut c,
            "reserve_price_cents",
            &mut t.reserve_price_cents,
            reserve,
        );
        set(&mut c, "starts_at", &mut t.starts_at, self.starts_at);
        set(&mut c, "ends_at", &mut t.ends_at, self.ends_at);
        let step = self.bid_increment_cents;
        set(
            &mut c,
            "bid_increment_cents",
            &mut t.bid_increment_cents,
            step,
        );
        set(
            &mut c,
            "equipment",
            &mut n.equipment,
            self.equipment.map(|e| e.map(Into::into)),
        );
        c
    }
}

/// `POST /api/v1/listings/{id}/status`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusRequest {
    /// The new status; must be a valid transition from the current one.
    pub status: ListingStatus,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::json_body::parse;

    #[test]
    fn server_set_fields_are_unknown() {
        for field in [
            "seller_id",
            "view_count",
            "id",
            "created_at",
            "updated_at",
            "boe_d",
        ] {
            let body = format!(r#"{{"{field}": "x"}}"#);
            let p = parse::<UpdateListingRequest>(body.as_bytes()).unwrap_err();
            assert_eq!(p.status().as_u16(), 422, "{field}");
        }
    }

    #[test]
    fn null_clears_optional_fields_and_is_refused_on_required_ones() {
        let patch: UpdateListingRequest =
            parse(br#"{"net_acres": null, "operator": "Diamondback"}"#).unwrap();
        let mut n = NewListing {
            net_acres: Some(5.0),
            ..NewListing::default()
        };
        assert_eq!(patch.apply(&mut n), ["net_acres", "operator"]);
        assert_eq!(n.net_acres, None);
        assert_eq!(n.operator.as_deref(), Some("Diamondback"));
        let p = parse::<UpdateListingRequest>(br#"{"title": null}"#).unwrap_err();
        assert_eq!(p.status().as_u16(), 422);
        let p = parse::<UpdateListingRequest>(br#"{"status": "closed"}"#).unwrap_err();
        assert_eq!(p.status().as_u16(), 422);
    }
}
