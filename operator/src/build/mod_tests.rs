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
