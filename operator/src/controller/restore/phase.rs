//! The Restore state machine as a pure function: the status and what the cluster says in, the
//! one next thing to do out.

use std::collections::BTreeMap;
use std::time::Duration;

use k8s_openapi::jiff::Timestamp;
use ogf_crds::backup::Destination;
use ogf_crds::{Restore, RestorePhase, RestoreStatus};

use super::result::{EngineResult, JobView};

/// Seconds past `activeDeadlineSeconds` the operator gives the Job controller to fail the Job
/// itself before the operator fails the Restore and deletes the Job.
pub const DEADLINE_GRACE_SECONDS: i64 = 30;
/// How long `Swapping` waits for the Marketplace to be Ready on the restored data.
pub const SWAP_TIMEOUT_SECONDS: i64 = 600;
/// How often a Restore waiting on something that is not watched (Rollouts, Secrets) looks again.
pub const RECHECK: Duration = Duration::from_secs(15);

/// What the reconciler saw of the target Marketplace.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MarketplaceView {
    /// `spec.paused`: the operator changes nothing, so it cannot stop the API.
    pub paused: bool,
    /// Ready=True, reported after the maintenance hold was lifted.
    pub ready: bool,
}

/// The artifact to restore, as resolved from `spec.source`.
#[derive(Clone, Debug, PartialEq)]
pub enum SourceView {
    /// Where it is, which one (`None`: the newest), and the counts the Backup recorded for it.
    Resolved {
        /// The destination holding it.
        destination: Box<Destination>,
        /// Artifact id; `None` means `latest`.
        artifact: Option<String>,
        /// The Backup's record of the artifact's counts, when known.
        expected_counts: Option<BTreeMap<String, i64>>,
    },
    /// `source.backupRef` names no Backup.
    BackupNotFound(String),
    /// The Backup has no successful artifact yet.
    NoArtifact(String),
}

/// A referenced object that is missing, reported as Degraded while the Restore waits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Missing {
    /// CamelCase reason (`SecretNotFound`, `SecretKeyNotFound`, `BackupNotFound`).
    pub reason: String,
    /// What is missing.
    pub message: String,
}

/// Everything [`decide`] looks at besides the Restore.
#[derive(Clone, Debug, PartialEq)]
pub struct Observations {
    /// The current time.
    pub now: Timestamp,
    /// The target Marketplace, if it exists.
    pub marketplace: Option<MarketplaceView>,
    /// Another Restore of the same Marketplace that goes first.
    pub ahead: Option<String>,
    /// A Rollout of the Marketplace is in progress.
    pub rollout_in_progress: bool,
    /// An active backup, verify or prune Job of the Marketplace.
    pub busy_job: Option<String>,
    /// API pods of the Marketplace that still exist (any color, terminating included).
    pub api_pods: usize,
    /// The resolved source.
    pub source: SourceView,
    /// A referenced Secret (identity, S3 credentials) that is missing.
    pub missing: Option<Missing>,
    /// The restore Job.
    pub job: JobView,
}

/// The one next thing to do.
#[derive(Clone, Debug, PartialEq)]
pub enum Decision {
    /// Nothing to do until a watch event or `after`; `problem` is worth a Degraded condition.
    Wait {
        /// What the Restore waits for.
        message: String,
        /// A reason worth `Degraded=True`.
        problem: Option<String>,
        /// When to look again without an event.
        after: Option<Duration>,
    },
    /// Create the restore Job (or adopt the existing one) and enter `Running`.
    Start,
    /// The Job finished: record its result and enter `Verifying`.
    Verify(EngineResult),
    /// The result checks out: lift the hold and enter `Swapping`.
    Swap,
    /// The Marketplace is Ready on the restored data.
    Succeed,
    /// The restore failed.
    Fail {
        /// CamelCase reason (engine reason, `DeadlineExceeded`, `JobDeleted`, ...).
        reason: String,
        /// What happened and what it means for the data.
        message: String,
        /// Delete the Job (it is still running past its deadline).
        stop_job: bool,
    },
    /// Terminal: nothing more.
    Done,
}

const UNTOUCHED: &str = "the live data was not changed and the API is started again on it";

fn wait(message: impl Into<String>, after: Option<Duration>) -> Decision {
    Decision::Wait {
        message: message.into(),
        problem: None,
        after,
    }
}

fn fail(reason: &str, message: impl Into<String>) -> Decision {
    Decision::Fail {
        reason: reason.into(),
        message: message.into(),
        stop_job: false,
    }
}

/// Seconds from `now` until `since + seconds`, `None` once passed.
fn remaining(now: Timestamp, since: Timestamp, seconds: i64) -> Option<Duration> {
    let left = since.as_second() + seconds - now.as_second();
    (left > 0).then(|| Duration::from_secs(left.unsigned_abs()))
}

/// The next step of `restore` given `obs`.
pub fn decide(restore: &Restore, obs: &Observations) -> Decision {
    let default = RestoreStatus::default();
    let status = restore.status.as_ref().unwrap_or(&default);
    match status.phase {
        RestorePhase::Succeeded | RestorePhase::Failed => Decision::Done,
        RestorePhase::Pending => pending(restore, obs),
        RestorePhase::Running => running(restore, status, obs),
        RestorePhase::Verifying => verifying(status, obs),
        RestorePhase::Swapping => swapping(restore, status, obs),
    }
}

fn pending(restore: &Restore, obs: &Observations) -> Decision {
    let name = restore.spec.marketplace_name().unwrap_or_default();
    // A Job already exists: the operator stopped between creating it and recording it.
    if obs.job != JobView::Absent {
        return Decision::Start;
    }
    let Some(marketplace) = &obs.marketplace else {
        return if restore.spec.target.is_some() {
            wait(
                format!(
                    "waiting for Marketplace {name} to be created; it will not serve until the restore has finished"
                ),
                None,
            )
        } else {
            Decision::Wait {
                message: format!("Marketplace {name} does not exist"),
                problem: Some("MarketplaceNotFound".into()),
                after: None,
            }
        };
    };
    if let Some(other) = &obs.ahead {
        return wait(
            format!("waiting for Restore {other} of the same Marketplace"),
            None,
        );
    }
    let missing = match &obs.source {
        SourceView::NoArtifact(backup) => {
            return fail(
                "NoArtifact",
                format!("Backup {backup} has no successful artifact to restore; {UNTOUCHED}"),
            );
        }
        SourceView::BackupNotFound(backup) => Some(Missing {
            reason: "BackupNotFound".into(),
            message: format!("source.backupRef: Backup {backup} does not exist"),
        }),
        SourceView::Resolved { .. } => obs.missing.clone(),
    };
    if let Some(missing) = missing {
        let created = restore.metadata.creation_timestamp.as_ref().map(|t| t.0);
        let deadline = restore.spec.active_deadline_seconds;
        return match created.map(|c| remaining(obs.now, c, deadline)) {
            Some(None) => fail(
                &missing.reason,
                format!("{} (waited {deadline}s); {UNTOUCHED}", missing.message),
            ),
            _ => Decision::Wait {
                message: missing.message,
                problem: Some(missing.reason),
                after: Some(RECHECK),
            },
        };
    }
    if obs.rollout_in_progress {
        return wait(
            format!("waiting for the Rollout of Marketplace {name} to finish"),
            Some(RECHECK),
        );
    }
    if let Some(job) = &obs.busy_job {
        return wait(
            format!("waiting for Job {job} of Marketplace {name} to finish"),
            None,
        );
    }
    if marketplace.paused {
        return wait(
            format!(
                "Marketplace {name} is paused: the operator cannot stop its API; unpause it to restore"
            ),
            None,
        );
    }
    if obs.api_pods > 0 {
        return wait(
            format!(
                "stopping the API of Marketplace {name}: {} pod(s) left",
                obs.api_pods
            ),
            None,
        );
    }
    Decision::Start
}

fn running(restore: &Restore, status: &RestoreStatus, obs: &Observations) -> Decision {
    let job = status.job_name.as_deref().unwrap_or("the restore Job");
    match &obs.job {
        JobView::Absent => fail(
            "JobDeleted",
            format!("Job {job} was deleted before it finished; {UNTOUCHED}"),
        ),
        JobView::Active => {
            let deadline = restore.spec.active_deadline_seconds + DEADLINE_GRACE_SECONDS;
            let started = status.start_time.as_ref().map_or(obs.now, |t| t.0);
            match remaining(obs.now, started, deadline) {
                None => Decision::Fail {
                    reason: "DeadlineExceeded".into(),
                    message: format!(
                        "Job {job} did not finish within activeDeadlineSeconds ({}s) and was stopped; the engine swaps data in only as its last step, so {UNTOUCHED}",
                        restore.spec.active_deadline_seconds
                    ),
                    stop_job: true,
                },
                Some(after) => wait(format!("restoring: Job {job} is running"), Some(after)),
            }
        }
        JobView::Succeeded {
            result: Some(result),
            ..
        } if result.ok => Decision::Verify(result.clone()),
        JobView::Succeeded { .. } => fail(
            "InternalError",
            format!("Job {job} completed without a result line; {UNTOUCHED}"),
        ),
        JobView::Failed { job_reason, result } => match result {
            Some(result) if !result.ok => {
                let reason = result
                    .reason
                    .clone()
                    .unwrap_or_else(|| "InternalError".into());
                let detail = result.message.clone().unwrap_or_default();
                fail(&reason, format!("{reason}: {detail}; {UNTOUCHED}"))
            }
            _ if job_reason == "DeadlineExceeded" => fail(
                "DeadlineExceeded",
                format!(
                    "Job {job} did not finish within activeDeadlineSeconds ({}s); the engine swaps data in only as its last step, so {UNTOUCHED}",
                    restore.spec.active_deadline_seconds
                ),
            ),
            _ => fail(
                "PodDeleted",
                format!(
                    "the pod of Job {job} was lost or deleted before it reported a result ({job_reason}); {UNTOUCHED}"
                ),
            ),
        },
    }
}

fn verifying(status: &RestoreStatus, obs: &Observations) -> Decision {
    if !status.checksum_verified {
        return fail(
            "IntegrityError",
            "the engine did not report the artifact's checksum as verified",
        );
    }
    if let SourceView::Resolved {
        expected_counts: Some(expected),
        ..
    } = &obs.source
        && !expected.is_empty()
        && expected != &status.restored_counts
    {
        return fail(
            "IntegrityError",
            format!(
                "restored counts {:?} differ from the Backup's record {expected:?}; the data was already swapped in by the engine, check it before using it",
                status.restored_counts
            ),
        );
    }
    Decision::Swap
}

fn swapping(restore: &Restore, status: &RestoreStatus, obs: &Observations) -> Decision {
    let Some(marketplace) = &obs.marketplace else {
        return fail(
            "MarketplaceDeleted",
            "the Marketplace was deleted while its API was being started on the restored data",
        );
    };
    if marketplace.ready {
        return Decision::Succeed;
    }
    let since = match &obs.job {
        JobView::Succeeded {
            finished_at: Some(at),
            ..
        } => *at,
        _ => status.start_time.as_ref().map_or(obs.now, |t| {
            Timestamp::from_second(t.0.as_second() + restore.spec.active_deadline_seconds)
                .unwrap_or(obs.now)
        }),
    };
    match remaining(obs.now, since, SWAP_TIMEOUT_SECONDS) {
        None => fail(
            "NotReady",
            format!(
                "the data was restored, but the Marketplace did not become Ready within {SWAP_TIMEOUT_SECONDS}s; see its conditions"
            ),
        ),
        Some(after) => wait(
            "the restored data is in place; waiting for the Marketplace to be Ready on it",
            Some(after),
        ),
    }
}

#[cfg(test)]
#[path = "phase_tests.rs"]
mod tests;
