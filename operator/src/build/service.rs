//! The active Service `<name>` (selects the active color) and the preview Service `<name>-preview`.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Service, ServicePort, ServiceSpec as CoreServiceSpec};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use ogf_crds::Color;
use ogf_crds::marketplace::{ServiceSpec, ServiceType};

use super::{labels, owner::Owner, pod};

/// The Service clients use: `spec.service` settings, selecting `active`.
pub fn active(owner: &Owner, service: &ServiceSpec, active: Color) -> Service {
    build(
        owner,
        owner.active_service_name(),
        &service.annotations,
        service.type_,
        service.port,
        active,
    )
}

/// The in-cluster Service selecting the inactive color, for checks before a switchover.
pub fn preview(owner: &Owner, service: &ServiceSpec, active: Color) -> Service {
    let name = owner.preview_service_name();
    build(
        owner,
        name,
        &BTreeMap::new(),
        ServiceType::ClusterIP,
        service.port,
        active.other(),
    )
}

fn build(
    owner: &Owner,
    name: String,
    annotations: &BTreeMap<String, String>,
    type_: ServiceType,
    port: i32,
    selects: Color,
) -> Service {
    Service {
        metadata: owner.meta_annotated(name, annotations),
        spec: Some(CoreServiceSpec {
            type_: Some(type_.as_str().into()),
            selector: Some(labels::selector(&owner.name, Some(selects))),
            ports: Some(vec![ServicePort {
                name: Some(pod::PORT_NAME.into()),
                port,
                target_port: Some(IntOrString::String(pod::PORT_NAME.into())),
                protocol: Some("TCP".into()),
                ..ServicePort::default()
            }]),
            ..CoreServiceSpec::default()
        }),
        ..Service::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::build::test_support::{marketplace, with_spec};
    use serde_json::json;

    #[test]
    fn active_selects_the_active_color_with_defaults() {
        let mkt = marketplace();
        let owner = Owner::of(&mkt).unwrap();
        let svc = active(&owner, &mkt.spec.service, Color::Blue);
        assert_eq!(svc.metadata.name.as_deref(), Some("demo"));
        assert!(svc.metadata.annotations.is_none());
        let spec = svc.spec.unwrap();
        assert_eq!(spec.type_.as_deref(), Some("ClusterIP"));
        assert_eq!(spec.selector.unwrap()[labels::COLOR], "blue");
        let port = &spec.ports.unwrap()[0];
        assert_eq!(port.port, 8080);
        assert_eq!(port.target_port, Some(IntOrString::String("http".into())));
    }

    #[test]
    fn spec_service_fields_land_on_the_active_service_only() {
        let mkt = with_spec(json!({
            "image": "i",
            "database": {"mongodb": {"uriSecretRef": {"name": "m", "key": "k"}, "database": "d"}},
            "service": {"type": "LoadBalancer", "port": 443, "annotations": {"lb": "internal"}}
        }));
        let owner = Owner::of(&mkt).unwrap();
        let svc = active(&owner, &mkt.spec.service, Color::Green);
        assert_eq!(svc.metadata.annotations.unwrap()["lb"], "internal");
        let spec = svc.spec.unwrap();
        assert_eq!(spec.type_.as_deref(), Some("LoadBalancer"));
        assert_eq!(spec.ports.unwrap()[0].port, 443);
        assert_eq!(spec.selector.unwrap()[labels::COLOR], "green");

        let preview = preview(&owner, &mkt.spec.service, Color::Green);
        assert_eq!(preview.metadata.name.as_deref(), Some("demo-preview"));
        assert!(preview.metadata.annotations.is_none());
        let spec = preview.spec.unwrap();
        assert_eq!(spec.type_.as_deref(), Some("ClusterIP"));
        assert_eq!(spec.selector.unwrap()[labels::COLOR], "blue");
    }
}
