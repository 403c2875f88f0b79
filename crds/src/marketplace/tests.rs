use serde_json::json;

use super::*;

fn minimal() -> serde_json::Value {
    json!({
        "image": "ghcr.io/ogf-dev/ogf-api:1.0.0",
        "database": {"mongodb": {"uriSecretRef": {"name": "mongo", "key": "uri"}, "database": "ogf"}}
    })
}

#[test]
fn minimal_spec_gets_defaults() {
    let spec: MarketplaceSpec = serde_json::from_value(minimal()).unwrap();
    assert_eq!(spec.replicas, DEFAULT_REPLICAS);
    assert_eq!(spec.service.port, 8080);
    assert_eq!(spec.service.type_, ServiceType::ClusterIP);
    assert_eq!(spec.config.log_level, LogLevel::Info);
    assert_eq!(spec.config.rate_limits.auth_per_minute, 5);
    assert_eq!(spec.config.rate_limits.anonymous_per_day, 200);
    assert_eq!(spec.config.cache_ttls, CacheTtls::default());
    assert!(!spec.paused);
    assert!(!spec.network_policy.enabled);
    assert!(!spec.monitoring.service_monitor.enabled);
    assert!(spec.jwt_secret_ref.is_none() && spec.ingress.is_none() && spec.autoscaling.is_none());
    assert!(matches!(spec.database.kind(), Some(DatabaseKind::MongoDb(m)) if m.database == "ogf"));
}

#[test]
fn spec_round_trips_through_serde() {
    let spec: MarketplaceSpec = serde_json::from_value(minimal()).unwrap();
    let value = serde_json::to_value(&spec).unwrap();
    assert_eq!(value["replicas"], 2);
    assert_eq!(value["service"]["type"], "ClusterIP");
    assert_eq!(value["config"]["logLevel"], "info");
    assert!(
        value.get("ingress").is_none(),
        "absent optionals are not serialized"
    );
    let again: MarketplaceSpec = serde_json::from_value(value).unwrap();
    assert_eq!(again, spec);
}

#[test]
fn full_spec_round_trips_through_serde() {
    let value = json!({
        "image": "ogf-api:2",
        "replicas": 3,
        "resources": {"requests": {"cpu": "250m", "memory": "256Mi"}},
        "config": {"logLevel": "debug", "corsOrigins": ["https://a.example"],
                   "rateLimits": {"authPerMinute": 10, "anonymousPerDay": 0, "userPerMinute": 100},
                   "cacheTtls": {"listingsSeconds": 5, "marketDataSeconds": 60}},
        "database": {"mongodb": {"uriSecretRef": {"name": "m", "key": "uri"}, "database": "ogf"}},
        "jwtSecretRef": {"name": "jwt", "key": "key"},
        "service": {"type": "LoadBalancer", "port": 443, "annotations": {"a": "b"}},
        "ingress": {"className": "nginx", "host": "api.example.com", "tlsSecretName": "tls"},
        "autoscaling": {"minReplicas": 2, "maxReplicas": 6, "targetCPUUtilizationPercentage": 60},
        "podDisruptionBudget": {"enabled": true, "minAvailable": "50%"},
        "networkPolicy": {"enabled": true, "allowedNamespaces": ["ingress-nginx"]},
        "monitoring": {"serviceMonitor": {"enabled": true, "interval": "30s"}},
        "imagePullSecrets": [{"name": "regcred"}],
        "nodeSelector": {"disk": "ssd"},
        "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "ogf", "effect": "NoSchedule"}],
        "paused": true
    });
    let spec: MarketplaceSpec = serde_json::from_value(value.clone()).unwrap();
    assert_eq!(spec.service.type_, ServiceType::LoadBalancer);
    assert_eq!(
        spec.autoscaling
            .as_ref()
            .map(|a| a.target_cpu_utilization_percentage),
        Some(60)
    );
    assert_eq!(spec.min_replicas(), 2);
    assert_eq!(serde_json::to_value(&spec).unwrap(), value);
}

#[test]
fn embedded_store_defaults_its_volume() {
    let spec: MarketplaceSpec =
        serde_json::from_value(json!({"image": "i", "replicas": 1, "database": {"embedded": {}}}))
            .unwrap();
    let Some(DatabaseKind::Embedded(store)) = spec.database.kind() else {
        panic!("embedded expected")
    };
    assert_eq!(store.storage_size, "10Gi");
    assert_eq!(spec.database.kind().map(|k| k.as_str()), Some("embedded"));
}

#[test]
fn database_kind_needs_exactly_one_store() {
    assert_eq!(DatabaseSpec::default().kind(), None);
    let both = DatabaseSpec {
        embedded: Some(EmbeddedStore::default()),
        mongodb: Some(MongoDbStore {
            uri_secret_ref: SecretKeyRef {
                name: "m".into(),
                key: "k".into(),
            },
            database: "d".into(),
        }),
    };
    assert_eq!(both.kind(), None);
}

#[test]
fn colors_alternate() {
    assert_eq!(Color::Blue.other(), Color::Green);
    assert_eq!(Color::Green.other().as_str(), "blue");
    assert_eq!(serde_json::to_value(Color::Green).unwrap(), "green");
    assert_eq!(Color::default(), Color::Blue);
}

#[test]
fn status_serializes_in_camel_case() {
    let status = MarketplaceStatus {
        observed_generation: Some(3),
        ready_replicas: Some(2),
        active_color: Some(Color::Green),
        ..Default::default()
    };
    let value = serde_json::to_value(&status).unwrap();
    assert_eq!(
        value,
        json!({"observedGeneration": 3, "readyReplicas": 2, "activeColor": "green"})
    );
}
