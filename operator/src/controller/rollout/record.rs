//! Writing a Rollout's status, its Events, and the outcome metrics.

use std::time::Duration;

use kube::api::PostParams;
use kube::runtime::events::EventType;
use kube::{Api, ResourceExt};
use ogf_crds::rollout::Phase;
use ogf_crds::{Rollout, RolloutStatus};

use super::RolloutContext;
use super::phase::Observations;
use crate::controller::{ReconcileError, publish_event};

/// Writes `status` through the status subresource, guarded by the Rollout's resourceVersion;
/// a conflict means a newer Rollout is on its way and will be reconciled. Returns whether the
/// status was written (false on a conflict: nothing may be announced for it).
pub async fn save(
    context: &RolloutContext,
    rollout: &Rollout,
    status: RolloutStatus,
) -> Result<bool, ReconcileError> {
    let api: Api<Rollout> = Api::namespaced(
        context.base.client.clone(),
        &rollout.namespace().unwrap_or_default(),
    );
    let mut object = rollout.clone();
    object.status = Some(status);
    object.metadata.managed_fields = None;
    match api
        .replace_status(&rollout.name_any(), &PostParams::default(), &object)
        .await
    {
        Ok(_) => Ok(true),
        Err(kube::Error::Api(status)) if status.code == 409 => Ok(false),
        Err(e) => Err(ReconcileError::Kube("writing the Rollout status", e)),
    }
}

/// An Event for the phase change, and the outcome metrics when it ends the Rollout.
pub async fn announce(
    context: &RolloutContext,
    rollout: &Rollout,
    previous: &RolloutStatus,
    phase: Phase,
    message: &str,
    obs: &Observations,
) {
    let type_ = if matches!(phase, Phase::RolledBack | Phase::Failed) {
        EventType::Warning
    } else {
        EventType::Normal
    };
    publish(context, rollout, type_, phase.as_str(), message).await;
    if phase.is_terminal() {
        let began = previous
            .steps
            .iter()
            .rev()
            .find(|s| s.phase == Phase::Deploying)
            .map(|s| s.at.0);
        let took = began.map(|b| {
            Duration::from_secs((obs.now.as_second() - b.as_second()).max(0).unsigned_abs())
        });
        context.base.metrics.rollout_finished(phase.as_str(), took);
    }
}

pub async fn publish(
    context: &RolloutContext,
    rollout: &Rollout,
    type_: EventType,
    reason: &str,
    note: &str,
) {
    publish_event(&context.base, rollout, type_, reason, note, "Rollout").await;
}
