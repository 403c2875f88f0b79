//! A Rollout of an autoscaled Marketplace (`spec.autoscaling`), with the real HPA controller
//! of the test environment's kube-controller-manager. kwok gives no metrics, so the HPA keeps
//! the count within its bounds (it raises a Deployment to `minReplicas`) and otherwise leaves
//! it; the test plays the HPA's decisions by writing the scale subresource, as the HPA does.
//! The HPA follows the active color, the preview starts at what the HPA decided and follows
//! its later decisions until the switch, and the operator never writes a replica count the
//! HPA owns.

#[allow(dead_code)] // the steps tests' fixture: this file uses a subset
#[path = "operator_rollout_steps/fixture.rs"]
mod fixture;

use std::sync::Arc;
use std::sync::atomic::{AtomicU16, Ordering};

use fixture::{Fixture, NEW, WAIT, patient_check, phases, serve};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use kube::Api;
use kube::api::{Patch, PatchParams};
use ogf_e2e::{json_condition, wait_for};
use serde_json::json;

/// Field manager of the test's scale writes: what the HPA controller does.
const HPA_MANAGER: &str = "horizontal-pod-autoscaler-e2e";

fn hpas(f: &Fixture) -> Api<HorizontalPodAutoscaler> {
    Api::namespaced(f.client.clone(), f.ns.name())
}

async fn wait_hpa_target(f: &Fixture, deployment: &'static str) {
    let cond = json_condition::<HorizontalPodAutoscaler>(move |h| {
        h["spec"]["scaleTargetRef"]["name"] == deployment
    });
    wait_for(hpas(f), "shop", WAIT, cond)
        .await
        .unwrap_or_else(|e| panic!("the HPA targets {deployment}: {e}"));
}

/// Sets `deployment`'s replicas through its scale subresource, as the HPA controller does.
async fn hpa_scales(f: &Fixture, deployment: &str, replicas: i32) {
    f.deployments()
        .patch_scale(
            deployment,
            &PatchParams {
                field_manager: Some(HPA_MANAGER.into()),
                ..PatchParams::default()
            },
            &Patch::Merge(json!({"spec": {"replicas": replicas}})),
        )
        .await
        .expect("scale");
}

/// Changes the Marketplace's config so that its reconciler re-applies the active Deployment
/// (a new config hash on the pod template), and waits until it has.
async fn reapply_active(f: &Fixture, deployment: &'static str, origin: &str) {
    let before = f
        .deployments()
        .get(deployment)
        .await
        .expect("deployment")
        .spec
        .template
        .metadata
        .and_then(|m| m.annotations)
        .and_then(|a| a.get("ogf.dev/config-hash").cloned())
        .unwrap_or_default();
    f.patch_marketplace(json!({"spec": {"config": {"corsOrigins": [origin]}}}))
        .await;
    let cond = json_condition::<k8s_openapi::api::apps::v1::Deployment>(move |d| {
        let hash = &d["spec"]["template"]["metadata"]["annotations"]["ogf.dev/config-hash"];
        hash.is_string() && hash != before.as_str()
    });
    wait_for(f.deployments(), deployment, WAIT, cond)
        .await
        .unwrap_or_else(|e| panic!("{deployment} re-applied: {e}"));
}

#[tokio::test]
async fn an_autoscaled_marketplace_rolls_out_at_the_hpa_decided_size() {
    let autoscaling = json!({"autoscaling": {"minReplicas": 2, "maxReplicas": 6}});
    let Some(f) = Fixture::with_spec("ro-hpa", false, autoscaling).await else {
        return;
    };
    wait_hpa_target(&f, "shop-blue").await;
    // The real HPA raises the active color to its minimum.
    f.wait_replicas("shop-blue", 2).await;
    // "Load": the HPA decides 4, and the Marketplace reconciler leaves that alone.
    hpa_scales(&f, "shop-blue", 4).await;
    reapply_active(&f, "shop-blue", "https://one.example").await;
    assert_eq!(
        f.replicas("shop-blue").await,
        Some(4),
        "the operator fought the HPA"
    );

    let green = f.replica_history("shop-green");
    assert_eq!(green.started().await, "-");
    f.create_rollout(
        "scaled",
        json!({"strategy": {"blueGreen": {"scaleDownDelaySeconds": 1}}}),
    )
    .await;
    let done = f.wait_phase("scaled", "Succeeded").await;
    assert_eq!(done["status"]["previewReplicas"], 4, "{done}");
    assert_eq!(phases(&done).last().map(String::as_str), Some("Succeeded"));
    f.wait_selector("green").await;
    wait_hpa_target(&f, "shop-green").await;
    f.wait_replicas("shop-blue", 0).await;

    // The Marketplace reconciler takes the new active color back and re-applies it: the
    // HPA-decided size stays, it never drops to a default in between.
    reapply_active(&f, "shop-green", "https://two.example").await;
    assert_eq!(f.replicas("shop-green").await, Some(4));
    // A later decision of the HPA on the new active color is left alone too.
    hpa_scales(&f, "shop-green", 5).await;
    reapply_active(&f, "shop-green", "https://three.example").await;
    assert_eq!(
        f.replicas("shop-green").await,
        Some(5),
        "{:?}",
        green.seen()
    );
    assert_eq!(green.seen(), ["-", "4", "5"], "green's replica counts");
    let mkt = f.marketplaces().get("shop").await.expect("marketplace");
    assert_eq!(mkt.status.and_then(|s| s.image).as_deref(), Some(NEW));
    let rollouts = f.rollouts().list(&Default::default()).await.expect("list");
    let names: Vec<_> = rollouts
        .items
        .iter()
        .filter_map(|r| r.metadata.name.clone())
        .collect();
    assert_eq!(
        names,
        ["scaled"],
        "no implicit Rollout back to the old image"
    );
}

/// Whether `manager` owns `spec.replicas` of Deployment `name` (server-side apply).
async fn replicas_owned_by(f: &Fixture, name: &str, manager: &str) -> bool {
    let deployment: Deployment = f.deployments().get(name).await.expect("deployment");
    deployment
        .metadata
        .managed_fields
        .iter()
        .flatten()
        .any(|entry| {
            entry.manager.as_deref() == Some(manager)
                && entry
                    .fields_v1
                    .as_ref()
                    .is_some_and(|f| f.0["f:spec"].get("f:replicas").is_some())
        })
}

#[tokio::test]
async fn the_preview_follows_the_hpa_while_it_is_verified() {
    let autoscaling = json!({"autoscaling": {"minReplicas": 2, "maxReplicas": 6}});
    let Some(f) = Fixture::with_spec("ro-hpa-follow", false, autoscaling).await else {
        return;
    };
    wait_hpa_target(&f, "shop-blue").await;
    f.wait_replicas("shop-blue", 2).await;
    let gate = Arc::new(AtomicU16::new(500));
    let url = serve(gate.clone()).await;
    let green = f.replica_history("shop-green");
    assert_eq!(green.started().await, "-");
    f.create_rollout(
        "follow",
        json!({"strategy": {"blueGreen": {"autoPromote": false, "scaleDownDelaySeconds": 1,
            "prePromotionChecks": patient_check(&url)}}}),
    )
    .await;
    f.wait_phase("follow", "Verifying").await;
    f.wait_ready_replicas("shop-green", 2).await;

    // The HPA scales the active color up while the preview is verified: the preview follows.
    hpa_scales(&f, "shop-blue", 5).await;
    f.wait_replicas("shop-green", 5).await;
    let recorded = json_condition::<ogf_crds::Rollout>(|r| r["status"]["previewReplicas"] == 5);
    let rollout = wait_for(f.rollouts(), "follow", WAIT, recorded)
        .await
        .expect("the preview's new size recorded")
        .expect("rollout");
    let phase = rollout.status.map(|s| s.phase.as_str());
    assert_eq!(phase, Some("Verifying"), "still verifying");
    assert_eq!(
        f.replicas("shop-blue").await,
        Some(5),
        "the operator fought the HPA"
    );
    assert!(
        replicas_owned_by(&f, "shop-green", "ogf-operator-rollout-replicas").await,
        "the preview's count is written under the Rollout's own field manager"
    );
    assert!(!replicas_owned_by(&f, "shop-green", "ogf-operator").await);

    // Checks pass; while awaiting promotion the HPA scales down: the preview follows again.
    gate.store(200, Ordering::SeqCst);
    f.wait_phase("follow", "AwaitingPromotion").await;
    hpa_scales(&f, "shop-blue", 3).await;
    f.wait_replicas("shop-green", 3).await;
    f.wait_ready_replicas("shop-green", 3).await;
    assert_eq!(f.replicas("shop-blue").await, Some(3));

    f.patch_rollout("follow", json!({"spec": {"promote": true}}))
        .await;
    let done = f.wait_phase("follow", "Succeeded").await;
    assert_eq!(done["status"]["previewReplicas"], 3, "{done}");
    f.wait_selector("green").await;
    wait_hpa_target(&f, "shop-green").await;
    f.wait_replicas("shop-blue", 0).await;
    assert_eq!(f.replicas("shop-green").await, Some(3));
    assert_eq!(green.seen(), ["-", "2", "5", "3"], "green's replica counts");
}
