//! The work of each phase against the cluster; every function is idempotent.

use k8s_openapi::api::apps::v1::Deployment;
use kube::api::{Patch, PatchParams};
use kube::{Api, ResourceExt};
use ogf_crds::{Color, Marketplace, RolloutSpec, RolloutStatus};
use serde_json::{Value, json};

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

/// Brings up the target color with its own ConfigMap; on the embedded store the old color is
/// stopped first. `target` is the Marketplace as the new color runs it
/// ([`build::for_rollout`]); the old color is scaled with `marketplace` as it is.
pub async fn deploy(
    client: &kube::Client,
    marketplace: &Marketplace,
    target: &Marketplace,
    status: &RolloutStatus,
) -> Result<(), ReconcileError> {
    let (Some(color), Some(image)) = (status.target_color, status.target_image.as_deref()) else {
        return Ok(());
    };
    if status.stop_then_start
        && let Some(stable) = status.stable_image.as_deref()
    {
        scale(client, marketplace, color.other(), stable, 0).await?;
    }
    let config_map = serde_json::to_value(build::color_config_map(target, color)?)
        .map_err(|e| ReconcileError::Serialize("the ConfigMap", e))?;
    apply::apply(client, &target.namespace().unwrap_or_default(), &config_map).await?;
    scale(
        client,
        target,
        color,
        image,
        status.preview_replicas.unwrap_or(1),
    )
    .await?;
    Ok(())
}

/// Whether the API server accepts `color`'s Deployment built with the Rollout's overrides (a
/// server-side dry run: nothing is written); `Some(why)` when it refuses it.
pub async fn try_overrides(
    client: &kube::Client,
    marketplace: &Marketplace,
    spec: &RolloutSpec,
    color: Color,
) -> Result<Option<String>, ReconcileError> {
    let target = build::for_rollout(marketplace, spec);
    let deployment = build::color_deployment(&target, color, &spec.image, Some(1))?;
    let api: Api<Deployment> =
        Api::namespaced(client.clone(), &marketplace.namespace().unwrap_or_default());
    let name = deployment.metadata.name.clone().unwrap_or_default();
    let params = PatchParams::apply(crate::FIELD_MANAGER).force().dry_run();
    match api.patch(&name, &params, &Patch::Apply(&deployment)).await {
        Ok(_) => Ok(None),
        Err(kube::Error::Api(status)) if matches!(status.code, 400 | 422) => {
            Ok(Some(status.message))
        }
        Err(e) => Err(ReconcileError::Kube(
            "trying the configuration overrides",
            e,
        )),
    }
}

/// Makes the Marketplace's `spec.config` and `spec.resources` what the new color runs with
/// (the Rollout's overrides applied), so that its reconciler builds the same pods once it
/// takes the color back. One merge patch under [`IMAGE_FIELD_MANAGER`], guarded by the
/// resourceVersion; `false` on a conflict (the caller tries again with a fresh read).
pub async fn align_spec_config(
    client: &kube::Client,
    marketplace: &Marketplace,
    spec: &RolloutSpec,
) -> Result<bool, ReconcileError> {
    let Some(patch) = spec_config_patch(marketplace, spec)
        .map_err(|e| ReconcileError::Serialize("the configuration", e))?
    else {
        return Ok(true);
    };
    let api: Api<Marketplace> =
        Api::namespaced(client.clone(), &marketplace.namespace().unwrap_or_default());
    let params = PatchParams {
        field_manager: Some(IMAGE_FIELD_MANAGER.into()),
        ..PatchParams::default()
    };
    match api
        .patch(&marketplace.name_any(), &params, &Patch::Merge(patch))
        .await
    {
        Ok(_) => Ok(true),
        Err(kube::Error::Api(status)) if status.code == 409 => Ok(false),
        Err(e) => Err(ReconcileError::Kube(
            "setting the Marketplace's spec.config",
            e,
        )),
    }
}

/// The merge patch that gives `marketplace` the configuration of [`build::for_rollout`]:
/// `spec.config` and (when overridden) `spec.resources` replaced as wholes; `None` when they
/// already are.
pub fn spec_config_patch(
    marketplace: &Marketplace,
    spec: &RolloutSpec,
) -> Result<Option<Value>, serde_json::Error> {
    let target = build::for_rollout(marketplace, spec).spec;
    let current = &marketplace.spec;
    let mut changes = serde_json::Map::new();
    if target.config != current.config {
        let live = serde_json::to_value(&current.config)?;
        changes.insert(
            "config".into(),
            replacing(&live, &serde_json::to_value(&target.config)?),
        );
    }
    if spec.resources.is_some() && target.resources != current.resources {
        let live = serde_json::to_value(&current.resources)?;
        changes.insert(
            "resources".into(),
            replacing(&live, &serde_json::to_value(&target.resources)?),
        );
    }
    if changes.is_empty() {
        return Ok(None);
    }
    Ok(Some(json!({
        "metadata": {"resourceVersion": marketplace.resource_version()},
        "spec": changes,
    })))
}

/// A merge patch (RFC 7386) that turns `live` into exactly `wanted`: keys only `live` has are
/// set to null, at every depth (a plain merge patch would keep them).
pub fn replacing(live: &Value, wanted: &Value) -> Value {
    match (live, wanted) {
        (Value::Object(live), Value::Object(wanted)) => {
            let mut patch: serde_json::Map<String, Value> = live
                .keys()
                .filter(|k| !wanted.contains_key(*k))
                .map(|k| (k.clone(), Value::Null))
                .collect();
            for (key, value) in wanted {
                let merged = live
                    .get(key)
                    .map_or_else(|| value.clone(), |l| replacing(l, value));
                patch.insert(key.clone(), merged);
            }
            Value::Object(patch)
        }
        _ => wanted.clone(),
    }
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

#[cfg(test)]
#[path = "act_tests.rs"]
mod tests;
