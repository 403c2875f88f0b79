//! The work of each phase against the cluster; every function is idempotent.

use k8s_openapi::api::apps::v1::Deployment;
use kube::api::{Patch, PatchParams};
use kube::{Api, ResourceExt};
use ogf_crds::{Color, Marketplace, RolloutStatus};
use serde_json::json;

use crate::apply;
use crate::build;
use crate::controller::ReconcileError;

/// Field manager of the `spec.image` a successful explicit Rollout writes to its Marketplace.
pub const IMAGE_FIELD_MANAGER: &str = "ogf-operator-rollout";

/// Field manager of the replica counts a Rollout sets on an autoscaled Marketplace's colors.
/// Not [`crate::FIELD_MANAGER`]: the Marketplace reconciler applies an autoscaled active
/// Deployment without `spec.replicas`, which would remove a count that manager owned (and the
/// Deployment would fall back to one pod); under a manager of its own the count stays until
/// the HPA changes it.
pub const REPLICAS_FIELD_MANAGER: &str = "ogf-operator-rollout-replicas";

/// Applies `color`'s Deployment of `marketplace` with `image` and `replicas` pods.
///
/// On an autoscaled Marketplace the count is applied under [`REPLICAS_FIELD_MANAGER`] and the
/// rest of the Deployment without a count, so the operator never holds a count the HPA
/// decides later.
pub async fn scale(
    client: &kube::Client,
    marketplace: &Marketplace,
    color: Color,
    image: &str,
    replicas: i32,
) -> Result<bool, ReconcileError> {
    let namespace = marketplace.namespace().unwrap_or_default();
    let manifest = |replicas| -> Result<serde_json::Value, ReconcileError> {
        let deployment = build::color_deployment(marketplace, color, image, replicas)?;
        serde_json::to_value(&deployment)
            .map_err(|e| ReconcileError::Serialize("the Deployment", e))
    };
    if marketplace.spec.autoscaling.is_none() {
        let outcome = apply::apply(client, &namespace, &manifest(Some(replicas))?).await?;
        return Ok(outcome != apply::Outcome::Unchanged);
    }
    let api: Api<Deployment> = Api::namespaced(client.clone(), &namespace);
    let name = format!("{}-{color}", marketplace.name_any());
    let live = api
        .get_opt(&name)
        .await
        .map_err(|e| ReconcileError::Kube("reading a colored Deployment", e))?;
    let mut changed = false;
    if live.is_none() {
        // Created with its count (without one it would start with a single pod).
        apply::apply(client, &namespace, &manifest(Some(replicas))?).await?;
        changed = true;
    }
    let ours = live
        .as_ref()
        .is_none_or(|d| owns_replicas(d, crate::FIELD_MANAGER));
    if ours || live.as_ref().and_then(|d| d.spec.replicas) != Some(replicas) {
        let count = json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name}, "spec": {"replicas": replicas},
        });
        api.patch(
            &name,
            &PatchParams::apply(REPLICAS_FIELD_MANAGER).force(),
            &Patch::Apply(count),
        )
        .await
        .map_err(|e| ReconcileError::Kube("scaling a colored Deployment", e))?;
        changed = true;
    }
    let without_count = manifest(None)?;
    if ours {
        // Let go of `spec.replicas` (the count manager holds it now): always sent.
        api.patch(
            &name,
            &PatchParams::apply(crate::FIELD_MANAGER).force(),
            &Patch::Apply(without_count),
        )
        .await
        .map_err(|e| ReconcileError::Kube("applying a colored Deployment", e))?;
        return Ok(true);
    }
    let outcome = apply::apply(client, &namespace, &without_count).await?;
    Ok(changed || outcome != apply::Outcome::Unchanged)
}

/// Whether `manager` owns `spec.replicas` of `deployment` through server-side apply.
pub fn owns_replicas(deployment: &Deployment, manager: &str) -> bool {
    deployment
        .metadata
        .managed_fields
        .iter()
        .flatten()
        .any(|entry| {
            entry.manager.as_deref() == Some(manager)
                && entry.operation.as_deref() == Some("Apply")
                && entry
                    .fields_v1
                    .as_ref()
                    .is_some_and(|f| f.0["f:spec"].get("f:replicas").is_some())
        })
}

/// Brings up the target color; on the embedded store the old color is stopped first.
pub async fn deploy(
    client: &kube::Client,
    marketplace: &Marketplace,
    status: &RolloutStatus,
) -> Result<(), ReconcileError> {
    let (Some(target), Some(image)) = (status.target_color, status.target_image.as_deref()) else {
        return Ok(());
    };
    if status.stop_then_start
        && let Some(stable) = status.stable_image.as_deref()
    {
        scale(client, marketplace, target.other(), stable, 0).await?;
    }
    scale(
        client,
        marketplace,
        target,
        image,
        status.preview_replicas.unwrap_or(1),
    )
    .await?;
    Ok(())
}

/// Points the Marketplace at `color` running `image`, in one status write guarded by its
/// resourceVersion; the Marketplace reconciler then moves the active Service's selector.
pub async fn point_marketplace(
    client: &kube::Client,
    marketplace: &Marketplace,
    color: Color,
    image: &str,
) -> Result<(), ReconcileError> {
    let namespace = marketplace.namespace().unwrap_or_default();
    let api: Api<Marketplace> = Api::namespaced(client.clone(), &namespace);
    let patch = json!({
        "metadata": {"resourceVersion": marketplace.resource_version()},
        "status": {"activeColor": color, "image": image},
    });
    api.patch_status(
        &marketplace.name_any(),
        &PatchParams::default(),
        &Patch::Merge(patch),
    )
    .await
    .map_err(|e| ReconcileError::Kube("switching the Marketplace's active color", e))?;
    Ok(())
}

/// Sets the Marketplace's `spec.image` to `image` when it differs, so spec and reality agree.
pub async fn align_spec_image(
    client: &kube::Client,
    marketplace: &Marketplace,
    image: &str,
) -> Result<(), ReconcileError> {
    if marketplace.spec.image == image {
        return Ok(());
    }
    let namespace = marketplace.namespace().unwrap_or_default();
    let api: Api<Marketplace> = Api::namespaced(client.clone(), &namespace);
    let patch = json!({
        "apiVersion": "ogf.dev/v1alpha1",
        "kind": "Marketplace",
        "metadata": {"name": marketplace.name_any()},
        "spec": {"image": image},
    });
    api.patch(
        &marketplace.name_any(),
        &PatchParams::apply(IMAGE_FIELD_MANAGER).force(),
        &Patch::Apply(patch),
    )
    .await
    .map_err(|e| ReconcileError::Kube("setting the Marketplace's spec.image", e))?;
    Ok(())
}
