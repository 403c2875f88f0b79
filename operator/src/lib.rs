//! The Oil & Gas Finder operator: pure builders from a `Marketplace` to the objects it owns,
//! status computation, and the `render` command's logic.

pub mod build;
pub mod error;
pub mod render;
pub mod status;

/// Field manager of every server-side apply the operator makes.
pub const FIELD_MANAGER: &str = "ogf-operator";
