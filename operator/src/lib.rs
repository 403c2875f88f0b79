//! The Oil & Gas Finder operator: pure builders from a `Marketplace` to the objects it owns,
//! status computation, the reconcilers, leader election, and the `render` command's logic.

pub mod apply;
pub mod build;
pub mod client;
pub mod controller;
pub mod error;
pub mod http;
pub mod leader;
pub mod metrics;
pub mod render;
pub mod status;
pub mod targets;

/// Field manager of every server-side apply the operator makes.
pub const FIELD_MANAGER: &str = "ogf-operator";
