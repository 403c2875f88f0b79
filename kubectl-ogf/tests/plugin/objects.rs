//! The objects the plugin tests create, in their JSON form, and the statuses the operator
//! would write for them.

use serde_json::{Value, json};

use super::harness::ago;

/// A Marketplace on the embedded store.
pub fn marketplace(name: &str, image: &str) -> Value {
    json!({
        "apiVersion": "ogf.dev/v1alpha1", "kind": "Marketplace",
        "metadata": {"name": name},
        "spec": {"image": image, "replicas": 1, "database": {"embedded": {}}},
    })
}

/// The status the operator writes for a ready Marketplace running `image` on green.
pub fn ready_status(image: &str) -> Value {
    json!({
        "conditions": [{
            "type": "Ready", "status": "True", "reason": "AllReplicasReady",
            "message": "1 of 1 replicas ready", "lastTransitionTime": ago(600),
        }],
        "replicas": 1, "readyReplicas": 1, "image": image, "activeColor": "green",
        "endpoint": "http://shop.example.svc:8080",
    })
}

/// A nightly Backup of `marketplace`.
pub fn backup(name: &str, marketplace: &str) -> Value {
    json!({
        "apiVersion": "ogf.dev/v1alpha1", "kind": "Backup",
        "metadata": {"name": name},
        "spec": {
            "marketplaceRef": {"name": marketplace},
            "schedule": "0 2 * * *",
            "destination": {"s3": {"bucket": "ogf-backups", "credentialsSecretRef": {"name": "s3"}}},
            "encryption": {"recipients": ["age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"]},
        },
    })
}

/// A Backup status with two artifacts, the newest verified.
pub fn backup_status() -> Value {
    let artifact = |id: &str, seconds_ago: u64, size: i64, verified: Option<bool>| {
        let mut a = json!({
            "id": id, "time": ago(seconds_ago), "location": format!("s3://ogf-backups/{id}.ogfbak"),
            "sizeBytes": size, "sha256": "ab".repeat(32), "durationSeconds": 4.2,
        });
        if let Some(v) = verified {
            a["verified"] = json!(v);
        }
        a
    };
    json!({
        "lastSuccessfulTime": ago(3600), "lastScheduleTime": ago(3700),
        "successfulBackups": 2,
        "artifacts": [
            artifact("nightly-20260110t020000z", 3600, 12_897_484, Some(true)),
            artifact("nightly-20260109t020000z", 90_000, 2048, None),
        ],
    })
}

/// A Rollout of `marketplace` to `image`.
pub fn rollout(name: &str, marketplace: &str, image: &str) -> Value {
    json!({
        "apiVersion": "ogf.dev/v1alpha1", "kind": "Rollout",
        "metadata": {"name": name},
        "spec": {"marketplaceRef": {"name": marketplace}, "image": image},
    })
}

/// A status in `phase` with one history step per phase given.
pub fn rollout_status(phase: &str, steps: &[&str], stable: &str) -> Value {
    let steps: Vec<Value> = steps
        .iter()
        .enumerate()
        .map(|(i, p)| json!({"phase": p, "at": ago(300 - 10 * i as u64), "message": format!("entered {p}")}))
        .collect();
    json!({"phase": phase, "stableImage": stable, "steps": steps, "message": format!("now {phase}")})
}

/// The name in a `<kind>.ogf.dev/<name> <verb> (...)` line.
pub fn created_name(stdout: &str, kind: &str) -> String {
    let prefix = format!("{kind}.ogf.dev/");
    let rest = stdout
        .trim()
        .strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("{prefix}... in {stdout}"));
    rest.split_whitespace().next().expect("name").to_string()
}
