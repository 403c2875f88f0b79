//! Identity of the Marketplace being built: names of owned objects, owner reference, metadata.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use kube::Resource;
use ogf_crds::marketplace::MAX_NAME_LEN;
use ogf_crds::{Color, Marketplace};

use crate::error::BuildError;

use super::labels;

/// The Marketplace's name, namespace and owner reference, shared by every builder.
#[derive(Clone, Debug, PartialEq)]
pub struct Owner {
    /// Marketplace name; prefixes every owned object's name.
    pub name: String,
    /// Namespace of the Marketplace and of every owned object.
    pub namespace: String,
    /// Controller owner reference to the Marketplace (garbage collection).
    pub reference: OwnerReference,
}

impl Owner {
    /// Reads the identity of `marketplace`; it needs a valid name, a namespace and a uid.
    pub fn of(marketplace: &Marketplace) -> Result<Self, BuildError> {
        let meta = &marketplace.metadata;
        let name = meta
            .name
            .clone()
            .ok_or(BuildError::MissingMetadata("name"))?;
        if !is_valid_name(&name) {
            return Err(BuildError::InvalidName(name));
        }
        let namespace = meta
            .namespace
            .clone()
            .ok_or(BuildError::MissingMetadata("namespace"))?;
        let uid = meta.uid.clone().ok_or(BuildError::MissingMetadata("uid"))?;
        let reference = OwnerReference {
            api_version: Marketplace::api_version(&()).into_owned(),
            kind: Marketplace::kind(&()).into_owned(),
            name: name.clone(),
            uid,
            controller: Some(true),
            block_owner_deletion: Some(true),
        };
        Ok(Self {
            name,
            namespace,
            reference,
        })
    }

    /// Metadata of an owned object called `name`, labelled for `color` when it has one.
    pub fn meta(&self, name: impl Into<String>, color: Option<Color>) -> ObjectMeta {
        ObjectMeta {
            name: Some(name.into()),
            namespace: Some(self.namespace.clone()),
            labels: Some(labels::common(&self.name, color)),
            owner_references: Some(vec![self.reference.clone()]),
            ..ObjectMeta::default()
        }
    }

    /// Like [`Owner::meta`], with annotations when there are any.
    pub fn meta_annotated(
        &self,
        name: impl Into<String>,
        annotations: &BTreeMap<String, String>,
    ) -> ObjectMeta {
        ObjectMeta {
            annotations: (!annotations.is_empty()).then(|| annotations.clone()),
            ..self.meta(name, None)
        }
    }

    /// `<name>-<color>`: the Deployment of one color.
    pub fn deployment_name(&self, color: Color) -> String {
        format!("{}-{}", self.name, color.as_str())
    }

    /// `<name>`: the active Service (also the HPA, PDB, NetworkPolicy, Ingress and ServiceMonitor).
    pub fn active_service_name(&self) -> String {
        self.name.clone()
    }

    /// `<name>-preview`: the Service selecting the inactive color.
    pub fn preview_service_name(&self) -> String {
        format!("{}-preview", self.name)
    }

    /// `<name>-jwt`: the generated JWT signing key.
    pub fn jwt_secret_name(&self) -> String {
        format!("{}-jwt", self.name)
    }

    /// `<name>-config-<color>`: the API settings of one color. Each color has its own, so that
    /// a Rollout can start the new color with other settings without touching the live one.
    pub fn config_map_name(&self, color: Color) -> String {
        format!("{}-config-{}", self.name, color.as_str())
    }

    /// `<name>-config`: the one ConfigMap of both colors before each color had its own;
    /// deleted once no Rollout holds the Marketplace.
    pub fn legacy_config_map_name(&self) -> String {
        format!("{}-config", self.name)
    }

    /// `<name>-data`: the embedded store's volume.
    pub fn pvc_name(&self) -> String {
        format!("{}-data", self.name)
    }

    /// `<name>`: the API pods' ServiceAccount.
    pub fn service_account_name(&self) -> String {
        self.name.clone()
    }
}

/// Whether `name` is a DNS label of at most [`MAX_NAME_LEN`] characters starting with a letter.
fn is_valid_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    !bytes.is_empty()
        && name.len() <= MAX_NAME_LEN
        && bytes[0].is_ascii_lowercase()
        && bytes
            .last()
            .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::build::test_support::marketplace;

    #[test]
    fn owner_reference_points_at_the_marketplace() {
        let owner = Owner::of(&marketplace()).unwrap();
        assert_eq!(owner.reference.api_version, "ogf.dev/v1alpha1");
        assert_eq!(owner.reference.kind, "Marketplace");
        assert_eq!(owner.reference.name, "demo");
        assert_eq!(owner.reference.uid, "0b6a3c1e-0000-4000-8000-000000000001");
        assert_eq!(owner.reference.controller, Some(true));
        assert_eq!(owner.reference.block_owner_deletion, Some(true));
    }

    #[test]
    fn names_of_owned_objects() {
        let owner = Owner::of(&marketplace()).unwrap();
        assert_eq!(owner.deployment_name(Color::Blue), "demo-blue");
        assert_eq!(owner.deployment_name(Color::Green), "demo-green");
        assert_eq!(owner.active_service_name(), "demo");
        assert_eq!(owner.preview_service_name(), "demo-preview");
        assert_eq!(owner.jwt_secret_name(), "demo-jwt");
    }

    #[test]
    fn missing_metadata_is_an_error() {
        let mut mkt = marketplace();
        mkt.metadata.uid = None;
        assert_eq!(Owner::of(&mkt), Err(BuildError::MissingMetadata("uid")));
        mkt.metadata.namespace = None;
        assert_eq!(
            Owner::of(&mkt),
            Err(BuildError::MissingMetadata("namespace"))
        );
    }

    #[test]
    fn names_that_do_not_fit_are_rejected() {
        for bad in [
            "1demo",
            "demo-",
            "de.mo",
            "Demo",
            &"a".repeat(MAX_NAME_LEN + 1),
        ] {
            let mut mkt = marketplace();
            mkt.metadata.name = Some(bad.to_string());
            assert_eq!(
                Owner::of(&mkt),
                Err(BuildError::InvalidName(bad.to_string())),
                "{bad}"
            );
        }
    }
}
