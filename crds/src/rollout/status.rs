//! Observed state of a Rollout: its phase, colors, images, history and check results.

use std::fmt;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, Time};
use kube::KubeSchema;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::condition::Condition;
use crate::marketplace::Color;

/// Where a Rollout is. Terminal phases: `Succeeded`, `Aborted`, `RolledBack`, `Failed`.
#[derive(JsonSchema, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Phase {
    /// Waiting to start (another Rollout of the same Marketplace may be in progress).
    #[default]
    Pending,
    /// The pre-rollout Backup runs; nothing has changed yet.
    BackingUp,
    /// The migration Job runs with the new image; traffic is untouched.
    Migrating,
    /// The preview color is being brought up with the new image.
    Deploying,
    /// Pre-promotion checks run against the Available preview.
    Verifying,
    /// Waiting for `spec.promote` or the auto-promotion delay.
    AwaitingPromotion,
    /// Switching the active Service to the new color.
    Promoting,
    /// Post-promotion checks run; the old color stays up for an instant switch back.
    PostVerifying,
    /// The new image serves traffic; the old color is scaled to zero.
    Succeeded,
    /// Stopped by `spec.abort`; the old color serves traffic.
    Aborted,
    /// A check or the progress deadline failed; the old color serves traffic.
    RolledBack,
    /// The Rollout cannot run (its Marketplace does not exist, its migration or pre-rollout
    /// backup failed); `status.reason` says why. Traffic was never switched.
    Failed,
}

impl Phase {
    /// Whether the Rollout has finished (it may still be scaling the unused color down).
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            Self::Succeeded | Self::Aborted | Self::RolledBack | Self::Failed
        )
    }

    /// The phase as written in status.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "Pending",
            Self::BackingUp => "BackingUp",
            Self::Migrating => "Migrating",
            Self::Deploying => "Deploying",
            Self::Verifying => "Verifying",
            Self::AwaitingPromotion => "AwaitingPromotion",
            Self::Promoting => "Promoting",
            Self::PostVerifying => "PostVerifying",
            Self::Succeeded => "Succeeded",
            Self::Aborted => "Aborted",
            Self::RolledBack => "RolledBack",
            Self::Failed => "Failed",
        }
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which group of checks a result belongs to.
#[derive(JsonSchema, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CheckStage {
    /// Before promotion, against the preview.
    Pre,
    /// After the switch, against the new active color.
    Post,
}

/// One entry of the phase history.
#[derive(JsonSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Step {
    /// The phase entered.
    pub phase: Phase,
    /// When it was entered.
    pub at: Time,
    /// Why.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
}

/// The running result of one check.
#[derive(JsonSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct CheckResult {
    /// The check's name.
    pub name: String,
    /// Pre- or post-promotion.
    pub stage: CheckStage,
    /// Consecutive successes.
    pub successes: i32,
    /// Failures so far.
    pub failures: i32,
    /// When the last probe ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_probe_at: Option<Time>,
    /// The last value seen (status code or query result).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_value: Option<String>,
    /// The last error, if the last probe failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

/// Observed state of a Rollout, written by the operator through the status subresource.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct RolloutStatus {
    /// Where the Rollout is.
    #[serde(default)]
    pub phase: Phase,
    /// When the current phase was entered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase_started_at: Option<Time>,
    /// The color serving traffic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_color: Option<Color>,
    /// The other color.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preview_color: Option<Color>,
    /// The color that runs (or ran) `targetImage`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_color: Option<Color>,
    /// The image the Marketplace ran when the Rollout started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stable_image: Option<String>,
    /// The image rolled out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_image: Option<String>,
    /// Pods the new color runs with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preview_replicas: Option<i32>,
    /// Whether the Marketplace runs on the embedded store (stop-then-start, no overlap).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub stop_then_start: bool,
    /// When the progress deadline passes (set on entering `Deploying`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline_at: Option<Time>,
    /// When the preview was Available with its checks passed (microsecond precision).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified_at: Option<MicroTime>,
    /// When the Marketplace was pointed at the new color, which moves the active Service
    /// (microsecond precision).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub switched_at: Option<MicroTime>,
    /// The one-shot pre-rollout Backup of this attempt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup_name: Option<String>,
    /// The migration Job of this attempt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub migration_job: Option<String>,
    /// Since when the Rollout waits for its paused Marketplace (the progress deadline is
    /// extended by the pause when it resumes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paused_at: Option<Time>,
    /// Why the Rollout ended `Failed` or `RolledBack`, in CamelCase (the `Degraded` reason).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Whether the unused color has been scaled to zero after a terminal phase.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub scaled_down: bool,
    /// The last `ogf.dev/retry` annotation value acted on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_retry: Option<String>,
    /// Phase history, oldest first, at most 30 entries.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<Step>,
    /// Check results of the current attempt.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<CheckResult>,
    /// What is happening, for humans.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// `Ready`, `Progressing`, `Degraded`, and `Waiting` while another Rollout goes first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[x_kube(merge_strategy = ListMerge::Map(vec!["type".into()]))]
    pub conditions: Vec<Condition>,
    /// The `metadata.generation` this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
}

/// Longest phase history kept in status.
pub const MAX_STEPS: usize = 30;
