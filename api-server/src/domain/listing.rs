//! The listing: an asset a seller offers on the marketplace.

use chrono::{DateTime, SubsecRound, Utc};

use super::kinds::{ListingStatus, ListingType, SaleType};
use super::values::{GeoPoint, Percent, Production, StateCode, ValidationError, non_negative};

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
    /// Daily production, where the asset produces.
    pub production: Option<Production>,
    /// Asking price in US cents.
    pub asking_price_cents: i64,
    /// How it is sold.
    pub sale_type: SaleType,
    /// Creation time, millisecond precision (what both stores keep).
    pub created_at: DateTime<Utc>,
}

impl Listing {
    /// Barrels of oil equivalent per day (6:1), if the listing has production.
    pub fn boe_d(&self) -> Option<f64> {
        self.production.map(|p| p.boe_d())
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
    /// Oil, bbl/d; production exists when oil or gas is given (the other counts as 0).
    pub oil_bbl_d: Option<f64>,
    /// Gas, Mcf/d.
    pub gas_mcf_d: Option<f64>,
    /// See [`Listing::asking_price_cents`].
    pub asking_price_cents: i64,
    /// See [`Listing::sale_type`].
    pub sale_type: SaleType,
}

impl NewListing {
    /// Applies every listing rule and returns the listing with `id` and `created_at`
    /// (truncated to milliseconds).
    pub fn validate(
        self,
        id: String,
        created_at: DateTime<Utc>,
    ) -> Result<Listing, ValidationError> {
        validate_id(&id)?;
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
        if self.asking_price_cents < 0 {
            return Err(ValidationError::new("asking_price_cents", "must be >= 0"));
        }
        Ok(Listing {
            id,
            title,
            description,
            listing_type: self.listing_type,
            status: self.status,
            basin,
            state: StateCode::parse("state", &self.state)?,
            county,
            location: GeoPoint::new(self.lon, self.lat)?,
            net_acres,
            gross_acres,
            nri_pct: self
                .nri_pct
                .map(|v| Percent::new("nri_pct", v))
                .transpose()?,
            wi_pct: self.wi_pct.map(|v| Percent::new("wi_pct", v)).transpose()?,
            production,
            asking_price_cents: self.asking_price_cents,
            sale_type: self.sale_type,
            created_at: created_at.trunc_subsecs(3),
        })
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

fn text(
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
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn sample() -> NewListing {
        NewListing {
            title: "  320 NMA Midland County minerals ".into(),
            description: "Fee minerals under active development.".into(),
            listing_type: ListingType::MineralRights,
            status: ListingStatus::Active,
            basin: "Permian".into(),
            state: "tx".into(),
            county: "Midland".into(),
            lon: -102.03,
            lat: 31.87,
            net_acres: Some(320.0),
            gross_acres: Some(640.0),
            nri_pct: Some(80.0),
            wi_pct: None,
            oil_bbl_d: Some(30.0),
            gas_mcf_d: None,
            asking_price_cents: 250_000_000,
            sale_type: SaleType::Auction,
        }
    }

    fn at() -> DateTime<Utc> {
        Utc.timestamp_opt(1_700_000_000, 123_456_789).unwrap()
    }

    #[test]
    fn valid_listing_is_normalised() {
        let l = sample().validate("abc-1".into(), at()).unwrap();
        assert_eq!(l.title, "320 NMA Midland County minerals");
        assert_eq!(l.state.as_str(), "TX");
        assert_eq!(
            l.created_at.timestamp_subsec_nanos(),
            123_000_000,
            "truncated to ms"
        );
        assert_eq!(l.boe_d(), Some(30.0), "gas missing counts as zero");
    }

    #[test]
    fn no_production_means_no_boe() {
        let mut n = sample();
        n.oil_bbl_d = None;
        assert_eq!(n.validate("a".into(), at()).unwrap().boe_d(), None);
    }

    #[test]
    fn each_rule_names_its_field() {
        type Mutation = Box<dyn Fn(&mut NewListing)>;
        let cases: Vec<(&str, Mutation)> = vec![
            ("title", Box::new(|n| n.title = " ab ".into())),
            (
                "title",
                Box::new(|n| n.title = "x".repeat(MAX_TITLE_CHARS + 1)),
            ),
            ("title", Box::new(|n| n.title = "bad\u{0}title".into())),
            ("basin", Box::new(|n| n.basin = "  ".into())),
            ("county", Box::new(|n| n.county = String::new())),
            ("state", Box::new(|n| n.state = "Texas".into())),
            ("location.lat", Box::new(|n| n.lat = 91.0)),
            ("net_acres", Box::new(|n| n.net_acres = Some(-1.0))),
            ("net_acres", Box::new(|n| n.net_acres = Some(700.0))),
            ("gross_acres", Box::new(|n| n.gross_acres = Some(f64::NAN))),
            ("nri_pct", Box::new(|n| n.nri_pct = Some(101.0))),
            ("wi_pct", Box::new(|n| n.wi_pct = Some(-3.0))),
            ("gas_mcf_d", Box::new(|n| n.gas_mcf_d = Some(-0.1))),
            (
                "asking_price_cents",
                Box::new(|n| n.asking_price_cents = -1),
            ),
        ];
        for (field, mutate) in cases {
            let mut n = sample();
            mutate(&mut n);
            let err = n.validate("id".into(), at()).unwrap_err();
            assert_eq!(err.field, field, "{err}");
        }
    }

    #[test]
    fn ids_are_url_and_store_safe() {
        assert!(validate_id(&new_listing_id()).is_ok());
        for bad in ["", "a/b", "a b", "$ne", "é", &"x".repeat(65)] {
            assert!(validate_id(bad).is_err(), "{bad:?} accepted");
        }
        assert_eq!(
            sample().validate("a.b".into(), at()).unwrap_err().field,
            "id"
        );
    }
}
