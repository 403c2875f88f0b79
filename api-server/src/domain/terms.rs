//! Value types of a listing's newer fields: sale terms, equipment details, API well numbers.

use chrono::{DateTime, SubsecRound, Utc};

use super::kinds::SaleType;
use super::values::ValidationError;

/// Most API numbers one listing may carry.
pub const MAX_API_NUMBERS: usize = 500;
/// Largest accepted well count.
pub const MAX_WELL_COUNT: u32 = 100_000;

wire_enum!(
    /// Condition of a piece of equipment.
    EquipmentCondition, "equipment condition" {
        /// Never used.
        New => "new",
        /// Used briefly, no visible wear.
        LikeNew => "like_new",
        /// Used, fully serviceable.
        Good => "good",
        /// Used, needs some work.
        Fair => "fair",
        /// Sold for parts or repair.
        ForParts => "for_parts",
    }
);

/// Equipment details (only on `equipment` listings).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EquipmentDetails {
    /// Manufacturer, e.g. "Ariel".
    pub make: String,
    /// Model, e.g. "JGK/4".
    pub model: String,
    /// Year built.
    pub year: Option<u16>,
    /// Condition.
    pub condition: EquipmentCondition,
    /// Operating hours.
    pub hours: Option<u32>,
}

impl EquipmentDetails {
    /// Trims and checks make and model (1–80 characters) and the year (1900–2100).
    pub fn validate(self) -> Result<Self, ValidationError> {
        let make = short_text("equipment.make", &self.make, 80)?;
        let model = short_text("equipment.model", &self.model, 80)?;
        if let Some(y) = self.year
            && !(1900..=2100).contains(&y)
        {
            return Err(ValidationError::new(
                "equipment.year",
                "must be within 1900-2100",
            ));
        }
        Ok(Self {
            make,
            model,
            ..self
        })
    }
}

/// Sale terms beyond the sale type and asking price.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SaleTerms {
    /// Lowest price the seller accepts (auctions and sealed bids), cents. Confidential: only
    /// the owning seller and admins ever see it.
    pub reserve_price_cents: Option<i64>,
    /// When bidding opens (millisecond precision).
    pub starts_at: Option<DateTime<Utc>>,
    /// When bidding closes (millisecond precision).
    pub ends_at: Option<DateTime<Utc>>,
    /// Smallest raise over the current high bid (auctions), cents.
    pub bid_increment_cents: Option<i64>,
}

impl SaleTerms {
    /// Checks the terms against the sale type: a reserve only for auctions and sealed bids, a
    /// bid increment (> 0) only for auctions, the end after the start; truncates times to ms.
    pub fn validate(self, sale_type: SaleType) -> Result<Self, ValidationError> {
        let bidding = matches!(sale_type, SaleType::Auction | SaleType::SealedBid);
        if let Some(r) = self.reserve_price_cents {
            if !bidding {
                return Err(ValidationError::new(
                    "reserve_price_cents",
                    "only auctions and sealed bids have a reserve price",
                ));
            }
            if r < 0 {
                return Err(ValidationError::new("reserve_price_cents", "must be >= 0"));
            }
        }
        if let Some(i) = self.bid_increment_cents {
            if sale_type != SaleType::Auction {
                return Err(ValidationError::new(
                    "bid_increment_cents",
                    "only auctions have a bid increment",
                ));
            }
            if i <= 0 {
                return Err(ValidationError::new("bid_increment_cents", "must be > 0"));
            }
        }
        let starts_at = self.starts_at.map(|t| t.trunc_subsecs(3));
        let ends_at = self.ends_at.map(|t| t.trunc_subsecs(3));
        if let (Some(s), Some(e)) = (starts_at, ends_at)
            && e <= s
        {
            return Err(ValidationError::new("ends_at", "must be after starts_at"));
        }
        Ok(Self {
            starts_at,
            ends_at,
            ..self
        })
    }
}

/// An American Petroleum Institute well number: 10, 12 or 14 digits (state, county, well,
/// then optional sidetrack and event codes), stored as `SS-CCC-WWWWW[-DD[-EE]]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ApiNumber(String);

impl ApiNumber {
    /// Accepts digits with optional `-` separators.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let invalid = || {
            ValidationError::new(
                "api_numbers",
                "each must be a 10, 12 or 14 digit API well number like 42-329-12345",
            )
        };
        let trimmed = raw.trim();
        if !trimmed.bytes().all(|b| b.is_ascii_digit() || b == b'-') {
            return Err(invalid());
        }
        let digits: String = trimmed.chars().filter(char::is_ascii_digit).collect();
        if ![10, 12, 14].contains(&digits.len()) {
            return Err(invalid());
        }
        let mut out = format!("{}-{}-{}", &digits[0..2], &digits[2..5], &digits[5..10]);
        for chunk in [10..12, 12..14] {
            if let Some(part) = digits.get(chunk) {
                out.push('-');
                out.push_str(part);
            }
        }
        Ok(Self(out))
    }

    /// The canonical form.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Parses, de-duplicates (by canonical form) and bounds a list of API numbers.
pub fn api_numbers(raw: &[String]) -> Result<Vec<ApiNumber>, ValidationError> {
    if raw.len() > MAX_API_NUMBERS {
        return Err(ValidationError::new(
            "api_numbers",
            format!("at most {MAX_API_NUMBERS} numbers"),
        ));
    }
    let mut out: Vec<ApiNumber> = Vec::with_capacity(raw.len());
    for r in raw {
        let n = ApiNumber::parse(r)?;
        if out.contains(&n) {
            return Err(ValidationError::new(
                "api_numbers",
                format!("{} is listed twice", n.as_str()),
            ));
        }
        out.push(n);
    }
    Ok(out)
}

/// Trims `raw` and checks 1..=`max` characters without control characters.
pub fn short_text(field: &'static str, raw: &str, max: usize) -> Result<String, ValidationError> {
    let t = raw.trim();
    let n = t.chars().count();
    if n == 0 || n > max {
        return Err(ValidationError::new(
            field,
            format!("must be 1-{max} characters after trimming"),
        ));
    }
    if t.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(ValidationError::new(
            field,
            "must not contain control characters",
        ));
    }
    Ok(t.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn api_numbers_are_canonicalised() {
        assert_eq!(
            ApiNumber::parse("4232912345").unwrap().as_str(),
            "42-329-12345"
        );
        assert_eq!(
            ApiNumber::parse(" 42-329-12345-01-00 ").unwrap().as_str(),
            "42-329-12345-01-00"
        );
        for bad in [
            "",
            "42-329-1234",
            "42 329 12345",
            "4232912345a",
            "42329123451",
        ] {
            assert!(ApiNumber::parse(bad).is_err(), "{bad:?} accepted");
        }
        let dup = api_numbers(&["4232912345".into(), "42-329-12345".into()]);
        assert!(dup.is_err());
    }

    #[test]
    fn sale_terms_follow_the_sale_type() {
        let t = |d: i64| Utc.timestamp_opt(1_700_000_000 + d, 999_999).unwrap();
        let auction = SaleTerms {
            reserve_price_cents: Some(10),
            starts_at: Some(t(0)),
            ends_at: Some(t(60)),
            bid_increment_cents: Some(5),
        };
        let ok = auction.validate(SaleType::Auction).unwrap();
        assert_eq!(ok.starts_at.unwrap().timestamp_subsec_nanos(), 0);
        assert_eq!(
            auction.validate(SaleType::SealedBid).unwrap_err().field,
            "bid_increment_cents"
        );
        assert_eq!(
            auction.validate(SaleType::Fixed).unwrap_err().field,
            "reserve_price_cents"
        );
        let backwards = SaleTerms {
            ends_at: Some(t(0)),
            starts_at: Some(t(0)),
            ..SaleTerms::default()
        };
        assert_eq!(
            backwards.validate(SaleType::Auction).unwrap_err().field,
            "ends_at"
        );
        let zero = SaleTerms {
            bid_increment_cents: Some(0),
            ..SaleTerms::default()
        };
        assert!(zero.validate(SaleType::Auction).is_err());
    }

    #[test]
    fn equipment_details_are_checked() {
        let d = EquipmentDetails {
            make: " Ariel ".into(),
            model: "JGK/4".into(),
            year: Some(2015),
            condition: EquipmentCondition::Good,
            hours: Some(12_000),
        };
        assert_eq!(d.clone().validate().unwrap().make, "Ariel");
        let old = EquipmentDetails {
            year: Some(1800),
            ..d.clone()
        };
        assert_eq!(old.validate().unwrap_err().field, "equipment.year");
        let nameless = EquipmentDetails {
            make: " ".into(),
            ..d
        };
        assert_eq!(nameless.validate().unwrap_err().field, "equipment.make");
    }
}
