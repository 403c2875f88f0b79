//! Writing a finished Job's outcome into a Backup's status (pure): the artifact history,
//! times, `LastBackupSucceeded`, and what to announce.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;
use ogf_crds::backup::{Artifact, MAX_ARTIFACTS};
use ogf_crds::{BackupStatus, Condition};

use super::condition::LAST_BACKUP_SUCCEEDED;
use super::outcome::{JobView, Outcome};
use crate::build::job::JobComponent;
use crate::status::set_condition;

/// What recording a Job's outcome announces: an Event and the metrics.
#[derive(Clone, Debug, PartialEq)]
pub struct Recorded {
    /// Whether the Event is a warning.
    pub warning: bool,
    /// Event reason: `BackupSucceeded`, `BackupFailed`, `VerifySucceeded`, `VerifyFailed`,
    /// `Pruned`, `PruneFailed`.
    pub reason: &'static str,
    /// Event note.
    pub note: String,
    /// For backups: the metrics update.
    pub metric: Option<BackupMetric>,
}

/// A finished backup run, for the `ogf_backup_*` metrics.
#[derive(Clone, Debug, PartialEq)]
pub struct BackupMetric {
    /// Whether it succeeded.
    pub succeeded: bool,
    /// When it finished (unix seconds).
    pub finished: f64,
    /// How long it took, when known.
    pub duration: Option<f64>,
    /// Artifact size (success only).
    pub size: f64,
}

/// A Job that `status.activeJob` named and that is gone, as a failed Job.
pub fn vanished(name: &str, now: Timestamp) -> JobView {
    let component = if name.ends_with("-verify") {
        JobComponent::Verify
    } else if name.ends_with("-prune") {
        JobComponent::Prune
    } else {
        JobComponent::Backup
    };
    let artifact = name
        .strip_suffix("-verify")
        .or_else(|| name.strip_suffix("-prune"))
        .map(str::to_string);
    JobView {
        name: name.to_string(),
        component,
        artifact,
        scheduled: None,
        created: None,
        finished: Some(now),
        outcome: Some(Outcome::Failed {
            reason: "JobDeleted".into(),
            message: format!("Job {name} was deleted before it finished"),
        }),
        recorded: false,
        deleting: true,
    }
}

/// Applies `job`'s outcome to `status` at `now`.
pub fn apply(status: &mut BackupStatus, job: &JobView, now: Timestamp) -> Recorded {
    if status.active_job.as_deref() == Some(job.name.as_str()) {
        status.active_job = None;
        let finished = Condition {
            type_: "Progressing".into(),
            status: "False".into(),
            reason: "JobFinished".into(),
            message: format!("Job {} finished", job.name),
            last_transition_time: Time(now),
            observed_generation: status.observed_generation,
        };
        set_condition(&mut status.conditions, finished);
    }
    let finished = job.finished.unwrap_or(now);
    let duration = job
        .created
        .map(|c| (finished.as_millisecond() - c.as_millisecond()).max(0) as f64 / 1000.0);
    let outcome = job.outcome.clone().unwrap_or(Outcome::Failed {
        reason: "Unknown".into(),
        message: "no outcome".into(),
    });
    match (job.component, outcome) {
        (JobComponent::Verify, outcome) => verify(status, job, outcome),
        (JobComponent::Prune, outcome) => prune(status, job, outcome),
        (_, Outcome::Succeeded(result)) => {
            let finished = result
                .finished_at
                .as_deref()
                .and_then(|t| t.parse::<Timestamp>().ok())
                .unwrap_or(finished);
            let artifact = Artifact {
                id: result.id.clone().unwrap_or_else(|| job.name.clone()),
                time: Time(finished),
                location: result.location.clone().unwrap_or_default(),
                size_bytes: result.size_bytes.unwrap_or(0),
                sha256: result.sha256.clone().unwrap_or_default(),
                counts: result.counts.clone(),
                duration_seconds: result.duration_seconds.or(duration).unwrap_or(0.0),
                verified: result.verified.filter(|v| *v),
            };
            let note = format!(
                "artifact {} written to {}: {} bytes, {} documents in {:.1} s",
                artifact.id,
                artifact.location,
                artifact.size_bytes,
                artifact.counts.values().sum::<i64>(),
                artifact.duration_seconds
            );
            let metric = BackupMetric {
                succeeded: true,
                finished: finished.as_millisecond() as f64 / 1000.0,
                duration: Some(artifact.duration_seconds),
                size: artifact.size_bytes as f64,
            };
            if !status.artifacts.iter().any(|a| a.id == artifact.id) {
                status.successful_backups += 1;
                status.artifacts.insert(0, artifact);
                status.artifacts.truncate(MAX_ARTIFACTS);
            }
            status.last_successful_time = Some(Time(finished));
            set_last(status, true, "BackupSucceeded", &note, now);
            Recorded {
                warning: false,
                reason: "BackupSucceeded",
                note,
                metric: Some(metric),
            }
        }
        (_, Outcome::Failed { reason, message }) => {
            let note = format!("backup Job {} failed: {reason}: {message}", job.name);
            status.last_failure_time = Some(Time(finished));
            set_last(status, false, &reason, &note, now);
            Recorded {
                warning: true,
                reason: "BackupFailed",
                note,
                metric: Some(BackupMetric {
                    succeeded: false,
                    finished: finished.as_millisecond() as f64 / 1000.0,
                    duration,
                    size: 0.0,
                }),
            }
        }
    }
}

fn verify(status: &mut BackupStatus, job: &JobView, outcome: Outcome) -> Recorded {
    let artifact = job.artifact.clone().unwrap_or_default();
    let ok = matches!(outcome, Outcome::Succeeded(_));
    if let Some(record) = status.artifacts.iter_mut().find(|a| a.id == artifact) {
        record.verified = Some(ok);
    }
    let (reason, note) = match outcome {
        Outcome::Succeeded(_) => (
            "VerifySucceeded",
            format!("artifact {artifact} restored into scratch and matched its manifest"),
        ),
        Outcome::Failed { reason, message } => (
            "VerifyFailed",
            format!("artifact {artifact} failed its test restore: {reason}: {message}"),
        ),
    };
    status.message = Some(note.clone());
    Recorded {
        warning: !ok,
        reason,
        note,
        metric: None,
    }
}

fn prune(status: &mut BackupStatus, job: &JobView, outcome: Outcome) -> Recorded {
    match outcome {
        Outcome::Succeeded(result) => {
            status.artifacts.retain(|a| !result.deleted.contains(&a.id));
            let note = if result.deleted.is_empty() {
                format!("retention kept all {} artifacts", result.kept.len())
            } else {
                format!(
                    "retention deleted {} artifact(s) ({}), kept {}",
                    result.deleted.len(),
                    result.deleted.join(", "),
                    result.kept.len()
                )
            };
            Recorded {
                warning: false,
                reason: "Pruned",
                note,
                metric: None,
            }
        }
        Outcome::Failed { reason, message } => Recorded {
            warning: true,
            reason: "PruneFailed",
            note: format!("prune Job {} failed: {reason}: {message}", job.name),
            metric: None,
        },
    }
}

fn set_last(status: &mut BackupStatus, ok: bool, reason: &str, message: &str, now: Timestamp) {
    let condition = Condition {
        type_: LAST_BACKUP_SUCCEEDED.into(),
        status: if ok { "True" } else { "False" }.into(),
        reason: reason.into(),
        message: message.chars().take(1000).collect(),
        last_transition_time: Time(now),
        observed_generation: status.observed_generation,
    };
    set_condition(&mut status.conditions, condition);
}

#[cfg(test)]
#[path = "record_tests.rs"]
mod tests;
