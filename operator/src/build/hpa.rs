//! The HorizontalPodAutoscaler (`autoscaling/v2`) `<name>` on the active color's Deployment.

use k8s_openapi::api::autoscaling::v2::{
    CrossVersionObjectReference, HorizontalPodAutoscaler, HorizontalPodAutoscalerSpec, MetricSpec,
    MetricTarget, ResourceMetricSource,
};
use ogf_crds::Color;
use ogf_crds::marketplace::AutoscalingSpec;

use super::owner::Owner;

/// The autoscaler targeting `<name>-<active>`.
pub fn build(
    owner: &Owner,
    autoscaling: &AutoscalingSpec,
    active: Color,
) -> HorizontalPodAutoscaler {
    HorizontalPodAutoscaler {
        metadata: owner.meta(owner.active_service_name(), None),
        spec: HorizontalPodAutoscalerSpec {
            scale_target_ref: CrossVersionObjectReference {
                api_version: Some("apps/v1".into()),
                kind: "Deployment".into(),
                name: owner.deployment_name(active),
            },
            min_replicas: Some(autoscaling.min_replicas),
            max_replicas: autoscaling.max_replicas,
            metrics: Some(vec![MetricSpec {
                type_: "Resource".into(),
                resource: Some(ResourceMetricSource {
                    name: "cpu".into(),
                    target: MetricTarget {
                        type_: "Utilization".into(),
                        average_utilization: Some(autoscaling.target_cpu_utilization_percentage),
                        ..MetricTarget::default()
                    },
                }),
                ..MetricSpec::default()
            }]),
            ..HorizontalPodAutoscalerSpec::default()
        },
        ..HorizontalPodAutoscaler::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::build::test_support::marketplace;

    #[test]
    fn targets_the_active_color_with_the_spec_bounds() {
        let owner = Owner::of(&marketplace()).unwrap();
        let spec = AutoscalingSpec {
            min_replicas: 2,
            max_replicas: 9,
            target_cpu_utilization_percentage: 65,
        };
        let hpa = build(&owner, &spec, Color::Green);
        assert_eq!(hpa.metadata.name.as_deref(), Some("demo"));
        let hpa = hpa.spec;
        assert_eq!(hpa.scale_target_ref.name, "demo-green");
        assert_eq!(hpa.scale_target_ref.kind, "Deployment");
        assert_eq!((hpa.min_replicas, hpa.max_replicas), (Some(2), 9));
        let metric = hpa.metrics.unwrap()[0].resource.clone().unwrap();
        assert_eq!(metric.name, "cpu");
        assert_eq!(metric.target.average_utilization, Some(65));
    }
}
