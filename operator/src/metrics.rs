//! The operator's Prometheus metrics, in a registry owned by the process (no globals).

use std::time::Duration;

use prometheus::{
    GaugeVec, Histogram, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry,
};

/// Backup and Restore metrics (names fixed: alerts depend on them).
#[derive(Clone, Debug)]
struct BackupMetrics {
    last_success: GaugeVec,
    last_failure: GaugeVec,
    duration: GaugeVec,
    size: GaugeVec,
    runs: IntCounterVec,
    restores: IntCounterVec,
    restore_duration: HistogramVec,
}

impl BackupMetrics {
    fn new(registry: &Registry) -> Result<Self, prometheus::Error> {
        let per_backup =
            |name: &str, help: &str| GaugeVec::new(Opts::new(name, help), &["namespace", "backup"]);
        let metrics = Self {
            last_success: per_backup(
                "ogf_backup_last_success_timestamp_seconds",
                "Unix time of the last successful backup, per Backup.",
            )?,
            last_failure: per_backup(
                "ogf_backup_last_failure_timestamp_seconds",
                "Unix time of the last failed backup, per Backup.",
            )?,
            duration: per_backup(
                "ogf_backup_duration_seconds",
                "Duration of the last finished backup run, per Backup.",
            )?,
            size: per_backup(
                "ogf_backup_size_bytes",
                "Size of the last successful backup artifact (encrypted), per Backup.",
            )?,
            runs: IntCounterVec::new(
                Opts::new(
                    "ogf_backup_runs_total",
                    "Backup runs, by namespace and outcome (succeeded, failed, skipped).",
                ),
                &["namespace", "outcome"],
            )?,
            restores: IntCounterVec::new(
                Opts::new(
                    "ogf_restore_total",
                    "Finished Restores, by namespace and outcome (succeeded, failed).",
                ),
                &["namespace", "outcome"],
            )?,
            restore_duration: HistogramVec::new(
                HistogramOpts::new(
                    "ogf_restore_duration_seconds",
                    "Time a Restore took from start to end, by namespace.",
                )
                .buckets(vec![
                    5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 7200.0,
                ]),
                &["namespace"],
            )?,
        };
        registry.register(Box::new(metrics.last_success.clone()))?;
        registry.register(Box::new(metrics.last_failure.clone()))?;
        registry.register(Box::new(metrics.duration.clone()))?;
        registry.register(Box::new(metrics.size.clone()))?;
        registry.register(Box::new(metrics.runs.clone()))?;
        registry.register(Box::new(metrics.restores.clone()))?;
        registry.register(Box::new(metrics.restore_duration.clone()))?;
        Ok(metrics)
    }
}

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
    marketplace_ready: IntGaugeVec,
    rollouts: IntCounterVec,
    rollout_duration: HistogramVec,
    rollout_switch: Histogram,
    backups: BackupMetrics,
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
        let marketplace_ready = IntGaugeVec::new(
            Opts::new(
                "ogf_marketplace_ready",
                "1 while a Marketplace's Ready condition is True, else 0, per Marketplace.",
            ),
            &["namespace", "marketplace"],
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
        registry.register(Box::new(marketplace_ready.clone()))?;
        let backups = BackupMetrics::new(&registry)?;
        Ok(Self {
            registry,
            reconciles,
            errors,
            duration,
            writes,
            api_requests,
            leader,
            marketplace_ready,
            rollouts,
            rollout_duration,
            rollout_switch,
            backups,
        })
    }

    /// Records whether Marketplace `name` in `namespace` is Ready (for the not-Ready alert).
    pub fn marketplace_ready(&self, namespace: &str, name: &str, ready: bool) {
        self.marketplace_ready
            .with_label_values(&[namespace, name])
            .set(i64::from(ready));
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

    /// Records a successful backup of `backup` in `namespace`: finished at `finished_unix`
    /// (seconds), taking `duration_seconds`, producing an artifact of `size_bytes`.
    pub fn backup_succeeded(
        &self,
        namespace: &str,
        backup: &str,
        finished_unix: f64,
        duration_seconds: f64,
        size_bytes: f64,
    ) {
        let labels = [namespace, backup];
        let m = &self.backups;
        m.last_success.with_label_values(&labels).set(finished_unix);
        m.duration.with_label_values(&labels).set(duration_seconds);
        m.size.with_label_values(&labels).set(size_bytes);
        m.runs.with_label_values(&[namespace, "succeeded"]).inc();
    }

    /// Records a failed backup of `backup` in `namespace` at `finished_unix`, after
    /// `duration_seconds` when known.
    pub fn backup_failed(
        &self,
        namespace: &str,
        backup: &str,
        finished_unix: f64,
        duration_seconds: Option<f64>,
    ) {
        let labels = [namespace, backup];
        let m = &self.backups;
        m.last_failure.with_label_values(&labels).set(finished_unix);
        if let Some(duration) = duration_seconds {
            m.duration.with_label_values(&labels).set(duration);
        }
        m.runs.with_label_values(&[namespace, "failed"]).inc();
    }

    /// Sets the last success and failure times of `backup` from its status, so that alerts on
    /// them hold across operator restarts (the run counters start again from zero).
    pub fn backup_observed(&self, namespace: &str, backup: &str, status: &ogf_crds::BackupStatus) {
        let labels = [namespace, backup];
        let unix = |t: &k8s_openapi::apimachinery::pkg::apis::meta::v1::Time| {
            t.0.as_millisecond() as f64 / 1000.0
        };
        if let Some(time) = &status.last_successful_time {
            self.backups
                .last_success
                .with_label_values(&labels)
                .set(unix(time));
        }
        if let Some(time) = &status.last_failure_time {
            self.backups
                .last_failure
                .with_label_values(&labels)
                .set(unix(time));
        }
    }

    /// Records a backup run that was due but skipped (a restore in progress).
    pub fn backup_skipped(&self, namespace: &str) {
        self.backups
            .runs
            .with_label_values(&[namespace, "skipped"])
            .inc();
    }

    /// Forgets the per-Backup series of a deleted Backup.
    pub fn backup_deleted(&self, namespace: &str, backup: &str) {
        let labels = [namespace, backup];
        let m = &self.backups;
        for gauge in [&m.last_success, &m.last_failure, &m.duration, &m.size] {
            let _ = gauge.remove_label_values(&labels);
        }
    }

    /// The `(namespace, backup)` pairs that have per-Backup series now.
    pub fn backup_series(&self) -> std::collections::BTreeSet<(String, String)> {
        use prometheus::core::Collector;
        let m = &self.backups;
        [&m.last_success, &m.last_failure, &m.duration, &m.size]
            .into_iter()
            .flat_map(|gauge| gauge.collect())
            .flat_map(|family| family.get_metric().to_vec())
            .filter_map(|metric| {
                let label = |name: &str| {
                    metric
                        .get_label()
                        .iter()
                        .find(|l| l.name() == name)
                        .map(|l| l.value().to_string())
                };
                Some((label("namespace")?, label("backup")?))
            })
            .collect()
    }

    /// Backup runs in `namespace` with `outcome` so far, for tests.
    pub fn backup_run_count(&self, namespace: &str, outcome: &str) -> u64 {
        self.backups
            .runs
            .with_label_values(&[namespace, outcome])
            .get()
    }

    /// Records a finished Restore in `namespace` with `outcome` (`succeeded` or `failed`) and,
    /// when known, how long it took.
    pub fn restore_finished(&self, namespace: &str, outcome: &str, took: Option<Duration>) {
        self.backups
            .restores
            .with_label_values(&[namespace, outcome])
            .inc();
        if let Some(took) = took {
            self.backups
                .restore_duration
                .with_label_values(&[namespace])
                .observe(took.as_secs_f64());
        }
    }

    /// Finished Restores in `namespace` with `outcome` so far, for tests.
    pub fn restore_count(&self, namespace: &str, outcome: &str) -> u64 {
        self.backups
            .restores
            .with_label_values(&[namespace, outcome])
            .get()
    }

    /// Sets whether this replica leads.
    pub fn set_leader(&self, leading: bool) {
        self.leader.set(i64::from(leading));
    }
}

#[cfg(test)]
mod backup_tests {
    use super::*;

    fn exported(metrics: &Metrics, backup: &str) -> Vec<String> {
        metrics
            .registry()
            .gather()
            .iter()
            .filter(|f| f.name().starts_with("ogf_backup_"))
            .filter(|f| {
                f.get_metric().iter().any(|m| {
                    m.get_label()
                        .iter()
                        .any(|l| l.name() == "backup" && l.value() == backup)
                })
            })
            .map(|f| f.name().to_string())
            .collect()
    }

    #[test]
    fn a_deleted_backup_loses_every_per_backup_series_and_only_its_own() {
        let metrics = Metrics::new().unwrap();
        metrics.backup_succeeded("ns", "gone", 100.0, 2.0, 300.0);
        metrics.backup_failed("ns", "gone", 200.0, Some(1.0));
        metrics.backup_succeeded("ns", "kept", 100.0, 2.0, 300.0);
        metrics.backup_succeeded("other", "gone", 100.0, 2.0, 300.0);
        assert_eq!(exported(&metrics, "gone").len(), 4);
        assert_eq!(
            metrics.backup_series(),
            [("ns", "gone"), ("ns", "kept"), ("other", "gone")]
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .into()
        );

        metrics.backup_deleted("ns", "gone");
        assert_eq!(
            metrics.backup_series(),
            [("ns", "kept"), ("other", "gone")]
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .into()
        );
        assert_eq!(exported(&metrics, "kept").len(), 3, "kept: no failure yet");
        // Forgetting twice, or a Backup that never had series, is harmless.
        metrics.backup_deleted("ns", "gone");
        metrics.backup_deleted("ns", "never");
        // The run counters are per namespace and outcome, not per Backup: they stay.
        assert_eq!(metrics.backup_run_count("ns", "succeeded"), 2);
    }
}
