//! Running the operator inside a test: its CRDs installed on the cluster under
//! test, its controllers scoped to the test's namespace so tests stay isolated.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Patch, PatchParams};
use kube::{Api, Client};
use ogf_operator::controller::{Context, Scope};
use ogf_operator::leader::{self, LeaseSettings};
use ogf_operator::metrics::Metrics;
use ogf_operator::targets::CheckTargets;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::wait::{json_condition, wait_for};

/// The generated CRD manifests, as committed.
pub const CRD_YAML: &[&str] = &[
    include_str!("../../crds/yaml/marketplace.yaml"),
    include_str!("../../crds/yaml/rollout.yaml"),
    include_str!("../../crds/yaml/backup.yaml"),
    include_str!("../../crds/yaml/restore.yaml"),
];

/// Label on the pods of the Jobs the in-process operator creates: kwok leaves them running
/// (see `e2e/testenv/kwok-pod-complete.yaml`) and [`crate::job_runner`] runs their command.
pub const KWOK_MANUAL_LABEL: &str = "ogf.dev/kwok-manual";

/// Applies the committed CRDs (server-side) and waits until each is Established.
pub async fn install_crds(client: &Client) {
    let api: Api<CustomResourceDefinition> = Api::all(client.clone());
    for yaml in CRD_YAML {
        let crd: CustomResourceDefinition = serde_yaml::from_str(yaml).expect("valid CRD YAML");
        let name = crd.metadata.name.clone().expect("CRD name");
        api.patch(
            &name,
            &PatchParams::apply("ogf-e2e").force(),
            &Patch::Apply(&crd),
        )
        .await
        .unwrap_or_else(|e| panic!("apply CRD {name}: {e}"));
        let established = json_condition::<CustomResourceDefinition>(|c| {
            c["status"]["conditions"].as_array().is_some_and(|cs| {
                cs.iter()
                    .any(|c| c["type"] == "Established" && c["status"] == "True")
            })
        });
        wait_for(
            api.clone(),
            &name,
            std::time::Duration::from_secs(30),
            established,
        )
        .await
        .unwrap_or_else(|e| panic!("CRD {name} established: {e}"));
    }
}

/// Sends the in-process operator's logs to the test's captured output (shown when a test
/// fails), filtered by `RUST_LOG` (default: warnings and errors). Once per test binary.
fn capture_logs() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_test_writer()
        .try_init();
}

/// The check targets of the e2e operators: the production default plus loopback, where the
/// tests serve the HTTP endpoints and run the Prometheus that Rollout checks query.
pub fn test_check_targets() -> CheckTargets {
    CheckTargets::parse(
        ogf_operator::targets::DEFAULT_ALLOWED
            .into_iter()
            .chain(["127.0.0.1"]),
    )
    .expect("valid check targets")
}

/// An operator running in this process until dropped (or [`Operator::kill`]ed).
#[derive(Debug)]
pub struct Operator {
    /// Its metrics (reconcile counts, writes, leadership).
    pub metrics: Metrics,
    shutdown: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl Operator {
    /// Starts the controllers on `namespace`, with a leader Lease named `lease` there when given.
    pub async fn start(
        client: &Client,
        namespace: &str,
        identity: &str,
        lease: Option<&str>,
    ) -> Self {
        let lease = lease.map(|name| LeaseSettings {
            namespace: namespace.to_string(),
            name: name.to_string(),
            identity: identity.to_string(),
            duration_seconds: 4,
            grace_seconds: 1,
        });
        let scope = Scope {
            namespaces: vec![namespace.to_string()],
        };
        Self::start_scoped(client, scope, identity, lease).await
    }

    /// Starts the controllers on the namespaces of `scope`, electing a leader through `lease`
    /// when given (which may live elsewhere, as the chart's operator keeps its Lease in the
    /// release namespace).
    pub async fn start_scoped(
        client: &Client,
        scope: Scope,
        identity: &str,
        lease: Option<LeaseSettings>,
    ) -> Self {
        Self::start_with_targets(client, scope, identity, lease, test_check_targets()).await
    }

    /// Starts the controllers on `namespace` with Rollout checks limited to `targets` (the
    /// SSRF tests use the production default, which refuses loopback).
    pub async fn start_with_check_targets(
        client: &Client,
        namespace: &str,
        identity: &str,
        targets: CheckTargets,
    ) -> Self {
        let scope = Scope {
            namespaces: vec![namespace.to_string()],
        };
        Self::start_with_targets(client, scope, identity, None, targets).await
    }

    async fn start_with_targets(
        client: &Client,
        scope: Scope,
        identity: &str,
        lease: Option<LeaseSettings>,
        targets: CheckTargets,
    ) -> Self {
        capture_logs();
        let metrics = Metrics::new().expect("metrics");
        let context = Arc::new(
            Context::new(client.clone(), metrics.clone(), identity)
                .await
                .with_job_pod_labels(std::collections::BTreeMap::from([(
                    KWOK_MANUAL_LABEL.to_string(),
                    "true".to_string(),
                )]))
                .with_check_targets(targets),
        );
        let (shutdown, shutdown_rx) = watch::channel(false);
        let ready = Arc::new(AtomicBool::new(false));
        let client = client.clone();
        let task = tokio::spawn(async move {
            if let Err(e) = leader::run(client, context, scope, lease, ready, shutdown_rx).await {
                eprintln!("operator stopped with an error: {e}");
            }
        });
        Self {
            metrics,
            shutdown,
            task: Some(task),
        }
    }

    /// Stops it the hard way, as a crashed process would: no lease release, no cleanup.
    pub fn kill(mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }

    /// Stops it gracefully (controllers drained, lease released) and waits for it.
    pub async fn stop(mut self) {
        let _ = self.shutdown.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Operator {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}
