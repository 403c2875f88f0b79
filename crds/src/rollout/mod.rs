//! The `Rollout` kind: moves a Marketplace to a new image blue-green, with checks, promotion,
//! abort and automatic rollback.

mod checks;
mod overrides;
mod status;
mod steps;

use k8s_openapi::api::core::v1::ResourceRequirements;
use kube::{CustomResource, KubeSchema};
use serde::{Deserialize, Serialize};

pub use checks::{Check, CheckTiming, HttpCheck, PrometheusCheck};
pub use overrides::{
    ApiConfigOverride, CacheTtlsOverride, QUANTITIES_RULE, RESOURCES_RULE, RateLimitsOverride,
};
pub use status::{CheckResult, CheckStage, MAX_STEPS, Phase, RolloutStatus, Step};
pub use steps::{BackupTemplateRef, EnvValue, Migration, PreRolloutBackup};

/// One-shot annotation that restarts an `Aborted`, `RolledBack` or `Failed` Rollout: any new value.
pub const RETRY_ANNOTATION: &str = "ogf.dev/retry";

/// Desired state of a Rollout: which Marketplace moves to which image, and how.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
// Clippy reads the repeated `type_ = "string"` of the printer columns as duplicated attributes.
#[allow(clippy::duplicated_attributes)]
#[kube(
    group = "ogf.dev",
    version = "v1alpha1",
    kind = "Rollout",
    namespaced,
    shortname = "ro",
    category = "ogf",
    status = "RolloutStatus",
    derive = "PartialEq",
    doc = "A blue-green move of a Marketplace to a new image, run by the ogf-operator.",
    printcolumn(name = "Phase", type_ = "string", json_path = ".status.phase"),
    printcolumn(name = "Active", type_ = "string", json_path = ".status.activeColor"),
    printcolumn(name = "Preview", type_ = "string", json_path = ".status.previewColor"),
    printcolumn(name = "Image", type_ = "string", json_path = ".spec.image"),
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp"
    )
)]
#[serde(rename_all = "camelCase")]
pub struct RolloutSpec {
    /// The Marketplace (same namespace) to roll out.
    pub marketplace_ref: MarketplaceRef,

    /// Container image to move the Marketplace to.
    #[schemars(length(min = 1, max = 512))]
    pub image: String,

    /// API settings the new color runs with: each field given replaces the Marketplace's
    /// `spec.config` field of the same name. The old color keeps its own settings; on success
    /// they become the Marketplace's `spec.config`, an abort or rollback discards them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<ApiConfigOverride>,

    /// CPU and memory of the new color's API container, replacing the Marketplace's
    /// `spec.resources` as a whole; on success they become `spec.resources`, an abort or
    /// rollback discards them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[x_kube(
        validation = Rule::new(QUANTITIES_RULE)
            .message("resources: cpu and memory must be quantities such as 250m or 1Gi"),
        validation = Rule::new(RESOURCES_RULE)
            .message("resources: a cpu or memory limit must not be below its request")
    )]
    pub resources: Option<ResourceRequirements>,

    /// How to move: blue-green is the only strategy.
    #[serde(default)]
    pub strategy: Strategy,

    /// Seconds the preview may take to become Available and pass its pre-promotion checks
    /// before the Rollout rolls back by itself.
    #[serde(default = "default_progress_deadline")]
    #[schemars(range(min = 1))]
    pub progress_deadline_seconds: i64,

    /// Take a one-shot Backup from a template before anything changes (phase `BackingUp`);
    /// a failed backup fails the Rollout with nothing changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pre_rollout_backup: Option<PreRolloutBackup>,

    /// Run a migration Job with the new image before the preview is deployed (phase
    /// `Migrating`); a failed migration fails the Rollout with traffic untouched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub migration: Option<Migration>,

    /// Set to true to switch traffic to the preview while `AwaitingPromotion`.
    #[serde(default)]
    pub promote: bool,

    /// Set to true to stop the Rollout: the active color keeps (or gets back) the traffic.
    #[serde(default)]
    pub abort: bool,
}

/// A reference to a Marketplace in the Rollout's namespace.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
pub struct MarketplaceRef {
    /// The Marketplace's name.
    #[schemars(length(min = 1, max = 253))]
    pub name: String,
}

/// The rollout strategy.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct Strategy {
    /// Blue-green: the new image runs beside the old one until traffic switches in one write.
    #[serde(default)]
    pub blue_green: BlueGreen,
}

/// Settings of the blue-green strategy.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct BlueGreen {
    /// Promote by itself once the preview passed its checks (after `autoPromoteAfterSeconds`).
    #[serde(default = "default_true")]
    pub auto_promote: bool,
    /// Seconds to wait in `AwaitingPromotion` before promoting by itself.
    #[serde(default)]
    #[schemars(range(min = 0))]
    pub auto_promote_after_seconds: i64,
    /// Pods of the preview; default: the active color's current count (what the HPA decided when autoscaled).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub preview_replicas: Option<i32>,
    /// Seconds the old color stays scaled up after the switch (selector changes take time to reach every node).
    #[serde(default = "default_delay")]
    #[schemars(range(min = 0))]
    pub scale_down_delay_seconds: i64,
    /// Seconds the preview stays up after an abort or rollback.
    #[serde(default = "default_delay")]
    #[schemars(range(min = 0))]
    pub abort_scale_down_delay_seconds: i64,
    /// Checks the preview must pass before promotion.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 8))]
    pub pre_promotion_checks: Vec<Check>,
    /// Checks the new active color must pass after the switch; a failure switches traffic back.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 8))]
    pub post_promotion_checks: Vec<Check>,
}

impl Default for BlueGreen {
    fn default() -> Self {
        Self {
            auto_promote: true,
            auto_promote_after_seconds: 0,
            preview_replicas: None,
            scale_down_delay_seconds: default_delay(),
            abort_scale_down_delay_seconds: default_delay(),
            pre_promotion_checks: Vec::new(),
            post_promotion_checks: Vec::new(),
        }
    }
}

impl RolloutSpec {
    /// Whether the Rollout changes the configuration besides the image.
    pub fn overrides_config(&self) -> bool {
        self.config.is_some() || self.resources.is_some()
    }
}

fn default_true() -> bool {
    true
}

fn default_delay() -> i64 {
    30
}

fn default_progress_deadline() -> i64 {
    600
}

#[cfg(test)]
mod tests;
