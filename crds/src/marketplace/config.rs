//! Runtime settings of the API, handed to it through a ConfigMap.

use kube::KubeSchema;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Settings of the API process.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct ApiConfig {
    /// Log level of the API.
    #[serde(default)]
    pub log_level: LogLevel,
    /// Origins allowed by CORS, e.g. `https://app.example.com`; none when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cors_origins: Vec<String>,
    /// Request rate limits.
    #[serde(default)]
    pub rate_limits: RateLimits,
    /// Cache lifetimes.
    #[serde(default)]
    pub cache_ttls: CacheTtls,
}

/// Log level of the API.
#[derive(JsonSchema, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    /// Everything, including per-request detail.
    Trace,
    /// Diagnostic detail.
    Debug,
    /// Normal operation.
    #[default]
    Info,
    /// Recoverable problems.
    Warn,
    /// Failures only.
    Error,
}

impl LogLevel {
    /// The level as the API reads it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Trace => "trace",
            Self::Debug => "debug",
            Self::Info => "info",
            Self::Warn => "warn",
            Self::Error => "error",
        }
    }
}

/// Request rate limits (0 disables a limit).
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct RateLimits {
    /// Requests per minute per client IP on the authentication endpoints.
    #[serde(default = "default_auth_per_minute")]
    #[schemars(range(min = 0))]
    pub auth_per_minute: i32,
    /// Requests per day per anonymous client on the general API.
    #[serde(default = "default_anonymous_per_day")]
    #[schemars(range(min = 0))]
    pub anonymous_per_day: i32,
    /// Requests per minute per authenticated user on the general API.
    #[serde(default = "default_user_per_minute")]
    #[schemars(range(min = 0))]
    pub user_per_minute: i32,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            auth_per_minute: default_auth_per_minute(),
            anonymous_per_day: default_anonymous_per_day(),
            user_per_minute: default_user_per_minute(),
        }
    }
}

fn default_auth_per_minute() -> i32 {
    5
}

fn default_anonymous_per_day() -> i32 {
    200
}

fn default_user_per_minute() -> i32 {
    600
}

/// Cache lifetimes in seconds (0 disables a cache).
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct CacheTtls {
    /// Listing search results.
    #[serde(default = "default_listings_seconds")]
    #[schemars(range(min = 0))]
    pub listings_seconds: i32,
    /// Market data (prices, indices).
    #[serde(default = "default_market_data_seconds")]
    #[schemars(range(min = 0))]
    pub market_data_seconds: i32,
}

impl Default for CacheTtls {
    fn default() -> Self {
        Self {
            listings_seconds: default_listings_seconds(),
            market_data_seconds: default_market_data_seconds(),
        }
    }
}

fn default_listings_seconds() -> i32 {
    30
}

fn default_market_data_seconds() -> i32 {
    300
}
