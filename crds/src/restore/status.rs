//! Observed state of a Restore: its phase, times, restored counts and verification.

use std::collections::BTreeMap;
use std::fmt;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::KubeSchema;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::condition::Condition;

/// Where a Restore is. Terminal phases: `Succeeded`, `Failed`.
#[derive(JsonSchema, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum RestorePhase {
    /// Waiting: for the Marketplace, for a running backup to finish, or for the API to stop.
    #[default]
    Pending,
    /// The restore Job downloads, decrypts and loads the artifact into staging, then swaps it in.
    Running,
    /// The Job's reported counts and checksums are compared with the artifact's record.
    Verifying,
    /// The restored data is in place; the API is started on it and waited for.
    Swapping,
    /// The Marketplace serves the restored data.
    Succeeded,
    /// The restore did not happen; live data is untouched. The message says why.
    Failed,
}

impl RestorePhase {
    /// Whether the Restore has finished.
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed)
    }

    /// The phase as written in status.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "Pending",
            Self::Running => "Running",
            Self::Verifying => "Verifying",
            Self::Swapping => "Swapping",
            Self::Succeeded => "Succeeded",
            Self::Failed => "Failed",
        }
    }
}

impl fmt::Display for RestorePhase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Observed state of a Restore, written by the operator through the status subresource.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct RestoreStatus {
    /// Where the Restore is.
    #[serde(default)]
    pub phase: RestorePhase,
    /// The Marketplace being restored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marketplace: Option<String>,
    /// The artifact restored (resolved from `latest` when no id was given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_id: Option<String>,
    /// Where the artifact was read from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// The restore Job.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_name: Option<String>,
    /// When the restore started (the API was put into maintenance).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<Time>,
    /// When the Restore reached a terminal phase.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completion_time: Option<Time>,
    /// Documents (rows) restored per collection (table).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub restored_counts: BTreeMap<String, i64>,
    /// Whether the artifact's checksum and every collection's hash were verified.
    #[serde(default)]
    pub checksum_verified: bool,
    /// What is happening, for humans.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// `Ready`, `Progressing`, `Degraded`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[x_kube(merge_strategy = ListMerge::Map(vec!["type".into()]))]
    pub conditions: Vec<Condition>,
    /// The `metadata.generation` this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
}
