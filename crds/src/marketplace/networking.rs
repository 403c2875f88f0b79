//! How the API is reached: Service, Ingress and NetworkPolicy settings.

use std::collections::BTreeMap;

use kube::KubeSchema;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Port of the active Service when `service.port` is not given.
pub const DEFAULT_SERVICE_PORT: i32 = 8080;

/// The active Service `<name>`.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ServiceSpec {
    /// Service type.
    #[serde(default, rename = "type")]
    pub type_: ServiceType,
    /// Port the Service listens on.
    #[serde(default = "default_port")]
    #[x_kube(validation = Rule::new("self >= 1 && self <= 65535").message("port must be between 1 and 65535"))]
    pub port: i32,
    /// Annotations on the Service, e.g. for a cloud load balancer.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

impl Default for ServiceSpec {
    fn default() -> Self {
        Self {
            type_: ServiceType::default(),
            port: default_port(),
            annotations: BTreeMap::new(),
        }
    }
}

fn default_port() -> i32 {
    DEFAULT_SERVICE_PORT
}

/// Kubernetes Service type.
#[derive(JsonSchema, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ServiceType {
    /// Reachable inside the cluster only.
    #[default]
    ClusterIP,
    /// Also exposed on a port of every node.
    NodePort,
    /// Also exposed through a cloud load balancer.
    LoadBalancer,
}

impl ServiceType {
    /// The type as the Service API spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClusterIP => "ClusterIP",
            Self::NodePort => "NodePort",
            Self::LoadBalancer => "LoadBalancer",
        }
    }
}

/// An Ingress routing `host` to the active Service.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct IngressSpec {
    /// IngressClass; the cluster default when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class_name: Option<String>,
    /// Host name, e.g. `api.example.com`.
    #[schemars(length(min = 1, max = 253))]
    pub host: String,
    /// Secret with the TLS certificate for `host`; plain HTTP when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_secret_name: Option<String>,
    /// Annotations on the Ingress, e.g. for cert-manager.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

/// A NetworkPolicy admitting traffic to the API pods only from the listed sources.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct NetworkPolicySpec {
    /// Whether to create the NetworkPolicy.
    #[serde(default)]
    pub enabled: bool,
    /// Namespaces (by name) whose pods may reach the API.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_namespaces: Vec<String>,
    /// Namespaces (by labels) whose pods may reach the API, e.g. the ingress controller's.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub allowed_namespace_labels: BTreeMap<String, String>,
    /// Pods of the Marketplace's namespace (by labels) that may reach the API.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub allowed_pod_labels: BTreeMap<String, String>,
}

impl NetworkPolicySpec {
    /// Whether no source is listed, so that only the Marketplace's own namespace is admitted.
    pub fn has_no_sources(&self) -> bool {
        self.allowed_namespaces.is_empty()
            && self.allowed_namespace_labels.is_empty()
            && self.allowed_pod_labels.is_empty()
    }
}
