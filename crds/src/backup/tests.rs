use serde_json::json;

use super::*;

fn spec(extra: serde_json::Value) -> BackupSpec {
    let mut base = json!({
        "marketplaceRef": {"name": "shop"},
        "destination": {"s3": {"bucket": "ogf-backups", "credentialsSecretRef": {"name": "s3"}}},
        "encryption": {"recipients": ["age1example"]}
    });
    if let (Some(base), Some(extra)) = (base.as_object_mut(), extra.as_object()) {
        base.extend(extra.clone());
    }
    serde_json::from_value(base).unwrap()
}

#[test]
fn minimal_spec_gets_defaults() {
    let spec = spec(json!({}));
    assert_eq!(spec.schedule, None);
    assert!(!spec.suspend);
    assert_eq!(spec.compression.level, 1);
    assert_eq!(spec.verify_policy(), Some(VerifyPolicy::Never));
    assert_eq!(spec.active_deadline_seconds, 3600);
    assert_eq!(spec.backoff_limit, 1);
    let s3 = spec.destination.s3.as_ref().unwrap();
    assert_eq!(s3.region, "us-east-1");
    assert!(!s3.force_path_style);
}

#[test]
fn verify_policy_reads_words_and_numbers() {
    assert_eq!(
        spec(json!({"verify": "always"})).verify_policy(),
        Some(VerifyPolicy::Always)
    );
    assert_eq!(
        spec(json!({"verify": 7})).verify_policy(),
        Some(VerifyPolicy::Every(7))
    );
    assert_eq!(
        spec(json!({"verify": "3"})).verify_policy(),
        Some(VerifyPolicy::Every(3))
    );
    assert_eq!(spec(json!({"verify": 0})).verify_policy(), None);
    assert_eq!(spec(json!({"verify": "sometimes"})).verify_policy(), None);
}

#[test]
fn destination_urls() {
    let s3 = spec(json!({})).destination;
    assert_eq!(s3.url("/unused").as_deref(), Some("s3://ogf-backups"));
    let prefixed: Destination = serde_json::from_value(json!({
        "s3": {"bucket": "b", "prefix": "/prod/shop/", "credentialsSecretRef": {"name": "s3"}}
    }))
    .unwrap();
    assert_eq!(prefixed.url("/x").as_deref(), Some("s3://b/prod/shop"));
    let volume: Destination = serde_json::from_value(json!({
        "volume": {"claimName": "backups", "path": "shop/"}
    }))
    .unwrap();
    assert_eq!(
        volume.url("/var/lib/ogf-backups/").as_deref(),
        Some("file:///var/lib/ogf-backups/shop")
    );
    assert_eq!(Destination::default().url("/x"), None);
}

#[test]
fn status_round_trips() {
    let status: BackupStatus = serde_json::from_value(json!({
        "successfulBackups": 2,
        "artifacts": [{
            "id": "shop-20261123t020000z", "time": "2026-11-23T02:00:07Z",
            "location": "s3://b/shop-20261123t020000z.ogfbak", "sizeBytes": 1024,
            "sha256": "ab", "counts": {"listings": 10}, "durationSeconds": 1.5, "verified": true
        }]
    }))
    .unwrap();
    assert_eq!(status.artifacts[0].counts["listings"], 10);
    let back = serde_json::to_value(&status).unwrap();
    assert_eq!(back["artifacts"][0]["sizeBytes"], 1024);
    assert_eq!(back["artifacts"][0]["verified"], true);
}
