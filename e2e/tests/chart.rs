//! The Helm chart (`charts/ogf-operator`) with the real tools and the real API
//! server: `helm lint`; `helm template` output through a server-side dry run;
//! `helm install` / `uninstall`; the operator run in this process **as the
//! chart's ServiceAccount** (impersonation) to prove its RBAC is sufficient, and
//! `kubectl auth can-i` to prove it is not broader than needed. Also: the
//! chart's README documents every value, and the Dockerfiles pass hadolint.
//!
//! helm and kubectl come from the test environment (`$OGF_TESTENV_BIN`), else
//! from `PATH`; hadolint from `scripts/install-deps.sh`. A missing tool skips the
//! test with a message, and fails it under `CI=true`.
//!
//! ServiceMonitor and PrometheusRule documents are left out of the dry run: the
//! Prometheus Operator's CRDs are not installed in the test environment, and
//! installing stand-ins would change what every other test's operator discovers
//! (it applies ServiceMonitors when that API exists). They are checked against
//! the metrics Service they scrape instead.

#[path = "chart/rbac.rs"]
mod rbac;
#[path = "chart/render.rs"]
mod render;
#[path = "chart/tools.rs"]
mod tools;

use std::collections::BTreeSet;
use std::time::Duration;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::rbac::v1::{ClusterRole, Role};
use kube::Api;
use ogf_e2e::{env, json_condition, wait_for};
use serde_json::Value;

use rbac::{NEVER, allowed, assert_can, assert_cannot, assert_lease_rules, operator_works_as};
use render::{
    bin_names, check_rendering, documents, find, is_monitoring, one, server_dry_run, value_paths,
};
use tools::{Cluster, Release, hadolint, run, run_ok, tool};

const WAIT: Duration = Duration::from_secs(90);
const CHART: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../charts/ogf-operator");
const CI_VALUES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../charts/ogf-operator/ci/namespaced-values.yaml"
);
const LEASE: &str = "ogf-operator-leader";

// ---------------------------------------------------------------------------
// Lint, README, Dockerfiles: no cluster needed
// ---------------------------------------------------------------------------

#[tokio::test]
async fn helm_lint_passes_for_default_and_non_default_values_and_the_schema_is_strict() {
    let Some(helm) = tool("helm") else {
        return;
    };
    run_ok(&helm, &["lint", "--strict", CHART], None).await;
    run_ok(&helm, &["lint", "--strict", CHART, "-f", CI_VALUES], None).await;

    // values.schema.json rejects unknown keys and wrong types; the templates refuse
    // combinations that would install something broken.
    for (set, expected) in [
        ("replicaCount=two", "/replicaCount"),
        ("image.tagg=1.0", "tagg"),
        ("nosuchvalue=1", "nosuchvalue"),
        ("logging.format=xml", "/logging/format"),
        ("watchNamespaces={Not_A_Namespace}", "/watchNamespaces/0"),
        ("metrics.port=80", "/metrics/port"),
        ("leaderElection.enabled=false", "leaderElection.enabled"),
    ] {
        let output = run(&helm, &["template", "x", CHART, "--set", set], None).await;
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            !output.status.success() && stderr.contains(expected),
            "--set {set} must be refused mentioning {expected:?}; stderr: {stderr}"
        );
    }
}

#[test]
fn readme_values_table_matches_values_yaml() {
    let values: serde_yaml::Value = serde_yaml::from_str(
        &std::fs::read_to_string(format!("{CHART}/values.yaml")).expect("values.yaml"),
    )
    .expect("values.yaml parses");
    let readme = std::fs::read_to_string(format!("{CHART}/README.md")).expect("README.md");
    // First column of the values table: | `key` | type | default | description |
    let documented: BTreeSet<String> = readme
        .lines()
        .filter_map(|line| line.strip_prefix("| `"))
        .filter_map(|rest| rest.split_once('`').map(|(key, _)| key.to_string()))
        .collect();
    let mut paths = BTreeSet::new();
    value_paths(&values, "", &mut paths);

    let top_level: Vec<&String> = paths.iter().filter(|p| !p.contains('.')).collect();
    assert!(!top_level.is_empty());
    for key in top_level {
        assert!(
            documented
                .iter()
                .any(|d| d == key || d.starts_with(&format!("{key}."))),
            "values.yaml key `{key}` is missing from the README's values table"
        );
    }
    for row in &documented {
        assert!(
            paths.contains(row),
            "README documents `{row}`, which values.yaml does not have"
        );
    }
}

#[tokio::test]
async fn dockerfiles_pass_hadolint_and_ship_the_release_binaries() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    for (dockerfile, crate_dir, binary) in [
        ("Dockerfile.operator", "operator", "ogf-operator"),
        ("Dockerfile.api", "api-server", "ogf-api"),
    ] {
        let text = std::fs::read_to_string(format!("{root}/{dockerfile}")).expect("Dockerfile");
        let manifest =
            std::fs::read_to_string(format!("{root}/{crate_dir}/Cargo.toml")).expect("Cargo.toml");
        assert!(
            bin_names(&manifest).iter().any(|b| b == binary),
            "{crate_dir} builds a binary named {binary}"
        );
        // The image ships what `cargo build --release` of that binary produces, and runs it.
        for expected in [
            "cargo build --release --locked".to_string(),
            format!("--bin {binary}"),
            format!("/release/{binary}\""),
            format!("ENTRYPOINT [\"/usr/local/bin/{binary}\"]"),
            "FROM gcr.io/distroless/static-debian12:nonroot".to_string(),
            "USER 65532:65532".to_string(),
            "org.opencontainers.image.source".to_string(),
            "org.opencontainers.image.revision".to_string(),
        ] {
            assert!(text.contains(&expected), "{dockerfile} lacks {expected:?}");
        }
    }
    let Some(hadolint) = hadolint() else {
        return;
    };
    for dockerfile in ["Dockerfile.operator", "Dockerfile.api"] {
        let path = format!("{root}/{dockerfile}");
        run_ok(&hadolint, &["--failure-threshold", "info", &path], None).await;
    }
}

// ---------------------------------------------------------------------------
// Against the API server
// ---------------------------------------------------------------------------

#[tokio::test]
async fn rendered_manifests_pass_a_server_side_dry_run() {
    let Some(cluster) = Cluster::connect().await else {
        return;
    };
    let ns = cluster.namespace("chart-dry").await;
    let other = cluster.namespace("chart-dry2").await;
    let (n, o) = (ns.name(), other.name());

    // Default values: cluster mode.
    let rendered = cluster
        .helm(&["template", "ogf-operator", CHART, "--namespace", n])
        .await;
    let defaults = documents(&rendered);
    check_rendering(&defaults);
    assert_eq!(find(&defaults, "ClusterRole").len(), 1);
    assert_eq!(find(&defaults, "ClusterRoleBinding").len(), 1);
    assert_eq!(find(&defaults, "Role").len(), 1, "only the Lease Role");
    assert!(find(&defaults, "ServiceMonitor").is_empty());
    assert_eq!(one(&defaults, "Deployment")["spec"]["replicas"], 2);
    let applied = server_dry_run(&cluster, &defaults.iter().collect::<Vec<_>>()).await;
    assert!(applied.contains("(server dry run)"), "{applied}");

    // Non-default values: namespaced mode over two namespaces, ServiceMonitor and rules on.
    let watch = format!("watchNamespaces={{{n},{o}}}");
    let rendered = cluster
        .helm(&[
            "template",
            "ogf-operator",
            CHART,
            "--namespace",
            n,
            "-f",
            CI_VALUES,
            "--set",
            &watch,
        ])
        .await;
    let namespaced = documents(&rendered);
    check_rendering(&namespaced);
    assert!(find(&namespaced, "ClusterRole").is_empty());
    assert!(find(&namespaced, "ClusterRoleBinding").is_empty());
    let role_namespaces: BTreeSet<&str> = find(&namespaced, "Role")
        .iter()
        .filter_map(|r| r["metadata"]["namespace"].as_str())
        .collect();
    assert_eq!(role_namespaces, BTreeSet::from([n, o]));
    assert_eq!(
        find(&namespaced, "Role").len(),
        3,
        "two watched + the Lease Role"
    );
    let container = &one(&namespaced, "Deployment")["spec"]["template"]["spec"]["containers"][0];
    let watched = container["env"]
        .as_array()
        .expect("env")
        .iter()
        .find(|e| e["name"] == "OGF_WATCH_NAMESPACES")
        .expect("OGF_WATCH_NAMESPACES");
    assert_eq!(watched["value"], format!("{n},{o}"));
    assert_eq!(find(&namespaced, "ServiceMonitor").len(), 1);
    assert_eq!(find(&namespaced, "PrometheusRule").len(), 1);
    let kube_objects: Vec<&Value> = namespaced.iter().filter(|d| !is_monitoring(d)).collect();
    let applied = server_dry_run(&cluster, &kube_objects).await;
    for name in [
        "role.rbac.authorization.k8s.io/ogf-op",
        "deployment.apps/ogf-op",
    ] {
        assert!(applied.contains(name), "{name} in {applied}");
    }
}

/// `--set` arguments for the operator image under test: `OGF_E2E_OPERATOR_IMAGE`
/// (`repository:tag`, e.g. loaded into kind), else the chart's default.
fn image_values() -> Option<String> {
    let image = std::env::var("OGF_E2E_OPERATOR_IMAGE").ok()?;
    let (repository, tag) = image
        .rsplit_once(':')
        .filter(|(_, tag)| !tag.contains('/'))
        .unwrap_or((image.as_str(), "latest"));
    Some(format!("image.repository={repository},image.tag={tag}"))
}

#[tokio::test]
async fn helm_install_makes_the_operator_available_and_uninstall_removes_it() {
    let Some(cluster) = Cluster::connect().await else {
        return;
    };
    let ns = cluster.namespace("chart-install").await;
    let n = ns.name();
    // Namespaced to its own namespace: on a real cluster the installed operator runs,
    // and must not reconcile the other tests' Marketplaces.
    let watch = format!("watchNamespaces={{{n}}}");
    let image = image_values();
    let mut values = vec!["--set", watch.as_str()];
    if let Some(image) = &image {
        values.extend(["--set", image.as_str()]);
    }
    let release = Release::install(&cluster, n, &values).await;
    let status = cluster
        .helm(&["status", &release.name, "--namespace", n])
        .await;
    assert!(status.contains("STATUS: deployed"), "{status}");

    let deployments: Api<Deployment> = Api::namespaced(cluster.client.clone(), n);
    if env::is_testenv_cluster() || image.is_some() {
        let available = json_condition::<Deployment>(|d| {
            d["status"]["readyReplicas"] == 2
                && d["status"]["conditions"].as_array().is_some_and(|cs| {
                    cs.iter()
                        .any(|c| c["type"] == "Available" && c["status"] == "True")
                })
        });
        wait_for(deployments.clone(), release.fullname(), WAIT, available)
            .await
            .expect("the operator Deployment becomes Available with 2 replicas");
    } else {
        eprintln!(
            "note: not waiting for the operator pods: on a real cluster they need an image; \
             build Dockerfile.operator, load it and set OGF_E2E_OPERATOR_IMAGE"
        );
    }
    let roles: Api<Role> = Api::namespaced(cluster.client.clone(), n);
    let name = release.fullname().to_string();
    assert!(roles.get_opt(&name).await.expect("get").is_some());

    release.uninstall().await;
    assert!(deployments.get_opt(&name).await.expect("get").is_none());
    assert!(roles.get_opt(&name).await.expect("get").is_none());
}

// ---------------------------------------------------------------------------
// RBAC: sufficient (the operator runs as the ServiceAccount), and no broader
// ---------------------------------------------------------------------------

#[tokio::test]
async fn cluster_mode_rbac_is_sufficient_and_no_broader() {
    let Some(cluster) = Cluster::connect().await else {
        return;
    };
    let ns = cluster.namespace("chart-rbac").await;
    let other = cluster.namespace("chart-rbac2").await;
    // No chart pods: the test runs the operator itself, as the chart's ServiceAccount.
    let release = Release::install(&cluster, ns.name(), &["--set", "replicaCount=0"]).await;
    let user = release.service_account_user();

    operator_works_as(&cluster, &user, ns.name()).await;

    // Sufficient everywhere (cluster mode watches every namespace), no more than that.
    let as_operator = cluster.impersonating(&user);
    assert_can(&as_operator, ns.name()).await;
    assert_can(&as_operator, other.name()).await;
    assert!(
        cluster
            .can_i(&user, &["list", "secrets", "--all-namespaces"])
            .await,
        "cluster mode watches Secrets in every namespace"
    );
    assert_cannot(&cluster, &user, NEVER).await;
    assert_lease_rules(&cluster, &user, ns.name(), other.name()).await;

    let cluster_roles: Api<ClusterRole> = Api::all(cluster.client.clone());
    let name = release.fullname().to_string();
    assert!(cluster_roles.get_opt(&name).await.expect("get").is_some());
    release.uninstall().await;
    assert!(
        cluster_roles.get_opt(&name).await.expect("get").is_none(),
        "uninstall removes the cluster-scoped RBAC"
    );
}

#[tokio::test]
async fn namespaced_mode_rbac_is_sufficient_and_stays_in_its_namespaces() {
    let Some(cluster) = Cluster::connect().await else {
        return;
    };
    let ns = cluster.namespace("chart-nsrbac").await;
    let watched = cluster.namespace("chart-nsrbac2").await;
    let outside = cluster.namespace("chart-nsrbac3").await;
    let (n, w, o) = (ns.name(), watched.name(), outside.name());
    let set = format!("watchNamespaces={{{n},{w}}}");
    let release = Release::install(&cluster, n, &["--set", &set, "--set", "replicaCount=0"]).await;
    let user = release.service_account_user();

    // The release namespace is watched too: the operator runs there, its Lease beside it.
    operator_works_as(&cluster, &user, n).await;

    let as_operator = cluster.impersonating(&user);
    assert_can(&as_operator, n).await;
    assert_can(&as_operator, w).await;
    assert!(!allowed(&as_operator, o, "list", "", "secrets", "").await);
    assert_cannot(&cluster, &user, NEVER).await;
    assert_cannot(
        &cluster,
        &user,
        &[
            &["get", "secrets", "-n", o],
            &["list", "secrets", "-n", o],
            &["list", "secrets", "--all-namespaces"],
            &["get", "secrets", "-n", "kube-system"],
            &["list", "marketplaces.ogf.dev", "--all-namespaces"],
            &["watch", "marketplaces.ogf.dev", "-n", o],
            &["patch", "deployments.apps", "-n", o],
            &["list", "clusterroles.rbac.authorization.k8s.io"],
        ],
    )
    .await;
    assert_lease_rules(&cluster, &user, n, w).await;
    release.uninstall().await;
}
