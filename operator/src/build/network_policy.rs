//! The NetworkPolicy `<name>` admitting traffic to the API pods only from the listed sources.

use std::collections::BTreeMap;

use k8s_openapi::api::networking::v1::{
    NetworkPolicy, NetworkPolicyIngressRule, NetworkPolicyPeer, NetworkPolicyPort,
    NetworkPolicySpec as CoreSpec,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use ogf_crds::marketplace::NetworkPolicySpec;

use super::{env, labels, owner::Owner};

/// Label every namespace carries with its own name.
const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";

/// The policy, or `None` when disabled. With no source listed, only the Marketplace's own
/// namespace is admitted. Egress is not restricted (the store may live anywhere).
pub fn build(owner: &Owner, policy: &NetworkPolicySpec) -> Option<NetworkPolicy> {
    if !policy.enabled {
        return None;
    }
    Some(NetworkPolicy {
        metadata: owner.meta(owner.active_service_name(), None),
        spec: Some(CoreSpec {
            pod_selector: Some(selector(labels::selector(&owner.name, None))),
            policy_types: Some(vec!["Ingress".into()]),
            ingress: Some(vec![NetworkPolicyIngressRule {
                from: Some(peers(policy)),
                ports: Some(vec![NetworkPolicyPort {
                    port: Some(IntOrString::Int(env::HTTP_PORT)),
                    protocol: Some("TCP".into()),
                    ..NetworkPolicyPort::default()
                }]),
            }]),
            ..CoreSpec::default()
        }),
    })
}

fn peers(policy: &NetworkPolicySpec) -> Vec<NetworkPolicyPeer> {
    if policy.has_no_sources() {
        return vec![NetworkPolicyPeer {
            pod_selector: Some(LabelSelector::default()),
            ..NetworkPolicyPeer::default()
        }];
    }
    let mut peers: Vec<_> = policy
        .allowed_namespaces
        .iter()
        .map(|namespace| {
            namespace_peer(BTreeMap::from([(
                NAMESPACE_NAME_LABEL.to_string(),
                namespace.clone(),
            )]))
        })
        .collect();
    if !policy.allowed_namespace_labels.is_empty() {
        peers.push(namespace_peer(policy.allowed_namespace_labels.clone()));
    }
    if !policy.allowed_pod_labels.is_empty() {
        peers.push(NetworkPolicyPeer {
            pod_selector: Some(selector(policy.allowed_pod_labels.clone())),
            ..NetworkPolicyPeer::default()
        });
    }
    peers
}

fn namespace_peer(labels: BTreeMap<String, String>) -> NetworkPolicyPeer {
    NetworkPolicyPeer {
        namespace_selector: Some(selector(labels)),
        ..NetworkPolicyPeer::default()
    }
}

fn selector(labels: BTreeMap<String, String>) -> LabelSelector {
    LabelSelector {
        match_labels: Some(labels),
        ..LabelSelector::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::build::test_support::marketplace;

    fn owner() -> Owner {
        Owner::of(&marketplace()).unwrap()
    }

    #[test]
    fn disabled_by_default() {
        assert!(build(&owner(), &NetworkPolicySpec::default()).is_none());
    }

    #[test]
    fn enabled_without_sources_admits_the_own_namespace() {
        let policy = build(
            &owner(),
            &NetworkPolicySpec {
                enabled: true,
                ..Default::default()
            },
        )
        .unwrap();
        let spec = policy.spec.unwrap();
        assert_eq!(spec.policy_types, Some(vec!["Ingress".to_string()]));
        let rule = &spec.ingress.unwrap()[0];
        let from = rule.from.clone().unwrap();
        assert_eq!(from.len(), 1);
        assert_eq!(from[0].pod_selector, Some(LabelSelector::default()));
        assert!(from[0].namespace_selector.is_none());
        assert_eq!(
            rule.ports.clone().unwrap()[0].port,
            Some(IntOrString::Int(8080))
        );
    }

    #[test]
    fn every_source_lands() {
        let spec = NetworkPolicySpec {
            enabled: true,
            allowed_namespaces: vec!["ingress-nginx".into(), "monitoring".into()],
            allowed_namespace_labels: BTreeMap::from([("team".to_string(), "edge".to_string())]),
            allowed_pod_labels: BTreeMap::from([("role".to_string(), "frontend".to_string())]),
        };
        let policy = build(&owner(), &spec).unwrap();
        let from = policy.spec.unwrap().ingress.unwrap()[0]
            .from
            .clone()
            .unwrap();
        let ns = |i: usize| {
            from[i]
                .namespace_selector
                .clone()
                .unwrap()
                .match_labels
                .unwrap()
        };
        assert_eq!(ns(0)[NAMESPACE_NAME_LABEL], "ingress-nginx");
        assert_eq!(ns(1)[NAMESPACE_NAME_LABEL], "monitoring");
        assert_eq!(ns(2)["team"], "edge");
        assert_eq!(
            from[3].pod_selector.clone().unwrap().match_labels.unwrap()["role"],
            "frontend"
        );
        assert_eq!(from.len(), 4);
    }
}
