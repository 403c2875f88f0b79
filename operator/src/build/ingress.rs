//! The optional Ingress `<name>` routing `spec.ingress.host` to the active Service.

use k8s_openapi::api::networking::v1::{
    HTTPIngressPath, HTTPIngressRuleValue, Ingress, IngressBackend, IngressRule,
    IngressServiceBackend, IngressSpec as CoreIngressSpec, IngressTLS, ServiceBackendPort,
};
use ogf_crds::marketplace::{IngressSpec, ServiceSpec};

use super::owner::Owner;

/// The Ingress.
pub fn build(owner: &Owner, ingress: &IngressSpec, service: &ServiceSpec) -> Ingress {
    let backend = IngressBackend {
        service: Some(IngressServiceBackend {
            name: owner.active_service_name(),
            port: Some(ServiceBackendPort {
                number: Some(service.port),
                ..ServiceBackendPort::default()
            }),
        }),
        ..IngressBackend::default()
    };
    Ingress {
        metadata: owner.meta_annotated(owner.active_service_name(), &ingress.annotations),
        spec: Some(CoreIngressSpec {
            ingress_class_name: ingress.class_name.clone(),
            rules: Some(vec![IngressRule {
                host: Some(ingress.host.clone()),
                http: Some(HTTPIngressRuleValue {
                    paths: vec![HTTPIngressPath {
                        path: Some("/".into()),
                        path_type: "Prefix".into(),
                        backend,
                    }],
                }),
            }]),
            tls: ingress.tls_secret_name.as_ref().map(|secret| {
                vec![IngressTLS {
                    hosts: Some(vec![ingress.host.clone()]),
                    secret_name: Some(secret.clone()),
                }]
            }),
            ..CoreIngressSpec::default()
        }),
        ..Ingress::default()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::build::test_support::marketplace;

    #[test]
    fn host_class_tls_and_annotations_land() {
        let owner = Owner::of(&marketplace()).unwrap();
        let spec = IngressSpec {
            class_name: Some("nginx".into()),
            host: "api.example.com".into(),
            tls_secret_name: Some("api-tls".into()),
            annotations: BTreeMap::from([(
                "cert-manager.io/cluster-issuer".to_string(),
                "le".to_string(),
            )]),
        };
        let service = ServiceSpec {
            port: 80,
            ..ServiceSpec::default()
        };
        let ingress = build(&owner, &spec, &service);
        assert_eq!(ingress.metadata.name.as_deref(), Some("demo"));
        assert_eq!(
            ingress.metadata.annotations.unwrap()["cert-manager.io/cluster-issuer"],
            "le"
        );
        let spec = ingress.spec.unwrap();
        assert_eq!(spec.ingress_class_name.as_deref(), Some("nginx"));
        let rule = &spec.rules.unwrap()[0];
        assert_eq!(rule.host.as_deref(), Some("api.example.com"));
        let backend = rule.http.clone().unwrap().paths[0]
            .backend
            .service
            .clone()
            .unwrap();
        assert_eq!(backend.name, "demo");
        assert_eq!(backend.port.unwrap().number, Some(80));
        let tls = &spec.tls.unwrap()[0];
        assert_eq!(tls.secret_name.as_deref(), Some("api-tls"));
        assert_eq!(tls.hosts, Some(vec!["api.example.com".to_string()]));
    }

    #[test]
    fn plain_http_without_tls_secret() {
        let owner = Owner::of(&marketplace()).unwrap();
        let spec = IngressSpec {
            class_name: None,
            host: "h".into(),
            tls_secret_name: None,
            annotations: BTreeMap::new(),
        };
        let ingress = build(&owner, &spec, &ServiceSpec::default());
        let spec = ingress.spec.unwrap();
        assert!(spec.tls.is_none() && spec.ingress_class_name.is_none());
        assert!(ingress.metadata.annotations.is_none());
    }
}
