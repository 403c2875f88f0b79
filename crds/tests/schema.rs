//! The generated CRD: names, printer columns, and the CEL rules evaluated as the API server would.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use kube::CustomResourceExt;
use kube::core::cel::{Validator, compile_schema};
use ogf_crds::Marketplace;
use serde_json::{Value, json};

fn schema() -> Value {
    let crd = Marketplace::crd();
    let schema = crd.spec.versions[0]
        .schema
        .as_ref()
        .and_then(|s| s.open_api_v3_schema.as_ref())
        .unwrap();
    serde_json::to_value(schema).unwrap()
}

fn marketplace(spec: Value) -> Value {
    json!({
        "apiVersion": "ogf.dev/v1alpha1",
        "kind": "Marketplace",
        "metadata": {"name": "demo", "namespace": "default"},
        "spec": spec
    })
}

fn mongodb() -> Value {
    json!({"mongodb": {"uriSecretRef": {"name": "mongo", "key": "uri"}, "database": "ogf"}})
}

/// The messages of the rules `spec` breaks.
fn violations(spec: Value) -> Vec<String> {
    match Validator::new().validate(&schema(), &marketplace(spec), None) {
        Ok(()) => Vec::new(),
        Err(errors) => errors.iter().map(|e| e.message.clone()).collect(),
    }
}

#[test]
fn names_and_scope() {
    let crd = Marketplace::crd();
    assert_eq!(crd.metadata.name.as_deref(), Some("marketplaces.ogf.dev"));
    assert_eq!(crd.spec.group, "ogf.dev");
    assert_eq!(crd.spec.scope, "Namespaced");
    assert_eq!(crd.spec.names.kind, "Marketplace");
    assert_eq!(crd.spec.names.short_names, Some(vec!["mkt".to_string()]));
    assert_eq!(crd.spec.names.categories, Some(vec!["ogf".to_string()]));
    let version = &crd.spec.versions[0];
    assert_eq!(version.name, "v1alpha1");
    assert!(version.served && version.storage);
    assert!(
        version
            .subresources
            .as_ref()
            .and_then(|s| s.status.as_ref())
            .is_some()
    );
}

#[test]
fn printer_columns() {
    let crd = Marketplace::crd();
    let columns = crd.spec.versions[0]
        .additional_printer_columns
        .clone()
        .unwrap();
    let names: Vec<_> = columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        ["Ready", "Replicas", "Image", "Endpoint", "Age", "Color"]
    );
    assert_eq!(
        columns[0].json_path,
        r#".status.conditions[?(@.type=="Ready")].status"#
    );
    assert_eq!(columns[4].type_, "date");
}

#[test]
fn schema_carries_the_cel_rules() {
    let yaml = serde_json::to_string(&schema()).unwrap();
    for rule in [
        "has(self.embedded) != has(self.mongodb)",
        "!has(self.database.embedded) || !has(self.replicas) || self.replicas <= 1",
        "!has(self.database.embedded) || !has(self.autoscaling)",
        "!has(self.minReplicas) || self.minReplicas <= self.maxReplicas",
        "self >= 0",
        "self >= 1 && self <= 65535",
    ] {
        assert!(
            yaml.contains(&serde_json::to_string(rule).unwrap()),
            "missing rule {rule}"
        );
    }
    let compiled = compile_schema(&schema());
    assert!(
        !compiled.has_errors(),
        "CEL rules must compile: {:?}",
        compiled.compilation_errors()
    );
}

#[test]
fn conditions_are_a_map_list_keyed_by_type() {
    let conditions = &schema()["properties"]["status"]["properties"]["conditions"];
    assert_eq!(conditions["x-kubernetes-list-type"], "map");
    assert_eq!(conditions["x-kubernetes-list-map-keys"], json!(["type"]));
}

#[test]
fn valid_specs_pass() {
    assert_eq!(
        violations(json!({"image": "ogf-api:1", "database": mongodb()})),
        Vec::<String>::new()
    );
    assert_eq!(
        violations(json!({"image": "ogf-api:1", "replicas": 1, "database": {"embedded": {}}})),
        Vec::<String>::new()
    );
    let autoscaled = json!({
        "image": "ogf-api:1",
        "database": mongodb(),
        "autoscaling": {"minReplicas": 2, "maxReplicas": 2}
    });
    assert_eq!(violations(autoscaled), Vec::<String>::new());
}

#[test]
fn invalid_specs_are_rejected_with_their_message() {
    let cases = [
        (
            json!({"image": "i", "database": {}}),
            "exactly one of database.embedded or database.mongodb must be set",
        ),
        (
            json!({"image": "i", "database": {"embedded": {}, "mongodb": mongodb()["mongodb"]}}),
            "exactly one of database.embedded or database.mongodb must be set",
        ),
        (
            json!({"image": "i", "database": {"embedded": {}}}),
            "the embedded store runs a single replica",
        ),
        (
            json!({"image": "i", "replicas": 1, "database": {"embedded": {}}, "autoscaling": {"maxReplicas": 1}}),
            "autoscaling needs the mongodb store",
        ),
        (
            json!({"image": "i", "database": mongodb(), "autoscaling": {"minReplicas": 5, "maxReplicas": 2}}),
            "autoscaling.minReplicas must not exceed autoscaling.maxReplicas",
        ),
        (
            json!({"image": "i", "replicas": -1, "database": mongodb()}),
            "replicas must not be negative",
        ),
        (
            json!({"image": "i", "database": mongodb(), "service": {"port": 0}}),
            "port must be between 1 and 65535",
        ),
        (
            json!({"image": "i", "database": mongodb(), "service": {"port": 70000}}),
            "port must be between 1 and 65535",
        ),
        (
            json!({"image": "i", "database": mongodb(), "podDisruptionBudget": {"minAvailable": 1, "maxUnavailable": 1}}),
            "set at most one of minAvailable and maxUnavailable",
        ),
    ];
    for (spec, expected) in cases {
        let found = violations(spec.clone());
        assert!(
            found.iter().any(|m| m.contains(expected)),
            "spec {spec} should fail with {expected:?}, got {found:?}"
        );
    }
}

#[test]
fn names_must_fit_the_owned_objects() {
    let validate = |name: &str| {
        let mut object = marketplace(json!({"image": "i", "database": mongodb()}));
        object["metadata"]["name"] = json!(name);
        Validator::new().validate(&schema(), &object, None)
    };
    assert!(validate("ogf-prod").is_ok());
    assert!(validate(&"a".repeat(ogf_crds::marketplace::MAX_NAME_LEN)).is_ok());
    for bad in [
        "a".repeat(ogf_crds::marketplace::MAX_NAME_LEN + 1),
        "1ogf".into(),
        "ogf.prod".into(),
    ] {
        let errors = validate(&bad).expect_err(&bad);
        assert!(
            errors.to_string().contains("name must be a DNS label"),
            "{bad}: {errors}"
        );
    }
}
