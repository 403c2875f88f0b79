//! How status changes when a phase is entered, and the conditions each phase shows.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, Time};
use k8s_openapi::jiff::Timestamp;
use kube::ResourceExt;
use ogf_crds::rollout::{MAX_STEPS, Phase, Step};
use ogf_crds::{ConditionStatus, ConditionType, Rollout, RolloutSpec, RolloutStatus};

use super::phase::{MarketplaceView, WaitReason};
use crate::build::migration_job;
use crate::status::{condition, set_condition};

/// Type of the condition shown while another Rollout goes first or the Marketplace is paused.
pub const WAITING: &str = "Waiting";

/// Records `phase` as entered at `now`, with the fields it brings.
pub fn enter(
    status: &mut RolloutStatus,
    rollout: &Rollout,
    phase: Phase,
    message: &str,
    marketplace: Option<&MarketplaceView>,
    now: Timestamp,
) {
    let spec = &rollout.spec;
    let previous = status.phase;
    if matches!(
        phase,
        Phase::BackingUp | Phase::Migrating | Phase::Deploying
    ) && status.target_color.is_none()
        && let Some(m) = marketplace
    {
        record_start(status, spec, m);
    }
    let retry = status.last_retry.clone();
    match phase {
        Phase::BackingUp => {
            status.backup_name = Some(migration_job::backup_name(
                &rollout.name_any(),
                retry.as_deref(),
            ));
        }
        Phase::Migrating => {
            status.migration_job = Some(migration_job::job_name(
                &rollout.name_any(),
                retry.as_deref(),
            ));
        }
        Phase::Deploying => {
            status.deadline_at =
                Timestamp::from_second(now.as_second() + spec.progress_deadline_seconds)
                    .ok()
                    .map(Time);
        }
        Phase::AwaitingPromotion => status.verified_at = Some(MicroTime(now)),
        Phase::Pending => {
            let steps = std::mem::take(&mut status.steps);
            *status = RolloutStatus {
                steps,
                last_retry: retry,
                ..RolloutStatus::default()
            };
        }
        // Nothing was deployed before `Deploying`: there is nothing to scale down.
        Phase::Aborted | Phase::RolledBack | Phase::Failed => {
            status.scaled_down = matches!(
                previous,
                Phase::Pending | Phase::BackingUp | Phase::Migrating
            );
        }
        _ => {}
    }
    status.phase = phase;
    status.phase_started_at = Some(Time(now));
    status.message = Some(message.to_string());
    status.steps.push(Step {
        phase,
        at: Time(now),
        message: message.to_string(),
    });
    let excess = status.steps.len().saturating_sub(MAX_STEPS);
    status.steps.drain(..excess);
}

/// The colors, images and sizes a Rollout works with, fixed when it leaves `Pending`.
fn record_start(status: &mut RolloutStatus, spec: &RolloutSpec, m: &MarketplaceView) {
    let target = m.active_color.other();
    status.active_color = Some(m.active_color);
    status.preview_color = Some(target);
    status.target_color = Some(target);
    status.stable_image = Some(m.image.clone());
    status.target_image = Some(spec.image.clone());
    status.stop_then_start = m.embedded;
    status.preview_replicas = Some(if m.embedded {
        1
    } else {
        spec.strategy
            .blue_green
            .preview_replicas
            .unwrap_or(m.replicas)
    });
}

/// After a pause of the Marketplace: the progress deadline moves by the time paused.
pub fn resume(status: &mut RolloutStatus, now: Timestamp) {
    if let Some(paused) = status.paused_at.take()
        && let Some(deadline) = status.deadline_at.as_mut()
    {
        let paused_for = (now.as_second() - paused.0.as_second()).max(0);
        if let Ok(later) = Timestamp::from_second(deadline.0.as_second() + paused_for) {
            deadline.0 = later;
        }
    }
}

/// Sets Ready, Progressing, Degraded (and Waiting while blocked) from the phase.
pub fn set_conditions(
    status: &mut RolloutStatus,
    generation: Option<i64>,
    waiting: Option<(WaitReason, &str)>,
    now: Timestamp,
) {
    let now = Time(now);
    let phase = status.phase;
    let message = status.message.clone().unwrap_or_default();
    let make = |kind, value: bool, reason: &str| {
        condition(
            kind,
            ConditionStatus::from_bool(value),
            reason,
            message.clone(),
            generation,
            &now,
        )
    };
    let conditions = &mut status.conditions;
    set_condition(
        conditions,
        make(
            ConditionType::Ready,
            phase == Phase::Succeeded,
            phase.as_str(),
        ),
    );
    set_condition(
        conditions,
        make(
            ConditionType::Progressing,
            !phase.is_terminal(),
            phase.as_str(),
        ),
    );
    let reason = status.reason.clone();
    let degraded = matches!(phase, Phase::RolledBack | Phase::Failed)
        .then(|| reason.unwrap_or_else(|| phase.as_str().to_string()));
    set_condition(
        conditions,
        make(
            ConditionType::Degraded,
            degraded.is_some(),
            degraded.as_deref().unwrap_or("AsExpected"),
        ),
    );
    match waiting {
        Some((reason, why)) => set_condition(
            conditions,
            condition_of(WAITING, reason.as_str(), why, generation, &now),
        ),
        None => conditions.retain(|c| c.type_ != WAITING),
    }
    status.observed_generation = generation;
}

fn condition_of(
    type_: &str,
    reason: &str,
    message: &str,
    generation: Option<i64>,
    now: &Time,
) -> ogf_crds::Condition {
    ogf_crds::Condition {
        type_: type_.into(),
        status: ConditionStatus::True.as_str().into(),
        reason: reason.into(),
        message: message.into(),
        last_transition_time: now.clone(),
        observed_generation: generation,
    }
}
