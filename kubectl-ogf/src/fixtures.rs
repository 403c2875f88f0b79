//! Objects for the unit tests, built from the smallest valid specs.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use ogf_crds::backup::Artifact;
use ogf_crds::{Backup, BackupStatus, Marketplace, Restore};
use serde_json::json;

/// A timestamp from RFC 3339.
pub fn ts(s: &str) -> k8s_openapi::jiff::Timestamp {
    s.parse().expect("RFC 3339 timestamp")
}

/// A Marketplace on the embedded store.
pub fn marketplace(name: &str, image: &str) -> Marketplace {
    serde_json::from_value(json!({
        "apiVersion": "ogf.dev/v1alpha1",
        "kind": "Marketplace",
        "metadata": {"name": name, "namespace": "ogf"},
        "spec": {"image": image, "replicas": 1, "database": {"embedded": {}}},
    }))
    .expect("valid Marketplace")
}

/// A nightly Backup of `marketplace` to S3, without status.
pub fn backup(name: &str, marketplace: &str) -> Backup {
    serde_json::from_value(json!({
        "apiVersion": "ogf.dev/v1alpha1",
        "kind": "Backup",
        "metadata": {"name": name, "namespace": "ogf"},
        "spec": {
            "marketplaceRef": {"name": marketplace},
            "schedule": "0 2 * * *",
            "destination": {"s3": {"bucket": "b", "credentialsSecretRef": {"name": "s3"}}},
            "encryption": {"recipients": ["age1xyz"]},
        },
    }))
    .expect("valid Backup")
}

/// An artifact finished at `time`.
pub fn artifact(id: &str, time: &str, size: i64, verified: Option<bool>) -> Artifact {
    Artifact {
        id: id.into(),
        time: Time(ts(time)),
        location: format!("s3://b/{id}.ogfbak"),
        size_bytes: size,
        sha256: "ab".repeat(32),
        counts: Default::default(),
        duration_seconds: 1.5,
        verified,
    }
}

/// `backup` with these artifacts (newest first) and times in status.
pub fn with_artifacts(mut backup: Backup, artifacts: Vec<Artifact>) -> Backup {
    let last = artifacts.first().map(|a| a.time.clone());
    backup.status = Some(BackupStatus {
        last_successful_time: last,
        artifacts,
        ..BackupStatus::default()
    });
    backup
}

/// A Restore of `marketplace` (in place) in `phase`.
pub fn restore(name: &str, marketplace: &str, phase: Option<&str>) -> Restore {
    let mut value = json!({
        "apiVersion": "ogf.dev/v1alpha1",
        "kind": "Restore",
        "metadata": {"name": name, "namespace": "ogf"},
        "spec": {
            "marketplaceRef": {"name": marketplace},
            "source": {"backupRef": {"name": "nightly"}},
            "decryptionKeySecretRef": {"name": "k", "key": "identity"},
        },
    });
    if let Some(phase) = phase {
        value["status"] =
            json!({"phase": phase, "artifactId": "a1", "startTime": "2026-01-10T11:55:00Z"});
    }
    serde_json::from_value(value).expect("valid Restore")
}
