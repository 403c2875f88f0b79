//! Rendered chart manifests: parsing, the checks every rendering must pass,
//! and the server-side dry run; plus the small parsers the file checks use.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::tools::Cluster;

/// The documents of a multi-document YAML stream (empty documents left out).
pub(crate) fn documents(yaml: &str) -> Vec<Value> {
    serde_yaml::Deserializer::from_str(yaml)
        .map(|document| serde::Deserialize::deserialize(document).expect("valid YAML"))
        .filter(|value: &Value| !value.is_null())
        .collect()
}

fn to_yaml_stream(documents: &[&Value]) -> String {
    documents
        .iter()
        .map(|d| serde_yaml::to_string(d).expect("yaml"))
        .collect::<Vec<_>>()
        .join("---\n")
}

pub(crate) fn find<'a>(documents: &'a [Value], kind: &str) -> Vec<&'a Value> {
    documents.iter().filter(|d| d["kind"] == kind).collect()
}

pub(crate) fn one<'a>(documents: &'a [Value], kind: &str) -> &'a Value {
    let found = find(documents, kind);
    assert_eq!(found.len(), 1, "exactly one {kind}");
    found[0]
}

/// What every rendering must satisfy, whatever the values.
pub(crate) fn check_rendering(documents: &[Value]) {
    for document in documents {
        let labels = &document["metadata"]["labels"];
        for label in [
            "app.kubernetes.io/name",
            "app.kubernetes.io/instance",
            "app.kubernetes.io/version",
            "app.kubernetes.io/managed-by",
            "helm.sh/chart",
        ] {
            assert!(
                labels[label].is_string(),
                "{} {} lacks label {label}",
                document["kind"],
                document["metadata"]["name"]
            );
        }
        for rule in document["rules"].as_array().into_iter().flatten() {
            for field in ["apiGroups", "resources", "verbs", "resourceNames"] {
                let values = rule[field].as_array().into_iter().flatten();
                for value in values {
                    assert!(
                        !value.as_str().is_some_and(|v| v.contains('*')),
                        "wildcard in {} {}: {rule}",
                        document["kind"],
                        document["metadata"]["name"]
                    );
                }
            }
        }
    }

    let deployment = one(documents, "Deployment");
    let pod = &deployment["spec"]["template"]["spec"];
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
    assert_eq!(
        pod["securityContext"]["seccompProfile"]["type"],
        "RuntimeDefault"
    );
    let container = &pod["containers"][0];
    let security = &container["securityContext"];
    assert_eq!(security["readOnlyRootFilesystem"], true);
    assert_eq!(security["allowPrivilegeEscalation"], false);
    assert_eq!(security["capabilities"]["drop"], json!(["ALL"]));
    assert_eq!(container["livenessProbe"]["httpGet"]["path"], "/healthz");
    assert_eq!(container["readinessProbe"]["httpGet"]["path"], "/readyz");
    assert!(container["resources"]["requests"].is_object());
    let env_names: Vec<&str> = container["env"]
        .as_array()
        .expect("env")
        .iter()
        .filter_map(|e| e["name"].as_str())
        .collect();
    for name in ["POD_NAME", "POD_NAMESPACE", "OGF_OPERATOR_HTTP_ADDR"] {
        assert!(env_names.contains(&name), "env {name}");
    }

    // The ServiceMonitor (when rendered) scrapes the metrics Service by its labels and port name.
    for monitor in find(documents, "ServiceMonitor") {
        let service = find(documents, "Service")
            .into_iter()
            .find(|s| {
                monitor["spec"]["selector"]["matchLabels"]
                    .as_object()
                    .expect("matchLabels")
                    .iter()
                    .all(|(k, v)| s["metadata"]["labels"][k] == *v)
            })
            .expect("the ServiceMonitor selects the metrics Service");
        assert_eq!(
            monitor["spec"]["endpoints"][0]["port"],
            service["spec"]["ports"][0]["name"]
        );
    }
    for rule in find(documents, "PrometheusRule") {
        let groups = rule["spec"]["groups"].as_array().expect("groups");
        assert!(groups.iter().all(|g| {
            g["rules"]
                .as_array()
                .is_some_and(|r| !r.is_empty() && r.iter().all(|r| r["expr"].is_string()))
        }));
    }
}

/// Applies `documents` with a server-side dry run (strict field validation).
pub(crate) async fn server_dry_run(cluster: &Cluster, documents: &[&Value]) -> String {
    cluster
        .kubectl(
            &[
                "apply",
                "--server-side",
                "--dry-run=server",
                "--validate=strict",
                "--field-manager=ogf-e2e",
                "-f",
                "-",
            ],
            Some(&to_yaml_stream(documents)),
        )
        .await
}

pub(crate) fn is_monitoring(document: &Value) -> bool {
    document["apiVersion"]
        .as_str()
        .is_some_and(|v| v.starts_with("monitoring.coreos.com/"))
}

/// Dotted paths of every key in a YAML mapping, depth first (`image`, `image.tag`, ...).
pub(crate) fn value_paths(value: &serde_yaml::Value, prefix: &str, out: &mut BTreeSet<String>) {
    if let serde_yaml::Value::Mapping(map) = value {
        for (key, child) in map {
            let key = key.as_str().expect("string key");
            let path = if prefix.is_empty() {
                key.to_string()
            } else {
                format!("{prefix}.{key}")
            };
            out.insert(path.clone());
            value_paths(child, &path, out);
        }
    }
}

/// The `[[bin]]` target names of a Cargo manifest.
pub(crate) fn bin_names(manifest: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut in_bin = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_bin = line == "[[bin]]";
        } else if in_bin
            && let Some((key, value)) = line.split_once('=')
            && key.trim() == "name"
        {
            names.push(value.trim().trim_matches('"').to_string());
        }
    }
    names
}
