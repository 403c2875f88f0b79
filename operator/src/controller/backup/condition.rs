//! Conditions, message and next schedule time of a Backup, from the decision (pure).

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;
use ogf_crds::{Backup, BackupStatus, ConditionStatus, ConditionType};

use super::decide::{Decision, Hold};
use super::schedule::Schedule;
use crate::status::{condition, set_condition};

/// Type of the condition that tells how the last backup went.
pub const LAST_BACKUP_SUCCEEDED: &str = "LastBackupSucceeded";

/// Sets `Ready`, `Progressing`, `Degraded`, `message`, `nextScheduleTime` and
/// `observedGeneration` for `decision` (the one about to be acted on) at `now`.
pub fn set(status: &mut BackupStatus, backup: &Backup, decision: &Decision, now: Timestamp) {
    let generation = backup.metadata.generation;
    let at = Time(now);
    let make = |kind, state: bool, reason: &str, message: &str| {
        condition(
            kind,
            ConditionStatus::from_bool(state),
            reason,
            message,
            generation,
            &at,
        )
    };
    let (ready, progressing, degraded, message): (_, _, _, Option<String>) = match decision {
        Decision::Hold(Hold::Problem(problem)) => (
            make(
                ConditionType::Ready,
                false,
                &problem.reason,
                &problem.message,
            ),
            make(
                ConditionType::Progressing,
                false,
                &problem.reason,
                "nothing is started until the problem is fixed",
            ),
            make(
                ConditionType::Degraded,
                true,
                &problem.reason,
                &problem.message,
            ),
            Some(problem.message.clone()),
        ),
        Decision::Hold(Hold::Restore(restore)) => {
            let message = format!("Skipped: restore in progress ({restore})");
            (
                make(ConditionType::Ready, false, "RestoreInProgress", &message),
                make(
                    ConditionType::Progressing,
                    false,
                    "RestoreInProgress",
                    &message,
                ),
                healthy(&make),
                Some(message),
            )
        }
        Decision::Hold(Hold::Running(job)) => {
            let message = format!("Job {job} is running");
            (
                make(ConditionType::Ready, true, "JobRunning", &message),
                make(ConditionType::Progressing, true, "JobRunning", &message),
                healthy(&make),
                Some(message),
            )
        }
        Decision::Start(task) => {
            let message = format!(
                "starting Job {}",
                task.job_name(&backup.metadata.name.clone().unwrap_or_default())
            );
            (
                make(ConditionType::Ready, true, "JobStarted", &message),
                make(ConditionType::Progressing, true, "JobStarted", &message),
                healthy(&make),
                Some(message),
            )
        }
        Decision::Hold(Hold::Busy(job)) => {
            let message =
                format!("Waiting: Job {job} of the Marketplace is running (one at a time)");
            (
                make(ConditionType::Ready, true, "WaitingForJob", &message),
                make(ConditionType::Progressing, false, "WaitingForJob", &message),
                healthy(&make),
                Some(message),
            )
        }
        Decision::Hold(Hold::Suspended) => (
            make(
                ConditionType::Ready,
                true,
                "Suspended",
                "spec.suspend is true: no new backups",
            ),
            make(
                ConditionType::Progressing,
                false,
                "Suspended",
                "spec.suspend is true: no new backups",
            ),
            healthy(&make),
            Some("Suspended".into()),
        ),
        Decision::Hold(Hold::Done) => (
            make(
                ConditionType::Ready,
                true,
                "Completed",
                "the one-shot backup has run",
            ),
            make(
                ConditionType::Progressing,
                false,
                "Completed",
                "the one-shot backup has run",
            ),
            healthy(&make),
            status.message.clone(),
        ),
        Decision::Hold(Hold::Scheduled(next)) => {
            let message = next.map_or_else(
                || "the schedule has no future time".to_string(),
                |n| format!("next backup at {n}"),
            );
            (
                make(ConditionType::Ready, true, "Scheduled", &message),
                make(ConditionType::Progressing, false, "Scheduled", &message),
                healthy(&make),
                Some(message),
            )
        }
        // Recording keeps the conditions of the last decision; the next reconcile sets them.
        Decision::Record(_) | Decision::Vanished(_) => return,
    };
    for new in [ready, progressing, degraded] {
        set_condition(&mut status.conditions, new);
    }
    status.message = message;
    status.observed_generation = generation;
    status.next_schedule_time = next_schedule(backup, decision, now).map(Time);
}

fn healthy(
    make: &impl Fn(ConditionType, bool, &str, &str) -> ogf_crds::Condition,
) -> ogf_crds::Condition {
    make(ConditionType::Degraded, false, "AsExpected", "")
}

/// The next schedule time: none when one-shot, suspended, invalid or in trouble.
fn next_schedule(backup: &Backup, decision: &Decision, now: Timestamp) -> Option<Timestamp> {
    if backup.spec.suspend || matches!(decision, Decision::Hold(Hold::Problem(_))) {
        return None;
    }
    if let Decision::Hold(Hold::Scheduled(next)) = decision {
        return *next;
    }
    let schedule = Schedule::parse(backup.spec.schedule.as_deref()?).ok()?;
    schedule.next_after(now)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::controller::backup::decide::tests::{at, backup};
    use crate::status::Problem;

    fn find<'a>(status: &'a BackupStatus, kind: &str) -> &'a ogf_crds::Condition {
        status
            .conditions
            .iter()
            .find(|c| c.type_ == kind)
            .expect(kind)
    }

    #[test]
    fn restore_hold_says_skipped() {
        let mut status = BackupStatus::default();
        let b = backup(json!({"schedule": "0 * * * *"}));
        let now = at("2026-11-23T07:10:00Z");
        set(
            &mut status,
            &b,
            &Decision::Hold(Hold::Restore("rescue".into())),
            now,
        );
        assert_eq!(
            status.message.as_deref(),
            Some("Skipped: restore in progress (rescue)")
        );
        assert_eq!(find(&status, "Ready").reason, "RestoreInProgress");
        assert_eq!(find(&status, "Ready").status, "False");
        assert_eq!(
            status.next_schedule_time,
            Some(Time(at("2026-11-23T08:00:00Z")))
        );
        assert_eq!(status.observed_generation, Some(1));
    }

    #[test]
    fn problems_degrade_and_suspend_clears_the_next_time() {
        let mut status = BackupStatus::default();
        let b = backup(json!({"schedule": "0 * * * *"}));
        let now = at("2026-11-23T07:10:00Z");
        let problem = Problem {
            reason: "MarketplaceNotFound".into(),
            message: "Marketplace demo not found".into(),
        };
        set(
            &mut status,
            &b,
            &Decision::Hold(Hold::Problem(problem)),
            now,
        );
        assert_eq!(find(&status, "Degraded").status, "True");
        assert_eq!(find(&status, "Degraded").reason, "MarketplaceNotFound");
        assert_eq!(find(&status, "Ready").status, "False");
        let mut suspended = b.clone();
        suspended.spec.suspend = true;
        status.next_schedule_time = Some(Time(now));
        set(
            &mut status,
            &suspended,
            &Decision::Hold(Hold::Suspended),
            now,
        );
        assert_eq!(status.next_schedule_time, None);
        assert_eq!(find(&status, "Degraded").status, "False");
        assert_eq!(find(&status, "Ready").reason, "Suspended");
    }

    #[test]
    fn running_is_progressing() {
        let mut status = BackupStatus::default();
        let b = backup(json!({}));
        let now = at("2026-11-23T07:10:00Z");
        set(
            &mut status,
            &b,
            &Decision::Hold(Hold::Running("nightly-x".into())),
            now,
        );
        assert_eq!(find(&status, "Progressing").status, "True");
        assert_eq!(status.next_schedule_time, None, "one-shot");
    }
}
