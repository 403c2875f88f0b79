//! The `Marketplace` kind: one Oil & Gas Finder API deployment, kept in shape by the operator.

mod config;
mod database;
mod monitoring;
mod networking;
mod scaling;
mod status;

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    Affinity, LocalObjectReference, ResourceRequirements, Toleration,
};
use kube::{CustomResource, KubeSchema};
use serde::{Deserialize, Serialize};

pub use config::{ApiConfig, CacheTtls, LogLevel, RateLimits};
pub use database::{DatabaseKind, DatabaseSpec, EmbeddedStore, MongoDbStore, SecretKeyRef};
pub use monitoring::{MonitoringSpec, ServiceMonitorSpec};
pub use networking::{IngressSpec, NetworkPolicySpec, ServiceSpec, ServiceType};
pub use scaling::{AutoscalingSpec, PodDisruptionBudgetSpec};
pub use status::{Color, MarketplaceStatus};

/// Longest Marketplace name: `<name>-preview` and `<name>-green` must stay valid DNS labels.
pub const MAX_NAME_LEN: usize = 50;

/// Replicas when `spec.replicas` is not given.
pub const DEFAULT_REPLICAS: i32 = 2;

/// Desired state of a Marketplace: the API image, its store, and how it is exposed and scaled.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "ogf.dev",
    version = "v1alpha1",
    kind = "Marketplace",
    namespaced,
    shortname = "mkt",
    category = "ogf",
    status = "MarketplaceStatus",
    derive = "PartialEq",
    validation = Rule::new("size(self.metadata.name) <= 50 && self.metadata.name.matches('^[a-z]([-a-z0-9]*[a-z0-9])?$')")
        .message("name must be a DNS label of at most 50 characters starting with a letter: it prefixes the names and labels of the owned objects"),
    doc = "An Oil & Gas Finder marketplace API deployment managed by the ogf-operator.",
    printcolumn(
        name = "Ready",
        type_ = "string",
        json_path = ".status.conditions[?(@.type==\"Ready\")].status"
    ),
    printcolumn(name = "Replicas", type_ = "integer", json_path = ".status.readyReplicas"),
    printcolumn(name = "Image", type_ = "string", json_path = ".status.image"),
    printcolumn(name = "Endpoint", type_ = "string", json_path = ".status.endpoint"),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp"),
    printcolumn(
        name = "Color",
        type_ = "string",
        json_path = ".status.activeColor",
        priority = 1
    )
)]
#[serde(rename_all = "camelCase")]
#[x_kube(
    validation = Rule::new("!has(self.database.embedded) || !has(self.replicas) || self.replicas <= 1")
        .message("the embedded store runs a single replica: set replicas to 0 or 1, or use mongodb")
        .field_path(".replicas")
        .reason(Reason::FieldValueForbidden),
    validation = Rule::new("!has(self.database.embedded) || !has(self.autoscaling)")
        .message("autoscaling needs the mongodb store: the embedded store runs a single replica")
        .field_path(".autoscaling")
        .reason(Reason::FieldValueForbidden)
)]
pub struct MarketplaceSpec {
    /// Container image of the API, e.g. `ghcr.io/ogf-dev/ogf-api:1.4.2`.
    #[schemars(length(min = 1))]
    pub image: String,

    /// Number of API pods of the active color; ignored while `autoscaling` is set.
    #[serde(default = "default_replicas")]
    #[x_kube(validation = Rule::new("self >= 0").message("replicas must not be negative"))]
    pub replicas: i32,

    /// CPU and memory of the API container; the operator's defaults apply when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<ResourceRequirements>,

    /// Runtime settings handed to the API through its ConfigMap.
    #[serde(default)]
    pub config: ApiConfig,

    /// The store: exactly one of `embedded` or `mongodb`.
    pub database: DatabaseSpec,

    /// Secret key holding the JWT signing key; when absent the operator generates `<name>-jwt`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwt_secret_ref: Option<SecretKeyRef>,

    /// The Service in front of the active color.
    #[serde(default)]
    pub service: ServiceSpec,

    /// Optional Ingress routing a host to the active Service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ingress: Option<IngressSpec>,

    /// Optional HorizontalPodAutoscaler on the active color (mongodb store only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autoscaling: Option<AutoscalingSpec>,

    /// PodDisruptionBudget; when absent one with `maxUnavailable: 1` is created for two or more replicas.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_disruption_budget: Option<PodDisruptionBudgetSpec>,

    /// NetworkPolicy restricting who may reach the API pods.
    #[serde(default)]
    pub network_policy: NetworkPolicySpec,

    /// Prometheus Operator integration.
    #[serde(default)]
    pub monitoring: MonitoringSpec,

    /// Secrets used to pull the image.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub image_pull_secrets: Vec<LocalObjectReference>,

    /// Node labels the API pods must match.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub node_selector: BTreeMap<String, String>,

    /// Tolerations of the API pods.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tolerations: Vec<Toleration>,

    /// Affinity of the API pods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub affinity: Option<Affinity>,

    /// When true the operator changes nothing and reports `Progressing=False` with reason `Paused`.
    #[serde(default)]
    pub paused: bool,
}

fn default_replicas() -> i32 {
    DEFAULT_REPLICAS
}

impl MarketplaceSpec {
    /// The smallest number of replicas the active color runs with.
    pub fn min_replicas(&self) -> i32 {
        match &self.autoscaling {
            Some(autoscaling) => autoscaling.min_replicas,
            None => self.replicas,
        }
    }
}

#[cfg(test)]
mod tests;
