//! Command-line flags and `OGF_*` environment variables of `ogf-api serve`, and their
//! translation into [`Settings`]. The variable names match what the operator sets.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use axum::http::HeaderValue;
use chrono::TimeDelta;
use clap::{Args, ValueEnum};
use ipnet::IpNet;

use crate::auth::{AuthPolicy, Environment, JwtSecret, SecretError};
use crate::settings::{RateLimits, Settings};

/// Default listen address.
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
/// Older name of `OGF_BIND_ADDR`, still read when `OGF_BIND_ADDR` is unset.
pub const LEGACY_BIND_ENV: &str = "OGF_BIND";

/// Which store to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StoreChoice {
    /// SQLite in `--data-dir` (no service needed).
    Embedded,
    /// A MongoDB-compatible server at `--mongodb-uri`.
    Mongodb,
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// One JSON object per line (production).
    Json,
    /// Human-readable.
    Pretty,
}

/// `development` or `production`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EnvironmentChoice {
    /// Local development: a missing JWT key is replaced by an ephemeral one (with a warning).
    Development,
    /// Deployed: a missing JWT key is a start-up error.
    Production,
}

/// A configuration value that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The JWT key is missing (production) or too short.
    #[error(transparent)]
    Secret(#[from] SecretError),
    /// A value is malformed.
    #[error("{name}: {message}")]
    Invalid {
        /// The variable or flag.
        name: &'static str,
        /// Why.
        message: String,
    },
}

/// Options of `serve`. Secrets (`--jwt-secret`, `--mongodb-uri`, `--admin-password`) are
/// better passed through the environment: command lines are visible to other processes.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8080; env OGF_BIND is read too].
    #[arg(long, env = "OGF_BIND_ADDR")]
    pub bind: Option<SocketAddr>,
    /// Which store to use.
    #[arg(long, env = "OGF_STORE", value_enum, default_value_t = StoreChoice::Embedded)]
    pub store: StoreChoice,
    /// Data directory of the embedded store.
    #[arg(long, env = "OGF_DATA_DIR", default_value = "./.ogf-data")]
    pub data_dir: PathBuf,
    /// MongoDB connection string (required with `--store mongodb`; never logged).
    #[arg(long, env = "OGF_MONGODB_URI", hide_env_values = true)]
    pub mongodb_uri: Option<String>,
    /// MongoDB database name.
    #[arg(long, env = "OGF_MONGODB_DATABASE", default_value = "ogf")]
    pub mongodb_database: String,
    /// Log format.
    #[arg(long, env = "OGF_LOG_FORMAT", value_enum, default_value_t = LogFormat::Pretty)]
    pub log_format: LogFormat,
    /// Log level or filter (`info`, `debug`, `ogf_api=debug`); OGF_LOG and RUST_LOG override.
    #[arg(long, env = "OGF_LOG_LEVEL")]
    pub log_level: Option<String>,
    /// Demo listings to load when the store is empty at start-up (0: none).
    #[arg(long, env = "OGF_DEMO_DATA", default_value_t = 500)]
    pub demo_data: usize,
    /// `production` refuses to start without a JWT key.
    #[arg(long, env = "OGF_ENVIRONMENT", value_enum, default_value_t = EnvironmentChoice::Development)]
    pub environment: EnvironmentChoice,
    /// HS256 signing key of access tokens, at least 32 bytes (never printed).
    #[arg(long, env = "OGF_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,
    /// Access-token lifetime, seconds.
    #[arg(long, env = "OGF_ACCESS_TOKEN_TTL_SECONDS", default_value_t = 900)]
    pub access_token_ttl_seconds: u32,
    /// Refresh-token lifetime, seconds.
    #[arg(long, env = "OGF_REFRESH_TOKEN_TTL_SECONDS", default_value_t = 604_800)]
    pub refresh_token_ttl_seconds: u32,
    /// How long a checked session may be served from the in-process session cache, seconds
    /// (0: no cache). Sign-out and revocation invalidate it at once in the same process;
    /// other replicas may accept a revoked session for at most this long.
    #[arg(long, env = "OGF_SESSION_CACHE_TTL_SECONDS", default_value_t = 5)]
    pub session_cache_ttl_seconds: u32,
    /// Failed sign-ins within the lockout window that lock an account out (0: never).
    #[arg(long, env = "OGF_LOCKOUT_FAILURES", default_value_t = 5)]
    pub lockout_failures: u32,
    /// Lockout window, seconds.
    #[arg(long, env = "OGF_LOCKOUT_WINDOW_SECONDS", default_value_t = 900)]
    pub lockout_window_seconds: u32,
    /// Requests per minute per client IP on `/api/v1/auth/*` (0: unlimited).
    #[arg(long, env = "OGF_RATE_LIMIT_AUTH_PER_MINUTE", default_value_t = 5)]
    pub rate_limit_auth_per_minute: u32,
    /// Requests per day per anonymous client IP on the rest of `/api/` (0: unlimited).
    #[arg(long, env = "OGF_RATE_LIMIT_ANONYMOUS_PER_DAY", default_value_t = 200)]
    pub rate_limit_anonymous_per_day: u32,
    /// Requests per minute per signed-in user on the rest of `/api/` (0: unlimited).
    #[arg(long, env = "OGF_RATE_LIMIT_USER_PER_MINUTE", default_value_t = 600)]
    pub rate_limit_user_per_minute: u32,
    /// Bids, offers, counters, messages and NDA requests per minute per user (0: unlimited).
    #[arg(long, env = "OGF_RATE_LIMIT_TRADING_PER_MINUTE", default_value_t = 20)]
    pub rate_limit_trading_per_minute: u32,
    /// Largest request body, bytes.
    #[arg(long, env = "OGF_BODY_LIMIT_BYTES", default_value_t = 1_048_576)]
    pub body_limit_bytes: usize,
    /// Largest data-room upload (one file), bytes (at most 15 MiB).
    #[arg(long, env = "OGF_UPLOAD_MAX_BYTES", default_value_t = crate::settings::DEFAULT_UPLOAD_MAX_BYTES)]
    pub upload_max_bytes: usize,
    /// Data-room storage per seller, bytes.
    #[arg(long, env = "OGF_UPLOAD_QUOTA_BYTES", default_value_t = crate::settings::DEFAULT_UPLOAD_QUOTA_BYTES)]
    pub upload_quota_bytes: u64,
    /// Request timeout, seconds.
    #[arg(long, env = "OGF_REQUEST_TIMEOUT_SECONDS", default_value_t = 30)]
    pub request_timeout_seconds: u64,
    /// After SIGTERM, seconds to keep serving while draining (`/readyz` fails, responses
    /// close their connections) before the server stops accepting; SIGINT stops at once.
    #[arg(long, env = "OGF_SHUTDOWN_DELAY_SECONDS", default_value_t = 5)]
    pub shutdown_delay_seconds: u64,
    /// CORS allow-list, comma-separated origins (`https://app.example.com`); empty: none.
    #[arg(long, env = "OGF_CORS_ORIGINS", default_value = "")]
    pub cors_origins: String,
    /// Proxies whose X-Forwarded-For is believed, comma-separated IPs or CIDRs; empty: none.
    #[arg(long, env = "OGF_TRUSTED_PROXIES", default_value = "")]
    pub trusted_proxies: String,
    /// Listing search cache lifetime, seconds (0: no cache).
    #[arg(long, env = "OGF_CACHE_TTL_LISTINGS_SECONDS", default_value_t = 600)]
    pub cache_ttl_listings_seconds: u32,
    /// Analytics response cache lifetime, seconds (0: no cache).
    #[arg(long, env = "OGF_CACHE_TTL_ANALYTICS_SECONDS", default_value_t = 1800)]
    pub cache_ttl_analytics_seconds: u32,
    /// Public profile cache lifetime, seconds (0: no cache).
    #[arg(long, env = "OGF_CACHE_TTL_PROFILES_SECONDS", default_value_t = 3600)]
    pub cache_ttl_profiles_seconds: u32,
    /// Market-data response cache lifetime, seconds (0: no cache).
    #[arg(long, env = "OGF_CACHE_TTL_MARKET_DATA_SECONDS", default_value_t = 300)]
    pub cache_ttl_market_data_seconds: u32,
    /// E-mail of the admin created on first run (when the store has no admin).
    #[arg(long, env = "OGF_ADMIN_EMAIL", default_value = crate::auth::bootstrap::DEFAULT_ADMIN_EMAIL)]
    pub admin_email: String,
    /// Password of that admin; when absent one is generated and printed once on stdout.
    #[arg(long, env = "OGF_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<String>,
}

fn invalid(name: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        name,
        message: message.into(),
    }
}

fn list(raw: &str) -> impl Iterator<Item = &str> {
    raw.split(',').map(str::trim).filter(|s| !s.is_empty())
}

/// Parses the CORS allow-list.
pub fn parse_origins(raw: &str) -> Result<Vec<HeaderValue>, ConfigError> {
    list(raw)
        .map(|origin| {
            let ok = (origin.starts_with("https://") || origin.starts_with("http://"))
                && !origin.ends_with('/');
            if !ok {
                return Err(invalid(
                    "OGF_CORS_ORIGINS",
                    format!("'{origin}' is not an origin like https://app.example.com"),
                ));
            }
            HeaderValue::from_str(origin)
                .map_err(|_| invalid("OGF_CORS_ORIGINS", format!("'{origin}' is not valid")))
        })
        .collect()
}

/// Parses the trusted proxies (single addresses become /32 or /128 networks).
pub fn parse_proxies(raw: &str) -> Result<Vec<IpNet>, ConfigError> {
    list(raw)
        .map(|p| {
            p.parse::<IpNet>()
                .or_else(|_| p.parse::<std::net::IpAddr>().map(IpNet::from))
                .map_err(|_| invalid("OGF_TRUSTED_PROXIES", format!("'{p}' is not an IP or CIDR")))
        })
        .collect()
}

impl ServeArgs {
    /// The listen address: `--bind`/`OGF_BIND_ADDR`, else `OGF_BIND`, else the default.
    pub fn bind_addr(&self) -> Result<SocketAddr, ConfigError> {
        if let Some(addr) = self.bind {
            return Ok(addr);
        }
        let raw = std::env::var(LEGACY_BIND_ENV).unwrap_or_else(|_| DEFAULT_BIND.to_owned());
        raw.parse().map_err(|_| {
            invalid(
                "OGF_BIND",
                format!("'{raw}' is not an address like 0.0.0.0:8080"),
            )
        })
    }

    /// The environment.
    pub fn environment(&self) -> Environment {
        match self.environment {
            EnvironmentChoice::Development => Environment::Development,
            EnvironmentChoice::Production => Environment::Production,
        }
    }

    /// The app settings, and whether the JWT key was generated (development without a key).
    pub fn settings(&self) -> Result<(Settings, bool), ConfigError> {
        let (secret, generated) =
            JwtSecret::resolve(self.jwt_secret.as_deref(), self.environment())?;
        if self.access_token_ttl_seconds == 0 || self.refresh_token_ttl_seconds == 0 {
            return Err(invalid("token lifetimes", "must be at least 1 second"));
        }
        if self.request_timeout_seconds == 0 || self.body_limit_bytes == 0 {
            return Err(invalid(
                "limits",
                "body limit and request timeout must be positive",
            ));
        }
        if self.upload_max_bytes == 0
            || self.upload_max_bytes > crate::settings::UPLOAD_MAX_BYTES_CEILING
        {
            return Err(invalid(
                "OGF_UPLOAD_MAX_BYTES",
                "must be within 1 byte - 15 MiB (documents are stored as one database record)",
            ));
        }
        let mut settings = Settings::new(secret);
        settings.access_ttl = TimeDelta::seconds(i64::from(self.access_token_ttl_seconds));
        settings.auth = AuthPolicy {
            refresh_ttl: TimeDelta::seconds(i64::from(self.refresh_token_ttl_seconds)),
            lockout_failures: self.lockout_failures,
            lockout_window: TimeDelta::seconds(i64::from(self.lockout_window_seconds)),
        };
        settings.session_cache_ttl = Duration::from_secs(u64::from(self.session_cache_ttl_seconds));
        settings.market_cache_ttl =
            Duration::from_secs(u64::from(self.cache_ttl_market_data_seconds));
        settings.listing_search_cache_ttl =
            Duration::from_secs(u64::from(self.cache_ttl_listings_seconds));
        settings.analytics_cache_ttl =
            Duration::from_secs(u64::from(self.cache_ttl_analytics_seconds));
        settings.profile_cache_ttl =
            Duration::from_secs(u64::from(self.cache_ttl_profiles_seconds));
        settings.rate_limits = RateLimits {
            auth_per_minute: self.rate_limit_auth_per_minute,
            anonymous_per_day: self.rate_limit_anonymous_per_day,
            user_per_minute: self.rate_limit_user_per_minute,
            trading_per_minute: self.rate_limit_trading_per_minute,
        };
        settings.body_limit_bytes = self.body_limit_bytes;
        settings.upload_max_bytes = self.upload_max_bytes;
        settings.upload_quota_bytes = self.upload_quota_bytes;
        settings.request_timeout = Duration::from_secs(self.request_timeout_seconds);
        settings.cors_origins = parse_origins(&self.cors_origins)?;
        settings.trusted_proxies = parse_proxies(&self.trusted_proxies)?;
        Ok((settings, generated))
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        serve: ServeArgs,
    }

    fn parse(args: &[&str]) -> ServeArgs {
        let mut all = vec!["ogf-api"];
        all.extend_from_slice(args);
        Cli::try_parse_from(all).unwrap().serve
    }

    #[test]
    fn production_without_a_key_is_an_error_with_a_clear_message() {
        let err = parse(&["--environment", "production"])
            .settings()
            .unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("OGF_JWT_SECRET") && msg.contains("production"),
            "{msg}"
        );
    }

    #[test]
    fn flags_become_settings() {
        let key = "k".repeat(40);
        let a = parse(&[
            "--environment",
            "production",
            "--jwt-secret",
            &key,
            "--rate-limit-auth-per-minute",
            "1",
            "--rate-limit-anonymous-per-day",
            "2",
            "--rate-limit-user-per-minute",
            "0",
            "--cors-origins",
            "https://a.example, http://localhost:3000",
            "--trusted-proxies",
            "10.0.0.0/8,192.168.1.7",
            "--lockout-failures",
            "3",
            "--session-cache-ttl-seconds",
            "0",
        ]);
        let (s, generated) = a.settings().unwrap();
        assert!(!generated);
        assert_eq!(
            s.rate_limits,
            RateLimits {
                auth_per_minute: 1,
                anonymous_per_day: 2,
                user_per_minute: 0,
                trading_per_minute: 20,
            }
        );
        assert_eq!(
            s.cors_origins,
            ["https://a.example", "http://localhost:3000"]
        );
        assert_eq!(s.trusted_proxies.len(), 2);
        assert!(s.trusted_proxies[1].contains(&"192.168.1.7".parse::<std::net::IpAddr>().unwrap()));
        assert_eq!(s.auth.lockout_failures, 3);
        assert!(s.session_cache_ttl.is_zero());
        assert_eq!(
            parse(&[]).settings().unwrap().0.session_cache_ttl,
            crate::settings::DEFAULT_SESSION_CACHE_TTL
        );
        assert_eq!(s.access_ttl, TimeDelta::minutes(15));
        assert!(!format!("{s:?}").contains(&key), "Debug hides the key");
    }

    #[test]
    fn upload_limits_become_settings_within_the_ceiling() {
        let a = parse(&["--upload-max-bytes", "2048", "--upload-quota-bytes", "4096"]);
        let s = a.settings().unwrap().0;
        assert_eq!((s.upload_max_bytes, s.upload_quota_bytes), (2048, 4096));
        let d = parse(&[]).settings().unwrap().0;
        assert_eq!(d.upload_max_bytes, 10 * 1024 * 1024);
        assert!(parse(&["--upload-max-bytes", "0"]).settings().is_err());
        assert!(
            parse(&["--upload-max-bytes", "16777216"])
                .settings()
                .is_err()
        );
    }

    #[test]
    fn bad_lists_are_rejected() {
        assert!(parse_origins("*").is_err());
        assert!(parse_origins("https://a.example/").is_err());
        assert!(parse_origins("").unwrap().is_empty());
        assert!(parse_proxies("10.0.0.0/33").is_err());
        assert!(parse_proxies("not-an-ip").is_err());
    }
}
