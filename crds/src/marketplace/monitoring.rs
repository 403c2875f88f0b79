//! Prometheus Operator integration.

use std::collections::BTreeMap;

use kube::KubeSchema;
use serde::{Deserialize, Serialize};

/// Monitoring settings.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct MonitoringSpec {
    /// A `monitoring.coreos.com/v1` ServiceMonitor scraping `/metrics`, created when that API exists.
    #[serde(default)]
    pub service_monitor: ServiceMonitorSpec,
}

/// The ServiceMonitor the operator creates.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct ServiceMonitorSpec {
    /// Whether to create the ServiceMonitor.
    #[serde(default)]
    pub enabled: bool,
    /// Scrape interval, e.g. `30s`; Prometheus' default when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[0-9]+(ms|s|m|h)$"))]
    pub interval: Option<String>,
    /// Extra labels on the ServiceMonitor, e.g. the `release` label a Prometheus selects on.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}
