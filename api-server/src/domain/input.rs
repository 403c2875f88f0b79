//! Listing input: what sellers, the demo generator and store rows provide, and the rules
//! that turn it into a [`Listing`].

use chrono::{DateTime, NaiveDate, SubsecRound, Utc};

use super::kinds::{ListingStatus, ListingType, SaleType};
use super::listing::{Listing, MAX_DESCRIPTION_CHARS, MAX_TITLE_CHARS, text, validate_id};
use super::terms::{EquipmentDetails, MAX_WELL_COUNT, SaleTerms, api_numbers, short_text};
use super::values::{GeoPoint, Percent, Production, StateCode, ValidationError, non_negative};

/// Server-set fields of a listing: identity, owner, counters and timestamps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListingMeta {
    /// See [`Listing::id`].
    pub id: String,
    /// See [`Listing::seller_id`].
    pub seller_id: Option<String>,
    /// See [`Listing::view_count`].
    pub view_count: u64,
    /// See [`Listing::created_at`].
    pub created_at: DateTime<Utc>,
    /// See [`Listing::updated_at`].
    pub updated_at: DateTime<Utc>,
}

impl ListingMeta {
    /// A new listing's meta: no owner, no views, updated when created.
    pub fn new(id: String, created_at: DateTime<Utc>) -> Self {
        Self {
            id,
            seller_id: None,
            view_count: 0,
            created_at,
            updated_at: created_at,
        }
    }

    /// The meta of an existing listing.
    pub fn of(l: &Listing) -> Self {
        Self {
            id: l.id.clone(),
            seller_id: l.seller_id.clone(),
            view_count: l.view_count,
            created_at: l.created_at,
            updated_at: l.updated_at,
        }
    }
}

/// Unvalidated listing input (from a seller, the demo generator or a store row).
#[derive(Debug, Clone, PartialEq)]
pub struct NewListing {
    /// See [`Listing::title`].
    pub title: String,
    /// See [`Listing::description`].
    pub description: String,
    /// See [`Listing::listing_type`].
    pub listing_type: ListingType,
    /// See [`Listing::status`].
    pub status: ListingStatus,
    /// See [`Listing::basin`].
    pub basin: String,
    /// Two-letter state code, any case.
    pub state: String,
    /// See [`Listing::county`].
    pub county: String,
    /// See [`Listing::legal_description`].
    pub legal_description: Option<String>,
    /// Longitude.
    pub lon: f64,
    /// Latitude.
    pub lat: f64,
    /// See [`Listing::net_acres`].
    pub net_acres: Option<f64>,
    /// See [`Listing::gross_acres`].
    pub gross_acres: Option<f64>,
    /// See [`Listing::nri_pct`].
    pub nri_pct: Option<f64>,
    /// See [`Listing::wi_pct`].
    pub wi_pct: Option<f64>,
    /// See [`Listing::royalty_rate_pct`].
    pub royalty_rate_pct: Option<f64>,
    /// See [`Listing::operator`].
    pub operator: Option<String>,
    /// See [`Listing::well_count`].
    pub well_count: Option<u32>,
    /// API numbers in any accepted spelling.
    pub api_numbers: Vec<String>,
    /// Oil, bbl/d; production exists when oil or gas is given (the other counts as 0).
    pub oil_bbl_d: Option<f64>,
    /// Gas, Mcf/d.
    pub gas_mcf_d: Option<f64>,
    /// See [`Listing::production_as_of`] (only with production).
    pub production_as_of: Option<NaiveDate>,
    /// See [`Listing::avg_monthly_net_cash_flow_cents`].
    pub avg_monthly_net_cash_flow_cents: Option<i64>,
    /// See [`Listing::asking_price_cents`].
    pub asking_price_cents: i64,
    /// See [`Listing::sale_type`].
    pub sale_type: SaleType,
    /// See [`Listing::terms`].
    pub terms: SaleTerms,
    /// See [`Listing::equipment`].
    pub equipment: Option<EquipmentDetails>,
}

impl Default for NewListing {
    /// An empty (invalid) input to fill in: a fixed-price active lease at 0,0.
    fn default() -> Self {
        Self {
            title: String::new(),
            description: String::new(),
            listing_type: ListingType::Lease,
            status: ListingStatus::Active,
            basin: String::new(),
            state: String::new(),
            county: String::new(),
            legal_description: None,
            lon: 0.0,
            lat: 0.0,
            net_acres: None,
            gross_acres: None,
            nri_pct: None,
            wi_pct: None,
            royalty_rate_pct: None,
            operator: None,
            well_count: None,
            api_numbers: Vec::new(),
            oil_bbl_d: None,
            gas_mcf_d: None,
            production_as_of: None,
            avg_monthly_net_cash_flow_cents: None,
            asking_price_cents: 0,
            sale_type: SaleType::Fixed,
            terms: SaleTerms::default(),
            equipment: None,
        }
    }
}

impl NewListing {
    /// Applies every listing rule and returns the listing with `id` and `created_at`
    /// (truncated to milliseconds), no owner and no views.
    pub fn validate(
        self,
        id: String,
        created_at: DateTime<Utc>,
    ) -> Result<Listing, ValidationError> {
        self.validate_with(ListingMeta::new(id, created_at))
    }

    /// Applies every listing rule and returns the listing with the server-set `meta`.
    pub fn validate_with(self, meta: ListingMeta) -> Result<Listing, ValidationError> {
        validate_id(&meta.id)?;
        if let Some(s) = &meta.seller_id {
            validate_id(s).map_err(|_| ValidationError::new("seller_id", "invalid user id"))?;
        }
        let title = text("title", self.title, 3, MAX_TITLE_CHARS)?;
        let description = text("description", self.description, 0, MAX_DESCRIPTION_CHARS)?;
        let basin = text("basin", self.basin, 1, 64)?;
        let county = text("county", self.county, 1, 64)?;
        let net_acres = self
            .net_acres
            .map(|v| non_negative("net_acres", v))
            .transpose()?;
        let gross_acres = self
            .gross_acres
            .map(|v| non_negative("gross_acres", v))
            .transpose()?;
        if let (Some(net), Some(gross)) = (net_acres, gross_acres)
            && net > gross
        {
            return Err(ValidationError::new(
                "net_acres",
                "must not exceed gross_acres",
            ));
        }
        let production = match (self.oil_bbl_d, self.gas_mcf_d) {
            (None, None) => None,
            (oil, gas) => Some(Production::new(oil.unwrap_or(0.0), gas.unwrap_or(0.0))?),
        };
        if self.production_as_of.is_some() && production.is_none() {
            return Err(ValidationError::new(
                "production_as_of",
                "needs oil_bbl_d or gas_mcf_d",
            ));
        }
        if self.asking_price_cents < 0 {
            return Err(ValidationError::new("asking_price_cents", "must be >= 0"));
        }
        let api_numbers = api_numbers(&self.api_numbers)?;
        if let Some(n) = self.well_count {
            if n > MAX_WELL_COUNT {
                return Err(ValidationError::new(
                    "well_count",
                    format!("must be at most {MAX_WELL_COUNT}"),
                ));
            }
            if api_numbers.len() > n as usize {
                return Err(ValidationError::new(
                    "api_numbers",
                    "must not list more wells than well_count",
                ));
            }
        }
        let equipment = match self.equipment {
            Some(_) if self.listing_type != ListingType::Equipment => {
                return Err(ValidationError::new(
                    "equipment",
                    "only equipment listings have equipment details",
                ));
            }
            e => e.map(EquipmentDetails::validate).transpose()?,
        };
        let created_at = meta.created_at.trunc_subsecs(3);
        Ok(Listing {
            id: meta.id,
            seller_id: meta.seller_id,
            title,
            description,
            listing_type: self.listing_type,
            status: self.status,
            basin,
            state: StateCode::parse("state", &self.state)?,
            county,
            legal_description: self
                .legal_description
                .map(|d| short_text("legal_description", &d, 2_000))
                .transpose()?,
            location: GeoPoint::new(self.lon, self.lat)?,
            net_acres,
            gross_acres,
            nri_pct: self
                .nri_pct
                .map(|v| Percent::new("nri_pct", v))
                .transpose()?,
            wi_pct: self.wi_pct.map(|v| Percent::new("wi_pct", v)).transpose()?,
            royalty_rate_pct: self
                .royalty_rate_pct
                .map(|v| Percent::new("royalty_rate_pct", v))
                .transpose()?,
            operator: self
                .operator
                .map(|o| short_text("operator", &o, 120))
                .transpose()?,
            well_count: self.well_count,
            api_numbers,
            production,
            production_as_of: self.production_as_of,
            avg_monthly_net_cash_flow_cents: self.avg_monthly_net_cash_flow_cents,
            asking_price_cents: self.asking_price_cents,
            sale_type: self.sale_type,
            terms: self.terms.validate(self.sale_type)?,
            equipment,
            view_count: meta.view_count,
            created_at,
            updated_at: meta.updated_at.trunc_subsecs(3).max(created_at),
        })
    }
}
