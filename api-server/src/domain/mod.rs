//! Marketplace types and rules. No I/O.

pub mod cursor;
pub mod kinds;
pub mod listing;
pub mod search;
pub mod values;

pub use cursor::{Cursor, CursorError};
pub use kinds::{ListingStatus, ListingType, SaleType, UnknownVariant};
pub use listing::{Listing, NewListing, new_listing_id, validate_id};
pub use search::{ListingFilter, Page, SearchQuery, TextQuery};
pub use values::{GeoPoint, Percent, Production, StateCode, ValidationError};
