//! Leader election between two real `ogf-operator run` processes (the binary the image ships,
//! built by `cargo test --workspace`; alone: `cargo build -p ogf-operator`), against the test
//! environment: exactly one reconciles, and when the leader is SIGKILLed (no lease release)
//! the standby takes the Lease over and reconciles the next change.
//!
//! The in-process variant (`operator_marketplace.rs`) shares one tokio runtime between both
//! operators; this one proves the same with separate processes, clients and HTTP servers.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use k8s_openapi::api::coordination::v1::Lease;
use kube::api::{Patch, PatchParams, PostParams};
use kube::{Api, Client};
use ogf_crds::Marketplace;
use ogf_e2e::fixtures::create_secret;
use ogf_e2e::{TestNamespace, env, install_crds, wait_for};
use serde_json::json;
use tokio::process::{Child, Command};

const WAIT: Duration = Duration::from_secs(90);
const LEASE: &str = "ogf-operator-leader";

/// `OGF_OPERATOR_BIN`, else `ogf-operator` next to this test's `deps` directory.
fn operator_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("OGF_OPERATOR_BIN").filter(|p| !p.is_empty()) {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().expect("current test executable");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>/deps/<test>");
    profile_dir.join("ogf-operator")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

/// One `ogf-operator run` process, killed on drop.
struct Process {
    child: Child,
    port: u16,
}

impl Process {
    fn start(kubeconfig: &str, namespace: &str, identity: &str) -> Self {
        let port = free_port();
        let binary = operator_binary();
        let child = Command::new(&binary)
            .args([
                "run",
                "--namespace",
                namespace,
                "--lease-namespace",
                namespace,
            ])
            .args(["--identity", identity, "--lease-duration-seconds", "4"])
            .args(["--http-addr", &format!("127.0.0.1:{port}")])
            .args(["--log-format", "json"])
            .env("KUBECONFIG", kubeconfig)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "start {} (build it with `cargo build -p ogf-operator`): {e}",
                    binary.display()
                )
            });
        Self { child, port }
    }

    /// The value of an unlabelled-or-summed metric family from its `/metrics`, 0 if absent.
    async fn metric_sum(&self, name: &str, label_filter: &str) -> f64 {
        let url = format!("http://127.0.0.1:{}/metrics", self.port);
        let Ok(response) = reqwest::get(&url).await else {
            return 0.0;
        };
        let text = response.text().await.unwrap_or_default();
        text.lines()
            .filter(|l| l.starts_with(name) && l.contains(label_filter))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    }

    async fn reconciles(&self) -> f64 {
        self.metric_sum("ogf_operator_reconcile_total", "kind=\"Marketplace\"")
            .await
    }
}

async fn holder(leases: &Api<Lease>) -> Option<String> {
    leases
        .get_opt(LEASE)
        .await
        .ok()
        .flatten()
        .and_then(|l| l.spec?.holder_identity)
}

async fn wait_for_holder(leases: &Api<Lease>, identity: &str) {
    let deadline = tokio::time::Instant::now() + WAIT;
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    loop {
        if holder(leases).await.as_deref() == Some(identity) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{identity} did not take the Lease within {WAIT:?} (holder: {:?})",
            holder(leases).await
        );
        tick.tick().await;
    }
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

#[tokio::test]
async fn two_operator_processes_one_leads_and_the_other_takes_over_after_a_sigkill() {
    let Some(config) = env::kube_config().await else {
        return;
    };
    let kubeconfig = env::kubeconfig_path().expect("kubeconfig path");
    let client = Client::try_from(config.clone()).expect("client");
    install_crds(&client).await;
    let ns = TestNamespace::create(&client, config, "procs").await;
    let n = ns.name();
    create_secret(&client, n, "mongo", "uri", "mongodb://mongo.example:27017/").await;
    let leases: Api<Lease> = Api::namespaced(client.clone(), n);

    let mut first = Process::start(&kubeconfig, n, "first");
    wait_for_holder(&leases, "first").await;
    let second = Process::start(&kubeconfig, n, "second");

    let marketplaces: Api<Marketplace> = Api::namespaced(client.clone(), n);
    let marketplace: Marketplace = serde_json::from_value(json!({
        "apiVersion": "ogf.dev/v1alpha1", "kind": "Marketplace",
        "metadata": {"name": "ogf"},
        "spec": {
            "image": "ghcr.io/ogf-dev/ogf-api:1.0.0",
            "replicas": 1,
            "database": {"mongodb": {"uriSecretRef": {"name": "mongo", "key": "uri"}, "database": "ogf"}}
        }
    }))
    .expect("marketplace");
    marketplaces
        .create(&PostParams::default(), &marketplace)
        .await
        .expect("create");
    wait_for(marketplaces.clone(), "ogf", WAIT, ready_with(1))
        .await
        .expect("Ready under the first operator");
    assert!(first.reconciles().await > 0.0, "the leader reconciled");
    assert_eq!(second.reconciles().await, 0.0, "the standby reconciled");
    assert_eq!(
        second.metric_sum("ogf_operator_leader", "").await,
        0.0,
        "the standby reports itself leader"
    );

    // SIGKILL: no graceful shutdown, no Lease release; the standby waits for it to expire.
    first.child.kill().await.expect("kill the leader");
    wait_for_holder(&leases, "second").await;
    marketplaces
        .patch(
            "ogf",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"replicas": 2}})),
        )
        .await
        .expect("scale");
    wait_for(marketplaces, "ogf", WAIT, ready_with(2))
        .await
        .expect("the new leader reconciles");
    assert!(second.reconciles().await > 0.0);
    assert_eq!(second.metric_sum("ogf_operator_leader", "").await, 1.0);
}
