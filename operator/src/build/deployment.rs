//! The API Deployments, one per color: `<name>-blue` and `<name>-green`.

use k8s_openapi::api::apps::v1::{
    Deployment, DeploymentSpec, DeploymentStrategy, RollingUpdateDeployment,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use ogf_crds::marketplace::DatabaseKind;

use super::labels;
use super::pod::{self, PodParams};

/// The Deployment of `params.color`, running `params.image` with `replicas` pods.
///
/// `replicas` is `None` when an autoscaler owns the count, so that applying never fights it.
pub fn build(params: &PodParams<'_>, replicas: Option<i32>) -> Deployment {
    let owner = params.owner;
    Deployment {
        metadata: owner.meta(owner.deployment_name(params.color), Some(params.color)),
        spec: DeploymentSpec {
            replicas,
            selector: LabelSelector {
                match_labels: Some(labels::selector(&owner.name, Some(params.color))),
                ..LabelSelector::default()
            },
            strategy: Some(strategy(params.database)),
            revision_history_limit: Some(3),
            progress_deadline_seconds: Some(600),
            template: pod::template(params),
            ..DeploymentSpec::default()
        },
        ..Deployment::default()
    }
}

/// The replica count the active color's Deployment is given: none while autoscaled.
pub fn active_replicas(spec: &ogf_crds::MarketplaceSpec) -> Option<i32> {
    spec.autoscaling.is_none().then_some(spec.replicas)
}

/// `Recreate` for the embedded store (one writer on one volume), surge-only rolling updates otherwise.
fn strategy(database: DatabaseKind<'_>) -> DeploymentStrategy {
    match database {
        DatabaseKind::Embedded(_) => DeploymentStrategy {
            type_: Some("Recreate".into()),
            rolling_update: None,
        },
        DatabaseKind::MongoDb(_) => DeploymentStrategy {
            type_: Some("RollingUpdate".into()),
            rolling_update: Some(RollingUpdateDeployment {
                max_surge: Some(IntOrString::String("25%".into())),
                max_unavailable: Some(IntOrString::Int(0)),
            }),
        },
    }
}

#[cfg(test)]
#[path = "deployment_tests.rs"]
mod tests;
