//! How status changes when a phase is entered, and the conditions each phase shows.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;
use ogf_crds::rollout::{MAX_STEPS, Phase, Step};
use ogf_crds::{ConditionStatus, ConditionType, RolloutSpec, RolloutStatus};

use super::phase::{MarketplaceView, WaitReason};
use crate::status::{condition, set_condition};

/// Type of the condition shown while another Rollout goes first.
pub const WAITING: &str = "Waiting";

/// Records `phase` as entered at `now`, with the fields it brings.
pub fn enter(
    status: &mut RolloutStatus,
    spec: &RolloutSpec,
    phase: Phase,
    message: &str,
    marketplace: Option<&MarketplaceView>,
    now: Timestamp,
) {
    match phase {
        Phase::Deploying => {
            if let Some(m) = marketplace {
                let target = m.active_color.other();
                status.active_color = Some(m.active_color);
                status.preview_color = Some(target);
                status.target_color = Some(target);
                status.stable_image = Some(m.image.clone());
                status.target_image = Some(spec.image.clone());
                status.stop_then_start = m.embedded;
                status.preview_replicas = Some(if m.embedded {
                    m.replicas.clamp(0, 1).max(1)
                } else {
                    spec.strategy
                        .blue_green
                        .preview_replicas
                        .unwrap_or(m.replicas)
                });
                status.deadline_at =
                    Timestamp::from_second(now.as_second() + spec.progress_deadline_seconds)
                        .ok()
                        .map(Time);
            }
        }
        Phase::AwaitingPromotion => status.verified_at = Some(Time(now)),
        Phase::Pending => {
            let steps = std::mem::take(&mut status.steps);
            let last_retry = status.last_retry.take();
            *status = RolloutStatus {
                steps,
                last_retry,
                ..RolloutStatus::default()
            };
        }
        Phase::Aborted | Phase::RolledBack | Phase::Failed => status.scaled_down = false,
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
    let degraded = match waiting {
        Some((WaitReason::MarketplaceNotFound, _)) => Some("MarketplaceNotFound"),
        _ if matches!(phase, Phase::RolledBack | Phase::Failed) => Some(phase.as_str()),
        _ => None,
    };
    set_condition(
        conditions,
        make(
            ConditionType::Degraded,
            degraded.is_some(),
            degraded.unwrap_or("AsExpected"),
        ),
    );
    match waiting {
        Some((WaitReason::AnotherRolloutInProgress, why)) => set_condition(
            conditions,
            condition_of(WAITING, "AnotherRolloutInProgress", why, generation, &now),
        ),
        _ => conditions.retain(|c| c.type_ != WAITING),
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
