//! The Backup and Restore CRDs' CEL rules, evaluated as the API server would.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use kube::CustomResourceExt;
use kube::core::cel::Validator;
use ogf_crds::{Backup, Restore};
use serde_json::{Value, json};

fn schema(
    crd: k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition,
) -> Value {
    let schema = crd.spec.versions[0].schema.clone().unwrap();
    serde_json::to_value(schema.open_api_v3_schema.unwrap()).unwrap()
}

fn violations(schema: &Value, kind: &str, spec: Value, old: Option<Value>) -> Vec<String> {
    let object = |spec: Value| {
        json!({"apiVersion": "ogf.dev/v1alpha1", "kind": kind,
               "metadata": {"name": "x", "namespace": "default"}, "spec": spec})
    };
    let old = old.map(object);
    match Validator::new().validate(schema, &object(spec), old.as_ref()) {
        Ok(()) => Vec::new(),
        Err(errors) => errors.iter().map(|e| e.message.clone()).collect(),
    }
}

fn backup(patch: Value) -> Value {
    let mut spec = json!({
        "marketplaceRef": {"name": "shop"},
        "destination": {"volume": {"claimName": "backups"}},
        "encryption": {"recipients": ["age1abc"]}
    });
    spec.as_object_mut()
        .unwrap()
        .extend(patch.as_object().unwrap().clone());
    spec
}

fn backup_violations(patch: Value) -> Vec<String> {
    violations(&schema(Backup::crd()), "Backup", backup(patch), None)
}

#[test]
fn backup_names() {
    let crd = Backup::crd();
    assert_eq!(crd.metadata.name.as_deref(), Some("backups.ogf.dev"));
    assert_eq!(crd.spec.names.short_names, Some(vec!["bkp".to_string()]));
    assert_eq!(crd.spec.names.categories, Some(vec!["ogf".to_string()]));
    let crd = Restore::crd();
    assert_eq!(crd.spec.names.short_names, Some(vec!["rst".to_string()]));
}

#[test]
fn valid_backup_passes() {
    assert_eq!(backup_violations(json!({})), Vec::<String>::new());
    assert_eq!(
        backup_violations(json!({"verify": 7, "retention": {"maxAge": "30d"}})),
        Vec::<String>::new()
    );
    assert_eq!(
        backup_violations(json!({"verify": "always"})),
        Vec::<String>::new()
    );
}

#[test]
fn backup_needs_exactly_one_destination() {
    let both = json!({"destination": {
        "volume": {"claimName": "b"},
        "s3": {"bucket": "bkt", "credentialsSecretRef": {"name": "s3"}}}});
    assert!(backup_violations(both)[0].contains("exactly one of destination"));
    assert!(
        backup_violations(json!({"destination": {}}))[0].contains("exactly one of destination")
    );
}

#[test]
fn backup_needs_age_recipients() {
    let none = backup_violations(json!({"encryption": {}}));
    assert!(none[0].contains("at least one recipient"), "{none:?}");
    let wrong = backup_violations(json!({"encryption": {"recipients": ["ssh-ed25519 AAAA"]}}));
    assert!(wrong[0].contains("age X25519"), "{wrong:?}");
}

#[test]
fn backup_rejects_bad_verify_max_age_and_paths() {
    for verify in [json!(0), json!("sometimes"), json!(-2)] {
        let v = backup_violations(json!({"verify": verify}));
        assert!(v[0].contains("verify must be"), "{verify}: {v:?}");
    }
    let v = backup_violations(json!({"retention": {"maxAge": "1 month"}}));
    assert!(v[0].contains("maxAge"), "{v:?}");
    let v =
        backup_violations(json!({"destination": {"volume": {"claimName": "b", "path": "../etc"}}}));
    assert!(v[0].contains("must not contain"), "{v:?}");
}

fn restore(patch: Value) -> Value {
    let mut spec = json!({
        "marketplaceRef": {"name": "shop"},
        "source": {"backupRef": {"name": "nightly"}},
        "decryptionKeySecretRef": {"name": "age", "key": "identity"}
    });
    spec.as_object_mut()
        .unwrap()
        .extend(patch.as_object().unwrap().clone());
    spec
}

#[test]
fn restore_rules() {
    let schema = schema(Restore::crd());
    assert!(violations(&schema, "Restore", restore(json!({})), None).is_empty());
    let both = restore(json!({"target": {"name": "copy"}}));
    assert!(
        violations(&schema, "Restore", both, None)[0].contains("exactly one of marketplaceRef")
    );
    let sources = restore(json!({"source": {"backupRef": {"name": "n"},
        "location": {"volume": {"claimName": "b"}}}}));
    assert!(violations(&schema, "Restore", sources, None)[0].contains("exactly one of source"));
    let changed = restore(json!({"activeDeadlineSeconds": 60}));
    let v = violations(&schema, "Restore", changed, Some(restore(json!({}))));
    assert!(v[0].contains("cannot change"), "{v:?}");
}
