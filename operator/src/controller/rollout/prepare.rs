//! The pure decisions before the preview is deployed: the gates every phase passes (a
//! missing or paused Marketplace), `Pending`, the pre-rollout backup and the migration.

use ogf_crds::rollout::Phase;
use ogf_crds::{RolloutSpec, RolloutStatus};

/// How long a pre-rollout Backup may stay `Degraded` (e.g. a Secret applied together with the
/// Rollout that is not there yet) before the Rollout fails instead of waiting for ever.
pub const BACKUP_DEGRADED_GRACE_SECONDS: i64 = 10;

use super::phase::{
    self, Decision, FailReason, MarketplaceView, Observations, StepState, WaitReason, Work, enter,
    wait,
};

/// What stops a Rollout before its phase is looked at: a Marketplace that does not exist
/// (`Failed`), or one that is paused (wait, then [`Decision::Resume`]). `None`: carry on.
pub fn gate(spec: &RolloutSpec, status: &RolloutStatus, obs: &Observations) -> Option<Decision> {
    let terminal = status.phase.is_terminal();
    // A finished Rollout with nothing left to scale down has let go of the Marketplace.
    let holding = !terminal || (status.target_color.is_some() && !status.scaled_down);
    if !holding {
        return None;
    }
    let Some(marketplace) = &obs.marketplace else {
        return (!terminal).then(|| Decision::Fail {
            reason: FailReason::MarketplaceNotFound,
            message: format!(
                "Marketplace {} does not exist; create it, then retry (annotation ogf.dev/retry)",
                spec.marketplace_ref.name
            ),
        });
    };
    if marketplace.paused {
        return Some(Decision::Wait {
            after: None,
            message: format!(
                "Marketplace {} is paused (spec.paused): the Rollout waits until it is unpaused",
                spec.marketplace_ref.name
            ),
            reason: Some(WaitReason::MarketplacePaused),
        });
    }
    status.paused_at.is_some().then_some(Decision::Resume)
}

/// `Pending`: wait for a Restore or an older Rollout, then start with the first step.
pub fn pending(spec: &RolloutSpec, obs: &Observations) -> Decision {
    let Some(marketplace) = &obs.marketplace else {
        return wait(None, "waiting for the Marketplace");
    };
    if let Some(restore) = &obs.restore_hold {
        return wait(
            None,
            format!("waiting for Restore {restore} of the same Marketplace (maintenance)"),
        );
    }
    if let Some(other) = &obs.blocked_by {
        return Decision::Wait {
            after: None,
            message: format!("waiting for Rollout {other} of the same Marketplace"),
            reason: Some(WaitReason::AnotherRolloutInProgress),
        };
    }
    if let Some(problem) = &obs.check_target_problem {
        return Decision::Fail {
            reason: FailReason::CheckTargetNotAllowed,
            message: format!(
                "{problem}; nothing was changed: point the check at an allowed target (or \
                 widen the operator's --allowed-check-targets), then retry (annotation \
                 ogf.dev/retry)"
            ),
        };
    }
    if let Some(problem) = &obs.override_problem {
        return Decision::Fail {
            reason: FailReason::InvalidConfigOverride,
            message: format!(
                "the new color cannot run with spec.config/spec.resources: {problem}; nothing \
                 was changed: fix them, then retry (annotation ogf.dev/retry)"
            ),
        };
    }
    let then = if marketplace.embedded {
        "; then stop-then-start (embedded store: the active color stops before the new one starts)"
    } else {
        ""
    };
    if let Some(backup) = &spec.pre_rollout_backup {
        return enter(
            Phase::BackingUp,
            format!(
                "taking a pre-rollout backup from template {} before anything changes{then}",
                backup.backup_template_ref.name
            ),
        );
    }
    if spec.migration.is_some() {
        return enter(
            Phase::Migrating,
            format!("{}{then}", migrating_message(spec)),
        );
    }
    enter(Phase::Deploying, deploying_message(spec, marketplace))
}

/// `BackingUp`: create the one-shot Backup, wait for `LastBackupSucceeded`, go on or fail.
pub fn backing_up(spec: &RolloutSpec, status: &RolloutStatus, obs: &Observations) -> Decision {
    let name = status.backup_name.as_deref().unwrap_or("?");
    match &obs.backup {
        StepState::TemplateMissing => Decision::Fail {
            reason: FailReason::BackupTemplateNotFound,
            message: format!(
                "Backup template {} does not exist; nothing was changed",
                spec.pre_rollout_backup
                    .as_ref()
                    .map_or("?", |b| b.backup_template_ref.name.as_str())
            ),
        },
        StepState::NotStarted => Decision::Act(Work::CreateBackup),
        StepState::Running(message) => wait(None, format!("pre-rollout backup {name}: {message}")),
        StepState::Degraded(message, since) => {
            match phase::remaining(obs.now, Some(*since), BACKUP_DEGRADED_GRACE_SECONDS) {
                Some(after) => wait(Some(after), format!("pre-rollout backup {name}: {message}")),
                None => Decision::Fail {
                    reason: FailReason::BackupFailed,
                    message: format!(
                        "pre-rollout backup {name} is degraded: {message}; nothing was changed"
                    ),
                },
            }
        }
        StepState::Failed(message) => Decision::Fail {
            reason: FailReason::BackupFailed,
            message: format!("pre-rollout backup {name} failed: {message}; nothing was changed"),
        },
        StepState::Succeeded => {
            let done = format!("pre-rollout backup {name} succeeded");
            match (&spec.migration, &obs.marketplace) {
                (Some(_), _) => enter(
                    Phase::Migrating,
                    format!("{done}; {}", migrating_message(spec)),
                ),
                (None, Some(m)) => enter(
                    Phase::Deploying,
                    format!("{done}; {}", deploying_message(spec, m)),
                ),
                (None, None) => wait(None, "waiting for the Marketplace"),
            }
        }
    }
}

/// `Migrating`: create the Job, wait until it completes, deploy or fail.
pub fn migrating(status: &RolloutStatus, obs: &Observations) -> Decision {
    let job = status.migration_job.as_deref().unwrap_or("?");
    match (&obs.migration, &obs.marketplace) {
        (StepState::NotStarted | StepState::TemplateMissing, _) => {
            Decision::Act(Work::StartMigration)
        }
        (StepState::Degraded(message, _), _) => {
            wait(None, format!("migration Job {job}: {message}"))
        }
        (StepState::Running(message), _) => wait(None, format!("migration Job {job}: {message}")),
        (StepState::Failed(message), _) => Decision::Fail {
            reason: FailReason::MigrationFailed,
            message: format!("migration Job {job} failed: {message}; traffic was not touched"),
        },
        (StepState::Succeeded, Some(m)) => enter(
            Phase::Deploying,
            format!(
                "migration Job {job} completed; {}",
                deploying_message_for(status, m)
            ),
        ),
        (StepState::Succeeded, None) => wait(None, "waiting for the Marketplace"),
    }
}

fn migrating_message(spec: &RolloutSpec) -> String {
    format!(
        "running the migration Job with {} before the preview is deployed",
        spec.image
    )
}

fn deploying_message(spec: &RolloutSpec, marketplace: &MarketplaceView) -> String {
    format!(
        "deploying {} to {} {}",
        spec.image,
        marketplace.active_color.other(),
        how(marketplace.embedded)
    )
}

fn deploying_message_for(status: &RolloutStatus, marketplace: &MarketplaceView) -> String {
    let target = status
        .target_color
        .unwrap_or_else(|| marketplace.active_color.other());
    format!(
        "deploying {} to {target} {}",
        status.target_image.as_deref().unwrap_or("?"),
        how(status.stop_then_start)
    )
}

fn how(embedded: bool) -> &'static str {
    if embedded {
        "stop-then-start (embedded store: the active color stops before the new one starts)"
    } else {
        "side by side"
    }
}

#[cfg(test)]
#[path = "prepare_tests.rs"]
mod tests;
