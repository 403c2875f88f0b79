use k8s_openapi::api::core::v1::{Container, PodSpec};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use serde_json::json;

use super::*;
use crate::build::test_support::{embedded, marketplace, with_spec};
use crate::build::{Options, desired, env, labels, pod};

fn deployment_of(mkt: &ogf_crds::Marketplace, color: ogf_crds::Color) -> Deployment {
    desired(
        mkt,
        &Options {
            active_color: color,
            ..Options::default()
        },
    )
    .unwrap()
    .deployment
}

fn pod_spec(deployment: &Deployment) -> PodSpec {
    deployment.spec.template.spec.clone().unwrap()
}

fn container(deployment: &Deployment) -> Container {
    pod_spec(deployment).containers[0].clone()
}

fn env_value(container: &Container, name: &str) -> Option<String> {
    container
        .env
        .clone()
        .unwrap()
        .into_iter()
        .find(|e| e.name == name)
        .and_then(|e| e.value)
}

fn env_secret(container: &Container, name: &str) -> Option<(String, String)> {
    let var = container
        .env
        .clone()
        .unwrap()
        .into_iter()
        .find(|e| e.name == name)?;
    let selector = var.value_from?.secret_key_ref?;
    Some((selector.name, selector.key))
}

#[test]
fn one_deployment_per_color() {
    let mkt = marketplace();
    for color in ogf_crds::Color::ALL {
        let d = deployment_of(&mkt, color);
        assert_eq!(d.metadata.name, Some(format!("demo-{color}")));
        let spec = d.spec.clone();
        assert_eq!(
            spec.selector.match_labels.unwrap()[labels::COLOR],
            color.as_str()
        );
        let template_labels = spec.template.metadata.unwrap().labels.unwrap();
        assert_eq!(template_labels[labels::COLOR], color.as_str());
        assert_eq!(template_labels[labels::INSTANCE], "demo");
        assert_eq!(d.metadata.labels.unwrap()[labels::COLOR], color.as_str());
        assert_eq!(
            d.metadata.owner_references.unwrap()[0].controller,
            Some(true)
        );
    }
}

#[test]
fn pods_are_hardened() {
    let d = deployment_of(&marketplace(), ogf_crds::Color::Blue);
    let pod = pod_spec(&d);
    assert_eq!(pod.automount_service_account_token, Some(false));
    assert_eq!(pod.service_account_name.as_deref(), Some("demo"));
    let psc = pod.security_context.clone().unwrap();
    assert_eq!(psc.run_as_non_root, Some(true));
    assert_eq!(psc.seccomp_profile.unwrap().type_, "RuntimeDefault");
    let sc = container(&d).security_context.unwrap();
    assert_eq!(sc.run_as_non_root, Some(true));
    assert_eq!(sc.read_only_root_filesystem, Some(true));
    assert_eq!(sc.allow_privilege_escalation, Some(false));
    assert_eq!(sc.capabilities.unwrap().drop, Some(vec!["ALL".to_string()]));
    assert_eq!(sc.seccomp_profile.unwrap().type_, "RuntimeDefault");
    let tmp = container(&d)
        .volume_mounts
        .unwrap()
        .into_iter()
        .find(|m| m.mount_path == "/tmp");
    assert!(tmp.is_some(), "a writable /tmp on a read-only root");
    assert!(pod.volumes.unwrap().iter().any(|v| v.empty_dir.is_some()));
}

#[test]
fn probes_resources_and_spread() {
    let d = deployment_of(&marketplace(), ogf_crds::Color::Blue);
    let c = container(&d);
    let path =
        |p: Option<k8s_openapi::api::core::v1::Probe>| p.unwrap().http_get.unwrap().path.unwrap();
    assert_eq!(path(c.liveness_probe.clone()), "/healthz");
    assert_eq!(path(c.readiness_probe.clone()), "/readyz");
    assert_eq!(c.resources, Some(pod::default_resources()));
    assert_eq!(c.ports.unwrap()[0].container_port, 8080);
    let spread = pod_spec(&d).topology_spread_constraints.unwrap();
    assert_eq!(spread[0].topology_key, "kubernetes.io/hostname");
    assert_eq!(
        spread[0]
            .label_selector
            .clone()
            .unwrap()
            .match_labels
            .unwrap()[labels::INSTANCE],
        "demo"
    );
}

#[test]
fn mongodb_env_wiring() {
    let d = deployment_of(&marketplace(), ogf_crds::Color::Blue);
    let c = container(&d);
    assert_eq!(env_value(&c, env::STORE).as_deref(), Some("mongodb"));
    assert_eq!(
        env_secret(&c, env::MONGODB_URI),
        Some(("mongo".into(), "uri".into()))
    );
    assert_eq!(env_value(&c, env::MONGODB_DATABASE).as_deref(), Some("ogf"));
    assert_eq!(
        env_secret(&c, env::JWT_SECRET),
        Some(("demo-jwt".into(), "jwt-secret".into()))
    );
    assert_eq!(env_value(&c, env::DATA_DIR), None);
    assert_eq!(
        c.env_from.unwrap()[0].config_map_ref.clone().unwrap().name,
        "demo-config-blue"
    );
    let strategy = d.spec.strategy.unwrap();
    assert_eq!(strategy.type_.as_deref(), Some("RollingUpdate"));
    assert!(
        pod_spec(&deployment_of(&marketplace(), ogf_crds::Color::Blue))
            .volumes
            .unwrap()
            .len()
            == 1
    );
}

#[test]
fn embedded_store_mounts_its_volume_and_recreates() {
    let d = deployment_of(&embedded(), ogf_crds::Color::Green);
    let c = container(&d);
    assert_eq!(env_value(&c, env::STORE).as_deref(), Some("embedded"));
    assert_eq!(
        env_value(&c, env::DATA_DIR).as_deref(),
        Some(env::DATA_MOUNT_PATH)
    );
    assert_eq!(env_secret(&c, env::MONGODB_URI), None);
    let mount = c
        .volume_mounts
        .unwrap()
        .into_iter()
        .find(|m| m.mount_path == env::DATA_MOUNT_PATH)
        .unwrap();
    let volume = pod_spec(&d)
        .volumes
        .unwrap()
        .into_iter()
        .find(|v| v.name == mount.name)
        .unwrap();
    assert_eq!(
        volume.persistent_volume_claim.unwrap().claim_name,
        "demo-data"
    );
    let spec = d.spec;
    assert_eq!(spec.strategy.unwrap().type_.as_deref(), Some("Recreate"));
    assert_eq!(spec.replicas, Some(1));
}

#[test]
fn every_pod_field_of_the_spec_lands() {
    let mkt = with_spec(json!({
        "image": "registry.example/ogf-api:9",
        "replicas": 4,
        "resources": {"requests": {"cpu": "2"}, "limits": {"memory": "2Gi"}},
        "database": {"mongodb": {"uriSecretRef": {"name": "m", "key": "k"}, "database": "d"}},
        "jwtSecretRef": {"name": "jwt", "key": "signing"},
        "imagePullSecrets": [{"name": "regcred"}],
        "nodeSelector": {"disk": "ssd"},
        "tolerations": [{"key": "dedicated", "operator": "Exists", "effect": "NoSchedule"}],
        "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
            {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}]}]}}}
    }));
    let d = deployment_of(&mkt, ogf_crds::Color::Blue);
    assert_eq!(d.spec.replicas, Some(4));
    let c = container(&d);
    assert_eq!(c.image.as_deref(), Some("registry.example/ogf-api:9"));
    let resources = c.resources.clone().unwrap();
    assert_eq!(resources.requests.unwrap()["cpu"], Quantity("2".into()));
    assert_eq!(resources.limits.unwrap()["memory"], Quantity("2Gi".into()));
    assert_eq!(
        env_secret(&c, env::JWT_SECRET),
        Some(("jwt".into(), "signing".into()))
    );
    let pod = pod_spec(&d);
    assert_eq!(pod.image_pull_secrets.unwrap()[0].name, "regcred");
    assert_eq!(pod.node_selector.unwrap()["disk"], "ssd");
    assert_eq!(
        pod.tolerations.unwrap()[0].key.as_deref(),
        Some("dedicated")
    );
    assert_eq!(pod.affinity, mkt.spec.affinity);
}

#[test]
fn autoscaled_deployments_leave_replicas_to_the_hpa() {
    let mkt = with_spec(json!({
        "image": "i",
        "database": {"mongodb": {"uriSecretRef": {"name": "m", "key": "k"}, "database": "d"}},
        "autoscaling": {"minReplicas": 2, "maxReplicas": 5}
    }));
    assert_eq!(
        deployment_of(&mkt, ogf_crds::Color::Blue).spec.replicas,
        None
    );
}
