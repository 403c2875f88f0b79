use serde_json::json;

use super::*;
use crate::build::test_support::{marketplace, with_spec};

fn spec(extra: Value) -> RolloutSpec {
    let mut spec = json!({"marketplaceRef": {"name": "demo"}, "image": "ogf-api:2"});
    if let (Some(spec), Some(extra)) = (spec.as_object_mut(), extra.as_object()) {
        spec.extend(extra.clone());
    }
    serde_json::from_value(spec).unwrap()
}

#[test]
fn replacing_removes_what_only_the_live_object_has() {
    let live = json!({"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "1"}});
    let wanted = json!({"limits": {"memory": "2Gi"}});
    assert_eq!(
        replacing(&live, &wanted),
        json!({"limits": {"cpu": null, "memory": "2Gi"}, "requests": null})
    );
    assert_eq!(replacing(&json!(null), &wanted), wanted);
}

#[test]
fn without_overrides_the_spec_is_left_alone() {
    assert_eq!(
        spec_config_patch(&marketplace(), &spec(json!({}))).unwrap(),
        None
    );
}

#[test]
fn overrides_become_the_marketplace_spec_as_wholes() {
    let mut mkt = with_spec(json!({
        "image": "ogf-api:1",
        "database": {"mongodb": {"uriSecretRef": {"name": "m", "key": "k"}, "database": "d"}},
        "config": {"corsOrigins": ["https://a.example"], "logLevel": "warn"},
        "resources": {"limits": {"cpu": "2", "memory": "1Gi"}}
    }));
    mkt.metadata.resource_version = Some("42".into());
    let rollout = spec(json!({
        "config": {"corsOrigins": [], "rateLimits": {"userPerMinute": 60}},
        "resources": {"requests": {"cpu": "100m"}}
    }));
    let patch = spec_config_patch(&mkt, &rollout).unwrap().unwrap();
    assert_eq!(patch["metadata"]["resourceVersion"], "42");
    let config = &patch["spec"]["config"];
    assert_eq!(config["corsOrigins"], Value::Null, "emptied list removed");
    assert_eq!(config["logLevel"], "warn", "kept");
    assert_eq!(config["rateLimits"]["userPerMinute"], 60);
    assert_eq!(
        patch["spec"]["resources"],
        json!({"limits": null, "requests": {"cpu": "100m"}})
    );

    // Once applied, nothing is left to change: the reconciler builds what the Rollout ran.
    let mut applied = serde_json::to_value(&mkt).unwrap();
    merge(&mut applied, &patch);
    let applied: Marketplace = serde_json::from_value(applied).unwrap();
    assert_eq!(applied.spec, build::for_rollout(&mkt, &rollout).spec);
    assert_eq!(spec_config_patch(&applied, &rollout).unwrap(), None);
}

/// RFC 7386, as the API server applies a merge patch.
fn merge(target: &mut Value, patch: &Value) {
    match (target.as_object_mut(), patch.as_object()) {
        (Some(target), Some(patch)) => {
            for (key, value) in patch {
                if value.is_null() {
                    target.remove(key);
                } else {
                    merge(target.entry(key.clone()).or_insert(Value::Null), value);
                }
            }
        }
        _ => *target = patch.clone(),
    }
}
