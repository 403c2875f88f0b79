//! The work of each phase against the cluster; every function is idempotent.

use kube::api::{Patch, PatchParams};
use kube::{Api, ResourceExt};
use ogf_crds::{Color, Marketplace, RolloutStatus};
use serde_json::json;

use crate::apply;
use crate::build;
use crate::controller::ReconcileError;

/// Field manager of the `spec.image` a successful explicit Rollout writes to its Marketplace.
pub const IMAGE_FIELD_MANAGER: &str = "ogf-operator-rollout";

/// Applies `color`'s Deployment of `marketplace` with `image` and `replicas` pods.
pub async fn scale(
    client: &kube::Client,
    marketplace: &Marketplace,
    color: Color,
    image: &str,
    replicas: i32,
) -> Result<bool, ReconcileError> {
    let deployment = build::color_deployment(marketplace, color, image, Some(replicas))?;
    let manifest = serde_json::to_value(&deployment)
        .map_err(|e| ReconcileError::Serialize("the Deployment", e))?;
    let namespace = marketplace.namespace().unwrap_or_default();
    let outcome = apply::apply(client, &namespace, &manifest).await?;
    Ok(outcome != apply::Outcome::Unchanged)
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
