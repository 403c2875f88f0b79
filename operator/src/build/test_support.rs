//! Fixtures shared by the builder tests.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use ogf_crds::{Marketplace, MarketplaceSpec};
use serde_json::json;

/// A Marketplace `demo` in namespace `shop` on MongoDB, with every default.
pub fn marketplace() -> Marketplace {
    with_spec(json!({
        "image": "ghcr.io/ogf-dev/ogf-api:1.0.0",
        "database": {"mongodb": {"uriSecretRef": {"name": "mongo", "key": "uri"}, "database": "ogf"}}
    }))
}

/// A Marketplace `demo` on the embedded store with one replica.
pub fn embedded() -> Marketplace {
    with_spec(json!({
        "image": "ghcr.io/ogf-dev/ogf-api:1.0.0",
        "replicas": 1,
        "database": {"embedded": {"storageSize": "5Gi", "storageClassName": "fast"}}
    }))
}

/// A Marketplace `demo` in namespace `shop` with the given spec.
pub fn with_spec(spec: serde_json::Value) -> Marketplace {
    let spec: MarketplaceSpec = serde_json::from_value(spec).expect("test spec parses");
    let mut marketplace = Marketplace::new("demo", spec);
    marketplace.metadata = ObjectMeta {
        name: Some("demo".into()),
        namespace: Some("shop".into()),
        uid: Some("0b6a3c1e-0000-4000-8000-000000000001".into()),
        generation: Some(1),
        ..ObjectMeta::default()
    };
    marketplace
}
