//! Every custom resource in `examples/` parses into its Rust type and passes its CRD's CEL rules.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use std::path::{Path, PathBuf};

use kube::core::cel::Validator;
use ogf_crds::generate::crds;
use ogf_crds::{Backup, Marketplace, Restore, Rollout};
use serde::Deserialize;
use serde_json::Value;

fn examples() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
        .collect();
    paths.sort();
    paths
}

/// The `ogf.dev` objects of an example file (other documents, such as Secrets, are skipped).
fn custom_resources(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap();
    serde_yaml::Deserializer::from_str(&text)
        .map(|document| Value::deserialize(document).unwrap())
        .filter(|value| {
            value["apiVersion"]
                .as_str()
                .is_some_and(|v| v.starts_with("ogf.dev/"))
        })
        .collect()
}

/// Parses `value` into the type of its kind; the error says why not.
fn parse(value: &Value) -> Result<(), String> {
    match value["kind"].as_str().unwrap_or_default() {
        "Marketplace" => serde_json::from_value::<Marketplace>(value.clone())
            .map_err(|e| e.to_string())
            .and_then(|m| match m.spec.database.kind() {
                Some(_) => Ok(()),
                None => Err("no database".into()),
            }),
        "Rollout" => serde_json::from_value::<Rollout>(value.clone())
            .map(drop)
            .map_err(|e| e.to_string()),
        "Backup" => serde_json::from_value::<Backup>(value.clone())
            .map(drop)
            .map_err(|e| e.to_string()),
        "Restore" => serde_json::from_value::<Restore>(value.clone())
            .map(drop)
            .map_err(|e| e.to_string()),
        other => Err(format!("unknown kind {other}")),
    }
}

fn schema_of(kind: &str) -> Value {
    let (_, crd) = crds()
        .into_iter()
        .find(|(_, crd)| crd.spec.names.kind == kind)
        .unwrap_or_else(|| panic!("no CRD for kind {kind}"));
    let schema = crd.spec.versions[0].schema.clone().unwrap();
    serde_json::to_value(schema.open_api_v3_schema.unwrap()).unwrap()
}

#[test]
fn every_example_is_valid() {
    let paths = examples();
    let mut kinds = Vec::new();
    for path in &paths {
        let resources = custom_resources(path);
        assert!(
            !resources.is_empty(),
            "{}: no ogf.dev object",
            path.display()
        );
        for value in resources {
            let kind = value["kind"].as_str().unwrap().to_owned();
            if let Err(e) = parse(&value) {
                panic!("{}: not a valid {kind}: {e}", path.display());
            }
            if let Err(errors) = Validator::new().validate(&schema_of(&kind), &value, None) {
                panic!("{}: rejected by the CEL rules: {errors}", path.display());
            }
            kinds.push(kind);
        }
    }
    for kind in ["Marketplace", "Backup", "Restore"] {
        assert!(kinds.iter().any(|k| k == kind), "no {kind} example");
    }
}

#[test]
fn every_marketplace_example_holds_exactly_one_marketplace() {
    let marketplace_files: Vec<_> = examples()
        .into_iter()
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("marketplace-"))
        })
        .collect();
    assert!(marketplace_files.len() >= 3, "{marketplace_files:?}");
    for path in marketplace_files {
        let count = custom_resources(&path)
            .iter()
            .filter(|v| v["kind"] == "Marketplace")
            .count();
        assert_eq!(count, 1, "{}: one Marketplace per example", path.display());
    }
}
