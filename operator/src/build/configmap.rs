//! The ConfigMaps `<name>-config-<color>` carrying a color's API settings as `OGF_*` variables.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::ConfigMap;
use ogf_crds::Color;
use ogf_crds::marketplace::ApiConfig;

use super::owner::Owner;

/// The ConfigMap's data: one `OGF_*` variable per setting.
pub fn data(config: &ApiConfig) -> BTreeMap<String, String> {
    let limits = &config.rate_limits;
    let ttls = &config.cache_ttls;
    BTreeMap::from([
        ("OGF_LOG_LEVEL".into(), config.log_level.as_str().into()),
        ("OGF_CORS_ORIGINS".into(), config.cors_origins.join(",")),
        (
            "OGF_RATE_LIMIT_AUTH_PER_MINUTE".into(),
            limits.auth_per_minute.to_string(),
        ),
        (
            "OGF_RATE_LIMIT_ANONYMOUS_PER_DAY".into(),
            limits.anonymous_per_day.to_string(),
        ),
        (
            "OGF_RATE_LIMIT_USER_PER_MINUTE".into(),
            limits.user_per_minute.to_string(),
        ),
        (
            "OGF_CACHE_TTL_LISTINGS_SECONDS".into(),
            ttls.listings_seconds.to_string(),
        ),
        (
            "OGF_CACHE_TTL_MARKET_DATA_SECONDS".into(),
            ttls.market_data_seconds.to_string(),
        ),
    ])
}

/// The ConfigMap of `color` for `config`.
pub fn build(owner: &Owner, config: &ApiConfig, color: Color) -> ConfigMap {
    ConfigMap {
        metadata: owner.meta(owner.config_map_name(color), Some(color)),
        data: Some(data(config)),
        ..ConfigMap::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::build::test_support::{marketplace, with_spec};
    use serde_json::json;

    #[test]
    fn defaults_land_in_the_data() {
        let mkt = marketplace();
        let cm = build(&Owner::of(&mkt).unwrap(), &mkt.spec.config, Color::Green);
        assert_eq!(cm.metadata.name.as_deref(), Some("demo-config-green"));
        let labels = cm.metadata.labels.clone().unwrap();
        assert_eq!(labels["ogf.dev/color"], "green");
        let data = cm.data.unwrap();
        assert_eq!(data["OGF_LOG_LEVEL"], "info");
        assert_eq!(data["OGF_CORS_ORIGINS"], "");
        assert_eq!(data["OGF_RATE_LIMIT_AUTH_PER_MINUTE"], "5");
        assert_eq!(data["OGF_RATE_LIMIT_ANONYMOUS_PER_DAY"], "200");
        assert_eq!(data["OGF_CACHE_TTL_MARKET_DATA_SECONDS"], "300");
    }

    #[test]
    fn every_config_field_lands() {
        let mkt = with_spec(json!({
            "image": "i",
            "database": {"embedded": {}},
            "replicas": 1,
            "config": {"logLevel": "warn", "corsOrigins": ["https://a", "https://b"],
                       "rateLimits": {"authPerMinute": 1, "anonymousPerDay": 2, "userPerMinute": 3},
                       "cacheTtls": {"listingsSeconds": 4, "marketDataSeconds": 5}}
        }));
        let data = data(&mkt.spec.config);
        let expected = [
            ("OGF_LOG_LEVEL", "warn"),
            ("OGF_CORS_ORIGINS", "https://a,https://b"),
            ("OGF_RATE_LIMIT_AUTH_PER_MINUTE", "1"),
            ("OGF_RATE_LIMIT_ANONYMOUS_PER_DAY", "2"),
            ("OGF_RATE_LIMIT_USER_PER_MINUTE", "3"),
            ("OGF_CACHE_TTL_LISTINGS_SECONDS", "4"),
            ("OGF_CACHE_TTL_MARKET_DATA_SECONDS", "5"),
        ];
        for (key, value) in expected {
            assert_eq!(data[key], value, "{key}");
        }
        assert_eq!(data.len(), expected.len());
    }
}
