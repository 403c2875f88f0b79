//! What the restore Job says: its state from the Job's conditions and the engine's one-line
//! JSON result from its pod's termination message. Pure functions.

use std::collections::BTreeMap;

use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::jiff::Timestamp;
use serde::Deserialize;

use crate::build::job::CONTAINER_NAME;

/// The engine's result line (`/tmp/ogf-backup-contract.md`: "Result line").
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct EngineResult {
    /// Whether the command succeeded.
    pub ok: bool,
    /// The artifact restored.
    #[serde(default)]
    pub id: Option<String>,
    /// Where it was read from.
    #[serde(default)]
    pub location: Option<String>,
    /// Documents (rows) restored per collection (table).
    #[serde(default)]
    pub counts: BTreeMap<String, i64>,
    /// Whether the artifact's sha256 and every collection's hash were verified.
    #[serde(default)]
    pub checksum_verified: bool,
    /// On failure: `UsageError`, `IntegrityError`, `DecryptionError`, `DestinationError`,
    /// `StoreError` or `InternalError`.
    #[serde(default)]
    pub reason: Option<String>,
    /// On failure: what went wrong (never secrets).
    #[serde(default)]
    pub message: Option<String>,
}

/// The restore Job as the reconciler sees it.
#[derive(Clone, Debug, PartialEq)]
pub enum JobView {
    /// There is no such Job (not created yet, or deleted).
    Absent,
    /// Created and not finished.
    Active,
    /// Completed; the result line when the pod reported one.
    Succeeded {
        /// The engine's result.
        result: Option<EngineResult>,
        /// When the Job completed.
        finished_at: Option<Timestamp>,
    },
    /// Failed: the Job's reason (`DeadlineExceeded`, `BackoffLimitExceeded`, ...) and the
    /// engine's result when the pod got to write one.
    Failed {
        /// The Job condition's reason.
        job_reason: String,
        /// The engine's result.
        result: Option<EngineResult>,
    },
}

/// Parses a termination message: the last line that is an engine result (with
/// `FallbackToLogsOnError` the message may be the tail of the logs).
pub fn parse(message: &str) -> Option<EngineResult> {
    message
        .lines()
        .rev()
        .map(str::trim)
        .filter(|line| line.starts_with('{'))
        .find_map(|line| serde_json::from_str(line).ok())
}

/// The state of `job`, with the result read from the newest terminated container of `pods`.
pub fn view(job: Option<&Job>, pods: &[Pod]) -> JobView {
    let Some(job) = job else {
        return JobView::Absent;
    };
    let status = job.status.clone().unwrap_or_default();
    let conditions = status.conditions.unwrap_or_default();
    let holds = |kind: &str| {
        conditions
            .iter()
            .find(|c| c.type_ == kind && c.status == "True")
    };
    if holds("Complete").is_some() {
        return JobView::Succeeded {
            result: result_of(pods),
            finished_at: status.completion_time.map(|t| t.0),
        };
    }
    if let Some(failed) = holds("Failed") {
        return JobView::Failed {
            job_reason: failed.reason.clone().unwrap_or_else(|| "JobFailed".into()),
            result: result_of(pods),
        };
    }
    JobView::Active
}

/// The result of the most recently finished `ogf-api` container among `pods`.
fn result_of(pods: &[Pod]) -> Option<EngineResult> {
    pods.iter()
        .filter_map(|pod| {
            let statuses = pod.status.as_ref()?.container_statuses.as_ref()?;
            let terminated = statuses
                .iter()
                .find(|s| s.name == CONTAINER_NAME)?
                .state
                .as_ref()?
                .terminated
                .as_ref()?;
            let at = terminated.finished_at.as_ref().map(|t| t.0);
            Some((at, parse(terminated.message.as_deref().unwrap_or_default())))
        })
        .max_by_key(|(at, _)| *at)
        .and_then(|(_, result)| result)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_success_and_failure_lines() {
        let ok = parse(r#"{"ok":true,"command":"restore","id":"a-1","location":"s3://b/p/a-1.ogfbak","sizeBytes":10,"sha256":"ab","counts":{"listings":3,"users":1},"durationSeconds":0.5,"verified":false,"checksumVerified":true,"startedAt":"x","finishedAt":"y"}"#).unwrap();
        assert!(ok.ok && ok.checksum_verified);
        assert_eq!(ok.counts["listings"], 3);
        assert_eq!(ok.id.as_deref(), Some("a-1"));
        let failed = parse(
            "some log line\n{\"ok\":false,\"command\":\"restore\",\"reason\":\"DecryptionError\",\"message\":\"wrong key\"}\n",
        )
        .unwrap();
        assert!(!failed.ok);
        assert_eq!(failed.reason.as_deref(), Some("DecryptionError"));
        assert!(parse("panicked at main.rs").is_none());
        assert!(parse("").is_none());
    }

    fn job(conditions: serde_json::Value) -> Job {
        serde_json::from_value(json!({
            "metadata": {"name": "r-restore"},
            "status": {"conditions": conditions, "completionTime": "2026-01-01T00:00:00Z"}
        }))
        .unwrap()
    }

    fn pod(message: &str) -> Pod {
        serde_json::from_value(json!({
            "metadata": {"name": "r-restore-x"},
            "status": {"containerStatuses": [{
                "name": "ogf-api", "image": "i", "imageID": "", "ready": false, "restartCount": 0,
                "state": {"terminated": {"exitCode": 4, "message": message,
                    "finishedAt": "2026-01-01T00:00:00Z"}}
            }]}
        }))
        .unwrap()
    }

    #[test]
    fn job_states() {
        assert_eq!(view(None, &[]), JobView::Absent);
        assert_eq!(view(Some(&job(json!([]))), &[]), JobView::Active);
        let line = r#"{"ok":false,"reason":"DecryptionError","message":"wrong key"}"#;
        match view(
            Some(&job(
                json!([{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded"}]),
            )),
            &[pod(line)],
        ) {
            JobView::Failed { job_reason, result } => {
                assert_eq!(job_reason, "BackoffLimitExceeded");
                assert_eq!(result.unwrap().reason.as_deref(), Some("DecryptionError"));
            }
            other => panic!("{other:?}"),
        }
        match view(
            Some(&job(json!([{"type": "Complete", "status": "True"}]))),
            &[pod(
                r#"{"ok":true,"checksumVerified":true,"counts":{"listings":1}}"#,
            )],
        ) {
            JobView::Succeeded {
                result,
                finished_at,
            } => {
                assert!(result.unwrap().ok);
                assert!(finished_at.is_some());
            }
            other => panic!("{other:?}"),
        }
    }
}
