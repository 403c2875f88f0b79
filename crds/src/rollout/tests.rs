use serde_json::json;

use super::*;

#[test]
fn minimal_spec_gets_defaults() {
    let spec: RolloutSpec = serde_json::from_value(json!({
        "marketplaceRef": {"name": "shop"}, "image": "ghcr.io/ogf-dev/ogf-api:1.1.0"
    }))
    .unwrap();
    let bg = &spec.strategy.blue_green;
    assert!(bg.auto_promote);
    assert_eq!(bg.auto_promote_after_seconds, 0);
    assert_eq!(bg.scale_down_delay_seconds, 30);
    assert_eq!(bg.abort_scale_down_delay_seconds, 30);
    assert_eq!(bg.preview_replicas, None);
    assert_eq!(spec.progress_deadline_seconds, 600);
    assert!(!spec.promote && !spec.abort);
}

#[test]
fn check_timing_defaults_and_flattening() {
    let check: Check = serde_json::from_value(json!({
        "name": "ready", "http": {"url": "http://x/readyz", "failureThreshold": 1}
    }))
    .unwrap();
    let timing = check.timing();
    assert_eq!(timing.failure_threshold, 1);
    assert_eq!(timing.interval_seconds, 5);
    assert_eq!(timing.success_threshold, 1);
    assert_eq!(check.http.as_ref().unwrap().expected_status, 200);
    let value = serde_json::to_value(&check).unwrap();
    assert_eq!(value["http"]["intervalSeconds"], 5);
}

#[test]
fn status_serializes_phases_as_words() {
    let status = RolloutStatus {
        phase: Phase::AwaitingPromotion,
        ..RolloutStatus::default()
    };
    assert_eq!(
        serde_json::to_value(&status).unwrap()["phase"],
        "AwaitingPromotion"
    );
    assert!(Phase::RolledBack.is_terminal() && !Phase::Promoting.is_terminal());
}

#[test]
fn migration_and_backup_steps_get_defaults() {
    let spec: RolloutSpec = serde_json::from_value(json!({
        "marketplaceRef": {"name": "shop"}, "image": "api:2",
        "preRolloutBackup": {"backupTemplateRef": {"name": "nightly"}},
        "migration": {"args": ["migrate"], "env": [{"name": "MODE", "value": "expand"}]}
    }))
    .unwrap();
    let migration = spec.migration.unwrap();
    assert_eq!(migration.deadline_seconds, 600);
    assert_eq!(migration.backoff_limit, 0);
    assert!(migration.command.is_empty());
    assert_eq!(migration.env[0].name, "MODE");
    assert_eq!(
        spec.pre_rollout_backup.unwrap().backup_template_ref.name,
        "nightly"
    );
    assert!(Phase::Migrating.as_str() == "Migrating" && !Phase::BackingUp.is_terminal());
}

#[test]
fn switch_timestamps_keep_sub_second_precision() {
    let status: RolloutStatus = serde_json::from_value(json!({
        "verifiedAt": "2026-01-02T03:04:05.123456Z", "switchedAt": "2026-01-02T03:04:05Z"
    }))
    .unwrap();
    let verified = status.verified_at.unwrap().0;
    assert_eq!(verified.subsec_millisecond(), 123);
    let back = serde_json::to_value(RolloutStatus {
        verified_at: Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime(
            verified,
        )),
        ..RolloutStatus::default()
    })
    .unwrap();
    assert_eq!(back["verifiedAt"], "2026-01-02T03:04:05.123456Z");
}

#[test]
fn config_overrides_replace_only_the_fields_given() {
    let spec: RolloutSpec = serde_json::from_value(json!({
        "marketplaceRef": {"name": "shop"}, "image": "api:2",
        "config": {"logLevel": "debug", "corsOrigins": [], "rateLimits": {"userPerMinute": 60}},
        "resources": {"requests": {"cpu": "250m"}}
    }))
    .unwrap();
    assert!(spec.overrides_config());
    let base = crate::marketplace::ApiConfig {
        cors_origins: vec!["https://a.example".into()],
        ..Default::default()
    };
    let merged = spec.config.as_ref().unwrap().apply_to(&base);
    assert_eq!(merged.log_level, crate::marketplace::LogLevel::Debug);
    assert!(merged.cors_origins.is_empty(), "the list is replaced");
    assert_eq!(merged.rate_limits.user_per_minute, 60);
    assert_eq!(
        merged.rate_limits.auth_per_minute, base.rate_limits.auth_per_minute,
        "fields not given keep the Marketplace's value"
    );
    assert_eq!(merged.cache_ttls, base.cache_ttls);
    let value = serde_json::to_value(&spec).unwrap();
    assert!(value["config"].get("cacheTtls").is_none());
    assert_eq!(value["resources"]["requests"]["cpu"], "250m");
}

#[test]
fn a_rollout_without_overrides_changes_only_the_image() {
    let spec: RolloutSpec = serde_json::from_value(json!({
        "marketplaceRef": {"name": "shop"}, "image": "api:2"
    }))
    .unwrap();
    assert!(!spec.overrides_config());
    assert!(serde_json::to_value(&spec).unwrap().get("config").is_none());
}
