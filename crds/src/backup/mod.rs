//! The `Backup` kind: scheduled (or one-shot), age-encrypted backups of a Marketplace's store,
//! checked, pruned by policy and recorded in status.

mod destination;
mod status;

use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kube::{CustomResource, KubeSchema};
use serde::{Deserialize, Serialize};

pub use destination::{
    Destination, LocalObjectRef, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY, S3Destination,
    VolumeDestination,
};
pub use status::{Artifact, BackupStatus, MAX_ARTIFACTS};

use crate::marketplace::SecretKeyRef;
use crate::rollout::MarketplaceRef;

/// One-shot annotation asking for a backup now, outside the schedule (`kubectl ogf backup now`,
/// the Argo CD `run-now` action): an RFC 3339 UTC time. The Backup controller starts one Job
/// for each new value, schedule or not, and records the value acted on in status (as Rollouts
/// do with `status.lastRetry`), so a value is acted on once (docs/argocd.md).
pub const RUN_NOW_ANNOTATION: &str = "ogf.dev/run-now";

/// Desired state of a Backup: what to back up, when, where, encrypted to whom, kept how long.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[allow(clippy::duplicated_attributes)]
#[kube(
    group = "ogf.dev",
    version = "v1alpha1",
    kind = "Backup",
    namespaced,
    shortname = "bkp",
    category = "ogf",
    status = "BackupStatus",
    derive = "PartialEq",
    doc = "Scheduled or one-shot encrypted backups of a Marketplace, run by the ogf-operator.",
    printcolumn(
        name = "Marketplace",
        type_ = "string",
        json_path = ".spec.marketplaceRef.name"
    ),
    printcolumn(name = "Schedule", type_ = "string", json_path = ".spec.schedule"),
    printcolumn(
        name = "Ready",
        type_ = "string",
        json_path = ".status.conditions[?(@.type==\"Ready\")].status"
    ),
    printcolumn(
        name = "Last Success",
        type_ = "date",
        json_path = ".status.lastSuccessfulTime"
    ),
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp"
    )
)]
#[serde(rename_all = "camelCase")]
pub struct BackupSpec {
    /// The Marketplace (same namespace) whose store is backed up.
    pub marketplace_ref: MarketplaceRef,

    /// Cron schedule in UTC (`0 2 * * *`, or `@daily`); absent: one backup now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 128))]
    pub schedule: Option<String>,

    /// Stop starting scheduled backups (a running one finishes).
    #[serde(default)]
    pub suspend: bool,

    /// Where artifacts are written.
    pub destination: Destination,

    /// Who can decrypt the artifacts.
    pub encryption: Encryption,

    /// zstd settings.
    #[serde(default)]
    pub compression: Compression,

    /// Which artifacts to keep; all of them when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention: Option<Retention>,

    /// Test-restore artifacts: `never`, `always`, or every N-th successful backup (an integer).
    #[serde(default = "default_verify")]
    #[x_kube(validation = Rule::new("string(self) in ['never', 'always'] || string(self).matches('^[1-9][0-9]{0,5}$')")
        .message("verify must be 'never', 'always' or a positive integer"))]
    pub verify: IntOrString,

    /// age identity (private key) used by verification Jobs only; required when `verify` is not `never`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verify_identity_secret_ref: Option<SecretKeyRef>,

    /// Seconds a backup Job may run before it is stopped and counted as failed.
    #[serde(default = "default_deadline")]
    #[schemars(range(min = 30))]
    pub active_deadline_seconds: i64,

    /// Retries of a failed backup pod before the backup counts as failed.
    #[serde(default = "default_backoff_limit")]
    #[schemars(range(min = 0, max = 10))]
    pub backoff_limit: i32,
}

/// Encryption recipients: age X25519 public keys (`age1...`). The backup Job never holds a key
/// that can decrypt; list an escrow key beside the everyday one, and add the new key before
/// removing the old one to rotate.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("(has(self.recipients) && size(self.recipients) > 0) || has(self.recipientsSecretRef)")
    .message("encryption needs at least one recipient or a recipientsSecretRef"))]
pub struct Encryption {
    /// age public keys.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 16))]
    #[x_kube(validation = Rule::new("self.all(r, r.startsWith('age1') && size(r) <= 128)")
        .message("recipients must be age X25519 public keys (age1...)"))]
    pub recipients: Vec<String>,
    /// Secret key holding more recipients, one per line (`#` comments allowed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipients_secret_ref: Option<SecretKeyRef>,
}

/// zstd compression settings.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Compression {
    /// zstd level: 1 (fastest, the default) to 19 (smallest).
    #[serde(default = "default_level")]
    #[schemars(range(min = 1, max = 19))]
    pub level: i32,
}

impl Default for Compression {
    fn default() -> Self {
        Self {
            level: default_level(),
        }
    }
}

/// Which artifacts to keep: the union of the `keep*` rules, minus those older than `maxAge`.
/// The newest successful artifact is never deleted.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct Retention {
    /// Keep the N newest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub keep_last: Option<i32>,
    /// Keep the newest of each of the last N days (UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub keep_daily: Option<i32>,
    /// Keep the newest of each of the last N ISO weeks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub keep_weekly: Option<i32>,
    /// Delete artifacts older than this: a number and a unit, `90m`, `12h`, `30d`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[x_kube(validation = Rule::new("self.matches('^[1-9][0-9]{0,5}[mhd]$')")
        .message("maxAge must be a number followed by m, h or d, e.g. 30d"))]
    pub max_age: Option<String>,
}

/// How often artifacts are test-restored, decoded from [`BackupSpec::verify`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VerifyPolicy {
    /// Never.
    Never,
    /// After every successful backup.
    Always,
    /// After every N-th successful backup.
    Every(u32),
}

impl BackupSpec {
    /// The verification policy; `None` when `verify` holds something admission should have refused.
    pub fn verify_policy(&self) -> Option<VerifyPolicy> {
        match &self.verify {
            IntOrString::Int(n) => u32::try_from(*n)
                .ok()
                .filter(|n| *n >= 1)
                .map(VerifyPolicy::Every),
            IntOrString::String(s) => match s.as_str() {
                "never" => Some(VerifyPolicy::Never),
                "always" => Some(VerifyPolicy::Always),
                other => other
                    .parse::<u32>()
                    .ok()
                    .filter(|n| *n >= 1)
                    .map(VerifyPolicy::Every),
            },
        }
    }
}

fn default_verify() -> IntOrString {
    IntOrString::String("never".into())
}

fn default_deadline() -> i64 {
    3600
}

fn default_backoff_limit() -> i32 {
    1
}

/// Level 1: about 5 % less CPU per archive byte than level 3, for artifacts about 4 % larger
/// (docs/benchmarks.md, "Backup engine").
fn default_level() -> i32 {
    1
}

#[cfg(test)]
mod tests;
