//! The API pods' ServiceAccount `<name>`: no API access, no mounted token.

use k8s_openapi::api::core::v1::ServiceAccount;

use super::owner::Owner;

/// The ServiceAccount.
pub fn build(owner: &Owner) -> ServiceAccount {
    ServiceAccount {
        metadata: owner.meta(owner.service_account_name(), None),
        automount_service_account_token: Some(false),
        ..ServiceAccount::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::build::test_support::marketplace;

    #[test]
    fn no_token_is_mounted() {
        let sa = build(&Owner::of(&marketplace()).unwrap());
        assert_eq!(sa.metadata.name.as_deref(), Some("demo"));
        assert_eq!(sa.automount_service_account_token, Some(false));
    }
}
