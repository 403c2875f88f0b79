//! `ogf-operator render` on every example, through the library and through the binary.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use std::path::{Path, PathBuf};
use std::process::Command;

use ogf_operator::render::{RenderOptions, render};
use serde::Deserialize;
use serde_json::Value;

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples")
        .join(name)
}

fn objects(yaml: &str) -> Vec<Value> {
    serde_yaml::Deserializer::from_str(yaml)
        .map(|d| Value::deserialize(d).unwrap())
        .collect()
}

fn kinds(objects: &[Value]) -> Vec<String> {
    objects
        .iter()
        .map(|o| {
            format!(
                "{}/{}",
                o["kind"].as_str().unwrap(),
                o["metadata"]["name"].as_str().unwrap()
            )
        })
        .collect()
}

fn render_example(name: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(example(name)).unwrap();
    objects(&render(&text, &RenderOptions::default()).unwrap().yaml)
}

#[test]
fn embedded_example() {
    let objects = render_example("marketplace-embedded.yaml");
    assert_eq!(
        kinds(&objects),
        [
            "ServiceAccount/ogf-demo",
            "ConfigMap/ogf-demo-config-blue",
            "PersistentVolumeClaim/ogf-demo-data",
            "Deployment/ogf-demo-blue",
            "Service/ogf-demo",
            "Service/ogf-demo-preview"
        ]
    );
    assert_eq!(objects[3]["spec"]["strategy"]["type"], "Recreate");
    assert_eq!(
        objects[2]["spec"]["resources"]["requests"]["storage"],
        "5Gi"
    );
}

#[test]
fn mongodb_example() {
    let objects = render_example("marketplace-mongodb.yaml");
    assert_eq!(
        kinds(&objects),
        [
            "ServiceAccount/ogf-prod",
            "ConfigMap/ogf-prod-config-blue",
            "Deployment/ogf-prod-blue",
            "Service/ogf-prod",
            "Service/ogf-prod-preview",
            "PodDisruptionBudget/ogf-prod",
            "NetworkPolicy/ogf-prod",
            "ServiceMonitor/ogf-prod"
        ]
    );
    let deployment = &objects[2];
    assert_eq!(deployment["spec"]["replicas"], 3);
    let env = deployment["spec"]["template"]["spec"]["containers"][0]["env"]
        .as_array()
        .unwrap();
    let jwt = env.iter().find(|e| e["name"] == "OGF_JWT_SECRET").unwrap();
    assert_eq!(jwt["valueFrom"]["secretKeyRef"]["name"], "ogf-jwt");
    assert!(
        !serde_json::to_string(&objects)
            .unwrap()
            .contains("change-me"),
        "secret values never rendered"
    );
}

#[test]
fn ingress_autoscaling_example() {
    let objects = render_example("marketplace-ingress-autoscaling.yaml");
    let names = kinds(&objects);
    for expected in [
        "HorizontalPodAutoscaler/ogf-public",
        "Ingress/ogf-public",
        "PodDisruptionBudget/ogf-public",
    ] {
        assert!(
            names.contains(&expected.to_string()),
            "{expected} in {names:?}"
        );
    }
    let deployment = objects.iter().find(|o| o["kind"] == "Deployment").unwrap();
    assert!(
        deployment["spec"].get("replicas").is_none(),
        "the HPA owns the replica count"
    );
    let hpa = objects
        .iter()
        .find(|o| o["kind"] == "HorizontalPodAutoscaler")
        .unwrap();
    assert_eq!(hpa["spec"]["maxReplicas"], 12);
    let ingress = objects.iter().find(|o| o["kind"] == "Ingress").unwrap();
    assert_eq!(ingress["spec"]["tls"][0]["secretName"], "ogf-public-tls");
}

#[test]
fn binary_renders_and_fails_clearly() {
    let binary = env!("CARGO_BIN_EXE_ogf-operator");
    let ok = Command::new(binary)
        .args(["render", "-f"])
        .arg(example("marketplace-mongodb.yaml"))
        .output()
        .unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert_eq!(objects(&String::from_utf8(ok.stdout).unwrap()).len(), 8);

    let dir = std::env::temp_dir().join(format!("ogf-render-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.yaml");
    std::fs::write(&bad, "apiVersion: ogf.dev/v1alpha1\nkind: Marketplace\nmetadata: {name: x}\nspec: {image: i, database: {}}\n")
        .unwrap();
    let failed = Command::new(binary)
        .args(["render", "-f"])
        .arg(&bad)
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(!failed.status.success());
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert!(
        stderr.contains("exactly one of database.embedded or database.mongodb"),
        "{stderr}"
    );
    assert!(failed.stdout.is_empty());
}
