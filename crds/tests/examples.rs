//! Every Marketplace in `examples/` parses into the Rust type and passes the CRD's CEL rules.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use std::path::{Path, PathBuf};

use kube::CustomResourceExt;
use kube::core::cel::Validator;
use ogf_crds::Marketplace;
use serde::Deserialize;

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

#[test]
fn every_example_is_a_valid_marketplace() {
    let crd = Marketplace::crd();
    let schema = serde_json::to_value(
        crd.spec.versions[0]
            .schema
            .as_ref()
            .unwrap()
            .open_api_v3_schema
            .as_ref()
            .unwrap(),
    )
    .unwrap();
    let paths = examples();
    assert!(
        paths.len() >= 3,
        "expected at least three examples, found {paths:?}"
    );
    for path in paths {
        let text = std::fs::read_to_string(&path).unwrap();
        let mut marketplaces = 0;
        for document in serde_yaml::Deserializer::from_str(&text) {
            let value = serde_json::Value::deserialize(document).unwrap();
            if value["kind"] != "Marketplace" {
                continue;
            }
            marketplaces += 1;
            let parsed: Marketplace = serde_json::from_value(value.clone())
                .unwrap_or_else(|e| panic!("{}: not a Marketplace: {e}", path.display()));
            assert!(parsed.spec.database.kind().is_some(), "{}", path.display());
            if let Err(errors) = Validator::new().validate(&schema, &value, None) {
                panic!("{}: rejected by the CEL rules: {errors}", path.display());
            }
        }
        assert_eq!(
            marketplaces,
            1,
            "{}: one Marketplace per example",
            path.display()
        );
    }
}
