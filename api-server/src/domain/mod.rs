//! Marketplace types and rules. No I/O.

#[macro_use]
mod wire;
pub mod activity;
pub mod auction;
pub mod audit;
pub mod conversation;
pub mod cursor;
pub mod dataroom;
pub mod geo;
mod input;
pub mod kinds;
pub mod listing;
pub mod market;
pub mod offer;
pub mod saved_search;
pub mod search;
pub mod sort;
pub mod terms;
pub mod transition;
pub mod upload;
pub mod user;
pub mod values;

pub use auction::{AuctionOutcome, Bid, BidRejection, BidRequest};
pub use audit::{AuditEvent, AuditKind, AuditPage, AuditQuery, audit_cursor};
pub use conversation::{Conversation, ConversationParty, Message, NewMessage, StartError};
pub use cursor::{Cursor, CursorError};
pub use dataroom::{Document, DocumentVisibility, NdaRequest, NdaStatus, may_download};
pub use geo::{BBox, Near};
pub use kinds::{ListingStatus, ListingType, SaleType, UnknownVariant};
pub use listing::{Listing, ListingMeta, NewListing, new_listing_id, validate_id};
pub use offer::{Offer, OfferAction, OfferError, OfferParty, OfferStatus};
pub use saved_search::{MatchesCursor, SavedSearch, WatchEntry};
pub use search::{ListingFilter, Page, SearchQuery, TextQuery, Visibility};
pub use sort::{KeyPart, ListingCursor, ListingSort};
pub use terms::{ApiNumber, EquipmentCondition, EquipmentDetails, SaleTerms};
pub use transition::{TransitionError, check_transition};
pub use upload::{DocumentKind, SniffError, SniffLimits};
pub use user::{Email, Role, Session, SessionState, User, check_password_policy, new_id};
pub use values::{GeoPoint, Percent, Production, StateCode, ValidationError};
