//! The environment contract between the operator and the `ogf-api` container.
//!
//! Settings from `spec.config` go through the ConfigMap (`envFrom`); secrets are referenced with
//! `secretKeyRef` so their values never appear in the pod spec.

use k8s_openapi::api::core::v1::{EnvVar, EnvVarSource, SecretKeySelector};
use ogf_crds::marketplace::{DatabaseKind, SecretKeyRef};

/// Address the API listens on.
pub const BIND_ADDR: &str = "OGF_BIND_ADDR";
/// `json` in production.
pub const LOG_FORMAT: &str = "OGF_LOG_FORMAT";
/// `production`: a missing JWT key is a start-up error, no ephemeral key.
pub const ENVIRONMENT: &str = "OGF_ENVIRONMENT";
/// `embedded` or `mongodb`.
pub const STORE: &str = "OGF_STORE";
/// Data directory of the embedded store.
pub const DATA_DIR: &str = "OGF_DATA_DIR";
/// MongoDB connection URI (from a Secret).
pub const MONGODB_URI: &str = "OGF_MONGODB_URI";
/// MongoDB database name.
pub const MONGODB_DATABASE: &str = "OGF_MONGODB_DATABASE";
/// JWT signing key (from a Secret).
pub const JWT_SECRET: &str = "OGF_JWT_SECRET";

/// Port the API container listens on (HTTP, `/metrics`, `/healthz`, `/readyz`).
pub const HTTP_PORT: i32 = 8080;
/// Mount path of the embedded store's volume.
pub const DATA_MOUNT_PATH: &str = "/var/lib/ogf";

/// The container's environment besides the ConfigMap.
pub fn env(database: DatabaseKind<'_>, jwt: &SecretKeyRef) -> Vec<EnvVar> {
    let mut env = vec![
        plain(BIND_ADDR, &format!("0.0.0.0:{HTTP_PORT}")),
        plain(LOG_FORMAT, "json"),
        plain(ENVIRONMENT, "production"),
        plain(STORE, database.as_str()),
    ];
    match database {
        DatabaseKind::Embedded(_) => env.push(plain(DATA_DIR, DATA_MOUNT_PATH)),
        DatabaseKind::MongoDb(mongodb) => {
            env.push(from_secret(MONGODB_URI, &mongodb.uri_secret_ref));
            env.push(plain(MONGODB_DATABASE, &mongodb.database));
        }
    }
    env.push(from_secret(JWT_SECRET, jwt));
    env
}

fn plain(name: &str, value: &str) -> EnvVar {
    EnvVar {
        name: name.into(),
        value: Some(value.into()),
        ..EnvVar::default()
    }
}

fn from_secret(name: &str, secret: &SecretKeyRef) -> EnvVar {
    EnvVar {
        name: name.into(),
        value_from: Some(EnvVarSource {
            secret_key_ref: Some(SecretKeySelector {
                name: secret.name.clone(),
                key: secret.key.clone(),
                optional: Some(false),
            }),
            ..EnvVarSource::default()
        }),
        ..EnvVar::default()
    }
}
