//! The committed CRD YAML must be what the Rust types generate.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use ogf_crds::generate::{REGENERATE_COMMAND, chart_crd_dir, crd_files, stale_files, yaml_dir};

#[test]
fn committed_crd_yaml_is_up_to_date() {
    let files = crd_files().unwrap();
    let mut stale = stale_files(&yaml_dir(), &files);
    if chart_crd_dir().is_dir() {
        stale.extend(stale_files(&chart_crd_dir(), &files));
    }
    assert!(
        stale.is_empty(),
        "CRD YAML is stale ({}): run `{REGENERATE_COMMAND}` and commit the result",
        stale
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
}

#[test]
fn generated_yaml_parses_back_into_a_crd() {
    for file in crd_files().unwrap() {
        let crd: k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition =
            serde_yaml::from_str(&file.yaml).unwrap();
        assert_eq!(crd.spec.group, "ogf.dev", "{}", file.file_name);
    }
}
