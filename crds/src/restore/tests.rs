use serde_json::json;

use super::*;

#[test]
fn in_place_and_target_name_the_marketplace() {
    let in_place: RestoreSpec = serde_json::from_value(json!({
        "marketplaceRef": {"name": "shop"},
        "source": {"backupRef": {"name": "nightly"}},
        "decryptionKeySecretRef": {"name": "age", "key": "identity"}
    }))
    .unwrap();
    assert_eq!(in_place.marketplace_name(), Some("shop"));
    assert_eq!(in_place.active_deadline_seconds, 3600);
    assert_eq!(in_place.source.artifact_id, None);

    let target: RestoreSpec = serde_json::from_value(json!({
        "target": {"name": "shop-copy"},
        "source": {"location": {"volume": {"claimName": "backups"}}, "artifactId": "x1"},
        "decryptionKeySecretRef": {"name": "age", "key": "identity"}
    }))
    .unwrap();
    assert_eq!(target.marketplace_name(), Some("shop-copy"));
}

#[test]
fn phases_are_words_and_terminal_ones_are_known() {
    let status = RestoreStatus {
        phase: RestorePhase::Swapping,
        ..RestoreStatus::default()
    };
    assert_eq!(serde_json::to_value(&status).unwrap()["phase"], "Swapping");
    assert!(RestorePhase::Succeeded.is_terminal());
    assert!(RestorePhase::Failed.is_terminal());
    assert!(!RestorePhase::Running.is_terminal());
}
