//! Reads what [`super::phase::decide`] needs from the cluster.

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Service;
use k8s_openapi::jiff::Timestamp;
use kube::runtime::reflector::Store;
use kube::{Api, ResourceExt};
use ogf_crds::marketplace::DatabaseKind;
use ogf_crds::rollout::Phase;
use ogf_crds::{Color, Marketplace, Rollout, RolloutSpec, RolloutStatus};

use super::phase::{self, MarketplaceView, Observations, StepState};
use super::{act, steps};
use crate::build::{self, labels};
use crate::controller::ReconcileError;
use crate::targets::CheckTargets;

/// The Marketplace (as read) and the observations about `rollout`.
pub async fn observe(
    client: &kube::Client,
    rollouts: &Store<Rollout>,
    targets: &CheckTargets,
    rollout: &Rollout,
) -> Result<(Option<Marketplace>, Observations), ReconcileError> {
    let namespace = rollout.namespace().unwrap_or_default();
    let name = &rollout.spec.marketplace_ref.name;
    let marketplace = Api::<Marketplace>::namespaced(client.clone(), &namespace)
        .get_opt(name)
        .await
        .map_err(|e| ReconcileError::Kube("reading the Marketplace", e))?;
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), &namespace);
    let active_color = marketplace
        .as_ref()
        .and_then(|m| m.status.as_ref())
        .and_then(|s| s.active_color)
        .unwrap_or_default();
    let active = deployments
        .get_opt(&format!("{name}-{active_color}"))
        .await
        .map_err(|e| ReconcileError::Kube("reading the active Deployment", e))?;
    let status = rollout.status.as_ref();
    let target = match (
        status.and_then(|s| s.target_color),
        status.and_then(|s| s.target_image.as_ref()),
    ) {
        (Some(color), Some(image)) => deployments
            .get_opt(&format!("{name}-{color}"))
            .await
            .map_err(|e| ReconcileError::Kube("reading the new color's Deployment", e))?
            .filter(|d| runs(d, image)),
        _ => None,
    };
    let service_color = Api::<Service>::namespaced(client.clone(), &namespace)
        .get_opt(name)
        .await
        .map_err(|e| ReconcileError::Kube("reading the active Service", e))?
        .and_then(|s| s.spec?.selector?.get(labels::COLOR).cloned())
        .and_then(|c| Color::ALL.into_iter().find(|color| color.as_str() == c));
    let siblings: Vec<_> = rollouts
        .state()
        .into_iter()
        .filter(|r| {
            r.namespace().as_deref() == Some(namespace.as_str())
                && &r.spec.marketplace_ref.name == name
        })
        .collect();
    let target_replicas = target.as_ref().and_then(|d| d.spec.replicas);
    let view = marketplace.as_ref().map(|m| MarketplaceView {
        active_color,
        image: m
            .status
            .as_ref()
            .and_then(|s| s.image.clone())
            .unwrap_or_else(|| m.spec.image.clone()),
        replicas: active
            .as_ref()
            .and_then(|d| d.spec.replicas)
            .unwrap_or(m.spec.replicas),
        embedded: matches!(m.spec.database.kind(), Some(DatabaseKind::Embedded(_))),
        autoscaled: m.spec.autoscaling.is_some(),
        paused: m.spec.paused,
    });
    let phase = status.map(|s| s.phase).unwrap_or_default();
    let default = RolloutStatus::default();
    let current = status.unwrap_or(&default);
    let backup = if phase == Phase::BackingUp {
        steps::backup_state(client, rollout, current).await?
    } else {
        StepState::NotStarted
    };
    let migration = if phase == Phase::Migrating {
        steps::migration_state(client, rollout, current).await?
    } else {
        StepState::NotStarted
    };
    let old_pods = match current.target_color {
        Some(target) if phase == Phase::Deploying && current.stop_then_start => {
            steps::pods_of(client, &namespace, name, target.other()).await?
        }
        _ => 0,
    };
    let restore_hold = match (&marketplace, rollout.status.as_ref().map(|s| s.phase)) {
        (Some(_), None | Some(Phase::Pending)) => {
            let restores = Api::<ogf_crds::Restore>::namespaced(client.clone(), &namespace)
                .list(&Default::default())
                .await
                .map_err(|e| ReconcileError::Kube("listing Restores", e))?
                .items;
            crate::controller::restore::hold::holder(name, &restores).map(ResourceExt::name_any)
        }
        _ => None,
    };
    let blocked_by = phase::blocked_by(rollout, siblings.iter().map(AsRef::as_ref));
    // The overrides are tried (a server-side dry run of the new color) only when the Rollout
    // is about to leave `Pending`: before a backup, a migration or anything else changes.
    let about_to_start = matches!(phase, Phase::Pending)
        && rollout.spec.overrides_config()
        && !rollout.spec.abort
        && blocked_by.is_none()
        && restore_hold.is_none();
    let override_problem = match &marketplace {
        Some(m) if about_to_start && !m.spec.paused => {
            act::try_overrides(client, m, &rollout.spec, active_color.other()).await?
        }
        _ => None,
    };
    // While deploying, the target only counts when it runs this Rollout's configuration too
    // (a color left up by an earlier Rollout may run the image with other settings).
    let configured = match (&marketplace, &target, current.target_color) {
        (Some(m), Some(d), Some(color)) if phase == Phase::Deploying => {
            let wanted = build::color_deployment(
                &build::for_rollout(m, &rollout.spec),
                color,
                &rollout.spec.image,
                None,
            )?;
            config_hash(d) == config_hash(&wanted)
        }
        _ => true,
    };
    let observations = Observations {
        now: Timestamp::now(),
        marketplace: view,
        blocked_by,
        restore_hold,
        target_available: configured && target.as_ref().is_some_and(available),
        service_color,
        backup,
        migration,
        old_pods,
        target_replicas,
        override_problem,
        check_target_problem: check_target_problem(&rollout.spec, targets),
    };
    Ok((marketplace, observations))
}

/// The checks whose URL or Prometheus address `targets` refuses, described; `None` when all
/// are allowed. Names are resolved later, at connect time ([`crate::targets::GuardedResolver`]).
pub fn check_target_problem(spec: &RolloutSpec, targets: &CheckTargets) -> Option<String> {
    let bg = &spec.strategy.blue_green;
    let refused: Vec<String> = bg
        .pre_promotion_checks
        .iter()
        .chain(&bg.post_promotion_checks)
        .filter_map(|check| {
            let target = match (&check.http, &check.prometheus) {
                (Some(http), _) => &http.url,
                (None, Some(prometheus)) => &prometheus.address,
                (None, None) => return None,
            };
            let e = targets.check_url(target).err()?;
            Some(format!("check {:?}: {e}", check.name))
        })
        .collect();
    (!refused.is_empty()).then(|| format!("check target not allowed: {}", refused.join("; ")))
}

fn runs(deployment: &Deployment, image: &str) -> bool {
    deployment
        .spec
        .template
        .spec
        .as_ref()
        .is_some_and(|p| p.containers.first().and_then(|c| c.image.as_deref()) == Some(image))
}

/// The `ogf.dev/config-hash` of `deployment`'s pod template.
fn config_hash(deployment: &Deployment) -> Option<&String> {
    deployment
        .spec
        .template
        .metadata
        .as_ref()?
        .annotations
        .as_ref()?
        .get(build::config_hash::ANNOTATION)
}

/// Fully rolled out and Available: at least one pod, every desired pod updated, ready and
/// available, for the current generation (a color scaled to zero is not Available: the active
/// selector must never point at nothing).
pub fn available(deployment: &Deployment) -> bool {
    let spec = &deployment.spec;
    let Some(status) = deployment.status.as_ref() else {
        return false;
    };
    let desired = spec.replicas.unwrap_or(1);
    desired > 0
        && status.observed_generation >= deployment.metadata.generation
        && status.updated_replicas.unwrap_or(0) == desired
        && status.ready_replicas.unwrap_or(0) == desired
        && status.available_replicas.unwrap_or(0) == desired
        && status.replicas.unwrap_or(0) == desired
}
