//! Custom resource types of the Oil & Gas Finder operator: API group `ogf.dev`, version `v1alpha1`.
//!
//! One module per kind ([`marketplace`], [`rollout`], [`backup`], [`restore`]), shared status vocabulary in [`condition`], and
//! [`generate`] for the CRD manifests written by the `crdgen` binary.

pub mod backup;
pub mod condition;
pub mod generate;
pub mod marketplace;
pub mod restore;
pub mod rollout;

pub use backup::{Backup, BackupSpec, BackupStatus};
pub use condition::{Condition, ConditionStatus, ConditionType};
pub use marketplace::{Color, Marketplace, MarketplaceSpec, MarketplaceStatus};
pub use restore::{Restore, RestorePhase, RestoreSpec, RestoreStatus};
pub use rollout::{Phase, Rollout, RolloutSpec, RolloutStatus};

/// The API group of every kind in this crate.
pub const GROUP: &str = "ogf.dev";
/// The served and stored version of every kind in this crate.
pub const VERSION: &str = "v1alpha1";
/// The `kubectl get <category>` category every kind belongs to.
pub const CATEGORY: &str = "ogf";
