//! The listing: an asset a seller offers on the marketplace.

use chrono::{DateTime, NaiveDate, SubsecRound, Utc};

pub use super::input::{ListingMeta, NewListing};
use super::kinds::{ListingStatus, ListingType, SaleType};
use super::terms::{ApiNumber, EquipmentDetails, SaleTerms};
use super::user::Role;
use super::values::{GeoPoint, Percent, Production, StateCode, ValidationError};

/// Longest accepted title, in characters.
pub const MAX_TITLE_CHARS: usize = 200;
/// Longest accepted description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 20_000;
/// Longest accepted id, in bytes.
pub const MAX_ID_LEN: usize = 64;

/// A stored listing. Build one with [`NewListing::validate`], which enforces every rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Listing {
    /// Unique id (a UUID v7 string for listings created by the API).
    pub id: String,
    /// The owning seller's user id (`None` for demo and imported listings: admins only).
    pub seller_id: Option<String>,
    /// Short headline.
    pub title: String,
    /// Free text.
    pub description: String,
    /// What is sold.
    pub listing_type: ListingType,
    /// Life-cycle state.
    pub status: ListingStatus,
    /// Basin or play, e.g. "Permian".
    pub basin: String,
    /// US state.
    pub state: StateCode,
    /// County or parish.
    pub county: String,
    /// Legal description (section-township-range, abstract, survey).
    pub legal_description: Option<String>,
    /// Representative point.
    pub location: GeoPoint,
    /// Net acres.
    pub net_acres: Option<f64>,
    /// Gross acres.
    pub gross_acres: Option<f64>,
    /// Net revenue interest.
    pub nri_pct: Option<Percent>,
    /// Working interest.
    pub wi_pct: Option<Percent>,
    /// Lease royalty rate (e.g. 18.75 for 3/16).
    pub royalty_rate_pct: Option<Percent>,
    /// Operator of record.
    pub operator: Option<String>,
    /// Number of wells.
    pub well_count: Option<u32>,
    /// API numbers of the wells (canonical, unique).
    pub api_numbers: Vec<ApiNumber>,
    /// Daily production, where the asset produces.
    pub production: Option<Production>,
    /// Date the production figures refer to.
    pub production_as_of: Option<NaiveDate>,
    /// Average monthly net cash flow, US cents (may be negative).
    pub avg_monthly_net_cash_flow_cents: Option<i64>,
    /// Asking price in US cents.
    pub asking_price_cents: i64,
    /// How it is sold.
    pub sale_type: SaleType,
    /// Reserve, bidding window, bid increment.
    pub terms: SaleTerms,
    /// Equipment details (equipment listings only).
    pub equipment: Option<EquipmentDetails>,
    /// How often buyers (anyone but the owner) opened the listing.
    pub view_count: u64,
    /// Creation time, millisecond precision (what both stores keep).
    pub created_at: DateTime<Utc>,
    /// Last change by its seller or an admin (never by a view), millisecond precision.
    pub updated_at: DateTime<Utc>,
}

impl Listing {
    /// Barrels of oil equivalent per day (6:1), if the listing has production.
    pub fn boe_d(&self) -> Option<f64> {
        self.production.map(|p| p.boe_d())
    }

    /// The writable fields, to change and validate again (PATCH).
    pub fn to_input(&self) -> NewListing {
        NewListing {
            title: self.title.clone(),
            description: self.description.clone(),
            listing_type: self.listing_type,
            status: self.status,
            basin: self.basin.clone(),
            state: self.state.as_str().to_owned(),
            county: self.county.clone(),
            legal_description: self.legal_description.clone(),
            lon: self.location.lon(),
            lat: self.location.lat(),
            net_acres: self.net_acres,
            gross_acres: self.gross_acres,
            nri_pct: self.nri_pct.map(Percent::get),
            wi_pct: self.wi_pct.map(Percent::get),
            royalty_rate_pct: self.royalty_rate_pct.map(Percent::get),
            operator: self.operator.clone(),
            well_count: self.well_count,
            api_numbers: self
                .api_numbers
                .iter()
                .map(|a| a.as_str().to_owned())
                .collect(),
            oil_bbl_d: self.production.map(|p| p.oil_bbl_d()),
            gas_mcf_d: self.production.map(|p| p.gas_mcf_d()),
            production_as_of: self.production_as_of,
            avg_monthly_net_cash_flow_cents: self.avg_monthly_net_cash_flow_cents,
            asking_price_cents: self.asking_price_cents,
            sale_type: self.sale_type,
            terms: self.terms,
            equipment: self.equipment.clone(),
        }
    }

    /// Whether `user_id` owns this listing.
    pub fn is_owned_by(&self, user_id: &str) -> bool {
        self.seller_id.as_deref() == Some(user_id)
    }

    /// Whether this caller may change the listing and see its confidential fields (reserve
    /// price): its seller, or an admin.
    pub fn is_managed_by(&self, user_id: &str, role: Role) -> bool {
        role == Role::Admin || (role == Role::Seller && self.is_owned_by(user_id))
    }

    /// Whether this caller (`None`: anonymous) may see the listing at all: drafts only by
    /// those who manage them.
    pub fn is_visible_to(&self, caller: Option<(&str, Role)>) -> bool {
        self.status != ListingStatus::Draft
            || caller.is_some_and(|(id, role)| self.is_managed_by(id, role))
    }

    /// The `updated_at` of the next write at `now`: strictly later than the current one, so
    /// that optimistic concurrency checks always see a change.
    pub fn next_updated_at(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let now = now.trunc_subsecs(3);
        now.max(self.updated_at + chrono::TimeDelta::milliseconds(1))
    }

    /// Rules for listings written through the API (stricter than what may be stored, so
    /// older rows stay readable): equipment details exactly on equipment listings, and an
    /// active auction or sealed-bid listing needs an end time in the future.
    pub fn check_write_rules(&self, now: DateTime<Utc>) -> Result<(), ValidationError> {
        if self.listing_type == ListingType::Equipment && self.equipment.is_none() {
            return Err(ValidationError::new(
                "equipment",
                "is required on equipment listings",
            ));
        }
        let bidding = matches!(self.sale_type, SaleType::Auction | SaleType::SealedBid);
        if bidding && self.status == ListingStatus::Active {
            match self.terms.ends_at {
                None => {
                    return Err(ValidationError::new(
                        "ends_at",
                        "is required to publish an auction or sealed-bid listing",
                    ));
                }
                Some(end) if end <= now => {
                    return Err(ValidationError::new(
                        "ends_at",
                        "must be in the future to publish",
                    ));
                }
                Some(_) => {}
            }
        }
        Ok(())
    }
}

/// Ids are 1–64 bytes of ASCII letters, digits, `-` and `_` (safe in URLs and both stores).
pub fn validate_id(id: &str) -> Result<(), ValidationError> {
    let ok = !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(ValidationError::new(
            "id",
            "must be 1-64 ASCII letters, digits, '-' or '_'",
        ))
    }
}

/// A fresh, time-ordered listing id (UUID v7).
pub fn new_listing_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

pub(super) fn text(
    field: &'static str,
    value: String,
    min: usize,
    max: usize,
) -> Result<String, ValidationError> {
    let trimmed = value.trim();
    let chars = trimmed.chars().count();
    if chars < min || chars > max {
        return Err(ValidationError::new(
            field,
            format!("must be {min}-{max} characters after trimming (got {chars})"),
        ));
    }
    if trimmed
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(ValidationError::new(
            field,
            "must not contain control characters",
        ));
    }
    Ok(trimmed.to_owned())
}

#[cfg(test)]
#[path = "listing_tests.rs"]
mod tests;
