use super::*;
use crate::fixtures::{artifact, backup, restore, with_artifacts};

fn key() -> SecretKeyArg {
    SecretKeyArg {
        name: "restore-key".into(),
        key: "identity".into(),
    }
}

fn nightly() -> Backup {
    with_artifacts(
        backup("nightly", "shop"),
        vec![
            artifact("a2", "2026-01-10T02:00:00Z", 10, Some(true)),
            artifact("a1", "2026-01-09T02:00:00Z", 10, None),
        ],
    )
}

#[test]
fn in_place_restores_go_into_the_backups_marketplace() {
    let key = key();
    let request = RestoreRequest {
        artifact: None,
        into: None,
        key: &key,
        name: None,
    };
    let plan = plan_restore(&nightly(), &request).unwrap();
    assert_eq!(plan.marketplace, "shop");
    assert_eq!(plan.warning, None);
    assert!(
        plan.description
            .starts_with("newest artifact a2 of backup nightly in place")
    );
    let value = serde_json::to_value(&plan.restore).unwrap();
    assert_eq!(value["apiVersion"], "ogf.dev/v1alpha1");
    assert_eq!(value["metadata"]["generateName"], "shop-restore-");
    assert_eq!(value["spec"]["marketplaceRef"]["name"], "shop");
    assert!(value["spec"].get("target").is_none());
    assert_eq!(value["spec"]["source"]["backupRef"]["name"], "nightly");
    assert!(value["spec"]["source"].get("artifactId").is_none());
    assert_eq!(
        value["spec"]["decryptionKeySecretRef"],
        serde_json::json!({"name": "restore-key", "key": "identity"})
    );
}

#[test]
fn into_bootstraps_a_new_marketplace_from_a_named_artifact() {
    let key = key();
    let request = RestoreRequest {
        artifact: Some("a1"),
        into: Some("shop-copy"),
        key: &key,
        name: Some("copy-1"),
    };
    let plan = plan_restore(&nightly(), &request).unwrap();
    assert_eq!(plan.marketplace, "shop-copy");
    let spec = &plan.restore.spec;
    assert_eq!(spec.marketplace_ref, None);
    assert_eq!(spec.target.as_ref().unwrap().name, "shop-copy");
    assert_eq!(spec.source.artifact_id.as_deref(), Some("a1"));
    assert_eq!(plan.restore.metadata.name.as_deref(), Some("copy-1"));
    assert_eq!(plan.restore.metadata.generate_name, None);
    assert!(
        plan.description
            .contains("into the new marketplace shop-copy")
    );
}

#[test]
fn unknown_artifacts_warn_and_empty_backups_refuse() {
    let key = key();
    let mut request = RestoreRequest {
        artifact: Some("old"),
        into: None,
        key: &key,
        name: None,
    };
    let plan = plan_restore(&nightly(), &request).unwrap();
    assert!(plan.warning.unwrap().contains("not in the history"));

    request.artifact = None;
    let err = plan_restore(&backup("empty", "shop"), &request).unwrap_err();
    assert_eq!(err.exit_code(), 1);
    assert!(err.to_string().contains("has no artifacts yet"), "{err}");
}

#[test]
fn only_unfinished_restores_of_the_same_marketplace_block() {
    let restores = vec![
        restore("done", "shop", Some("Succeeded")),
        restore("failed", "shop", Some("Failed")),
        restore("other", "other", Some("Running")),
    ];
    assert!(in_progress(&restores, "shop").is_none());
    let mut restores = restores;
    restores.push(restore("new", "shop", None));
    assert_eq!(in_progress(&restores, "shop").unwrap().name_any(), "new");
}
