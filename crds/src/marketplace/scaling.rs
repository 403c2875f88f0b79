//! Autoscaling and disruption settings.

use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kube::KubeSchema;
use serde::{Deserialize, Serialize};

/// A HorizontalPodAutoscaler (`autoscaling/v2`) on the active color's Deployment.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("!has(self.minReplicas) || self.minReplicas <= self.maxReplicas")
    .message("autoscaling.minReplicas must not exceed autoscaling.maxReplicas")
    .field_path(".minReplicas"))]
pub struct AutoscalingSpec {
    /// Lower bound of replicas.
    #[serde(default = "default_min_replicas")]
    #[x_kube(validation = Rule::new("self >= 1").message("minReplicas must be at least 1"))]
    pub min_replicas: i32,
    /// Upper bound of replicas.
    #[x_kube(validation = Rule::new("self >= 1").message("maxReplicas must be at least 1"))]
    pub max_replicas: i32,
    /// Average CPU utilization, in percent of the request, the autoscaler aims for.
    #[serde(default = "default_target_cpu")]
    #[x_kube(validation = Rule::new("self >= 1 && self <= 100").message("targetCPUUtilizationPercentage must be between 1 and 100"))]
    #[serde(rename = "targetCPUUtilizationPercentage")]
    pub target_cpu_utilization_percentage: i32,
}

fn default_min_replicas() -> i32 {
    1
}

fn default_target_cpu() -> i32 {
    75
}

/// The PodDisruptionBudget of the API pods.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("!(has(self.minAvailable) && has(self.maxUnavailable))")
    .message("set at most one of minAvailable and maxUnavailable"))]
pub struct PodDisruptionBudgetSpec {
    /// Whether to create the PodDisruptionBudget.
    #[serde(default = "default_enabled")]
    pub enabled: bool,
    /// Pods that must stay available (a number or a percentage).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_available: Option<IntOrString>,
    /// Pods that may be unavailable (a number or a percentage); 1 when neither field is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_unavailable: Option<IntOrString>,
}

fn default_enabled() -> bool {
    true
}
