//! What a Backup's Job did, read from the Job's conditions and its pods' termination messages
//! (the engine's one-line JSON result). Pure: the reconciler passes in what it listed.

use std::collections::BTreeMap;

use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::jiff::Timestamp;
use serde::Deserialize;

use crate::build::backup_job::{ARTIFACT_LABEL, SCHEDULED_AT};
use crate::build::job::{CONTAINER_NAME, JobComponent};
use crate::build::labels;

/// Annotation set on a Job once its outcome is in the Backup's status.
pub const RECORDED: &str = "ogf.dev/recorded";

/// The engine's result line (`/tmp/ogf-backup-contract.md`); unknown fields are ignored.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct EngineResult {
    /// Whether the command succeeded.
    pub ok: bool,
    /// `backup`, `verify`, `prune`, `restore`.
    #[serde(default)]
    pub command: String,
    /// Artifact id.
    #[serde(default)]
    pub id: Option<String>,
    /// Where the artifact is.
    #[serde(default)]
    pub location: Option<String>,
    /// Size of the encrypted artifact.
    #[serde(default)]
    pub size_bytes: Option<i64>,
    /// sha256 of the encrypted artifact.
    #[serde(default)]
    pub sha256: Option<String>,
    /// Documents per collection.
    #[serde(default)]
    pub counts: BTreeMap<String, i64>,
    /// How long the command took.
    #[serde(default)]
    pub duration_seconds: Option<f64>,
    /// Whether the artifact was test-restored.
    #[serde(default)]
    pub verified: Option<bool>,
    /// When the command finished (RFC 3339).
    #[serde(default)]
    pub finished_at: Option<String>,
    /// Prune: artifacts kept.
    #[serde(default)]
    pub kept: Vec<String>,
    /// Prune: artifacts deleted.
    #[serde(default)]
    pub deleted: Vec<String>,
    /// Failure reason (`DestinationError`, `StoreError`, ...).
    #[serde(default)]
    pub reason: Option<String>,
    /// Failure message.
    #[serde(default)]
    pub message: Option<String>,
}

/// How a finished Job ended.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// The command succeeded and reported this.
    Succeeded(Box<EngineResult>),
    /// It failed: a CamelCase reason and a message for humans.
    Failed {
        /// `DestinationError`, `DeadlineExceeded`, `BackoffLimitExceeded`, `JobDeleted`, ...
        reason: String,
        /// What happened.
        message: String,
    },
}

/// A Job of a Backup, as the decision needs it.
#[derive(Clone, Debug, PartialEq)]
pub struct JobView {
    /// Job name (for a backup, also the artifact id).
    pub name: String,
    /// Backup, verify or prune.
    pub component: JobComponent,
    /// The artifact a verify or prune Job works on.
    pub artifact: Option<String>,
    /// Schedule time of a backup Job.
    pub scheduled: Option<Timestamp>,
    /// Creation time.
    pub created: Option<Timestamp>,
    /// When it finished, if it did.
    pub finished: Option<Timestamp>,
    /// `None` while it runs.
    pub outcome: Option<Outcome>,
    /// Whether the outcome is already in status.
    pub recorded: bool,
    /// Being deleted.
    pub deleting: bool,
}

/// Whether a Job has finished (condition `Complete` or `Failed` is True) and how.
fn finished_condition(job: &Job) -> Option<(bool, String, String)> {
    let conditions = job.status.as_ref()?.conditions.as_ref()?;
    conditions
        .iter()
        .find(|c| (c.type_ == "Complete" || c.type_ == "Failed") && c.status == "True")
        .map(|c| {
            (
                c.type_ == "Complete",
                c.reason.clone().unwrap_or_default(),
                c.message.clone().unwrap_or_default(),
            )
        })
}

/// Whether `job` is still running (neither complete nor failed).
pub fn is_active(job: &Job) -> bool {
    finished_condition(job).is_none()
}

/// The view of `job`, its outcome read from `pods` (the pods of this Job) when finished.
pub fn view(job: &Job, pods: &[Pod]) -> Option<JobView> {
    let meta = &job.metadata;
    let labels = meta.labels.as_ref()?;
    let component = match labels.get(labels::COMPONENT).map(String::as_str) {
        Some("backup") => JobComponent::Backup,
        Some("verify") => JobComponent::Verify,
        Some("prune") => JobComponent::Prune,
        _ => return None,
    };
    let annotations = meta.annotations.clone().unwrap_or_default();
    let finished = job.status.as_ref().and_then(|s| {
        s.completion_time
            .as_ref()
            .or_else(|| {
                s.conditions
                    .as_ref()?
                    .iter()
                    .find(|c| c.type_ == "Failed" && c.status == "True")?
                    .last_transition_time
                    .as_ref()
            })
            .map(|t| t.0)
    });
    Some(JobView {
        name: meta.name.clone()?,
        component,
        artifact: labels.get(ARTIFACT_LABEL).cloned(),
        scheduled: annotations.get(SCHEDULED_AT).and_then(|t| t.parse().ok()),
        created: meta.creation_timestamp.as_ref().map(|t| t.0),
        finished,
        // A recorded Job's pods are not read again: its annotation says how it ended.
        outcome: match annotations.get(RECORDED).map(String::as_str) {
            Some("succeeded") => Some(Outcome::Succeeded(Box::new(EngineResult {
                ok: true,
                ..EngineResult::default()
            }))),
            Some(other) => Some(Outcome::Failed {
                reason: "Recorded".into(),
                message: format!("recorded as {other}"),
            }),
            None => outcome(job, pods),
        },
        recorded: annotations.contains_key(RECORDED),
        deleting: meta.deletion_timestamp.is_some(),
    })
}

/// How `job` ended, `None` while it runs.
pub fn outcome(job: &Job, pods: &[Pod]) -> Option<Outcome> {
    let (complete, job_reason, job_message) = finished_condition(job)?;
    let results: Vec<(&Pod, Option<EngineResult>)> =
        pods.iter().map(|p| (p, result_of(p))).collect();
    if complete {
        return Some(
            match results.iter().find_map(|(_, r)| r.clone().filter(|r| r.ok)) {
                Some(result) => Outcome::Succeeded(Box::new(result)),
                None => Outcome::Failed {
                    reason: "ResultMissing".into(),
                    message: "the Job completed but no pod reported a result line".into(),
                },
            },
        );
    }
    let engine = results
        .iter()
        .filter_map(|(_, r)| r.clone())
        .find(|r| !r.ok);
    let engine_message = engine.as_ref().and_then(|r| r.message.clone());
    if job_reason == "DeadlineExceeded" {
        let mut message = format!("stopped at the Job's activeDeadlineSeconds: {job_message}");
        if let Some(engine) = engine_message {
            message.push_str(&format!("; last attempt: {engine}"));
        }
        return Some(Outcome::Failed {
            reason: job_reason,
            message,
        });
    }
    if let Some(engine) = engine {
        return Some(Outcome::Failed {
            reason: engine.reason.unwrap_or_else(|| "InternalError".into()),
            message: engine_message.unwrap_or_default(),
        });
    }
    let pod_reason = pods.iter().find_map(pod_failure);
    let reason = if job_reason.is_empty() {
        "JobFailed".to_string()
    } else {
        job_reason
    };
    let message = match pod_reason {
        Some(pod) => format!("{job_message} ({pod})"),
        None if pods.is_empty() => format!("{job_message} (its pods were deleted or lost)"),
        None => job_message,
    };
    Some(Outcome::Failed { reason, message })
}

/// The engine's result line from the pod's termination message, if it holds one.
fn result_of(pod: &Pod) -> Option<EngineResult> {
    let message = terminated(pod)?.message.clone()?;
    message
        .lines()
        .rev()
        .find_map(|line| serde_json::from_str::<EngineResult>(line.trim()).ok())
}

fn terminated(pod: &Pod) -> Option<&k8s_openapi::api::core::v1::ContainerStateTerminated> {
    pod.status
        .as_ref()?
        .container_statuses
        .as_ref()?
        .iter()
        .find(|c| c.name == CONTAINER_NAME)?
        .state
        .as_ref()?
        .terminated
        .as_ref()
}

/// Why a pod failed without a result: evicted, OOM-killed, exit code.
fn pod_failure(pod: &Pod) -> Option<String> {
    let status = pod.status.as_ref()?;
    if let Some(reason) = &status.reason {
        return Some(format!(
            "pod {}: {reason} {}",
            pod.metadata.name.clone().unwrap_or_default(),
            status.message.clone().unwrap_or_default()
        ));
    }
    let terminated = terminated(pod)?;
    Some(format!(
        "pod {}: {} (exit code {})",
        pod.metadata.name.clone().unwrap_or_default(),
        terminated.reason.clone().unwrap_or_else(|| "Error".into()),
        terminated.exit_code
    ))
}

#[cfg(test)]
#[path = "outcome_tests.rs"]
mod tests;
