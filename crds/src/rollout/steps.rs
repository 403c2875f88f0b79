//! The optional steps before the preview is deployed: a pre-rollout backup and a database
//! migration Job.

use kube::KubeSchema;
use serde::{Deserialize, Serialize};

/// A one-shot Backup taken before anything changes (phase `BackingUp`).
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PreRolloutBackup {
    /// An existing `Backup` in the Rollout's namespace whose spec (without `schedule`) is
    /// copied into the one-shot Backup `<rollout>-pre`, owned by the Rollout.
    pub backup_template_ref: BackupTemplateRef,
}

/// A reference to a Backup in the Rollout's namespace.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
pub struct BackupTemplateRef {
    /// The Backup's name.
    #[schemars(length(min = 1, max = 253))]
    pub name: String,
}

/// A database migration run as a Job with the NEW image before the preview is deployed
/// (phase `Migrating`), waited for to completion. The Job gets the Marketplace's store
/// connection like the API (`OGF_STORE`, `OGF_DATA_DIR` or `OGF_MONGODB_DATABASE`, and the
/// MongoDB URI as the file named by `OGF_MONGODB_URI_FILE`); migrations must be backward
/// compatible (expand/contract) because the old color keeps serving meanwhile.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Migration {
    /// Replaces the image's entrypoint (`ogf-api`); absent: the entrypoint runs with `args`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 32))]
    pub command: Vec<String>,
    /// Arguments, e.g. `["migrate", "--to", "latest"]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 64))]
    pub args: Vec<String>,
    /// Seconds the Job may run before it is stopped and the Rollout fails.
    #[serde(default = "default_deadline")]
    #[schemars(range(min = 1, max = 86400))]
    pub deadline_seconds: i64,
    /// Pod retries before the migration counts as failed.
    #[serde(default)]
    #[schemars(range(min = 0, max = 10))]
    pub backoff_limit: i32,
    /// Plain environment values. No secrets here: values are visible in the Job spec; the
    /// store connection is provided by the operator (secrets as files).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 32))]
    pub env: Vec<EnvValue>,
}

/// One plain environment variable of the migration Job.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[x_kube(validation = Rule::new("!self.name.startsWith('OGF_MONGODB_URI') && !self.name.startsWith('OGF_JWT')")
    .message("secrets do not belong in env values: the store connection is mounted as files"))]
pub struct EnvValue {
    /// Variable name.
    #[schemars(
        length(min = 1, max = 128),
        regex(pattern = r"^[A-Za-z_][A-Za-z0-9_]*$")
    )]
    pub name: String,
    /// Its value.
    #[serde(default)]
    #[schemars(length(max = 4096))]
    pub value: String,
}

fn default_deadline() -> i64 {
    600
}
