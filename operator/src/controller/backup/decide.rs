//! The pure heart of the Backup reconciler: observed state in, the one next thing out.
//!
//! Order: record what finished (so nothing is ever left `Running`), then refuse on spec
//! problems, then hold while a Job of this Backup or of its Marketplace runs or a Restore
//! targets the Marketplace, then follow-ups of the newest backup (verify, prune), then the
//! schedule.

use k8s_openapi::jiff::Timestamp;
use ogf_crds::backup::{RUN_NOW_ANNOTATION, VerifyPolicy};
use ogf_crds::{Backup, BackupStatus};

use super::outcome::JobView;
use super::schedule::{Due, Schedule};
use crate::build::backup_job::BackupTask;
use crate::build::job::JobComponent;
use crate::status::Problem;

/// What the reconciler saw besides the Backup itself.
#[derive(Clone, Debug, Default)]
pub struct Observations {
    /// Now.
    pub now: Option<Timestamp>,
    /// A problem with the referenced objects (Marketplace, Secrets, claim).
    pub problem: Option<Problem>,
    /// A non-terminal Restore of the Marketplace.
    pub restore: Option<String>,
    /// An active backup-family or restore Job of the Marketplace that is not this Backup's.
    pub busy: Option<String>,
    /// This Backup's Jobs.
    pub jobs: Vec<JobView>,
}

/// The one next thing to do.
#[derive(Clone, Debug, PartialEq)]
pub enum Decision {
    /// Write the outcome of this finished Job into status.
    Record(Box<JobView>),
    /// `status.activeJob` names a Job that is gone: a failure (`JobDeleted`).
    Vanished(String),
    /// Create this Job.
    Start(BackupTask),
    /// Nothing to start now.
    Hold(Hold),
}

/// Why nothing starts now.
#[derive(Clone, Debug, PartialEq)]
pub enum Hold {
    /// The spec or a referenced object is wrong (`Degraded`).
    Problem(Problem),
    /// This Backup's Job is running.
    Running(String),
    /// A Restore of the Marketplace is in progress.
    Restore(String),
    /// Another Job of the Marketplace is running.
    Busy(String),
    /// `spec.suspend`.
    Suspended,
    /// A one-shot Backup that has run.
    Done,
    /// The next scheduled run (absent: the schedule has no future time).
    Scheduled(Option<Timestamp>),
}

/// Spec problems found without the cluster: schedule syntax, verification without identity.
pub fn spec_problem(backup: &Backup) -> Option<Problem> {
    let spec = &backup.spec;
    if let Some(Err(message)) = spec.schedule.as_deref().map(Schedule::parse) {
        return Some(Problem {
            reason: "InvalidSchedule".into(),
            message,
        });
    }
    match spec.verify_policy() {
        None => Some(Problem {
            reason: "InvalidVerify".into(),
            message: "spec.verify must be 'never', 'always' or a positive integer".into(),
        }),
        Some(VerifyPolicy::Never) => None,
        Some(_) if spec.verify_identity_secret_ref.is_none() => Some(Problem {
            reason: "VerifyIdentityMissing".into(),
            message: "spec.verify needs spec.verifyIdentitySecretRef: the age identity verification Jobs decrypt with".into(),
        }),
        Some(_) => None,
    }
}

/// Whether the `count`-th successful backup is verified under `policy`.
pub fn verify_selected(policy: Option<VerifyPolicy>, count: i64) -> bool {
    match policy {
        Some(VerifyPolicy::Always) => true,
        Some(VerifyPolicy::Every(n)) => count > 0 && count % i64::from(n) == 0,
        Some(VerifyPolicy::Never) | None => false,
    }
}

/// The next thing to do for `backup` given `obs`.
pub fn decide(backup: &Backup, obs: &Observations) -> Decision {
    let status = backup.status.clone().unwrap_or_default();
    let now = obs.now.unwrap_or_else(Timestamp::now);
    let mut finished: Vec<&JobView> = obs
        .jobs
        .iter()
        .filter(|j| j.outcome.is_some() && !j.recorded)
        .collect();
    finished.sort_by_key(|j| (j.created, j.name.clone()));
    if let Some(job) = finished.first() {
        return Decision::Record(Box::new((*job).clone()));
    }
    let present = |name: &str| obs.jobs.iter().any(|j| j.name == name && !j.deleting);
    if let Some(active) = status.active_job.as_deref()
        && !present(active)
    {
        return Decision::Vanished(active.to_string());
    }
    if let Some(problem) = spec_problem(backup).or_else(|| obs.problem.clone()) {
        return Decision::Hold(Hold::Problem(problem));
    }
    if let Some(running) = obs.jobs.iter().find(|j| j.outcome.is_none() && !j.deleting) {
        return Decision::Hold(Hold::Running(running.name.clone()));
    }
    if let Some(restore) = &obs.restore {
        return Decision::Hold(Hold::Restore(restore.clone()));
    }
    if let Some(busy) = &obs.busy {
        return Decision::Hold(Hold::Busy(busy.clone()));
    }
    if backup.spec.suspend {
        return Decision::Hold(Hold::Suspended);
    }
    if let Some(task) = follow_up(backup, &status, &obs.jobs) {
        return Decision::Start(task);
    }
    if run_now_request(backup, &status).is_some() {
        return Decision::Start(BackupTask::Backup { scheduled: now });
    }
    let backups = || {
        obs.jobs
            .iter()
            .filter(|j| j.component == JobComponent::Backup)
    };
    let Some(expression) = backup.spec.schedule.as_deref() else {
        return if status.last_schedule_time.is_some() || backups().next().is_some() {
            Decision::Hold(Hold::Done)
        } else {
            Decision::Start(BackupTask::Backup { scheduled: now })
        };
    };
    let Ok(schedule) = Schedule::parse(expression) else {
        return Decision::Hold(Hold::Scheduled(None));
    };
    let last = status
        .last_schedule_time
        .as_ref()
        .map(|t| t.0)
        .into_iter()
        .chain(backups().filter_map(|j| j.scheduled))
        .max()
        .or_else(|| backup.metadata.creation_timestamp.as_ref().map(|t| t.0))
        .unwrap_or(now);
    match schedule.due(last, now) {
        Due::Now(scheduled) => Decision::Start(BackupTask::Backup { scheduled }),
        Due::At(next) => Decision::Hold(Hold::Scheduled(Some(next))),
        Due::Never => Decision::Hold(Hold::Scheduled(None)),
    }
}

/// The `ogf.dev/run-now` value not acted on yet, if any: a request for one backup now,
/// whether the Backup is scheduled or one-shot.
pub fn run_now_request(backup: &Backup, status: &BackupStatus) -> Option<String> {
    let value = backup
        .metadata
        .annotations
        .as_ref()?
        .get(RUN_NOW_ANNOTATION)?
        .trim();
    (!value.is_empty() && status.last_run_now.as_deref() != Some(value)).then(|| value.to_string())
}

/// Verification, then pruning, of the newest backup when it succeeded and they have not run.
fn follow_up(backup: &Backup, status: &BackupStatus, jobs: &[JobView]) -> Option<BackupTask> {
    let newest = jobs
        .iter()
        .filter(|j| j.component == JobComponent::Backup)
        .max_by_key(|j| (j.scheduled.or(j.created), j.name.clone()))?;
    let succeeded = matches!(newest.outcome, Some(super::outcome::Outcome::Succeeded(_)));
    if !succeeded || !newest.recorded {
        return None;
    }
    let artifact = newest.name.clone();
    let has = |component: JobComponent| {
        jobs.iter()
            .any(|j| j.component == component && j.artifact.as_deref() == Some(artifact.as_str()))
    };
    let already_verified = status
        .artifacts
        .iter()
        .find(|a| a.id == artifact)
        .is_some_and(|a| a.verified.is_some());
    if verify_selected(backup.spec.verify_policy(), status.successful_backups)
        && !already_verified
        && !has(JobComponent::Verify)
    {
        return Some(BackupTask::Verify { artifact });
    }
    if backup.spec.retention.is_some() && !has(JobComponent::Prune) {
        return Some(BackupTask::Prune { artifact });
    }
    None
}

#[cfg(test)]
#[path = "decide_tests.rs"]
pub(super) mod tests;
