//! The labels on everything the operator creates (see docs: Kubernetes conventions).

use std::collections::BTreeMap;

use ogf_crds::Color;

/// `app.kubernetes.io/name`.
pub const NAME: &str = "app.kubernetes.io/name";
/// `app.kubernetes.io/instance`: the Marketplace name.
pub const INSTANCE: &str = "app.kubernetes.io/instance";
/// `app.kubernetes.io/managed-by`.
pub const MANAGED_BY: &str = "app.kubernetes.io/managed-by";
/// `app.kubernetes.io/component`.
pub const COMPONENT: &str = "app.kubernetes.io/component";
/// `ogf.dev/color` on the colored Deployments and their pods.
pub const COLOR: &str = "ogf.dev/color";

/// Value of [`NAME`] for the API.
pub const APP_NAME: &str = "ogf-api";
/// Value of [`MANAGED_BY`].
pub const MANAGER: &str = "ogf-operator";
/// Value of [`COMPONENT`] for the API.
pub const COMPONENT_API: &str = "api";

/// Labels that select the API pods of `instance`, of one color or of both.
pub fn selector(instance: &str, color: Option<Color>) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::from([
        (NAME.to_string(), APP_NAME.to_string()),
        (INSTANCE.to_string(), instance.to_string()),
        (COMPONENT.to_string(), COMPONENT_API.to_string()),
    ]);
    if let Some(color) = color {
        labels.insert(COLOR.to_string(), color.as_str().to_string());
    }
    labels
}

/// Labels of an object of `instance`: the selector labels plus `managed-by`.
pub fn common(instance: &str, color: Option<Color>) -> BTreeMap<String, String> {
    let mut labels = selector(instance, color);
    labels.insert(MANAGED_BY.to_string(), MANAGER.to_string());
    labels
}

/// The Marketplace an object the operator created belongs to: its [`INSTANCE`] label
/// (empty when absent). Watch mappers use it to find the resources to reconcile.
pub fn instance_of(object: &impl kube::ResourceExt) -> String {
    object.labels().get(INSTANCE).cloned().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_labels() {
        let labels = common("demo", None);
        assert_eq!(labels.get(NAME).map(String::as_str), Some("ogf-api"));
        assert_eq!(labels.get(INSTANCE).map(String::as_str), Some("demo"));
        assert_eq!(
            labels.get(MANAGED_BY).map(String::as_str),
            Some("ogf-operator")
        );
        assert_eq!(labels.get(COMPONENT).map(String::as_str), Some("api"));
        assert!(!labels.contains_key(COLOR));
    }

    #[test]
    fn colored_selector_has_no_manager_label() {
        let labels = selector("demo", Some(Color::Green));
        assert_eq!(labels.get(COLOR).map(String::as_str), Some("green"));
        assert!(
            !labels.contains_key(MANAGED_BY),
            "selectors are immutable: keep them minimal"
        );
        assert_eq!(labels.len(), 4);
    }
}
