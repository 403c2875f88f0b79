//! Pure builders: a Marketplace (plus the caller's choices) in, the desired owned objects out.
//! Nothing here talks to the API server.

pub mod backup_job;
pub mod config_hash;
pub mod configmap;
pub mod deployment;
pub mod env;
pub mod hpa;
pub mod ingress;
pub mod job;
pub mod labels;
pub mod migration_job;
pub mod network_policy;
pub mod owner;
pub mod pdb;
pub mod pod;
pub mod pvc;
pub mod restore_job;
pub mod secret;
pub mod service;
pub mod service_account;
pub mod service_monitor;

#[cfg(test)]
pub(crate) mod test_support;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::core::v1::{
    ConfigMap, PersistentVolumeClaim, Secret, Service, ServiceAccount,
};
use k8s_openapi::api::networking::v1::{Ingress, NetworkPolicy};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use kube::api::DynamicObject;
use ogf_crds::marketplace::DatabaseKind;
use ogf_crds::{Color, Marketplace, MarketplaceSpec, RolloutSpec};

use crate::error::BuildError;
use owner::Owner;
use pod::PodParams;

/// What the caller decides besides the Marketplace itself.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Options {
    /// Color the active Service selects; its Deployment is the one built.
    pub active_color: Color,
    /// Value of the generated JWT Secret; `None` leaves the Secret out (it already exists, or
    /// the caller is rendering and must not invent a key).
    pub jwt_secret_value: Option<String>,
    /// Whether the `monitoring.coreos.com/v1` ServiceMonitor API exists (found by discovery).
    pub service_monitor_api: bool,
}

/// Every object the operator keeps for one Marketplace.
#[derive(Clone, Debug)]
pub struct DesiredObjects {
    /// The pods' ServiceAccount.
    pub service_account: ServiceAccount,
    /// The active color's API settings (`<name>-config-<active>`).
    pub config_map: ConfigMap,
    /// The generated JWT signing key (see [`Options::jwt_secret_value`]).
    pub jwt_secret: Option<Secret>,
    /// The embedded store's volume.
    pub pvc: Option<PersistentVolumeClaim>,
    /// The active color's Deployment.
    pub deployment: Deployment,
    /// `<name>`, selecting the active color.
    pub active_service: Service,
    /// `<name>-preview`, selecting the other color.
    pub preview_service: Service,
    /// The autoscaler, when `spec.autoscaling` is set.
    pub hpa: Option<HorizontalPodAutoscaler>,
    /// The disruption budget.
    pub pdb: Option<PodDisruptionBudget>,
    /// The NetworkPolicy, when enabled.
    pub network_policy: Option<NetworkPolicy>,
    /// The Ingress, when `spec.ingress` is set.
    pub ingress: Option<Ingress>,
    /// The ServiceMonitor, when enabled and its API exists.
    pub service_monitor: Option<DynamicObject>,
    /// Human-readable notes on what was asked for but left out, for a condition message.
    pub skipped: Vec<String>,
}

/// Builds every desired object of `marketplace`.
pub fn desired(marketplace: &Marketplace, options: &Options) -> Result<DesiredObjects, BuildError> {
    let owner = Owner::of(marketplace)?;
    let spec = &marketplace.spec;
    let database = spec
        .database
        .kind()
        .ok_or(BuildError::DatabaseNotExactlyOne)?;
    let active = options.active_color;

    let mut skipped = Vec::new();
    if spec.monitoring.service_monitor.enabled && !options.service_monitor_api {
        skipped.push(
            "ServiceMonitor skipped: the monitoring.coreos.com/v1 API is not installed".to_string(),
        );
    }
    Ok(DesiredObjects {
        service_account: service_account::build(&owner),
        config_map: configmap::build(&owner, &spec.config, active),
        jwt_secret: options
            .jwt_secret_value
            .as_deref()
            .and_then(|value| secret::build(&owner, spec, value)),
        pvc: match database {
            DatabaseKind::Embedded(store) => Some(pvc::build(&owner, store)),
            DatabaseKind::MongoDb(_) => None,
        },
        deployment: color_deployment(
            marketplace,
            active,
            &spec.image,
            deployment::active_replicas(spec),
        )?,
        active_service: service::active(&owner, &spec.service, active),
        preview_service: service::preview(&owner, &spec.service, active),
        hpa: spec
            .autoscaling
            .as_ref()
            .map(|autoscaling| hpa::build(&owner, autoscaling, active)),
        pdb: pdb::build(&owner, spec),
        network_policy: network_policy::build(&owner, &spec.network_policy),
        ingress: spec
            .ingress
            .as_ref()
            .map(|ingress| ingress::build(&owner, ingress, &spec.service)),
        service_monitor: if options.service_monitor_api {
            service_monitor::build(&owner, &spec.monitoring.service_monitor)
        } else {
            None
        },
        skipped,
    })
}

/// The Deployment of `color` running `image` with `replicas` pods (`None`: left to an autoscaler),
/// configured from `marketplace`. A rollout uses it to bring up the preview color with a new image.
pub fn color_deployment(
    marketplace: &Marketplace,
    color: Color,
    image: &str,
    replicas: Option<i32>,
) -> Result<Deployment, BuildError> {
    let owner = Owner::of(marketplace)?;
    let spec = &marketplace.spec;
    let database = spec
        .database
        .kind()
        .ok_or(BuildError::DatabaseNotExactlyOne)?;
    let config_map = configmap::build(&owner, &spec.config, color);
    let jwt = secret::jwt_ref(&owner, spec);
    let hash = pod_config_hash(&config_map, database, &jwt);
    let params = PodParams {
        owner: &owner,
        spec,
        database,
        jwt: &jwt,
        color,
        image,
        config_hash: &hash,
    };
    Ok(deployment::build(&params, replicas))
}

/// The ConfigMap `<name>-config-<color>` the Deployment of [`color_deployment`] reads, built
/// from the same `marketplace`.
pub fn color_config_map(marketplace: &Marketplace, color: Color) -> Result<ConfigMap, BuildError> {
    let owner = Owner::of(marketplace)?;
    Ok(configmap::build(&owner, &marketplace.spec.config, color))
}

/// `marketplace` as the new color of `rollout` runs it: the Rollout's `config` fields replace
/// the Marketplace's, its `resources` replace `spec.resources`. Without overrides, the
/// Marketplace unchanged. On success the Marketplace's spec is set to this, so that its
/// reconciler builds exactly the Deployment the Rollout deployed (no restart).
pub fn for_rollout(marketplace: &Marketplace, rollout: &RolloutSpec) -> Marketplace {
    let mut target = marketplace.clone();
    if let Some(config) = &rollout.config {
        target.spec.config = config.apply_to(&marketplace.spec.config);
    }
    if let Some(resources) = &rollout.resources {
        target.spec.resources = Some(resources.clone());
    }
    target
}

/// The `ogf.dev/config-hash` of the pods: ConfigMap data and every referenced secret key.
pub fn pod_config_hash(
    config_map: &ConfigMap,
    database: DatabaseKind<'_>,
    jwt: &ogf_crds::marketplace::SecretKeyRef,
) -> String {
    let mut refs = vec![jwt];
    if let DatabaseKind::MongoDb(mongodb) = database {
        refs.push(&mongodb.uri_secret_ref);
    }
    config_hash::config_hash(&config_map.data.clone().unwrap_or_default(), &refs)
}

/// The URL clients reach the API at: the Ingress host when there is one, else the Service.
pub fn endpoint(owner: &Owner, spec: &MarketplaceSpec) -> String {
    match &spec.ingress {
        Some(ingress) if ingress.tls_secret_name.is_some() => format!("https://{}", ingress.host),
        Some(ingress) => format!("http://{}", ingress.host),
        None => format!(
            "http://{}.{}.svc:{}",
            owner.active_service_name(),
            owner.namespace,
            spec.service.port
        ),
    }
}

impl DesiredObjects {
    /// Every object as JSON, in apply order (dependencies first).
    pub fn manifests(&self) -> Result<Vec<serde_json::Value>, serde_json::Error> {
        let mut out = vec![
            serde_json::to_value(&self.service_account)?,
            serde_json::to_value(&self.config_map)?,
        ];
        push(&mut out, &self.jwt_secret)?;
        push(&mut out, &self.pvc)?;
        out.push(serde_json::to_value(&self.deployment)?);
        out.push(serde_json::to_value(&self.active_service)?);
        out.push(serde_json::to_value(&self.preview_service)?);
        push(&mut out, &self.hpa)?;
        push(&mut out, &self.pdb)?;
        push(&mut out, &self.network_policy)?;
        push(&mut out, &self.ingress)?;
        push(&mut out, &self.service_monitor)?;
        Ok(out)
    }
}

fn push<T: serde::Serialize>(
    out: &mut Vec<serde_json::Value>,
    object: &Option<T>,
) -> Result<(), serde_json::Error> {
    if let Some(object) = object {
        out.push(serde_json::to_value(object)?);
    }
    Ok(())
}

#[cfg(test)]
#[path = "mod_tests.rs"]
mod tests;
