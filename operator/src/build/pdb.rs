//! The PodDisruptionBudget `<name>` of the API pods (both colors).

use k8s_openapi::api::policy::v1::{PodDisruptionBudget, PodDisruptionBudgetSpec as CorePdbSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use ogf_crds::MarketplaceSpec;

use super::{labels, owner::Owner};

/// The budget, or `None` when disabled, or when not configured and fewer than two replicas run
/// (a budget on a single pod would only block node drains).
pub fn build(owner: &Owner, spec: &MarketplaceSpec) -> Option<PodDisruptionBudget> {
    let (min_available, max_unavailable) = match &spec.pod_disruption_budget {
        Some(pdb) if !pdb.enabled => return None,
        Some(pdb) if pdb.min_available.is_some() || pdb.max_unavailable.is_some() => {
            (pdb.min_available.clone(), pdb.max_unavailable.clone())
        }
        Some(_) => (None, Some(IntOrString::Int(1))),
        None if spec.min_replicas() >= 2 => (None, Some(IntOrString::Int(1))),
        None => return None,
    };
    Some(PodDisruptionBudget {
        metadata: owner.meta(owner.active_service_name(), None),
        spec: Some(CorePdbSpec {
            selector: Some(LabelSelector {
                match_labels: Some(labels::selector(&owner.name, None)),
                ..LabelSelector::default()
            }),
            min_available,
            max_unavailable,
            ..CorePdbSpec::default()
        }),
        ..PodDisruptionBudget::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::build::test_support::{embedded, marketplace};
    use ogf_crds::marketplace::PodDisruptionBudgetSpec;

    fn spec_of(pdb: &PodDisruptionBudget) -> &CorePdbSpec {
        pdb.spec.as_ref().unwrap()
    }

    #[test]
    fn default_budget_for_two_replicas() {
        let mkt = marketplace();
        let pdb = build(&Owner::of(&mkt).unwrap(), &mkt.spec).unwrap();
        assert_eq!(pdb.metadata.name.as_deref(), Some("demo"));
        assert_eq!(spec_of(&pdb).max_unavailable, Some(IntOrString::Int(1)));
        assert_eq!(spec_of(&pdb).min_available, None);
        let selector = spec_of(&pdb)
            .selector
            .clone()
            .unwrap()
            .match_labels
            .unwrap();
        assert!(!selector.contains_key(labels::COLOR), "covers both colors");
    }

    #[test]
    fn none_for_a_single_replica_unless_asked() {
        let mut mkt = embedded();
        let owner = Owner::of(&mkt).unwrap();
        assert!(build(&owner, &mkt.spec).is_none());
        mkt.spec.pod_disruption_budget = Some(PodDisruptionBudgetSpec {
            enabled: true,
            min_available: None,
            max_unavailable: None,
        });
        assert!(build(&owner, &mkt.spec).is_some());
    }

    #[test]
    fn explicit_settings_win() {
        let mut mkt = marketplace();
        let owner = Owner::of(&mkt).unwrap();
        mkt.spec.pod_disruption_budget = Some(PodDisruptionBudgetSpec {
            enabled: true,
            min_available: Some(IntOrString::String("50%".into())),
            max_unavailable: None,
        });
        let pdb = build(&owner, &mkt.spec).unwrap();
        assert_eq!(
            spec_of(&pdb).min_available,
            Some(IntOrString::String("50%".into()))
        );
        assert_eq!(spec_of(&pdb).max_unavailable, None);
        mkt.spec.pod_disruption_budget = Some(PodDisruptionBudgetSpec {
            enabled: false,
            min_available: None,
            max_unavailable: None,
        });
        assert!(build(&owner, &mkt.spec).is_none());
    }
}
