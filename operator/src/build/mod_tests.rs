use serde_json::json;

use super::*;
use crate::build::test_support::{embedded, marketplace, with_spec};

fn full() -> Marketplace {
    with_spec(json!({
        "image": "ogf-api:1",
        "database": {"mongodb": {"uriSecretRef": {"name": "m", "key": "k"}, "database": "d"}},
        "ingress": {"host": "api.example.com", "tlsSecretName": "tls"},
        "autoscaling": {"minReplicas": 2, "maxReplicas": 5},
        "networkPolicy": {"enabled": true},
        "monitoring": {"serviceMonitor": {"enabled": true}}
    }))
}

fn hash_of(mkt: &Marketplace) -> String {
    let objects = desired(mkt, &Options::default()).unwrap();
    let template = objects.deployment.spec.template.metadata.unwrap();
    template.annotations.unwrap()[config_hash::ANNOTATION].clone()
}

#[test]
fn every_object_is_owned_labelled_and_namespaced() {
    let options = Options {
        jwt_secret_value: Some("k".into()),
        service_monitor_api: true,
        ..Options::default()
    };
    let manifests = desired(&full(), &options).unwrap().manifests().unwrap();
    let kinds: Vec<_> = manifests
        .iter()
        .map(|m| m["kind"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        kinds,
        [
            "ServiceAccount",
            "ConfigMap",
            "Secret",
            "Deployment",
            "Service",
            "Service",
            "HorizontalPodAutoscaler",
            "PodDisruptionBudget",
            "NetworkPolicy",
            "Ingress",
            "ServiceMonitor"
        ]
    );
    for manifest in &manifests {
        let kind = &manifest["kind"];
        assert_eq!(manifest["metadata"]["namespace"], "shop", "{kind}");
        let owner = &manifest["metadata"]["ownerReferences"][0];
        assert_eq!(owner["kind"], "Marketplace", "{kind}");
        assert_eq!(owner["controller"], true, "{kind}");
        assert_eq!(owner["blockOwnerDeletion"], true, "{kind}");
        let labels = &manifest["metadata"]["labels"];
        assert_eq!(labels[labels::NAME], "ogf-api", "{kind}");
        assert_eq!(labels[labels::INSTANCE], "demo", "{kind}");
        assert_eq!(labels[labels::MANAGED_BY], "ogf-operator", "{kind}");
        assert_eq!(labels[labels::COMPONENT], "api", "{kind}");
    }
}

#[test]
fn minimal_mongodb_marketplace_gets_the_core_objects() {
    let objects = desired(&marketplace(), &Options::default()).unwrap();
    assert!(
        objects.jwt_secret.is_none(),
        "no key value given: the Secret is left to the caller"
    );
    assert!(objects.pvc.is_none() && objects.hpa.is_none() && objects.ingress.is_none());
    assert!(objects.network_policy.is_none() && objects.service_monitor.is_none());
    assert!(
        objects.pdb.is_some(),
        "two replicas by default get a budget"
    );
    assert!(objects.skipped.is_empty());
    assert_eq!(
        objects.deployment.metadata.name.as_deref(),
        Some("demo-blue")
    );
}

#[test]
fn embedded_marketplace_gets_a_volume() {
    let objects = desired(&embedded(), &Options::default()).unwrap();
    assert_eq!(
        objects.pvc.unwrap().metadata.name.as_deref(),
        Some("demo-data")
    );
    assert!(objects.pdb.is_none());
}

#[test]
fn services_follow_the_active_color() {
    let objects = desired(
        &marketplace(),
        &Options {
            active_color: Color::Green,
            ..Options::default()
        },
    )
    .unwrap();
    assert_eq!(
        objects.deployment.metadata.name.as_deref(),
        Some("demo-green")
    );
    let selects = |s: &k8s_openapi::api::core::v1::Service| {
        s.spec.clone().unwrap().selector.unwrap()[labels::COLOR].clone()
    };
    assert_eq!(selects(&objects.active_service), "green");
    assert_eq!(selects(&objects.preview_service), "blue");
    assert_eq!(objects.hpa, None);
}

#[test]
fn service_monitor_needs_its_api() {
    let objects = desired(&full(), &Options::default()).unwrap();
    assert!(objects.service_monitor.is_none());
    assert_eq!(objects.skipped.len(), 1);
    assert!(objects.skipped[0].contains("monitoring.coreos.com"));
}

#[test]
fn config_hash_changes_with_config_only() {
    let base = marketplace();
    let hash = hash_of(&base);

    let mut scaled = base.clone();
    scaled.spec.replicas = 7;
    scaled.spec.image = "ogf-api:2".into();
    scaled.spec.paused = true;
    assert_eq!(
        hash_of(&scaled),
        hash,
        "replicas, image and paused do not change the config"
    );

    let mut logged = base.clone();
    logged.spec.config.log_level = ogf_crds::marketplace::LogLevel::Debug;
    assert_ne!(hash_of(&logged), hash);

    let mut cors = base.clone();
    cors.spec.config.cors_origins.push("https://x".into());
    assert_ne!(hash_of(&cors), hash);

    let mut jwt = base.clone();
    jwt.spec.jwt_secret_ref = Some(ogf_crds::marketplace::SecretKeyRef {
        name: "j".into(),
        key: "k".into(),
    });
    assert_ne!(hash_of(&jwt), hash);

    let mut uri = base;
    if let Some(mongodb) = uri.spec.database.mongodb.as_mut() {
        mongodb.uri_secret_ref.key = "other".into();
    }
    assert_ne!(hash_of(&uri), hash);
}

#[test]
fn invalid_marketplaces_are_errors() {
    let mut both = marketplace();
    both.spec.database.embedded = Some(Default::default());
    assert_eq!(
        desired(&both, &Options::default()).err(),
        Some(BuildError::DatabaseNotExactlyOne)
    );
    let mut anonymous = marketplace();
    anonymous.metadata.name = None;
    assert_eq!(
        desired(&anonymous, &Options::default()).err(),
        Some(BuildError::MissingMetadata("name"))
    );
}

#[test]
fn endpoints() {
    let owner = Owner::of(&marketplace()).unwrap();
    assert_eq!(
        endpoint(&owner, &marketplace().spec),
        "http://demo.shop.svc:8080"
    );
    assert_eq!(endpoint(&owner, &full().spec), "https://api.example.com");
    let mut plain = full();
    if let Some(ingress) = plain.spec.ingress.as_mut() {
        ingress.tls_secret_name = None;
    }
    assert_eq!(endpoint(&owner, &plain.spec), "http://api.example.com");
}

#[test]
fn preview_color_differs_only_in_color_image_and_replicas() {
    let mkt = marketplace();
    let active = desired(&mkt, &Options::default()).unwrap().deployment;
    let preview = color_deployment(&mkt, Color::Green, "ogf-api:2", Some(1)).unwrap();
    assert_eq!(preview.metadata.name.as_deref(), Some("demo-green"));
    assert_eq!(preview.spec.replicas, Some(1));
    let image = |d: &Deployment| {
        d.spec.template.spec.clone().unwrap().containers[0]
            .image
            .clone()
    };
    assert_eq!(image(&preview).as_deref(), Some("ogf-api:2"));
    let hash = |d: &Deployment| {
        d.spec
            .template
            .metadata
            .clone()
            .unwrap()
            .annotations
            .unwrap()[config_hash::ANNOTATION]
            .clone()
    };
    assert_eq!(
        hash(&preview),
        hash(&active),
        "same configuration on both colors"
    );
}

fn rollout_spec(extra: serde_json::Value) -> RolloutSpec {
    let mut spec = json!({"marketplaceRef": {"name": "demo"}, "image": "ogf-api:2"});
    if let (Some(spec), Some(extra)) = (spec.as_object_mut(), extra.as_object()) {
        spec.extend(extra.clone());
    }
    serde_json::from_value(spec).unwrap()
}

fn pod_hash(d: &Deployment) -> String {
    d.spec
        .template
        .metadata
        .clone()
        .unwrap()
        .annotations
        .unwrap()[config_hash::ANNOTATION]
        .clone()
}

#[test]
fn each_color_reads_its_own_config_map() {
    let mkt = marketplace();
    let desired = desired(&mkt, &Options::default()).unwrap();
    assert_eq!(
        desired.config_map.metadata.name.as_deref(),
        Some("demo-config-blue")
    );
    let green = color_deployment(&mkt, Color::Green, "ogf-api:2", Some(1)).unwrap();
    let env_from = green.spec.template.spec.unwrap().containers[0]
        .env_from
        .clone()
        .unwrap();
    assert_eq!(
        env_from[0].config_map_ref.as_ref().unwrap().name,
        "demo-config-green"
    );
    let green_map = color_config_map(&mkt, Color::Green).unwrap();
    assert_eq!(
        green_map.metadata.name.as_deref(),
        Some("demo-config-green")
    );
    assert_eq!(green_map.data, desired.config_map.data, "same settings");
}

#[test]
fn a_rollout_without_overrides_builds_the_marketplace_as_is() {
    let mkt = marketplace();
    assert_eq!(for_rollout(&mkt, &rollout_spec(json!({}))), mkt);
}

#[test]
fn config_overrides_change_the_new_color_only() {
    let mkt = marketplace();
    let spec = rollout_spec(json!({
        "config": {"logLevel": "debug", "rateLimits": {"userPerMinute": 60}},
        "resources": {"requests": {"cpu": "250m", "memory": "256Mi"}, "limits": {"memory": "1Gi"}}
    }));
    let target = for_rollout(&mkt, &spec);
    let active = desired(&mkt, &Options::default()).unwrap();
    let preview = color_deployment(&target, Color::Green, "ogf-api:2", Some(2)).unwrap();
    assert_ne!(
        pod_hash(&preview),
        pod_hash(&active.deployment),
        "the config hash differs between the colors"
    );
    let data = color_config_map(&target, Color::Green)
        .unwrap()
        .data
        .unwrap();
    assert_eq!(data["OGF_LOG_LEVEL"], "debug");
    assert_eq!(data["OGF_RATE_LIMIT_USER_PER_MINUTE"], "60");
    assert_eq!(
        data["OGF_RATE_LIMIT_AUTH_PER_MINUTE"], "5",
        "fields not overridden keep the Marketplace's value"
    );
    let resources = preview.spec.template.spec.unwrap().containers[0]
        .resources
        .clone()
        .unwrap();
    assert_eq!(resources.requests.unwrap()["cpu"].0, "250m");
    assert_eq!(
        resources.limits.unwrap().len(),
        1,
        "resources are replaced whole"
    );
    let active_data = active.config_map.data.unwrap();
    assert_eq!(
        active_data["OGF_LOG_LEVEL"], "info",
        "the active color keeps its settings"
    );

    // Once the Marketplace's spec holds the overrides, its reconciler builds the same pods.
    let mut promoted = mkt.clone();
    promoted.spec.image = "ogf-api:2".into();
    promoted.spec.config = target.spec.config.clone();
    promoted.spec.resources = target.spec.resources.clone();
    let options = Options {
        active_color: Color::Green,
        ..Options::default()
    };
    let after = desired(&promoted, &options).unwrap().deployment;
    let ours = color_deployment(&target, Color::Green, "ogf-api:2", Some(2)).unwrap();
    assert_eq!(after.spec.template, ours.spec.template);
}
