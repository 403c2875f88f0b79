//! The Marketplace side of rollouts: whether one is in progress, and the implicit Rollout a
//! plain `spec.image` change creates.

use kube::api::{DeleteParams, ListParams, PostParams};
use kube::{Api, ResourceExt};
use ogf_crds::rollout::{MarketplaceRef, Phase, RolloutSpec, Strategy};
use ogf_crds::{Marketplace, Rollout};
use sha2::{Digest, Sha256};

use super::phase;
use crate::build::owner::Owner;
use crate::controller::ReconcileError;

/// The Rollouts of `marketplace`.
async fn rollouts_of(
    client: &kube::Client,
    marketplace: &Marketplace,
) -> Result<Vec<Rollout>, ReconcileError> {
    let api: Api<Rollout> =
        Api::namespaced(client.clone(), &marketplace.namespace().unwrap_or_default());
    let name = marketplace.name_any();
    Ok(api
        .list(&ListParams::default())
        .await
        .map_err(|e| ReconcileError::Kube("listing Rollouts", e))?
        .items
        .into_iter()
        .filter(|r| r.spec.marketplace_ref.name == name)
        .collect())
}

/// Whether a Rollout of `marketplace` holds it (see [`phase::in_progress`]).
pub async fn in_progress_for(
    client: &kube::Client,
    marketplace: &Marketplace,
) -> Result<bool, ReconcileError> {
    Ok(rollouts_of(client, marketplace)
        .await?
        .iter()
        .any(phase::in_progress))
}

/// Name of the implicit Rollout of `marketplace` to `image`: `<marketplace>-<8 hex of sha256(image)>`.
pub fn implicit_name(marketplace: &str, image: &str) -> String {
    let digest = Sha256::digest(image.as_bytes());
    let hex: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
    format!("{marketplace}-{hex}")
}

/// Whether the Marketplace reconciler created `rollout` (it is owned by its Marketplace).
pub fn is_implicit(rollout: &Rollout) -> bool {
    rollout
        .owner_references()
        .iter()
        .any(|r| r.kind == "Marketplace" && r.controller == Some(true))
}

/// When `spec.image` differs from the image the active color runs and no Rollout is in
/// progress or pending, creates the implicit Rollout (defaults: readiness only, auto-promote).
/// A finished implicit Rollout of the same name that succeeded earlier is replaced; one that
/// was aborted or rolled back stays (retry it with `ogf.dev/retry`).
pub async fn ensure_implicit(
    client: &kube::Client,
    marketplace: &Marketplace,
) -> Result<(), ReconcileError> {
    let Some(running) = marketplace.status.as_ref().and_then(|s| s.image.as_deref()) else {
        return Ok(());
    };
    let wanted = marketplace.spec.image.as_str();
    if running == wanted {
        return Ok(());
    }
    let rollouts = rollouts_of(client, marketplace).await?;
    let busy = rollouts.iter().any(|r| {
        phase::in_progress(r) || r.status.as_ref().is_none_or(|s| s.phase == Phase::Pending)
    });
    if busy {
        return Ok(());
    }
    // Read the Marketplace again, after the Rollouts: the one given may be older than the list.
    // A successful explicit Rollout sets `spec.image` before it records `Succeeded`, so a
    // Marketplace read before that (new `status.image`, old `spec.image`) next to a list that
    // shows it finished would start a Rollout back to the old image.
    let marketplaces: Api<Marketplace> =
        Api::namespaced(client.clone(), &marketplace.namespace().unwrap_or_default());
    let Some(marketplace) = marketplaces
        .get_opt(&marketplace.name_any())
        .await
        .map_err(|e| ReconcileError::Kube("reading the Marketplace again", e))?
    else {
        return Ok(());
    };
    let marketplace = &marketplace;
    let running = marketplace.status.as_ref().and_then(|s| s.image.as_deref());
    let wanted = marketplace.spec.image.as_str();
    if running.is_none_or(|running| running == wanted) {
        return Ok(());
    }
    let name = implicit_name(&marketplace.name_any(), wanted);
    let api: Api<Rollout> =
        Api::namespaced(client.clone(), &marketplace.namespace().unwrap_or_default());
    if let Some(existing) = rollouts.iter().find(|r| r.name_any() == name) {
        if existing
            .status
            .as_ref()
            .is_some_and(|s| s.phase == Phase::Succeeded)
            && is_implicit(existing)
        {
            api.delete(&name, &DeleteParams::background())
                .await
                .map_err(|e| ReconcileError::Kube("replacing a finished implicit Rollout", e))?;
        }
        return Ok(());
    }
    let owner = Owner::of(marketplace)?;
    let mut rollout = Rollout::new(
        &name,
        RolloutSpec {
            marketplace_ref: MarketplaceRef {
                name: marketplace.name_any(),
            },
            image: wanted.to_string(),
            config: None,
            resources: None,
            strategy: Strategy::default(),
            progress_deadline_seconds: 600,
            pre_rollout_backup: None,
            migration: None,
            promote: false,
            abort: false,
        },
    );
    rollout.metadata.owner_references = Some(vec![owner.reference.clone()]);
    match api.create(&PostParams::default(), &rollout).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(status)) if status.code == 409 => Ok(()),
        Err(e) => Err(ReconcileError::Kube("creating the implicit Rollout", e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn implicit_names_are_stable_and_short() {
        let name = implicit_name("shop", "ghcr.io/ogf-dev/ogf-api:1.1.0");
        assert_eq!(name, implicit_name("shop", "ghcr.io/ogf-dev/ogf-api:1.1.0"));
        assert_ne!(name, implicit_name("shop", "ghcr.io/ogf-dev/ogf-api:1.2.0"));
        assert_eq!(name.len(), "shop-".len() + 8);
    }
}
