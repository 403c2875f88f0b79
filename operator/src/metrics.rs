//! The operator's Prometheus metrics, in a registry owned by the process (no globals).

use std::time::Duration;

use prometheus::{Histogram, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, Opts, Registry};

/// Reconcile and leadership metrics, labelled by kind (never by object).
#[derive(Clone, Debug)]
pub struct Metrics {
    registry: Registry,
    reconciles: IntCounterVec,
    errors: IntCounterVec,
    duration: HistogramVec,
    writes: IntCounterVec,
    api_requests: IntCounterVec,
    leader: IntGauge,
    rollouts: IntCounterVec,
    rollout_duration: HistogramVec,
    rollout_switch: Histogram,
}

impl Metrics {
    /// Creates the metrics in a fresh registry.
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new();
        let reconciles = IntCounterVec::new(
            Opts::new("ogf_operator_reconcile_total", "Reconciles run, by kind."),
            &["kind"],
        )?;
        let errors = IntCounterVec::new(
            Opts::new(
                "ogf_operator_reconcile_errors_total",
                "Reconciles that failed, by kind and error category (transient, user, bug).",
            ),
            &["kind", "category"],
        )?;
        let duration = HistogramVec::new(
            HistogramOpts::new(
                "ogf_operator_reconcile_duration_seconds",
                "Time one reconcile took, by kind.",
            )
            .buckets(vec![
                0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ]),
            &["kind"],
        )?;
        let writes = IntCounterVec::new(
            Opts::new(
                "ogf_operator_object_writes_total",
                "Writes to owned objects, by object kind and outcome (created, updated, deleted).",
            ),
            &["kind", "outcome"],
        )?;
        let api_requests = IntCounterVec::new(
            Opts::new(
                "ogf_operator_api_requests_total",
                "Requests sent to the Kubernetes API server, by HTTP method (watches count once).",
            ),
            &["method"],
        )?;
        let leader = IntGauge::new(
            "ogf_operator_leader",
            "1 while this replica holds the leader lease, else 0.",
        )?;
        let rollouts = IntCounterVec::new(
            Opts::new(
                "ogf_rollout_total",
                "Finished Rollouts, by outcome (Succeeded, Aborted, RolledBack, Failed).",
            ),
            &["outcome"],
        )?;
        let rollout_duration = HistogramVec::new(
            HistogramOpts::new(
                "ogf_rollout_duration_seconds",
                "Time from the start of deploying to the end of a Rollout, by outcome.",
            )
            .buckets(vec![
                5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0,
            ]),
            &["outcome"],
        )?;
        let rollout_switch = Histogram::with_opts(
            HistogramOpts::new(
                "ogf_rollout_switch_seconds",
                "Time from \"preview Available and checks passed\" (or the promotion) to the active color switched.",
            )
            .buckets(vec![0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0]),
        )?;
        registry.register(Box::new(rollouts.clone()))?;
        registry.register(Box::new(rollout_duration.clone()))?;
        registry.register(Box::new(rollout_switch.clone()))?;
        registry.register(Box::new(reconciles.clone()))?;
        registry.register(Box::new(errors.clone()))?;
        registry.register(Box::new(duration.clone()))?;
        registry.register(Box::new(writes.clone()))?;
        registry.register(Box::new(api_requests.clone()))?;
        registry.register(Box::new(leader.clone()))?;
        Ok(Self {
            registry,
            reconciles,
            errors,
            duration,
            writes,
            api_requests,
            leader,
            rollouts,
            rollout_duration,
            rollout_switch,
        })
    }

    /// The registry, for the `/metrics` endpoint.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Records one finished reconcile of `kind`.
    pub fn reconciled(&self, kind: &str, took: Duration) {
        self.reconciles.with_label_values(&[kind]).inc();
        self.duration
            .with_label_values(&[kind])
            .observe(took.as_secs_f64());
    }

    /// Records a failed reconcile of `kind`.
    pub fn failed(&self, kind: &str, category: &str) {
        self.errors.with_label_values(&[kind, category]).inc();
    }

    /// Records a write to an owned object of `object_kind`.
    pub fn wrote(&self, object_kind: &str, outcome: &str) {
        self.writes.with_label_values(&[object_kind, outcome]).inc();
    }

    /// Total writes so far (all kinds and outcomes), for tests and benchmarks.
    pub fn total_writes(&self) -> u64 {
        self.registry
            .gather()
            .iter()
            .filter(|f| f.name() == "ogf_operator_object_writes_total")
            .flat_map(|f| {
                f.get_metric()
                    .iter()
                    .map(|m| m.get_counter().get_value() as u64)
                    .collect::<Vec<_>>()
            })
            .sum()
    }

    /// Records one request to the API server.
    pub fn api_request(&self, method: &str) {
        self.api_requests.with_label_values(&[method]).inc();
    }

    /// Reconciles of `kind` run so far, for tests and benchmarks.
    pub fn reconcile_count(&self, kind: &str) -> u64 {
        self.reconciles.with_label_values(&[kind]).get()
    }

    /// Records a finished Rollout and, when known, how long it took.
    pub fn rollout_finished(&self, outcome: &str, took: Option<Duration>) {
        self.rollouts.with_label_values(&[outcome]).inc();
        if let Some(took) = took {
            self.rollout_duration
                .with_label_values(&[outcome])
                .observe(took.as_secs_f64());
        }
    }

    /// Records the time from "allowed to switch" to "active color switched".
    pub fn rollout_switched(&self, took: Duration) {
        self.rollout_switch.observe(took.as_secs_f64());
    }

    /// Finished Rollouts with `outcome` so far, for tests.
    pub fn rollout_count(&self, outcome: &str) -> u64 {
        self.rollouts.with_label_values(&[outcome]).get()
    }

    /// Sets whether this replica leads.
    pub fn set_leader(&self, leading: bool) {
        self.leader.set(i64::from(leading));
    }
}
