//! Configuration overrides: what the new color runs with besides the new image.
//!
//! A Rollout may change the API settings (`config`) and the container resources (`resources`)
//! together with the image. The new color runs with them while the Rollout verifies it; on
//! success they become the Marketplace's `spec.config` and `spec.resources`; an abort or a
//! rollback discards them (the old color keeps its own configuration throughout).

use kube::KubeSchema;
use serde::{Deserialize, Serialize};

use crate::marketplace::{ApiConfig, CacheTtls, LogLevel, RateLimits};

/// API settings that replace the Marketplace's `spec.config` fields of the same name; a field
/// left out keeps the Marketplace's value.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new(
    "has(self.logLevel) || has(self.corsOrigins) || has(self.rateLimits) || has(self.cacheTtls)"
).message("config must override at least one of logLevel, corsOrigins, rateLimits, cacheTtls"))]
pub struct ApiConfigOverride {
    /// Replaces `spec.config.logLevel`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_level: Option<LogLevel>,
    /// Replaces `spec.config.corsOrigins` (the whole list; `[]` allows no origin).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 32), inner(length(min = 1, max = 253)))]
    #[x_kube(validation = Rule::new(
        "self.all(o, o.matches('^https?://[^/ ,]+$'))"
    ).message("corsOrigins must be origins like https://app.example.com (scheme and host, no path, no trailing slash)"))]
    pub cors_origins: Option<Vec<String>>,
    /// Replaces the given fields of `spec.config.rateLimits`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limits: Option<RateLimitsOverride>,
    /// Replaces the given fields of `spec.config.cacheTtls`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_ttls: Option<CacheTtlsOverride>,
}

/// Rate limits replacing the Marketplace's, field by field (0 disables a limit).
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new(
    "has(self.authPerMinute) || has(self.anonymousPerDay) || has(self.userPerMinute)"
).message("rateLimits must override at least one limit"))]
pub struct RateLimitsOverride {
    /// Replaces `rateLimits.authPerMinute`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub auth_per_minute: Option<i32>,
    /// Replaces `rateLimits.anonymousPerDay`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub anonymous_per_day: Option<i32>,
    /// Replaces `rateLimits.userPerMinute`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub user_per_minute: Option<i32>,
}

/// Cache lifetimes replacing the Marketplace's, field by field (0 disables a cache).
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("has(self.listingsSeconds) || has(self.marketDataSeconds)")
    .message("cacheTtls must override at least one lifetime"))]
pub struct CacheTtlsOverride {
    /// Replaces `cacheTtls.listingsSeconds`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub listings_seconds: Option<i32>,
    /// Replaces `cacheTtls.marketDataSeconds`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub market_data_seconds: Option<i32>,
}

impl ApiConfigOverride {
    /// `base` with every field given here replaced.
    pub fn apply_to(&self, base: &ApiConfig) -> ApiConfig {
        let mut config = base.clone();
        if let Some(level) = self.log_level {
            config.log_level = level;
        }
        if let Some(origins) = &self.cors_origins {
            config.cors_origins.clone_from(origins);
        }
        if let Some(limits) = &self.rate_limits {
            limits.apply_to(&mut config.rate_limits);
        }
        if let Some(ttls) = &self.cache_ttls {
            ttls.apply_to(&mut config.cache_ttls);
        }
        config
    }
}

impl RateLimitsOverride {
    fn apply_to(&self, limits: &mut RateLimits) {
        set(&mut limits.auth_per_minute, self.auth_per_minute);
        set(&mut limits.anonymous_per_day, self.anonymous_per_day);
        set(&mut limits.user_per_minute, self.user_per_minute);
    }
}

impl CacheTtlsOverride {
    fn apply_to(&self, ttls: &mut CacheTtls) {
        set(&mut ttls.listings_seconds, self.listings_seconds);
        set(&mut ttls.market_data_seconds, self.market_data_seconds);
    }
}

fn set(field: &mut i32, value: Option<i32>) {
    if let Some(value) = value {
        *field = value;
    }
}

/// An admission rule on a Rollout's `resources`: cpu and memory values are quantities.
pub const QUANTITIES_RULE: &str = "['cpu', 'memory'].all(k, \
    (!has(self.limits) || !(k in self.limits) || isQuantity(string(self.limits[k]))) \
    && (!has(self.requests) || !(k in self.requests) || isQuantity(string(self.requests[k]))))";

/// An admission rule on a Rollout's `resources`: for cpu and memory, a limit is not below
/// its request (other mistakes, such as an unknown resource name, are reported by the dry run
/// the operator does before the Rollout starts: `Failed`, reason `InvalidConfigOverride`).
pub const RESOURCES_RULE: &str = "!has(self.limits) || !has(self.requests) || ['cpu', 'memory'].all(k, \
    !(k in self.limits) || !(k in self.requests) \
    || !isQuantity(string(self.limits[k])) || !isQuantity(string(self.requests[k])) \
    || quantity(string(self.limits[k])).compareTo(quantity(string(self.requests[k]))) >= 0)";
