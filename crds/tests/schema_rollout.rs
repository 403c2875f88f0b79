//! The Rollout CRD's admission rules for configuration overrides, evaluated as the API server
//! would (the quantity comparison of `resources` needs the API server's CEL library and is
//! covered by the e2e tests).

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use kube::CustomResourceExt;
use kube::core::cel::Validator;
use ogf_crds::Rollout;
use serde_json::{Value, json};

fn schema() -> Value {
    let crd = Rollout::crd();
    let schema = crd.spec.versions[0]
        .schema
        .as_ref()
        .and_then(|s| s.open_api_v3_schema.as_ref())
        .unwrap();
    serde_json::to_value(schema).unwrap()
}

/// The messages of the rules a Rollout with `config` as its override breaks.
fn violations(config: Value) -> Vec<String> {
    let rollout = json!({
        "apiVersion": "ogf.dev/v1alpha1", "kind": "Rollout",
        "metadata": {"name": "ro", "namespace": "default"},
        "spec": {"marketplaceRef": {"name": "shop"}, "image": "api:2", "config": config}
    });
    match Validator::new().validate(&schema(), &rollout, None) {
        Ok(()) => Vec::new(),
        Err(errors) => errors.iter().map(|e| e.message.clone()).collect(),
    }
}

#[test]
fn valid_overrides_pass() {
    for config in [
        json!({"logLevel": "debug"}),
        json!({"corsOrigins": []}),
        json!({"corsOrigins": ["https://app.example.com", "http://localhost:3000"]}),
        json!({"rateLimits": {"userPerMinute": 0}, "cacheTtls": {"listingsSeconds": 5}}),
    ] {
        assert_eq!(violations(config.clone()), Vec::<String>::new(), "{config}");
    }
}

#[test]
fn empty_overrides_and_bad_origins_are_rejected() {
    let cases = [
        (json!({}), "at least one of logLevel"),
        (json!({"rateLimits": {}}), "at least one limit"),
        (json!({"cacheTtls": {}}), "at least one lifetime"),
        (
            json!({"corsOrigins": ["https://app.example.com/"]}),
            "origins like",
        ),
        (json!({"corsOrigins": ["app.example.com"]}), "origins like"),
    ];
    for (config, expected) in cases {
        let found = violations(config.clone());
        assert!(
            found.iter().any(|m| m.contains(expected)),
            "{config}: {found:?}"
        );
    }
}

#[test]
fn the_resources_rule_is_in_the_schema() {
    let schema = schema();
    let rules =
        &schema["properties"]["spec"]["properties"]["resources"]["x-kubernetes-validations"];
    assert!(
        rules
            .to_string()
            .contains("quantity(string(self.limits[k]))"),
        "{rules}"
    );
}
