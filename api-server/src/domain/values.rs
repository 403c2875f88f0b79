//! Validated value types of a listing and the error for invalid input.

use std::fmt;

/// A rule that some input broke; `field` names the input (as in the API), `message` says why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ValidationError {
    /// The field or parameter name, as the API spells it.
    pub field: &'static str,
    /// A sentence for humans.
    pub message: String,
}

impl ValidationError {
    /// Builds an error for `field`.
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}

/// Checks that `value` is a finite, non-negative number.
pub fn non_negative(field: &'static str, value: f64) -> Result<f64, ValidationError> {
    if value.is_finite() && value >= 0.0 {
        Ok(value)
    } else {
        Err(ValidationError::new(field, "must be a finite number >= 0"))
    }
}

/// A two-letter US state code, stored upper-case (`tx` is accepted and becomes `TX`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StateCode(String);

impl StateCode {
    /// Validates and normalises a state code.
    pub fn parse(field: &'static str, raw: &str) -> Result<Self, ValidationError> {
        let trimmed = raw.trim();
        if trimmed.len() == 2 && trimmed.bytes().all(|b| b.is_ascii_alphabetic()) {
            Ok(Self(trimmed.to_ascii_uppercase()))
        } else {
            Err(ValidationError::new(
                field,
                "must be a two-letter US state code",
            ))
        }
    }

    /// The upper-case code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for StateCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A WGS 84 point, longitude first (GeoJSON order).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GeoPoint {
    lon: f64,
    lat: f64,
}

impl GeoPoint {
    /// Validates longitude in [-180, 180] and latitude in [-90, 90].
    pub fn new(lon: f64, lat: f64) -> Result<Self, ValidationError> {
        if !(lon.is_finite() && (-180.0..=180.0).contains(&lon)) {
            return Err(ValidationError::new(
                "location.lon",
                "must be within [-180, 180]",
            ));
        }
        if !(lat.is_finite() && (-90.0..=90.0).contains(&lat)) {
            return Err(ValidationError::new(
                "location.lat",
                "must be within [-90, 90]",
            ));
        }
        Ok(Self { lon, lat })
    }

    /// Longitude in degrees.
    pub fn lon(&self) -> f64 {
        self.lon
    }

    /// Latitude in degrees.
    pub fn lat(&self) -> f64 {
        self.lat
    }
}

/// A percentage in [0, 100] (NRI, WI).
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Percent(f64);

impl Percent {
    /// Validates that `value` is within [0, 100].
    pub fn new(field: &'static str, value: f64) -> Result<Self, ValidationError> {
        if value.is_finite() && (0.0..=100.0).contains(&value) {
            Ok(Self(value))
        } else {
            Err(ValidationError::new(
                field,
                "must be a percentage within [0, 100]",
            ))
        }
    }

    /// The percentage (87.5 means 87.5 %).
    pub fn get(self) -> f64 {
        self.0
    }
}

/// Daily production; barrels of oil equivalent are derived, never stored independently.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Production {
    oil_bbl_d: f64,
    gas_mcf_d: f64,
}

/// Thousand cubic feet of gas per barrel of oil equivalent (the industry's 6:1 energy ratio).
pub const MCF_PER_BOE: f64 = 6.0;

impl Production {
    /// Validates non-negative oil (bbl/d) and gas (Mcf/d) rates.
    pub fn new(oil_bbl_d: f64, gas_mcf_d: f64) -> Result<Self, ValidationError> {
        Ok(Self {
            oil_bbl_d: non_negative("oil_bbl_d", oil_bbl_d)?,
            gas_mcf_d: non_negative("gas_mcf_d", gas_mcf_d)?,
        })
    }

    /// Oil, barrels per day.
    pub fn oil_bbl_d(&self) -> f64 {
        self.oil_bbl_d
    }

    /// Gas, thousand cubic feet per day.
    pub fn gas_mcf_d(&self) -> f64 {
        self.gas_mcf_d
    }

    /// Barrels of oil equivalent per day at 6:1: `oil + gas / 6`.
    pub fn boe_d(&self) -> f64 {
        self.oil_bbl_d + self.gas_mcf_d / MCF_PER_BOE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boe_is_oil_plus_gas_over_six() {
        let p = Production::new(120.0, 600.0).unwrap();
        assert_eq!(p.boe_d(), 220.0);
        assert_eq!(Production::new(0.0, 0.0).unwrap().boe_d(), 0.0);
        assert_eq!(Production::new(0.0, 3.0).unwrap().boe_d(), 0.5);
    }

    #[test]
    fn production_rejects_negative_and_nan() {
        assert_eq!(Production::new(-1.0, 0.0).unwrap_err().field, "oil_bbl_d");
        assert_eq!(
            Production::new(1.0, f64::NAN).unwrap_err().field,
            "gas_mcf_d"
        );
        assert!(Production::new(1.0, f64::INFINITY).is_err());
    }

    #[test]
    fn state_code_is_normalised_and_checked() {
        assert_eq!(StateCode::parse("state", " tx ").unwrap().as_str(), "TX");
        for bad in ["", "T", "TEX", "T1", "Ω!"] {
            assert!(StateCode::parse("state", bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn geo_point_bounds() {
        assert!(GeoPoint::new(-102.0, 31.9).is_ok());
        assert!(GeoPoint::new(180.0, -90.0).is_ok());
        assert_eq!(GeoPoint::new(180.1, 0.0).unwrap_err().field, "location.lon");
        assert_eq!(GeoPoint::new(0.0, 90.5).unwrap_err().field, "location.lat");
        assert!(GeoPoint::new(f64::NAN, 0.0).is_err());
    }

    #[test]
    fn percent_bounds() {
        assert_eq!(Percent::new("nri_pct", 87.5).unwrap().get(), 87.5);
        assert!(Percent::new("nri_pct", 0.0).is_ok());
        assert!(Percent::new("nri_pct", 100.0).is_ok());
        assert!(Percent::new("nri_pct", 100.01).is_err());
        assert!(Percent::new("nri_pct", -0.5).is_err());
    }
}
