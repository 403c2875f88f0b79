//! Fault injection (issue 9, item 3): the Kubernetes API server stops and starts again while the
//! operator runs. Its watches break and must resume by themselves: changes made right after the
//! API server is back (before the operator's watches have reconnected) are all observed and
//! applied, a new object included, and nothing is missed.
//!
//! Only on the test environment (`testenv.sh stop|start kube-apiserver`); against an existing
//! cluster (`OGF_E2E_KUBECONFIG`) the test is skipped, since it cannot restart that API server.
//! This is the only test in its binary, so no other test shares the outage.
//!
//! This test found a defect: kube's `Controller` shared one backoff across all of a
//! controller's watches, and after the restart every watch's one failure doubled it, so the
//! operator was blind for minutes. Each watch now backs off on its own
//! (`operator/src/controller/triggers.rs`).

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use k8s_openapi::api::apps::v1::Deployment;
use kube::api::{Patch, PatchParams, PostParams};
use kube::{Api, Client};
use ogf_crds::Marketplace;
use ogf_e2e::fixtures::create_secret;
use ogf_e2e::{Operator, TestNamespace, env, install_crds, wait_for};
use serde_json::json;

const WAIT: Duration = Duration::from_secs(120);

fn testenv(args: &[&str]) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("testenv/testenv.sh");
    let out = Command::new("bash")
        .arg(&script)
        .args(args)
        .output()
        .expect("run testenv.sh");
    assert!(
        out.status.success(),
        "testenv.sh {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn marketplace(name: &str, replicas: i32) -> Marketplace {
    serde_json::from_value(json!({
        "apiVersion": "ogf.dev/v1alpha1", "kind": "Marketplace",
        "metadata": {"name": name},
        "spec": {
            "image": "ghcr.io/ogf-dev/ogf-api:1.0.0",
            "replicas": replicas,
            "database": {"mongodb": {"uriSecretRef": {"name": "mongo", "key": "uri"}, "database": "ogf"}}
        }
    }))
    .expect("marketplace")
}

fn ready_with(replicas: i32) -> impl Fn(Option<&Marketplace>) -> bool {
    move |m: Option<&Marketplace>| {
        let Some(m) = m else { return false };
        let Some(status) = m.status.as_ref() else {
            return false;
        };
        status.ready_replicas == Some(replicas)
            && status.observed_generation == m.metadata.generation
            && status
                .conditions
                .iter()
                .any(|c| c.type_ == "Ready" && c.status == "True")
    }
}

/// The operator has reconciled the Marketplace's current generation.
fn observed(m: Option<&Marketplace>) -> bool {
    m.is_some_and(|m| {
        m.status
            .as_ref()
            .is_some_and(|s| s.observed_generation == m.metadata.generation)
    })
}

fn replicas(n: i32) -> impl Fn(Option<&Deployment>) -> bool {
    move |d: Option<&Deployment>| d.and_then(|d| d.spec.replicas).is_some_and(|r| r == n)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watches_resume_after_the_api_server_restarts_and_no_change_is_missed() {
    let Some(config) = env::kube_config().await else {
        return;
    };
    if !env::is_testenv_cluster() {
        eprintln!("SKIPPED: restarting the API server needs the test environment");
        return;
    }
    let client = Client::try_from(config.clone()).expect("client");
    install_crds(&client).await;
    let ns = TestNamespace::create(&client, config, "apiserver-restart").await;
    let n = ns.name();
    create_secret(&client, n, "mongo", "uri", "mongodb://mongo.example:27017/").await;
    let operator = Operator::start(&client, n, "restart", None).await;
    let marketplaces: Api<Marketplace> = Api::namespaced(client.clone(), n);
    marketplaces
        .create(&PostParams::default(), &marketplace("before", 1))
        .await
        .expect("create");
    wait_for(marketplaces.clone(), "before", WAIT, ready_with(1))
        .await
        .expect("Ready before the restart");

    // The API server goes away (every watch breaks) and comes back.
    testenv(&["stop", "kube-apiserver"]);
    testenv(&["start", "kube-apiserver"]);

    // Changes at once, while the operator's watches are still reconnecting with backoff.
    marketplaces
        .patch(
            "before",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"replicas": 2}})),
        )
        .await
        .expect("scale right after the restart");
    marketplaces
        .create(&PostParams::default(), &marketplace("after", 1))
        .await
        .expect("create right after the restart");

    // What the operator owns: the changed spec observed and applied, the new object's
    // Deployment created. (Pod readiness after the outage also depends on kwok's and the
    // controller manager's own watch recovery, which is not what this test is about.)
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), n);
    wait_for(marketplaces.clone(), "before", WAIT, observed)
        .await
        .expect("the change made after the restart is observed");
    wait_for(deployments.clone(), "before-blue", WAIT, replicas(2))
        .await
        .expect("the change made after the restart is applied");
    wait_for(marketplaces.clone(), "after", WAIT, observed)
        .await
        .expect("the object created after the restart is reconciled");
    wait_for(deployments, "after-blue", WAIT, replicas(1))
        .await
        .expect("the object created after the restart gets its Deployment");
    operator.stop().await;
}
