//! Rollouts that change the configuration with the image (`spec.config`, `spec.resources`):
//! the new color runs with its own ConfigMap `shop-config-<color>` while the live color keeps
//! its own; success makes the overrides the Marketplace's spec (and its reconciler takes the
//! new color back without a restart), an abort discards them, and overrides the admission
//! rules or the API server refuse never change anything.

#[allow(dead_code)] // the steps tests' fixture: this file uses a subset
#[path = "operator_rollout_steps/fixture.rs"]
mod fixture;

use std::collections::BTreeMap;

use fixture::{Fixture, NEW, OLD, WAIT};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Service};
use kube::Api;
use kube::api::PostParams;
use ogf_crds::{Marketplace, Rollout};
use ogf_e2e::{json_condition, wait_for};
use serde_json::{Value, json};

const HASH: &str = "ogf.dev/config-hash";

fn config_maps(f: &Fixture) -> Api<ConfigMap> {
    Api::namespaced(f.client.clone(), f.ns.name())
}

/// The data of ConfigMap `name`.
async fn settings(f: &Fixture, name: &str) -> BTreeMap<String, String> {
    config_maps(f)
        .get(name)
        .await
        .unwrap_or_else(|e| panic!("ConfigMap {name}: {e}"))
        .data
        .unwrap_or_default()
}

/// The config hash, ConfigMap and resources of Deployment `name`'s pod template, and its
/// generation.
async fn template(f: &Fixture, name: &str) -> (String, String, Value, i64) {
    let d: Deployment = f.deployments().get(name).await.expect("deployment");
    let json = serde_json::to_value(&d).expect("json");
    let pod = &json["spec"]["template"];
    let container = &pod["spec"]["containers"][0];
    (
        pod["metadata"]["annotations"][HASH]
            .as_str()
            .unwrap_or_default()
            .into(),
        container["envFrom"][0]["configMapRef"]["name"]
            .as_str()
            .unwrap_or_default()
            .into(),
        container["resources"].clone(),
        d.metadata.generation.unwrap_or_default(),
    )
}

/// The Rollout overrides of these tests.
fn overrides() -> Value {
    json!({
        "config": {"logLevel": "debug", "rateLimits": {"userPerMinute": 60}},
        "resources": {"requests": {"cpu": "200m", "memory": "128Mi"},
                      "limits": {"cpu": "1", "memory": "256Mi"}}
    })
}

fn with(mut spec: Value, strategy: Value) -> Value {
    spec["strategy"] = json!({"blueGreen": strategy});
    spec
}

/// The names of the pods of `color`, sorted.
async fn pod_names(f: &Fixture, color: &str) -> Vec<String> {
    let mut names: Vec<String> = f
        .pods_of(color)
        .await
        .into_iter()
        .filter_map(|p| p.metadata.name)
        .collect();
    names.sort();
    names
}

/// Every pod of `color` reads `config_map` and runs with the pod template's config hash `hash`.
async fn pods_run_with(f: &Fixture, color: &str, config_map: &str, hash: &str) {
    let pods = f.pods_of(color).await;
    assert!(!pods.is_empty(), "pods of {color}");
    for pod in pods {
        let pod = serde_json::to_value(pod).expect("json");
        assert_eq!(pod["metadata"]["annotations"][HASH], hash, "{pod}");
        assert_eq!(
            pod["spec"]["containers"][0]["envFrom"][0]["configMapRef"]["name"], config_map,
            "{pod}"
        );
    }
}

#[tokio::test]
async fn the_new_color_runs_the_overrides_which_become_the_marketplace_config() {
    let Some(f) = Fixture::new("ro-config", false).await else {
        return;
    };
    let (blue_hash, blue_map, blue_resources, blue_generation) = template(&f, "shop-blue").await;
    assert_eq!(blue_map, "shop-config-blue");
    let blue_settings = settings(&f, "shop-config-blue").await;
    assert_eq!(blue_settings["OGF_LOG_LEVEL"], "info");

    f.create_rollout(
        "tuned",
        with(
            overrides(),
            json!({"autoPromote": false, "scaleDownDelaySeconds": 1}),
        ),
    )
    .await;
    f.wait_phase("tuned", "AwaitingPromotion").await;
    f.wait_ready_replicas("shop-green", 2).await;

    // The preview runs the overrides from its own ConfigMap...
    let green = settings(&f, "shop-config-green").await;
    assert_eq!(green["OGF_LOG_LEVEL"], "debug");
    assert_eq!(green["OGF_RATE_LIMIT_USER_PER_MINUTE"], "60");
    assert_eq!(
        green["OGF_RATE_LIMIT_AUTH_PER_MINUTE"], blue_settings["OGF_RATE_LIMIT_AUTH_PER_MINUTE"],
        "fields not overridden keep the Marketplace's value"
    );
    let (green_hash, green_map, green_resources, _) = template(&f, "shop-green").await;
    let green_pods = pod_names(&f, "green").await;
    assert_eq!(green_map, "shop-config-green");
    assert_ne!(
        green_hash, blue_hash,
        "the config hash differs between the colors"
    );
    assert_eq!(green_resources["requests"]["cpu"], "200m");
    assert_eq!(green_resources["limits"]["memory"], "256Mi");
    pods_run_with(&f, "green", "shop-config-green", &green_hash).await;

    // ...while the active color and the Marketplace are untouched until the switch.
    assert_eq!(settings(&f, "shop-config-blue").await, blue_settings);
    assert_eq!(
        template(&f, "shop-blue").await,
        (blue_hash.clone(), blue_map, blue_resources, blue_generation)
    );
    pods_run_with(&f, "blue", "shop-config-blue", &blue_hash).await;
    let mkt = f.marketplaces().get("shop").await.expect("marketplace");
    assert_eq!(mkt.spec.config.log_level.as_str(), "info");
    assert!(mkt.spec.resources.is_none());
    assert_eq!(f.selector().await, "blue");

    f.patch_rollout("tuned", json!({"spec": {"promote": true}}))
        .await;
    f.wait_phase("tuned", "Succeeded").await;
    f.wait_selector("green").await;
    f.wait_replicas("shop-blue", 0).await;

    // Success: the overrides are the Marketplace's configuration...
    let mkt = f.marketplaces().get("shop").await.expect("marketplace");
    assert_eq!(mkt.spec.image, NEW);
    assert_eq!(mkt.spec.config.log_level.as_str(), "debug");
    assert_eq!(mkt.spec.config.rate_limits.user_per_minute, 60);
    let resources = serde_json::to_value(&mkt.spec.resources).expect("json");
    assert_eq!(resources, overrides()["resources"]);

    // ...and the Marketplace reconciler, once it has the new color back, builds the very same
    // pods: no restart. A Service annotation shows that it reconciled since (it applies the
    // Deployment before the Services).
    f.patch_marketplace(json!({"spec": {"service": {"annotations": {"e2e.ogf.dev/touch": "1"}}}}))
        .await;
    let touched =
        json_condition::<Service>(|s| s["metadata"]["annotations"]["e2e.ogf.dev/touch"] == "1");
    wait_for(
        Api::<Service>::namespaced(f.client.clone(), f.ns.name()),
        "shop",
        WAIT,
        touched,
    )
    .await
    .expect("Marketplace reconciled");
    let (hash, map, resources, _) = template(&f, "shop-green").await;
    assert_eq!(
        (hash.as_str(), map.as_str()),
        (green_hash.as_str(), "shop-config-green"),
        "the Marketplace reconciler changed the new color's configuration"
    );
    assert_eq!(resources, green_resources);
    assert_eq!(
        pod_names(&f, "green").await,
        green_pods,
        "the new color's pods were replaced"
    );
    assert_eq!(settings(&f, "shop-config-green").await, green);
}

#[tokio::test]
async fn abort_discards_the_overrides() {
    let Some(f) = Fixture::new("ro-config-abort", false).await else {
        return;
    };
    let (blue_hash, ..) = template(&f, "shop-blue").await;
    let blue_settings = settings(&f, "shop-config-blue").await;
    f.create_rollout(
        "tuned",
        with(
            overrides(),
            json!({"autoPromote": false, "abortScaleDownDelaySeconds": 1}),
        ),
    )
    .await;
    f.wait_phase("tuned", "AwaitingPromotion").await;
    assert_eq!(
        settings(&f, "shop-config-green").await["OGF_LOG_LEVEL"],
        "debug"
    );
    f.patch_rollout("tuned", json!({"spec": {"abort": true}}))
        .await;
    f.wait_phase("tuned", "Aborted").await;
    f.wait_replicas("shop-green", 0).await;
    f.wait_replicas("shop-blue", 2).await;
    assert_eq!(f.selector().await, "blue");
    let mkt = f.marketplaces().get("shop").await.expect("marketplace");
    assert_eq!(mkt.spec.image, OLD);
    assert_eq!(mkt.spec.config.log_level.as_str(), "info");
    assert!(mkt.spec.resources.is_none());
    assert_eq!(settings(&f, "shop-config-blue").await, blue_settings);
    assert_eq!(template(&f, "shop-blue").await.0, blue_hash);

    // The next Rollout (without overrides) runs the Marketplace's own configuration.
    f.create_rollout(
        "plain",
        json!({"strategy": {"blueGreen": {"scaleDownDelaySeconds": 1}}}),
    )
    .await;
    f.wait_phase("plain", "Succeeded").await;
    assert_eq!(settings(&f, "shop-config-green").await, blue_settings);
    assert_eq!(template(&f, "shop-green").await.0, blue_hash);
    let mkt = f.marketplaces().get("shop").await.expect("marketplace");
    assert_eq!(mkt.spec.config.log_level.as_str(), "info");
}

#[tokio::test]
async fn invalid_overrides_are_refused_before_anything_changes() {
    let Some(f) = Fixture::new("ro-config-bad", false).await else {
        return;
    };
    // What the admission rules see: a limit below its request, an origin with a path.
    for (spec, expected) in [
        (
            json!({"resources": {"requests": {"cpu": "2"}, "limits": {"cpu": "500m"}}}),
            "must not be below its request",
        ),
        (
            json!({"resources": {"requests": {"cpu": "lots"}}}),
            "must be quantities",
        ),
        (
            json!({"config": {"corsOrigins": ["https://app.example.com/path"]}}),
            "origins like",
        ),
    ] {
        let mut full = json!({"marketplaceRef": {"name": "shop"}, "image": NEW});
        if let (Some(full), Some(extra)) = (full.as_object_mut(), spec.as_object()) {
            full.extend(extra.clone());
        }
        let rollout: Rollout = serde_json::from_value(json!({
            "apiVersion": "ogf.dev/v1alpha1", "kind": "Rollout",
            "metadata": {"name": "refused"}, "spec": full
        }))
        .expect("rollout");
        let error = f
            .rollouts()
            .create(&PostParams::default(), &rollout)
            .await
            .expect_err("refused at admission");
        assert!(error.to_string().contains(expected), "{error}");
    }

    // What only the API server knows: a resource name containers cannot have.
    f.create_rollout("bad", json!({"resources": {"limits": {"foo": "1"}}}))
        .await;
    let failed = f.wait_phase("bad", "Failed").await;
    assert_eq!(
        failed["status"]["reason"], "InvalidConfigOverride",
        "{failed}"
    );
    f.wait_condition("bad", "Degraded", "InvalidConfigOverride")
        .await;
    let message = failed["status"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("nothing was changed"), "{message}");
    let phases = fixture::phases(&failed);
    assert_eq!(phases, ["Failed"], "nothing ran");
    assert_eq!(
        f.replicas("shop-green").await,
        None,
        "no preview was deployed"
    );
    assert_eq!(f.selector().await, "blue");
    let warning = f.wait_warning("bad", "Failed").await;
    assert!(
        warning.contains("InvalidConfigOverride") || warning.contains("cannot run"),
        "{warning}"
    );
    let mkt: Marketplace = f.marketplaces().get("shop").await.expect("marketplace");
    assert_eq!(mkt.spec.image, OLD);
}

#[tokio::test]
async fn the_shared_config_map_of_older_versions_is_deleted() {
    let Some(f) = Fixture::new("ro-config-legacy", false).await else {
        return;
    };
    // What an older operator left: one `shop-config` for both colors, owned by the Marketplace.
    let mkt = f.marketplaces().get("shop").await.expect("marketplace");
    let legacy: ConfigMap = serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "shop-config",
            "labels": {"app.kubernetes.io/managed-by": "ogf-operator",
                       "app.kubernetes.io/instance": "shop"},
            "ownerReferences": [{"apiVersion": "ogf.dev/v1alpha1", "kind": "Marketplace",
                "name": "shop", "uid": mkt.metadata.uid, "controller": true}]},
        "data": {"OGF_LOG_LEVEL": "info"}
    }))
    .expect("configmap");
    config_maps(&f)
        .create(&PostParams::default(), &legacy)
        .await
        .expect("create the legacy ConfigMap");
    let gone = |c: Option<&ConfigMap>| c.is_none();
    let deleted = wait_for(config_maps(&f), "shop-config", WAIT, gone)
        .await
        .expect("the legacy ConfigMap deleted");
    assert!(deleted.is_none());
    assert_eq!(
        settings(&f, "shop-config-blue").await["OGF_LOG_LEVEL"],
        "info"
    );
}
