//! The reconcilers and what they share: the [`Context`] and the [`run`] entry point.

pub mod backup;
pub mod error;
pub mod freshness;
pub mod marketplace;
pub mod restore;
pub mod rollout;
pub mod triggers;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kube::Client;
use kube::runtime::events::{Recorder, Reporter};
use tokio::sync::watch;

use crate::metrics::Metrics;

pub use error::ReconcileError;

/// How often an object in its desired state is reconciled anyway (drift the watches missed).
pub const RESYNC: Duration = Duration::from_secs(300);

/// Most reconciles one controller runs at once. kube-runtime's default is unbounded: at start-up
/// (or after a watch relist) every object is reconciled at the same moment, each holding the
/// objects it read and built, and that burst, not the steady state, sets the peak memory. A
/// reconcile takes milliseconds, so the queue drains quickly with a bound.
pub const MAX_CONCURRENT_RECONCILES: u16 = 8;

/// The runtime settings every controller of the operator uses.
pub fn controller_config() -> kube::runtime::controller::Config {
    kube::runtime::controller::Config::default().concurrency(MAX_CONCURRENT_RECONCILES)
}

/// Everything a reconcile needs besides the object itself.
#[allow(missing_debug_implementations)] // kube's Client and Recorder are not Debug
pub struct Context {
    /// Client for the API server.
    pub client: Client,
    /// The operator's metrics.
    pub metrics: Metrics,
    /// Publishes Kubernetes Events.
    pub recorder: Recorder,
    /// Whether the `monitoring.coreos.com/v1` ServiceMonitor API exists (discovered at start).
    pub service_monitor_api: bool,
    /// Extra labels on the pods of every Job the operator creates (`--job-pod-label`; the
    /// e2e tests mark Job pods that they run themselves).
    pub job_pod_labels: std::collections::BTreeMap<String, String>,
    /// Where Rollout checks may send requests (`--allowed-check-targets`).
    pub check_targets: Arc<crate::targets::CheckTargets>,
    /// Consecutive failures per object (`namespace/name`), for exponential backoff.
    failures: Mutex<HashMap<String, u32>>,
}

impl Context {
    /// A context for `client`, discovering the optional APIs.
    pub async fn new(client: Client, metrics: Metrics, identity: &str) -> Self {
        let service_monitor_api = client
            .list_api_group_resources("monitoring.coreos.com/v1")
            .await
            .is_ok_and(|list| list.resources.iter().any(|r| r.kind == "ServiceMonitor"));
        let reporter = Reporter {
            controller: crate::FIELD_MANAGER.into(),
            instance: Some(identity.to_string()),
        };
        Self {
            recorder: Recorder::new(client.clone(), reporter),
            client,
            metrics,
            service_monitor_api,
            job_pod_labels: std::collections::BTreeMap::new(),
            check_targets: Arc::default(),
            failures: Mutex::default(),
        }
    }

    /// This context with `labels` added to the pods of every Job it creates.
    pub fn with_job_pod_labels(
        mut self,
        labels: std::collections::BTreeMap<String, String>,
    ) -> Self {
        self.job_pod_labels = labels;
        self
    }

    /// This context with Rollout checks limited to `targets`.
    pub fn with_check_targets(mut self, targets: crate::targets::CheckTargets) -> Self {
        self.check_targets = Arc::new(targets);
        self
    }

    /// The delay before retrying `key` after one more failure: 1 s doubling to 5 min.
    pub fn backoff(&self, key: &str) -> Duration {
        let mut failures = self
            .failures
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let count = failures.entry(key.to_string()).or_insert(0);
        *count = count.saturating_add(1);
        backoff_delay(*count)
    }

    /// Forgets the failures of `key` after a successful reconcile.
    pub fn succeeded(&self, key: &str) {
        let mut failures = self
            .failures
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        failures.remove(key);
    }
}

/// 1 s after the first failure, doubling, at most 5 minutes.
pub fn backoff_delay(failures: u32) -> Duration {
    let exponent = failures.saturating_sub(1).min(9);
    Duration::from_secs((1u64 << exponent).min(300))
}

/// Which namespaces the controllers watch.
#[derive(Clone, Debug, Default)]
pub struct Scope {
    /// Empty: every namespace.
    pub namespaces: Vec<String>,
}

/// Runs every controller over `scope` until `stop` turns true. The controllers run as tasks
/// of a [`tokio::task::JoinSet`]: dropping this future (an aborted operator) aborts them all.
pub async fn run(context: std::sync::Arc<Context>, scope: &Scope, stop: watch::Receiver<bool>) {
    let namespaces: Vec<Option<String>> = if scope.namespaces.is_empty() {
        vec![None]
    } else {
        scope.namespaces.iter().cloned().map(Some).collect()
    };
    let mut tasks = tokio::task::JoinSet::new();
    for namespace in namespaces {
        tasks.spawn(marketplace::run(
            context.clone(),
            namespace.clone(),
            stop.clone(),
        ));
        tasks.spawn(rollout::run(
            context.clone(),
            namespace.clone(),
            stop.clone(),
        ));
        tasks.spawn(restore::run(
            context.clone(),
            namespace.clone(),
            stop.clone(),
        ));
        tasks.spawn(backup::run(context.clone(), namespace, stop.clone()));
    }
    while let Some(result) = tasks.join_next().await {
        if let Err(e) = result {
            tracing::error!(error = %e, "controller task failed");
        }
    }
}

/// The API of `K` in `namespace`, or across all namespaces when `None`.
pub fn scoped_api<K>(client: &Client, namespace: Option<&str>) -> kube::Api<K>
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope>,
    K::DynamicType: Default,
{
    match namespace {
        Some(ns) => kube::Api::namespaced(client.clone(), ns),
        None => kube::Api::all(client.clone()),
    }
}

/// Publishes a Kubernetes Event about `object`; a failure is logged, never fatal.
pub async fn publish_event<K>(
    context: &Context,
    object: &K,
    type_: kube::runtime::events::EventType,
    reason: &str,
    note: &str,
    action: &str,
) where
    K: kube::Resource<DynamicType = ()>,
{
    let event = kube::runtime::events::Event {
        type_,
        reason: reason.into(),
        note: Some(note.chars().take(1000).collect()),
        action: action.into(),
        secondary: None,
    };
    if let Err(e) = context
        .recorder
        .publish(&event, &object.object_ref(&()))
        .await
    {
        tracing::debug!(error = %e, "cannot publish event");
    }
}

/// A future that completes once `stop` is true (or its sender is gone).
pub async fn stopped(mut stop: watch::Receiver<bool>) {
    let _ = stop.wait_for(|stop| *stop).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_one_second_up_to_five_minutes() {
        let delays: Vec<u64> = (1..=12).map(|n| backoff_delay(n).as_secs()).collect();
        assert_eq!(
            delays,
            vec![1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300]
        );
    }
}
