//! The optional `monitoring.coreos.com/v1` ServiceMonitor `<name>` scraping `/metrics`.

use kube::api::{ApiResource, DynamicObject, GroupVersionKind};
use ogf_crds::marketplace::ServiceMonitorSpec;
use serde_json::json;

use super::{labels, owner::Owner, pod};

/// The ServiceMonitor's group, version and kind.
pub fn gvk() -> GroupVersionKind {
    GroupVersionKind::gvk("monitoring.coreos.com", "v1", "ServiceMonitor")
}

/// The ServiceMonitor scraping both colors' Services, or `None` when disabled.
pub fn build(owner: &Owner, monitor: &ServiceMonitorSpec) -> Option<DynamicObject> {
    if !monitor.enabled {
        return None;
    }
    let resource = ApiResource::from_gvk(&gvk());
    let mut meta = owner.meta(owner.active_service_name(), None);
    if let Some(object_labels) = meta.labels.as_mut() {
        object_labels.extend(monitor.labels.clone());
    }
    let mut endpoint = json!({"port": pod::PORT_NAME, "path": "/metrics", "scheme": "http"});
    if let Some(interval) = &monitor.interval {
        endpoint["interval"] = json!(interval);
    }
    let mut object = DynamicObject::new(&owner.active_service_name(), &resource).data(json!({
        "spec": {
            "selector": {"matchLabels": labels::common(&owner.name, None)},
            "namespaceSelector": {"matchNames": [owner.namespace]},
            "endpoints": [endpoint],
        }
    }));
    object.metadata = meta;
    Some(object)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::build::test_support::marketplace;

    #[test]
    fn disabled_by_default() {
        assert!(
            build(
                &Owner::of(&marketplace()).unwrap(),
                &ServiceMonitorSpec::default()
            )
            .is_none()
        );
    }

    #[test]
    fn interval_and_labels_land() {
        let spec = ServiceMonitorSpec {
            enabled: true,
            interval: Some("15s".into()),
            labels: BTreeMap::from([("release".to_string(), "prom".to_string())]),
        };
        let monitor = build(&Owner::of(&marketplace()).unwrap(), &spec).unwrap();
        let value = serde_json::to_value(&monitor).unwrap();
        assert_eq!(value["apiVersion"], "monitoring.coreos.com/v1");
        assert_eq!(value["kind"], "ServiceMonitor");
        assert_eq!(value["metadata"]["labels"]["release"], "prom");
        assert_eq!(
            value["metadata"]["ownerReferences"][0]["kind"],
            "Marketplace"
        );
        assert_eq!(value["spec"]["endpoints"][0]["interval"], "15s");
        assert_eq!(value["spec"]["endpoints"][0]["port"], "http");
        assert_eq!(
            value["spec"]["selector"]["matchLabels"][labels::INSTANCE],
            "demo"
        );
    }
}
