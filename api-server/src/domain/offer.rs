//! Offers on `best_offer` listings and their life cycle. No I/O.
//!
//! ```text
//! pending ──seller accepts──► accepted      (listing → under_contract)
//!    │  ──seller counters──► countered ──buyer accepts──► accepted
//!    │                          │
//!    ├──seller rejects──► rejected ◄──seller rejects──┤
//!    └──buyer withdraws─► withdrawn ◄─buyer withdraws─┘
//! ```

use chrono::{DateTime, SubsecRound, Utc};

use super::auction::{MAX_AMOUNT_CENTS, valid_amount};
use super::kinds::{ListingStatus, SaleType};
use super::listing::Listing;
use super::terms::short_text;
use super::values::ValidationError;

/// Longest message attached to an offer, in characters.
pub const MAX_MESSAGE_CHARS: usize = 2_000;

wire_enum!(
    /// Where an offer stands.
    OfferStatus, "offer status" {
        /// Made by the buyer, waiting for the seller.
        Pending => "pending",
        /// The seller proposed another price; waiting for the buyer.
        Countered => "countered",
        /// Agreed (final): the listing went under contract.
        Accepted => "accepted",
        /// Declined by the seller (final).
        Rejected => "rejected",
        /// Taken back by the buyer (final).
        Withdrawn => "withdrawn",
    }
);

impl OfferStatus {
    /// Pending or countered: the offer still waits for someone.
    pub fn is_open(self) -> bool {
        matches!(self, OfferStatus::Pending | OfferStatus::Countered)
    }
}

/// An offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    /// Unique id (UUID v7).
    pub id: String,
    /// The listing.
    pub listing_id: String,
    /// Who offers.
    pub buyer_id: String,
    /// The listing's seller when the offer was made (`None`: a listing without a seller,
    /// managed by admins).
    pub seller_id: Option<String>,
    /// The offered amount, cents.
    pub amount_cents: i64,
    /// The seller's counter, cents.
    pub counter_cents: Option<i64>,
    /// A note from the buyer.
    pub message: Option<String>,
    /// Where it stands.
    pub status: OfferStatus,
    /// Version, from 1, incremented by every transition (compare-and-set key).
    pub version: i64,
    /// When it was made (millisecond precision).
    pub created_at: DateTime<Utc>,
    /// Last transition (millisecond precision).
    pub updated_at: DateTime<Utc>,
}

/// Who acts on an offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OfferParty {
    /// The buyer who made it.
    Buyer,
    /// The listing's seller (or an admin on their behalf).
    Seller,
}

/// What a party does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OfferAction {
    /// Seller: accept a pending offer; buyer: accept a counter.
    Accept,
    /// Seller: decline a pending or countered offer.
    Reject,
    /// Seller: propose this price (cents) instead of a pending offer.
    Counter(i64),
    /// Buyer: take back a pending or countered offer.
    Withdraw,
}

impl OfferAction {
    /// `accept`, `reject`, `counter` or `withdraw`.
    pub fn as_str(self) -> &'static str {
        match self {
            OfferAction::Accept => "accept",
            OfferAction::Reject => "reject",
            OfferAction::Counter(_) => "counter",
            OfferAction::Withdraw => "withdraw",
        }
    }
}

/// A transition the offer life cycle does not allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OfferError {
    /// Not allowed from the current status, or not for this party.
    #[error("the {party} cannot {action} an offer that is {status}")]
    InvalidTransition {
        /// `buyer` or `seller`.
        party: &'static str,
        /// The action.
        action: &'static str,
        /// The current status.
        status: OfferStatus,
    },
    /// A broken input rule (amount, message).
    #[error(transparent)]
    Invalid(#[from] ValidationError),
}

impl Offer {
    /// A new pending offer by `buyer_id` on `listing`, checked: a best-offer listing that is
    /// active and not the buyer's own, a valid amount, a short message.
    pub fn new(
        id: String,
        listing: &Listing,
        buyer_id: &str,
        amount_cents: i64,
        message: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<Self, ValidationError> {
        if listing.sale_type != SaleType::BestOffer {
            return Err(ValidationError::new(
                "listing",
                "only best-offer listings take offers",
            ));
        }
        if listing.status != ListingStatus::Active {
            return Err(ValidationError::new(
                "listing",
                format!("the listing is {}, not active", listing.status),
            ));
        }
        if listing.is_owned_by(buyer_id) {
            return Err(ValidationError::new(
                "listing",
                "sellers cannot make offers on their own listings",
            ));
        }
        check_amount("amount_cents", amount_cents)?;
        let message = message
            .filter(|m| !m.trim().is_empty())
            .map(|m| short_text("message", &m, MAX_MESSAGE_CHARS))
            .transpose()?;
        let now = now.trunc_subsecs(3);
        Ok(Self {
            id,
            listing_id: listing.id.clone(),
            buyer_id: buyer_id.to_owned(),
            seller_id: listing.seller_id.clone(),
            amount_cents,
            counter_cents: None,
            message,
            status: OfferStatus::Pending,
            version: 1,
            created_at: now,
            updated_at: now,
        })
    }

    /// The price both sides agreed on: the counter if the buyer accepted one, else the offer.
    pub fn agreed_cents(&self) -> Option<i64> {
        (self.status == OfferStatus::Accepted)
            .then(|| self.counter_cents.unwrap_or(self.amount_cents))
    }

    /// The offer after `party` does `action` at `now` (next version), or why not.
    pub fn apply(
        &self,
        party: OfferParty,
        action: OfferAction,
        now: DateTime<Utc>,
    ) -> Result<Offer, OfferError> {
        use OfferAction::{Accept, Counter, Reject, Withdraw};
        use OfferStatus::{Accepted, Countered, Pending, Rejected, Withdrawn};
        let (status, counter) = match (party, action, self.status) {
            (OfferParty::Seller, Accept, Pending) => (Accepted, self.counter_cents),
            (OfferParty::Seller, Counter(c), Pending) => {
                check_amount("counter_cents", c)?;
                if c <= self.amount_cents {
                    return Err(ValidationError::new(
                        "counter_cents",
                        "must be higher than the offer (accept the offer instead)",
                    )
                    .into());
                }
                (Countered, Some(c))
            }
            (OfferParty::Seller, Reject, Pending | Countered) => (Rejected, self.counter_cents),
            (OfferParty::Buyer, Accept, Countered) => (Accepted, self.counter_cents),
            (OfferParty::Buyer, Withdraw, Pending | Countered) => (Withdrawn, self.counter_cents),
            (party, action, status) => {
                return Err(OfferError::InvalidTransition {
                    party: match party {
                        OfferParty::Buyer => "buyer",
                        OfferParty::Seller => "seller",
                    },
                    action: action.as_str(),
                    status,
                });
            }
        };
        let now = now.trunc_subsecs(3);
        Ok(Offer {
            status,
            counter_cents: counter,
            version: self.version + 1,
            updated_at: now.max(self.updated_at + chrono::TimeDelta::milliseconds(1)),
            ..self.clone()
        })
    }
}

fn check_amount(field: &'static str, cents: i64) -> Result<(), ValidationError> {
    if valid_amount(cents) {
        Ok(())
    } else {
        Err(ValidationError::new(
            field,
            format!("must be within 1-{MAX_AMOUNT_CENTS} cents"),
        ))
    }
}

#[cfg(test)]
#[path = "offer_tests.rs"]
mod tests;
