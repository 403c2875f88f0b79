//! The Rollout state machine as a pure function: what the status and the cluster say in,
//! the one next thing to do out. Every phase change is recorded before it is acted on.

use std::time::Duration;

use k8s_openapi::jiff::Timestamp;
use ogf_crds::rollout::{CheckStage, Phase, RETRY_ANNOTATION};
use ogf_crds::{Color, Rollout, RolloutStatus};

use super::checks::{self, Verdict};
use super::prepare;

/// What the reconciler saw of the Marketplace.
#[derive(Clone, Debug, PartialEq)]
pub struct MarketplaceView {
    /// The color its active Service selects (`status.activeColor`).
    pub active_color: Color,
    /// The image the active color runs (`status.image`, else `spec.image`).
    pub image: String,
    /// Pods the active color runs now (what an HPA decided, when autoscaled).
    pub replicas: i32,
    /// Whether it uses the embedded store (one replica on one volume).
    pub embedded: bool,
    /// Whether an HPA decides the active color's count (`spec.autoscaling`).
    pub autoscaled: bool,
    /// `spec.paused`: the operator changes nothing, so the Rollout waits.
    pub paused: bool,
}

/// Where a step run by another object (the pre-rollout Backup, the migration Job) stands.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum StepState {
    /// Not created yet.
    #[default]
    NotStarted,
    /// Created and not finished; what it says.
    Running(String),
    /// Finished successfully.
    Succeeded,
    /// Finished with a failure; why.
    Failed(String),
    /// The pre-rollout Backup reports `Degraded` (a missing Secret or claim, an invalid
    /// spec): what it says, and since when.
    Degraded(String, Timestamp),
    /// The pre-rollout Backup's template does not exist.
    TemplateMissing,
}

/// Everything [`decide`] looks at besides the Rollout itself.
#[derive(Clone, Debug, PartialEq)]
pub struct Observations {
    /// The current time.
    pub now: Timestamp,
    /// The Marketplace, if it exists.
    pub marketplace: Option<MarketplaceView>,
    /// Another Rollout of the same Marketplace that goes first.
    pub blocked_by: Option<String>,
    /// A Restore that holds the Marketplace's API stopped (maintenance): a Rollout does not
    /// start until it is over.
    pub restore_hold: Option<String>,
    /// Whether the target color's Deployment runs the target image and is fully Available.
    pub target_available: bool,
    /// The color the active Service selects now.
    pub service_color: Option<Color>,
    /// The pre-rollout Backup (observed in `BackingUp` only).
    pub backup: StepState,
    /// The migration Job (observed in `Migrating` only).
    pub migration: StepState,
    /// Pods of the old color that still exist, terminating ones included (observed in
    /// `Deploying` on the embedded store only: the new color starts once they are gone).
    pub old_pods: usize,
    /// `spec.replicas` of the target color's Deployment, when it runs the target image.
    pub target_replicas: Option<i32>,
    /// Why the API server refuses the new color with the Rollout's `config`/`resources`
    /// (a server-side dry run, observed only when the Rollout is about to leave `Pending`).
    pub override_problem: Option<String>,
    /// Which check targets the allow-list refuses (`--allowed-check-targets`), if any.
    pub check_target_problem: Option<String>,
}

/// Why a Rollout waits, when the reason deserves the `Waiting` condition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitReason {
    /// Another Rollout of the same Marketplace is in progress.
    AnotherRolloutInProgress,
    /// The Marketplace has `spec.paused: true`.
    MarketplacePaused,
}

impl WaitReason {
    /// The condition reason.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AnotherRolloutInProgress => "AnotherRolloutInProgress",
            Self::MarketplacePaused => "MarketplacePaused",
        }
    }
}

/// Why a Rollout ends `Failed`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailReason {
    /// The referenced Marketplace does not exist.
    MarketplaceNotFound,
    /// The pre-rollout Backup's template does not exist.
    BackupTemplateNotFound,
    /// The pre-rollout Backup failed.
    BackupFailed,
    /// The migration Job failed or passed its deadline.
    MigrationFailed,
    /// The API server refuses the new color with the Rollout's `config` or `resources`.
    InvalidConfigOverride,
    /// A check's URL or Prometheus address is not on the operator's allow-list.
    CheckTargetNotAllowed,
}

impl FailReason {
    /// The `status.reason` and `Degraded` reason.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MarketplaceNotFound => "MarketplaceNotFound",
            Self::BackupTemplateNotFound => "BackupTemplateNotFound",
            Self::BackupFailed => "BackupFailed",
            Self::MigrationFailed => "MigrationFailed",
            Self::InvalidConfigOverride => "InvalidConfigOverride",
            Self::CheckTargetNotAllowed => "CheckTargetNotAllowed",
        }
    }
}

/// Work a phase does; each is idempotent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Work {
    /// Create the one-shot pre-rollout Backup from its template.
    CreateBackup,
    /// Create the migration Job.
    StartMigration,
    /// Scale the old color to zero and wait for its pods to be gone (embedded store).
    StopOld,
    /// Apply the target color's Deployment with the target image (stopping the active first
    /// on the embedded store).
    Deploy,
    /// Scale the preview to what the HPA decided for the active color (autoscaled
    /// Marketplaces, until the switch), and record it.
    Resize(i32),
    /// Probe the checks of a stage that are due.
    Probe(CheckStage),
    /// Point the Marketplace (and so its active Service) at the target color.
    SwitchToTarget,
    /// Scale the old color to zero, align the Marketplace's `spec.image`, then record `Succeeded`.
    Finish,
    /// Point the Marketplace back at the old color.
    SwitchBack,
    /// Scale the target color to zero, then record it.
    ScaleDownTarget,
    /// Let go of a Marketplace that no longer exists (its Deployments went with it).
    Release,
}

/// The one next thing to do.
#[derive(Clone, Debug, PartialEq)]
pub enum Decision {
    /// Record `phase` in status (the next reconcile acts on it).
    Enter {
        /// The new phase.
        phase: Phase,
        /// Why, for the history, the message and the Event.
        message: String,
    },
    /// Record `Failed` with a reason: the Rollout cannot run; traffic was never switched.
    Fail {
        /// Why, for `status.reason` and the `Degraded` condition.
        reason: FailReason,
        /// What happened, for humans.
        message: String,
    },
    /// Start over from `Pending` because of a new `ogf.dev/retry` value.
    Retry(String),
    /// The Marketplace is no longer paused: extend the progress deadline by the pause.
    Resume,
    /// Do a phase's work.
    Act(Work),
    /// Finished: nothing left to do. The status keeps the message of how it ended.
    Done,
    /// Nothing to do until a watch event or `after`.
    Wait {
        /// When to look again without an event.
        after: Option<Duration>,
        /// What the Rollout waits for.
        message: String,
        /// A reason worth a condition.
        reason: Option<WaitReason>,
    },
}

pub(super) fn wait(after: Option<Duration>, message: impl Into<String>) -> Decision {
    Decision::Wait {
        after,
        message: message.into(),
        reason: None,
    }
}

pub(super) fn enter(phase: Phase, message: impl Into<String>) -> Decision {
    Decision::Enter {
        phase,
        message: message.into(),
    }
}

/// Seconds from `now` until `since + seconds`, `None` once passed.
pub fn remaining(now: Timestamp, since: Option<Timestamp>, seconds: i64) -> Option<Duration> {
    let since = since.unwrap_or(now);
    let left = since.as_second() + seconds - now.as_second();
    (left > 0).then(|| Duration::from_secs(left.unsigned_abs()))
}

/// The next step of `rollout` given `obs`.
pub fn decide(rollout: &Rollout, obs: &Observations) -> Decision {
    let default = RolloutStatus::default();
    let status = rollout.status.as_ref().unwrap_or(&default);
    let spec = &rollout.spec;
    let bg = &spec.strategy.blue_green;
    let now = obs.now;
    let started = status.phase_started_at.as_ref().map(|t| t.0);
    let deadline_passed = status.deadline_at.as_ref().is_some_and(|t| t.0 <= now);

    if let Some(retry) = new_retry(rollout) {
        return Decision::Retry(retry);
    }
    if !status.phase.is_terminal() && spec.abort {
        return enter(Phase::Aborted, "aborted: spec.abort is true");
    }
    if let Some(gated) = prepare::gate(spec, status, obs) {
        return gated;
    }
    let verifying = matches!(status.phase, Phase::Deploying | Phase::Verifying);
    if !(deadline_passed && verifying)
        && let Some(replicas) = follow_hpa(rollout, status, obs)
    {
        return Decision::Act(Work::Resize(replicas));
    }
    match status.phase {
        Phase::Pending => prepare::pending(spec, obs),
        Phase::BackingUp => prepare::backing_up(spec, status, obs),
        Phase::Migrating => prepare::migrating(status, obs),
        Phase::Deploying if deadline_passed => enter(
            Phase::RolledBack,
            "progress deadline exceeded while deploying",
        ),
        Phase::Deploying if obs.target_available => {
            enter(Phase::Verifying, "the new color is Available")
        }
        Phase::Deploying if status.stop_then_start && obs.old_pods > 0 => {
            Decision::Act(Work::StopOld)
        }
        Phase::Deploying => Decision::Act(Work::Deploy),
        Phase::Verifying if deadline_passed => enter(
            Phase::RolledBack,
            "progress deadline exceeded while verifying",
        ),
        Phase::Verifying if !obs.target_available => {
            wait(None, "waiting for the new color to be Available again")
        }
        Phase::Verifying => {
            match checks::verdict(&bg.pre_promotion_checks, CheckStage::Pre, status, now) {
                Verdict::Failed(name) => enter(
                    Phase::RolledBack,
                    format!("pre-promotion check {name} failed"),
                ),
                Verdict::Passed => enter(Phase::AwaitingPromotion, "pre-promotion checks passed"),
                Verdict::Due => Decision::Act(Work::Probe(CheckStage::Pre)),
                Verdict::NextIn(after) => wait(Some(after), "running pre-promotion checks"),
            }
        }
        Phase::AwaitingPromotion if spec.promote => {
            enter(Phase::Promoting, "promoted: spec.promote is true")
        }
        Phase::AwaitingPromotion if bg.auto_promote => {
            match remaining(now, started, bg.auto_promote_after_seconds) {
                None => enter(Phase::Promoting, "auto-promoted"),
                Some(after) => wait(Some(after), "auto-promotion pending"),
            }
        }
        Phase::AwaitingPromotion => wait(None, "waiting for spec.promote: true"),
        Phase::Promoting => {
            let target = status.target_color;
            let switched = target.is_some()
                && obs.service_color == target
                && obs.marketplace.as_ref().map(|m| m.active_color) == target;
            if switched {
                enter(
                    Phase::PostVerifying,
                    "the active Service selects the new color",
                )
            } else if obs.target_available {
                Decision::Act(Work::SwitchToTarget)
            } else {
                wait(
                    None,
                    "waiting for the new color to be Available before switching",
                )
            }
        }
        Phase::PostVerifying => {
            match checks::verdict(&bg.post_promotion_checks, CheckStage::Post, status, now) {
                Verdict::Failed(name) => enter(
                    Phase::RolledBack,
                    format!(
                        "post-promotion check {name} failed: traffic goes back to the old color"
                    ),
                ),
                Verdict::Passed => {
                    let switched = status.switched_at.as_ref().map(|t| t.0);
                    match remaining(now, switched, bg.scale_down_delay_seconds) {
                        None => Decision::Act(Work::Finish),
                        Some(after) => wait(
                            Some(after),
                            "keeping the old color up for scaleDownDelaySeconds",
                        ),
                    }
                }
                Verdict::Due => Decision::Act(Work::Probe(CheckStage::Post)),
                Verdict::NextIn(after) => wait(Some(after), "running post-promotion checks"),
            }
        }
        Phase::Succeeded => Decision::Done,
        Phase::Aborted | Phase::RolledBack | Phase::Failed => {
            cleanup(status, obs, bg.abort_scale_down_delay_seconds)
        }
    }
}

/// The count the preview must be scaled to, when it does not have it: on an autoscaled
/// Marketplace (and without an explicit `previewReplicas`) the preview follows what the HPA
/// decides for the active color, from `Deploying` until the switch. The HPA writes its
/// decision to the active Deployment's scale, so its count is the HPA's current decision.
pub fn follow_hpa(rollout: &Rollout, status: &RolloutStatus, obs: &Observations) -> Option<i32> {
    let marketplace = obs.marketplace.as_ref()?;
    let target = status.target_color?;
    let following = marketplace.autoscaled
        && rollout.spec.strategy.blue_green.preview_replicas.is_none()
        && !status.stop_then_start
        && marketplace.active_color != target
        && matches!(
            status.phase,
            Phase::Deploying | Phase::Verifying | Phase::AwaitingPromotion | Phase::Promoting
        );
    let decided = marketplace.replicas.max(1);
    let behind = status.preview_replicas != Some(decided)
        || obs.target_replicas.is_some_and(|r| r != decided);
    (following && behind).then_some(decided)
}

/// After an abort or rollback: traffic back on the old color, then the target color scaled down.
fn cleanup(status: &RolloutStatus, obs: &Observations, delay: i64) -> Decision {
    // Once scaled down the Rollout has let go of the Marketplace: later Rollouts may move it.
    let Some(target) = status.target_color.filter(|_| !status.scaled_down) else {
        return Decision::Done;
    };
    if obs.marketplace.is_none() {
        return Decision::Act(Work::Release);
    }
    let active = obs.marketplace.as_ref().map(|m| m.active_color);
    if active == Some(target) || (active.is_some() && obs.service_color == Some(target)) {
        return Decision::Act(Work::SwitchBack);
    }
    let delay = if status.stop_then_start { 0 } else { delay };
    let started = status.phase_started_at.as_ref().map(|t| t.0);
    match remaining(obs.now, started, delay) {
        None => Decision::Act(Work::ScaleDownTarget),
        Some(after) => wait(
            Some(after),
            "keeping the new color up for abortScaleDownDelaySeconds",
        ),
    }
}

/// A retry annotation value not acted on yet, on a Rollout that can be retried.
pub fn new_retry(rollout: &Rollout) -> Option<String> {
    let status = rollout.status.as_ref()?;
    if !matches!(
        status.phase,
        Phase::Aborted | Phase::RolledBack | Phase::Failed
    ) {
        return None;
    }
    let value = rollout
        .metadata
        .annotations
        .as_ref()?
        .get(RETRY_ANNOTATION)?;
    (status.last_retry.as_ref() != Some(value)).then(|| value.clone())
}

/// Whether `rollout` holds its Marketplace: started and not finished, or finished with the
/// unused color not scaled down yet.
pub fn in_progress(rollout: &Rollout) -> bool {
    rollout.status.as_ref().is_some_and(|s| match s.phase {
        Phase::Pending => false,
        phase if phase.is_terminal() => s.target_color.is_some() && !s.scaled_down,
        _ => true,
    })
}

/// The first of `others` (Rollouts of the same Marketplace) that must finish before `rollout`
/// starts: one in progress, or an older one still pending.
pub fn blocked_by<'a>(
    rollout: &Rollout,
    others: impl IntoIterator<Item = &'a Rollout>,
) -> Option<String> {
    let key = |r: &Rollout| {
        (
            r.metadata.creation_timestamp.as_ref().map(|t| t.0),
            r.metadata.name.clone(),
        )
    };
    let mine = key(rollout);
    others
        .into_iter()
        .filter(|other| other.metadata.name != rollout.metadata.name)
        .find(|other| {
            in_progress(other)
                || (other
                    .status
                    .as_ref()
                    .is_none_or(|s| s.phase == Phase::Pending)
                    && !other.spec.abort
                    && key(other) < mine)
        })
        .and_then(|other| other.metadata.name.clone())
}

#[cfg(test)]
#[path = "phase_tests.rs"]
mod tests;
