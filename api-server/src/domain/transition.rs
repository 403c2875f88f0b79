//! The listing life cycle: which status changes are allowed.
//!
//! ```text
//! draft ──► active ──► under_contract ──► sold
//!   │         │  ▲            │
//!   │         │  └────────────┘ (deal fell through)
//!   └────► withdrawn ◄┘
//! ```

use super::kinds::ListingStatus;

/// A status change that the life cycle does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a listing cannot go from {from} to {to}")]
pub struct TransitionError {
    /// Current status.
    pub from: ListingStatus,
    /// Requested status.
    pub to: ListingStatus,
}

/// Checks a status change: draft→active→under_contract→sold, active/draft→withdrawn,
/// under_contract→active. Staying in the same status is not a transition (an error).
pub fn check_transition(from: ListingStatus, to: ListingStatus) -> Result<(), TransitionError> {
    use ListingStatus::{Active, Draft, Sold, UnderContract, Withdrawn};
    let allowed = matches!(
        (from, to),
        (Draft, Active)
            | (Active, UnderContract)
            | (UnderContract, Sold)
            | (Active | Draft, Withdrawn)
            | (UnderContract, Active)
    );
    if allowed {
        Ok(())
    } else {
        Err(TransitionError { from, to })
    }
}

/// Statuses a listing may be created with.
pub fn is_initial(status: ListingStatus) -> bool {
    matches!(status, ListingStatus::Draft | ListingStatus::Active)
}

/// Statuses in which a listing may be deleted (never published, or taken off the market).
pub fn is_deletable(status: ListingStatus) -> bool {
    matches!(status, ListingStatus::Draft | ListingStatus::Withdrawn)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ListingStatus::{Active, Draft, Sold, UnderContract, Withdrawn};

    #[test]
    fn transition_table() {
        // Rows: from; columns: to, in the order draft, active, under_contract, sold, withdrawn.
        let table: [(ListingStatus, [bool; 5]); 5] = [
            (Draft, [false, true, false, false, true]),
            (Active, [false, false, true, false, true]),
            (UnderContract, [false, true, false, true, false]),
            (Sold, [false, false, false, false, false]),
            (Withdrawn, [false, false, false, false, false]),
        ];
        let to_order = [Draft, Active, UnderContract, Sold, Withdrawn];
        for (from, row) in table {
            for (to, allowed) in to_order.iter().zip(row) {
                assert_eq!(
                    check_transition(from, *to).is_ok(),
                    allowed,
                    "{from} -> {to}"
                );
            }
        }
        let err = check_transition(Draft, Sold).unwrap_err();
        assert_eq!(err.to_string(), "a listing cannot go from draft to sold");
    }

    #[test]
    fn creation_and_deletion_states() {
        let initial: Vec<_> = ListingStatus::ALL
            .iter()
            .filter(|s| is_initial(**s))
            .collect();
        assert_eq!(initial, [&Draft, &Active]);
        let deletable: Vec<_> = ListingStatus::ALL
            .iter()
            .filter(|s| is_deletable(**s))
            .collect();
        assert_eq!(deletable, [&Draft, &Withdrawn]);
    }
}
