//! Closed vocabularies of a listing: its type, status and sale type.

/// A value that is not one of an enum's wire names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} '{value}'; expected one of: {}", expected.join(", "))]
pub struct UnknownVariant {
    /// What was being parsed, e.g. "listing type".
    pub kind: &'static str,
    /// The rejected input.
    pub value: String,
    /// Every accepted wire name.
    pub expected: &'static [&'static str],
}

wire_enum!(
    /// What is being sold.
    ListingType, "listing type" {
        /// An oil and gas lease (leasehold, usually undeveloped).
        Lease => "lease",
        /// Producing wells with their leasehold.
        ProducingProperty => "producing_property",
        /// Fee mineral ownership.
        MineralRights => "mineral_rights",
        /// Royalty or overriding royalty interest (ORRI).
        RoyaltyInterest => "royalty_interest",
        /// A cost-bearing working interest.
        WorkingInterest => "working_interest",
        /// Oilfield equipment.
        Equipment => "equipment",
        /// Oilfield services.
        Service => "service",
    }
);

wire_enum!(
    /// Where a listing is in its life cycle.
    ListingStatus, "listing status" {
        /// Not yet published.
        Draft => "draft",
        /// Open for buyers.
        Active => "active",
        /// A deal is pending.
        UnderContract => "under_contract",
        /// Closed.
        Sold => "sold",
        /// Taken off the market by the seller.
        Withdrawn => "withdrawn",
    }
);

wire_enum!(
    /// How the seller wants to sell.
    SaleType, "sale type" {
        /// Fixed asking price.
        Fixed => "fixed",
        /// Open ascending auction.
        Auction => "auction",
        /// Sealed bids opened at the end.
        SealedBid => "sealed_bid",
        /// Offers accepted, rejected or countered by the seller.
        BestOffer => "best_offer",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_round_trip() {
        for t in ListingType::ALL {
            assert_eq!(t.as_str().parse::<ListingType>(), Ok(*t));
        }
        for s in ListingStatus::ALL {
            assert_eq!(s.as_str().parse::<ListingStatus>(), Ok(*s));
        }
        for s in SaleType::ALL {
            assert_eq!(s.to_string().parse::<SaleType>(), Ok(*s));
        }
    }

    #[test]
    fn unknown_value_lists_expected_names() {
        let err = "oil_well".parse::<ListingType>().unwrap_err();
        assert_eq!(err.value, "oil_well");
        let msg = err.to_string();
        assert!(msg.starts_with("unknown listing type 'oil_well'"), "{msg}");
        assert!(msg.contains("royalty_interest"), "{msg}");
        assert!(
            "Active".parse::<ListingStatus>().is_err(),
            "wire names are case-sensitive"
        );
    }
}
