//! Marketplace types and rules. No I/O.

#[macro_use]
mod wire;
pub mod audit;
pub mod cursor;
pub mod kinds;
pub mod listing;
pub mod search;
pub mod user;
pub mod values;

pub use audit::{AuditEvent, AuditKind, AuditPage, AuditQuery, audit_cursor};
pub use cursor::{Cursor, CursorError};
pub use kinds::{ListingStatus, ListingType, SaleType, UnknownVariant};
pub use listing::{Listing, NewListing, new_listing_id, validate_id};
pub use search::{ListingFilter, Page, SearchQuery, TextQuery};
pub use user::{Email, Role, Session, SessionState, User, check_password_policy, new_id};
pub use values::{GeoPoint, Percent, Production, StateCode, ValidationError};
