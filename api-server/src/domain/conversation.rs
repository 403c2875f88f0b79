//! Buyer–seller conversations about a listing, and their messages. No I/O.
//!
//! One conversation per `(listing, buyer)`: a buyer who writes about a listing again continues
//! the same thread. Only the two parties read or write it. Messages are numbered `1, 2, 3...`
//! per conversation (`seq`), in the order the store accepted them, with no gaps; each party's
//! read position is the highest `seq` they have read, so the unread count of a party is the
//! number of the other party's messages above their position: a count, never a counter that
//! concurrent writers could get wrong.
//!
//! New conversations only on listings that still sell (`active` or `under_contract`: a buyer
//! may ask to be the backup); existing conversations go on whatever the listing's status,
//! because the parties may still have a deal to close.

use chrono::{DateTime, SubsecRound, Utc};

use super::kinds::ListingStatus;
use super::listing::Listing;
use super::values::ValidationError;

/// Longest message body, in characters (after trimming).
pub const MAX_BODY_CHARS: usize = 5_000;
/// Length of a last-message preview in the inbox, in characters.
pub const PREVIEW_CHARS: usize = 140;

/// A message thread between a listing's seller and one buyer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conversation {
    /// Unique id (UUID v7).
    pub id: String,
    /// The listing it is about.
    pub listing_id: String,
    /// The buyer who started it.
    pub buyer_id: String,
    /// The listing's seller.
    pub seller_id: String,
    /// When it was started (millisecond precision).
    pub created_at: DateTime<Utc>,
    /// Highest message `seq` (0: no message yet).
    pub last_seq: i64,
    /// When the last message was sent (the start time before any message).
    pub last_message_at: DateTime<Utc>,
    /// Who sent the last message.
    pub last_sender_id: Option<String>,
    /// The first [`PREVIEW_CHARS`] characters of the last message.
    pub last_preview: Option<String>,
    /// The buyer's read position (highest `seq` read).
    pub buyer_read_seq: i64,
    /// The seller's read position.
    pub seller_read_seq: i64,
}

/// Which side of a conversation a user is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConversationParty {
    /// The buyer who started it.
    Buyer,
    /// The listing's seller.
    Seller,
}

impl Conversation {
    /// A new, empty conversation of `buyer_id` with `listing`'s seller, checked: the listing
    /// has a seller who is not the buyer, and it still sells.
    pub fn start(
        id: String,
        listing: &Listing,
        buyer_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Self, StartError> {
        let Some(seller_id) = listing.seller_id.clone() else {
            return Err(StartError::NoSeller);
        };
        if seller_id == buyer_id {
            return Err(StartError::OwnListing);
        }
        if !accepts_new_conversations(listing.status) {
            return Err(StartError::Closed(listing.status));
        }
        let now = now.trunc_subsecs(3);
        Ok(Self {
            id,
            listing_id: listing.id.clone(),
            buyer_id: buyer_id.to_owned(),
            seller_id,
            created_at: now,
            last_seq: 0,
            last_message_at: now,
            last_sender_id: None,
            last_preview: None,
            buyer_read_seq: 0,
            seller_read_seq: 0,
        })
    }

    /// The side `user_id` is on, `None` for anyone else (admins included).
    pub fn party(&self, user_id: &str) -> Option<ConversationParty> {
        if self.buyer_id == user_id {
            Some(ConversationParty::Buyer)
        } else if self.seller_id == user_id {
            Some(ConversationParty::Seller)
        } else {
            None
        }
    }

    /// The other party's user id (`user_id` must be a party).
    pub fn counterpart(&self, user_id: &str) -> &str {
        if self.buyer_id == user_id {
            &self.seller_id
        } else {
            &self.buyer_id
        }
    }

    /// `user_id`'s read position (0 for non-parties).
    pub fn read_seq(&self, user_id: &str) -> i64 {
        match self.party(user_id) {
            Some(ConversationParty::Buyer) => self.buyer_read_seq,
            Some(ConversationParty::Seller) => self.seller_read_seq,
            None => 0,
        }
    }
}

/// Whether a listing in `status` takes new conversations.
pub fn accepts_new_conversations(status: ListingStatus) -> bool {
    matches!(status, ListingStatus::Active | ListingStatus::UnderContract)
}

/// Why a conversation cannot be started.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StartError {
    /// The listing has no seller account (demo and imported listings).
    #[error("the listing has no seller to message")]
    NoSeller,
    /// The caller is the listing's seller.
    #[error("sellers cannot start conversations on their own listings")]
    OwnListing,
    /// The listing no longer sells.
    #[error("the listing is {0} and takes no new conversations")]
    Closed(ListingStatus),
}

/// One message of a conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Unique id (UUID v7).
    pub id: String,
    /// Its conversation.
    pub conversation_id: String,
    /// Position in the conversation, from 1, without gaps.
    pub seq: i64,
    /// Who wrote it (one of the two parties).
    pub sender_id: String,
    /// The text (trimmed, 1-[`MAX_BODY_CHARS`] characters).
    pub body: String,
    /// When it was sent (millisecond precision).
    pub sent_at: DateTime<Utc>,
}

/// A message about to be stored: the store gives it its `seq`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMessage {
    /// Unique id (UUID v7).
    pub id: String,
    /// Its conversation.
    pub conversation_id: String,
    /// Who writes it.
    pub sender_id: String,
    /// The validated text.
    pub body: String,
    /// When it was sent (millisecond precision).
    pub sent_at: DateTime<Utc>,
}

impl NewMessage {
    /// The message with its position.
    pub fn with_seq(self, seq: i64) -> Message {
        Message {
            id: self.id,
            conversation_id: self.conversation_id,
            seq,
            sender_id: self.sender_id,
            body: self.body,
            sent_at: self.sent_at,
        }
    }
}

/// Validates a message body: trimmed, 1-[`MAX_BODY_CHARS`] characters, no control characters
/// other than line breaks and tabs.
pub fn message_body(raw: &str) -> Result<String, ValidationError> {
    let t = raw.trim();
    let n = t.chars().count();
    if n == 0 || n > MAX_BODY_CHARS {
        return Err(ValidationError::new(
            "body",
            format!("must be 1-{MAX_BODY_CHARS} characters after trimming"),
        ));
    }
    if t.chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(ValidationError::new(
            "body",
            "must not contain control characters",
        ));
    }
    Ok(t.to_owned())
}

/// The inbox preview of a body: its first [`PREVIEW_CHARS`] characters, line breaks as spaces.
pub fn preview(body: &str) -> String {
    body.chars()
        .take(PREVIEW_CHARS)
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .collect()
}

#[cfg(test)]
#[path = "conversation_tests.rs"]
mod tests;
