//! The maintenance hold: while a Restore holds a Marketplace (see
//! [`crate::controller::restore::hold::holder`]), its API is stopped, not read-only. The
//! embedded store's volume is ReadWriteOnce and the restore Job mounts it read-write, and a
//! consistent swap needs no writer: so the active Deployment is kept at zero replicas until
//! the Restore reaches `Swapping` or ends, then the previous count comes back.
//!
//! Without an autoscaler the count is `spec.replicas`, which the reconciler applies anyway;
//! with one, the HPA owns `spec.replicas` (the reconciler never applies it), so the hold
//! records the HPA's count in the [`REPLICAS_BEFORE`] annotation and scales to zero through
//! a merge patch (an HPA does not scale a target at zero), and the release patches it back.

use k8s_openapi::api::apps::v1::Deployment;
use kube::api::{ListParams, Patch, PatchParams};
use kube::{Api, ResourceExt};
use ogf_crds::{Condition, ConditionStatus, ConditionType, Marketplace, MarketplaceSpec, Restore};
use serde_json::{Value, json};

use crate::build::DesiredObjects;
use kube::runtime::events::EventType;

use crate::controller::restore::hold;
use crate::controller::{Context, ReconcileError};
use crate::status::{condition, set_condition};

/// Reason of `Ready=False` on a Marketplace held for a Restore.
pub const RESTORE_IN_PROGRESS: &str = "RestoreInProgress";
/// Annotation on the active Deployment: the autoscaler's replica count before the hold.
pub const REPLICAS_BEFORE: &str = "ogf.dev/replicas-before-restore";
/// Field manager of the hold's replica patches (never the applying manager: it owns no
/// `spec.replicas` of an autoscaled Deployment).
const FIELD_MANAGER: &str = "ogf-operator-maintenance";

/// The Restore holding `marketplace`, if any.
pub async fn holder(
    client: &kube::Client,
    marketplace: &Marketplace,
) -> Result<Option<String>, ReconcileError> {
    let api: Api<Restore> =
        Api::namespaced(client.clone(), &marketplace.namespace().unwrap_or_default());
    let restores = api
        .list(&ListParams::default())
        .await
        .map_err(|e| ReconcileError::Kube("listing Restores", e))?
        .items;
    Ok(hold::holder(&marketplace.name_any(), &restores).map(ResourceExt::name_any))
}

/// Keeps the active Deployment at zero replicas while held (without an autoscaler; with one,
/// see [`scale_autoscaled`]).
pub fn hold_desired(desired: &mut DesiredObjects, spec: &MarketplaceSpec, held: bool) {
    if held && spec.autoscaling.is_none() {
        desired.deployment.spec.replicas = Some(0);
    }
}

/// The merge patch that holds or releases an autoscaled Deployment, `None` when it is as it
/// should be. Without an autoscaler only a leftover annotation is removed.
pub fn replica_patch(deployment: &Deployment, autoscaled: bool, held: bool) -> Option<Value> {
    let current = deployment.spec.replicas.unwrap_or(1);
    let recorded = deployment
        .annotations()
        .get(REPLICAS_BEFORE)
        .and_then(|v| v.parse::<i32>().ok());
    let remove = json!({"metadata": {"annotations": {REPLICAS_BEFORE: null}}});
    match (autoscaled, held, recorded) {
        (true, true, None) => Some(json!({
            "metadata": {"annotations": {REPLICAS_BEFORE: current.to_string()}},
            "spec": {"replicas": 0},
        })),
        (true, true, Some(_)) if current != 0 => Some(json!({"spec": {"replicas": 0}})),
        (true, false, Some(before)) => Some(json!({
            "metadata": {"annotations": {REPLICAS_BEFORE: null}},
            "spec": {"replicas": before.max(1)},
        })),
        (false, _, Some(_)) => Some(remove),
        _ => None,
    }
}

/// Applies [`replica_patch`] to the active Deployment; `true` when it wrote.
pub async fn scale_autoscaled(
    client: &kube::Client,
    namespace: &str,
    deployment: &Deployment,
    autoscaled: bool,
    held: bool,
) -> Result<bool, ReconcileError> {
    let Some(patch) = replica_patch(deployment, autoscaled, held) else {
        return Ok(false);
    };
    Api::<Deployment>::namespaced(client.clone(), namespace)
        .patch(
            &deployment.name_any(),
            &PatchParams {
                field_manager: Some(FIELD_MANAGER.into()),
                ..PatchParams::default()
            },
            &Patch::Merge(patch),
        )
        .await
        .map_err(|e| ReconcileError::Kube("scaling the active Deployment for maintenance", e))?;
    Ok(true)
}

/// Whether the last written status showed the hold.
pub fn was_held(marketplace: &Marketplace) -> bool {
    marketplace
        .status
        .as_ref()
        .and_then(|s| s.conditions.iter().find(|c| c.type_ == "Ready"))
        .is_some_and(|c| c.reason == RESTORE_IN_PROGRESS)
}

/// The Ready condition of a held Marketplace.
pub fn mark_held(
    conditions: &mut Vec<Condition>,
    restore: &str,
    generation: Option<i64>,
    now: &k8s_openapi::apimachinery::pkg::apis::meta::v1::Time,
) {
    set_condition(
        conditions,
        condition(
            ConditionType::Ready,
            ConditionStatus::False,
            RESTORE_IN_PROGRESS,
            format!(
                "maintenance: the API is stopped (zero replicas) while Restore {restore} restores its data"
            ),
            generation,
            now,
        ),
    );
}

/// `MaintenanceOn` / `MaintenanceOff` Events when the hold starts or ends.
pub async fn announce(context: &Context, marketplace: &Marketplace, hold: Option<&str>) {
    match (was_held(marketplace), hold) {
        (false, Some(restore)) => {
            let note =
                format!("API stopped (zero replicas) while Restore {restore} restores the data");
            super::publish(
                context,
                marketplace,
                EventType::Normal,
                "MaintenanceOn",
                &note,
            )
            .await;
        }
        (true, None) => {
            let note = "maintenance over: the API is started again";
            super::publish(
                context,
                marketplace,
                EventType::Normal,
                "MaintenanceOff",
                note,
            )
            .await;
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::build::test_support::marketplace;
    use crate::build::{self, Options};

    fn deployment(replicas: i32, recorded: Option<&str>) -> Deployment {
        let mut d = Deployment::default();
        d.spec.replicas = Some(replicas);
        if let Some(r) = recorded {
            d.metadata.annotations = Some([(REPLICAS_BEFORE.to_string(), r.to_string())].into());
        }
        d
    }

    #[test]
    fn the_hold_zeroes_a_fixed_replica_count() {
        let mkt = marketplace();
        let mut desired = build::desired(&mkt, &Options::default()).unwrap();
        hold_desired(&mut desired, &mkt.spec, true);
        assert_eq!(desired.deployment.spec.replicas, Some(0));
        let mut desired = build::desired(&mkt, &Options::default()).unwrap();
        hold_desired(&mut desired, &mkt.spec, false);
        assert_eq!(desired.deployment.spec.replicas, Some(2));
    }

    #[test]
    fn an_autoscaled_deployment_is_held_through_a_patch_and_given_back_its_count() {
        let hold = replica_patch(&deployment(5, None), true, true).unwrap();
        assert_eq!(hold["spec"]["replicas"], 0);
        assert_eq!(hold["metadata"]["annotations"][REPLICAS_BEFORE], "5");
        assert!(replica_patch(&deployment(0, Some("5")), true, true).is_none());
        let again = replica_patch(&deployment(3, Some("5")), true, true).unwrap();
        assert_eq!(again["spec"]["replicas"], 0);
        assert!(again["metadata"].is_null(), "the first count is kept");
        let release = replica_patch(&deployment(0, Some("5")), true, false).unwrap();
        assert_eq!(release["spec"]["replicas"], 5);
        assert!(release["metadata"]["annotations"][REPLICAS_BEFORE].is_null());
        assert!(replica_patch(&deployment(5, None), true, false).is_none());
    }

    #[test]
    fn without_an_autoscaler_only_a_leftover_annotation_is_removed() {
        assert!(replica_patch(&deployment(0, None), false, true).is_none());
        let cleanup = replica_patch(&deployment(2, Some("4")), false, false).unwrap();
        assert!(cleanup["spec"].is_null());
    }

    #[test]
    fn the_held_condition_names_the_restore() {
        let now = k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(
            k8s_openapi::jiff::Timestamp::UNIX_EPOCH,
        );
        let mut conditions = Vec::new();
        mark_held(&mut conditions, "monday", Some(3), &now);
        assert_eq!(conditions[0].reason, RESTORE_IN_PROGRESS);
        assert_eq!(conditions[0].status, "False");
        assert!(conditions[0].message.contains("Restore monday"));
        let mut mkt = marketplace();
        assert!(!was_held(&mkt));
        mkt.status = Some(ogf_crds::MarketplaceStatus {
            conditions,
            ..Default::default()
        });
        assert!(was_held(&mkt));
    }
}
