//! The generated JWT signing key `<name>-jwt`, used when `spec.jwtSecretRef` is absent.

use std::collections::BTreeMap;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use ogf_crds::MarketplaceSpec;
use ogf_crds::marketplace::SecretKeyRef;

use super::owner::Owner;

/// Key of the signing key in the generated Secret.
pub const JWT_KEY: &str = "jwt-secret";

/// The Secret key the API reads its JWT signing key from: the user's, or the generated one.
pub fn jwt_ref(owner: &Owner, spec: &MarketplaceSpec) -> SecretKeyRef {
    spec.jwt_secret_ref.clone().unwrap_or_else(|| SecretKeyRef {
        name: owner.jwt_secret_name(),
        key: JWT_KEY.into(),
    })
}

/// The generated Secret holding `value`, or `None` when the user brings their own key.
///
/// `value` comes from the caller (a fresh random key on creation, the existing one afterwards),
/// so that this builder stays pure and applying it never rotates the key by accident.
pub fn build(owner: &Owner, spec: &MarketplaceSpec, value: &str) -> Option<Secret> {
    if spec.jwt_secret_ref.is_some() {
        return None;
    }
    Some(Secret {
        metadata: owner.meta(owner.jwt_secret_name(), None),
        type_: Some("Opaque".into()),
        data: Some(BTreeMap::from([(
            JWT_KEY.to_string(),
            ByteString(value.as_bytes().to_vec()),
        )])),
        ..Secret::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::build::test_support::marketplace;

    #[test]
    fn generated_when_no_ref_is_given() {
        let mkt = marketplace();
        let owner = Owner::of(&mkt).unwrap();
        let secret = build(&owner, &mkt.spec, "s3cr3t").unwrap();
        assert_eq!(secret.metadata.name.as_deref(), Some("demo-jwt"));
        assert_eq!(
            secret.metadata.owner_references.unwrap()[0].uid,
            owner.reference.uid
        );
        assert_eq!(secret.data.unwrap()[JWT_KEY].0, b"s3cr3t");
        assert_eq!(
            jwt_ref(&owner, &mkt.spec),
            SecretKeyRef {
                name: "demo-jwt".into(),
                key: JWT_KEY.into()
            }
        );
    }

    #[test]
    fn absent_when_the_user_brings_a_key() {
        let mut mkt = marketplace();
        let theirs = SecretKeyRef {
            name: "mine".into(),
            key: "k".into(),
        };
        mkt.spec.jwt_secret_ref = Some(theirs.clone());
        let owner = Owner::of(&mkt).unwrap();
        assert!(build(&owner, &mkt.spec, "x").is_none());
        assert_eq!(jwt_ref(&owner, &mkt.spec), theirs);
    }
}
