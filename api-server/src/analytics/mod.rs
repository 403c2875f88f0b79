//! Listing analytics: the activity recorder that feeds the event log from the request
//! handlers without slowing them down, and the pure computations behind the seller
//! dashboard and the admin overview.

pub mod dashboard;
pub mod overview;
pub mod range;
pub mod recorder;

pub use range::{DateRange, RangeError};
pub use recorder::ActivityRecorder;
