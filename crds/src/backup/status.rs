//! Observed state of a Backup: schedule times, outcome conditions and the artifact history.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::KubeSchema;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::condition::Condition;

/// Longest artifact history kept in status (newest first).
pub const MAX_ARTIFACTS: usize = 20;

/// One backup artifact, as reported by the backup Job.
#[derive(JsonSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Artifact {
    /// Artifact id (the Job name).
    pub id: String,
    /// When the backup finished.
    pub time: Time,
    /// Where the encrypted artifact is, e.g. `s3://bucket/prefix/<id>.ogfbak`.
    pub location: String,
    /// Size of the encrypted artifact.
    pub size_bytes: i64,
    /// sha256 of the encrypted artifact, hex.
    pub sha256: String,
    /// Documents (rows) per collection (table).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub counts: BTreeMap<String, i64>,
    /// How long the backup took.
    pub duration_seconds: f64,
    /// Whether a test restore of this artifact succeeded (absent: not verified yet).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified: Option<bool>,
}

/// Observed state of a Backup, written by the operator through the status subresource.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct BackupStatus {
    /// When the last backup Job was started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_schedule_time: Option<Time>,
    /// When the next scheduled backup starts (absent: not scheduled, or suspended).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_schedule_time: Option<Time>,
    /// When the last backup succeeded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_successful_time: Option<Time>,
    /// When the last backup failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_failure_time: Option<Time>,
    /// The Job running now (backup or verification), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_job: Option<String>,
    /// The last `ogf.dev/run-now` annotation value acted on (each new value starts one backup).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_run_now: Option<String>,
    /// Successful backups so far (drives `verify: N`).
    #[serde(default)]
    pub successful_backups: i64,
    /// Artifacts, newest first, at most 20.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub artifacts: Vec<Artifact>,
    /// What is happening, for humans.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// `Ready`, `Progressing`, `Degraded` and `LastBackupSucceeded`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[x_kube(merge_strategy = ListMerge::Map(vec!["type".into()]))]
    pub conditions: Vec<Condition>,
    /// The `metadata.generation` this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
}
