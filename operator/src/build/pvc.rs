//! The embedded store's volume `<name>-data`.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    PersistentVolumeClaim, PersistentVolumeClaimSpec, VolumeResourceRequirements,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use ogf_crds::marketplace::EmbeddedStore;

use super::owner::Owner;

/// The PersistentVolumeClaim of the embedded store.
pub fn build(owner: &Owner, store: &EmbeddedStore) -> PersistentVolumeClaim {
    PersistentVolumeClaim {
        metadata: owner.meta(owner.pvc_name(), None),
        spec: Some(PersistentVolumeClaimSpec {
            access_modes: Some(vec!["ReadWriteOnce".into()]),
            storage_class_name: store.storage_class_name.clone(),
            resources: Some(VolumeResourceRequirements {
                requests: Some(BTreeMap::from([(
                    "storage".to_string(),
                    Quantity(store.storage_size.clone()),
                )])),
                ..VolumeResourceRequirements::default()
            }),
            ..PersistentVolumeClaimSpec::default()
        }),
        ..PersistentVolumeClaim::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_and_class_land() {
        let owner = Owner::of(&crate::build::test_support::embedded()).unwrap();
        let store = EmbeddedStore {
            storage_size: "5Gi".into(),
            storage_class_name: Some("fast".into()),
        };
        let pvc = build(&owner, &store);
        assert_eq!(pvc.metadata.name.as_deref(), Some("demo-data"));
        let spec = pvc.spec.unwrap();
        assert_eq!(spec.storage_class_name.as_deref(), Some("fast"));
        assert_eq!(spec.access_modes, Some(vec!["ReadWriteOnce".to_string()]));
        assert_eq!(
            spec.resources.unwrap().requests.unwrap()["storage"],
            Quantity("5Gi".into())
        );
    }
}
