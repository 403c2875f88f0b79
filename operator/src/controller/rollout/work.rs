//! Carrying out a phase's [`Work`] and recording its result.

use std::time::Duration;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, Time};
use k8s_openapi::jiff::Timestamp;
use kube::runtime::controller::Action;
use kube::runtime::events::EventType;
use ogf_crds::rollout::{CheckStage, Phase};
use ogf_crds::{Marketplace, Rollout, RolloutStatus};

use super::phase::{self, Observations, Work};
use super::{RolloutContext, act, checks, implicit, probe, record, steps, transition};
use crate::build;
use crate::controller::ReconcileError;

/// Does `work` for `rollout` and writes what changed to its status.
pub async fn act(
    context: &RolloutContext,
    rollout: &Rollout,
    marketplace: &Marketplace,
    mut status: RolloutStatus,
    work: Work,
    obs: &Observations,
) -> Result<Action, ReconcileError> {
    let client = &context.base.client;
    let now = obs.now;
    match work {
        Work::CreateBackup => {
            steps::create_backup(client, rollout, &status).await?;
            Ok(Action::await_change())
        }
        Work::StartMigration => {
            steps::start_migration(&context.base, rollout, marketplace, &status).await?;
            Ok(Action::await_change())
        }
        Work::StopOld => {
            // The new color starts only once every pod of the old one is gone (the pod watch
            // brings the next reconcile); until then only the old color is scaled down.
            if let (Some(target), Some(stable)) =
                (status.target_color, status.stable_image.as_deref())
            {
                act::scale(client, marketplace, target.other(), stable, 0).await?;
            }
            Ok(Action::await_change())
        }
        Work::Release => release(context, rollout, status).await,
        Work::Deploy => {
            let target = build::for_rollout(marketplace, &rollout.spec);
            act::deploy(client, marketplace, &target, &status).await?;
            let left = phase::remaining(now, status.deadline_at.as_ref().map(|t| t.0), 0);
            Ok(left.map_or_else(Action::await_change, |d| {
                Action::requeue(d + Duration::from_secs(1))
            }))
        }
        Work::Resize(replicas) => {
            let before = status.preview_replicas;
            status.preview_replicas = Some(replicas);
            let target = build::for_rollout(marketplace, &rollout.spec);
            act::deploy(client, marketplace, &target, &status).await?;
            let message = format!(
                "the preview follows the HPA of the active color: {} → {replicas} pods",
                before.map_or_else(|| "-".to_string(), |r| r.to_string())
            );
            status.message = Some(message.clone());
            if before != Some(replicas) && record::save(context, rollout, status).await? {
                record::publish(
                    context,
                    rollout,
                    EventType::Normal,
                    "PreviewScaled",
                    &message,
                )
                .await;
            }
            Ok(Action::await_change())
        }
        Work::Probe(stage) => {
            let bg = &rollout.spec.strategy.blue_green;
            let all = match stage {
                CheckStage::Pre => &bg.pre_promotion_checks,
                CheckStage::Post => &bg.post_promotion_checks,
            };
            let due = checks::due(all, stage, &status, now);
            let targets = &context.base.check_targets;
            let outcomes = futures::future::join_all(
                due.iter().map(|c| probe::probe(&context.http, targets, c)),
            )
            .await;
            let at = Time(Timestamp::now());
            for (check, outcome) in due.iter().zip(outcomes) {
                checks::record(&mut status, stage, &check.name, outcome, &at);
            }
            record::save(context, rollout, status).await?;
            Ok(Action::await_change())
        }
        Work::SwitchToTarget => {
            let (Some(target), Some(image)) = (status.target_color, status.target_image.clone())
            else {
                return Ok(Action::await_change());
            };
            let pointed = marketplace.status.as_ref().is_some_and(|s| {
                s.active_color == Some(target) && s.image.as_deref() == Some(image.as_str())
            });
            if !pointed {
                act::point_marketplace(client, marketplace, target, &image).await?;
                let switched = Timestamp::now();
                if let Some(since) = switch_allowed_since(rollout, &status) {
                    let millis = switched.as_millisecond() - since;
                    context
                        .base
                        .metrics
                        .rollout_switched(Duration::from_millis(millis.max(0).unsigned_abs()));
                }
                status.switched_at = Some(MicroTime(switched));
            }
            if status.switched_at.is_none() {
                status.switched_at = Some(MicroTime(Timestamp::now()));
            }
            status.active_color = Some(target);
            status.preview_color = Some(target.other());
            record::save(context, rollout, status).await?;
            Ok(Action::await_change())
        }
        Work::Finish => {
            if let (Some(target), Some(stable)) = (status.target_color, status.stable_image.clone())
            {
                act::scale(client, marketplace, target.other(), &stable, 0).await?;
            }
            // The overrides become the Marketplace's configuration first: the image write
            // changes its resourceVersion, which guards this one.
            if !act::align_spec_config(client, marketplace, &rollout.spec).await? {
                return Ok(Action::requeue(Duration::from_millis(200)));
            }
            if !implicit::is_implicit(rollout)
                && let Some(image) = status.target_image.clone()
            {
                act::align_spec_image(client, marketplace, &image).await?;
            }
            status.scaled_down = true;
            let message = "the new image serves traffic; the old color is scaled to zero";
            transition::enter(
                &mut status,
                rollout,
                Phase::Succeeded,
                message,
                obs.marketplace.as_ref(),
                now,
            );
            transition::set_conditions(&mut status, rollout.metadata.generation, None, now);
            let previous = rollout.status.clone().unwrap_or_default();
            if record::save(context, rollout, status).await? {
                record::announce(context, rollout, &previous, Phase::Succeeded, message, obs).await;
            }
            Ok(Action::await_change())
        }
        Work::SwitchBack => {
            if let (Some(target), Some(stable)) = (status.target_color, status.stable_image.clone())
            {
                act::point_marketplace(client, marketplace, target.other(), &stable).await?;
                status.active_color = Some(target.other());
                status.preview_color = Some(target);
                record::save(context, rollout, status).await?;
            }
            Ok(Action::await_change())
        }
        Work::ScaleDownTarget => {
            if let (Some(color), Some(image)) = (status.target_color, status.target_image.clone()) {
                // Built as deployed (with the overrides), so that only the count changes.
                let target = build::for_rollout(marketplace, &rollout.spec);
                act::scale(client, &target, color, &image, 0).await?;
            }
            status.scaled_down = true;
            record::save(context, rollout, status).await?;
            Ok(Action::await_change())
        }
    }
}

/// Lets go of a Marketplace that no longer exists: its Deployments went with it.
pub async fn release(
    context: &RolloutContext,
    rollout: &Rollout,
    mut status: RolloutStatus,
) -> Result<Action, ReconcileError> {
    if status.phase.is_terminal() && !status.scaled_down {
        status.scaled_down = true;
        record::save(context, rollout, status).await?;
    }
    Ok(Action::await_change())
}

/// When switching became allowed (milliseconds since the epoch): the checks passed plus the
/// auto-promotion delay, or the promotion itself.
fn switch_allowed_since(rollout: &Rollout, status: &RolloutStatus) -> Option<i64> {
    let bg = &rollout.spec.strategy.blue_green;
    if bg.auto_promote && !rollout.spec.promote {
        status
            .verified_at
            .as_ref()
            .map(|t| t.0.as_millisecond() + bg.auto_promote_after_seconds * 1000)
    } else {
        status
            .phase_started_at
            .as_ref()
            .map(|t| t.0.as_millisecond())
    }
}
