//! Pre- and post-promotion checks: an HTTP probe or a Prometheus query.

use kube::KubeSchema;
use serde::{Deserialize, Serialize};

/// One named check: exactly one of `http` or `prometheus`.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("has(self.http) != has(self.prometheus)")
    .message("a check needs exactly one of http or prometheus"))]
pub struct Check {
    /// Name, unique among the Rollout's checks; results in status are keyed by it.
    #[schemars(length(min = 1, max = 63))]
    pub name: String,
    /// GET a URL and expect a status code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http: Option<HttpCheck>,
    /// Query Prometheus and test the result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prometheus: Option<PrometheusCheck>,
}

/// An HTTP GET from the operator.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct HttpCheck {
    /// The URL to GET, e.g. `http://shop-preview.shop.svc:8080/readyz`.
    #[schemars(length(min = 1, max = 2048))]
    pub url: String,
    /// The status code that counts as a success.
    #[serde(default = "default_status")]
    #[schemars(range(min = 100, max = 599))]
    pub expected_status: i32,
    /// Probe timing and thresholds.
    #[serde(flatten)]
    pub timing: CheckTiming,
}

/// A Prometheus instant query through its HTTP API.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PrometheusCheck {
    /// Base URL of Prometheus, e.g. `http://prometheus.monitoring.svc:9090`.
    #[schemars(length(min = 1, max = 2048))]
    pub address: String,
    /// PromQL returning a scalar or a one-element vector.
    #[schemars(length(min = 1, max = 4096))]
    pub query: String,
    /// `result <op> <number>` with `<`, `<=`, `>`, `>=` or `==`, e.g. `result < 0.01`.
    #[x_kube(validation = Rule::new("self.matches('^ *result *(<|<=|>|>=|==) *[-+0-9.eE]+ *$')")
        .message("successCondition must look like `result < 0.01` (operators <, <=, >, >=, ==)"))]
    #[schemars(length(max = 64))]
    pub success_condition: String,
    /// Probe timing and thresholds.
    #[serde(flatten)]
    pub timing: CheckTiming,
}

/// How often a check probes and how many results decide it.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct CheckTiming {
    /// Seconds between probes.
    #[serde(default = "default_interval")]
    #[schemars(range(min = 1))]
    pub interval_seconds: i64,
    /// Consecutive successes that pass the check.
    #[serde(default = "default_one")]
    #[schemars(range(min = 1))]
    pub success_threshold: i32,
    /// Failures (in total) that fail the check.
    #[serde(default = "default_failures")]
    #[schemars(range(min = 1))]
    pub failure_threshold: i32,
    /// Seconds one probe may take.
    #[serde(default = "default_interval")]
    #[schemars(range(min = 1))]
    pub timeout_seconds: i64,
}

impl Default for CheckTiming {
    fn default() -> Self {
        Self {
            interval_seconds: default_interval(),
            success_threshold: default_one(),
            failure_threshold: default_failures(),
            timeout_seconds: default_interval(),
        }
    }
}

impl Check {
    /// The timing of whichever probe the check has.
    pub fn timing(&self) -> CheckTiming {
        match (&self.http, &self.prometheus) {
            (Some(http), _) => http.timing,
            (None, Some(prometheus)) => prometheus.timing,
            (None, None) => CheckTiming::default(),
        }
    }
}

fn default_status() -> i32 {
    200
}

fn default_interval() -> i64 {
    5
}

fn default_one() -> i32 {
    1
}

fn default_failures() -> i32 {
    3
}
