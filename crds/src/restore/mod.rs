//! The `Restore` kind: loads a backup artifact into a Marketplace's store, in place or into a
//! new Marketplace, with the API held in maintenance until the data is back.

mod status;

use kube::{CustomResource, KubeSchema};
use serde::{Deserialize, Serialize};

pub use status::{RestorePhase, RestoreStatus};

use crate::backup::{Destination, LocalObjectRef};
use crate::marketplace::SecretKeyRef;
use crate::rollout::MarketplaceRef;

/// Desired state of a Restore: which artifact goes into which Marketplace's store.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[allow(clippy::duplicated_attributes)]
#[kube(
    group = "ogf.dev",
    version = "v1alpha1",
    kind = "Restore",
    namespaced,
    shortname = "rst",
    category = "ogf",
    status = "RestoreStatus",
    derive = "PartialEq",
    doc = "Restores a backup artifact into a Marketplace's store, run by the ogf-operator.",
    printcolumn(name = "Phase", type_ = "string", json_path = ".status.phase"),
    printcolumn(
        name = "Marketplace",
        type_ = "string",
        json_path = ".status.marketplace"
    ),
    printcolumn(name = "Artifact", type_ = "string", json_path = ".status.artifactId"),
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp"
    )
)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("has(self.marketplaceRef) != has(self.target)")
    .message("exactly one of marketplaceRef (in place) or target (new Marketplace) must be set"))]
#[x_kube(validation = Rule::new("self == oldSelf")
    .message("a Restore's spec cannot change; create a new Restore"))]
pub struct RestoreSpec {
    /// Restore in place into this running Marketplace (same namespace).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marketplace_ref: Option<MarketplaceRef>,

    /// Bootstrap this Marketplace from the backup: it may be created after the Restore, and it
    /// does not start serving (nor seed any data) until the restore has finished.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<RestoreTarget>,

    /// Which artifact to restore.
    pub source: RestoreSource,

    /// Secret key holding the age identity (`AGE-SECRET-KEY-1...`) that decrypts the artifact.
    pub decryption_key_secret_ref: SecretKeyRef,

    /// Seconds the restore Job may run before the Restore fails.
    #[serde(default = "default_deadline")]
    #[schemars(range(min = 30))]
    pub active_deadline_seconds: i64,
}

/// The Marketplace a Restore bootstraps.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct RestoreTarget {
    /// The new Marketplace's name (same namespace).
    #[schemars(length(min = 1, max = 253))]
    pub name: String,
}

/// Where the artifact comes from: a Backup of this namespace, or an explicit location (for a
/// new cluster, where the Backup's history does not exist).
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("has(self.backupRef) != has(self.location)")
    .message("exactly one of source.backupRef or source.location must be set"))]
pub struct RestoreSource {
    /// A Backup of this namespace: its destination is used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup_ref: Option<LocalObjectRef>,
    /// An explicit destination holding the artifact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Destination>,
    /// The artifact id; the newest successful one when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 63))]
    #[x_kube(validation = Rule::new("self.matches('^[a-z0-9][a-zA-Z0-9-]*$')")
        .message("artifactId must be an artifact id such as 20261123T020000Z-1a2b3c"))]
    pub artifact_id: Option<String>,
}

impl RestoreSpec {
    /// The Marketplace whose store is restored.
    pub fn marketplace_name(&self) -> Option<&str> {
        self.marketplace_ref
            .as_ref()
            .map(|r| r.name.as_str())
            .or_else(|| self.target.as_ref().map(|t| t.name.as_str()))
    }
}

fn default_deadline() -> i64 {
    3600
}

#[cfg(test)]
mod tests;
