//! Discovery of the services under test, from environment variables.

use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};

/// True when running under CI (`CI=true`), where a missing service fails the test.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Reports a missing service: panics under CI, otherwise prints a skip line.
///
/// Returns `None` so callers can write `let Some(x) = ... else { return };`.
pub fn missing<T>(service: &str, var: &str) -> Option<T> {
    let msg = format!(
        "{service} is not available: {var} is not set. Run `make test`, or \
         `e2e/testenv/testenv.sh up && source ~/.cache/ogf-testenv/run/env`"
    );
    if in_ci() {
        panic!("{msg} (CI=true: a missing service is a failure)");
    }
    eprintln!("SKIPPED: {msg}");
    None
}

/// The kubeconfig path of the cluster under test: `OGF_E2E_KUBECONFIG` (an
/// existing cluster such as kind) wins over the test environment's.
pub fn kubeconfig_path() -> Option<String> {
    ["OGF_E2E_KUBECONFIG", "OGF_TESTENV_KUBECONFIG"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()))
}

/// True when the cluster is the local test environment (kwok nodes), not an existing cluster.
pub fn is_testenv_cluster() -> bool {
    std::env::var("OGF_E2E_KUBECONFIG").is_err() && std::env::var("OGF_TESTENV_KUBECONFIG").is_ok()
}

/// Loads the client configuration for the cluster under test.
pub async fn kube_config() -> Option<Config> {
    let Some(path) = kubeconfig_path() else {
        return missing("Kubernetes", "OGF_E2E_KUBECONFIG / OGF_TESTENV_KUBECONFIG");
    };
    let kubeconfig = Kubeconfig::read_from(&path)
        .unwrap_or_else(|e| panic!("cannot read kubeconfig {path}: {e}"));
    let config = Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .unwrap_or_else(|e| panic!("invalid kubeconfig {path}: {e}"));
    Some(config)
}

/// A client for the cluster under test.
pub async fn kube_client() -> Option<Client> {
    let config = kube_config().await?;
    Some(Client::try_from(config).expect("kube client from config"))
}

/// Where the MongoDB wire-protocol server under test listens.
#[derive(Debug, Clone)]
pub struct MongoEnv {
    /// Connection string, e.g. `mongodb://127.0.0.1:36017/`.
    pub uri: String,
}

/// The MongoDB wire-protocol server under test (`OGF_MONGODB_URI`).
pub fn mongo() -> Option<MongoEnv> {
    match std::env::var("OGF_MONGODB_URI") {
        Ok(uri) if !uri.is_empty() => Some(MongoEnv { uri }),
        _ => missing("MongoDB (FerretDB)", "OGF_MONGODB_URI"),
    }
}

/// The S3 server under test and the bucket tests may use (each under its own prefix).
#[derive(Debug, Clone)]
pub struct S3Env {
    /// Endpoint URL, e.g. `http://127.0.0.1:36900`.
    pub endpoint: String,
    /// Region name to sign with.
    pub region: String,
    /// Access key id.
    pub access_key_id: String,
    /// Secret access key.
    pub secret_access_key: String,
    /// A bucket created by the test environment for tests.
    pub bucket: String,
}

/// The S3 server under test (`OGF_S3_*`).
pub fn s3() -> Option<S3Env> {
    let var = |name: &str| std::env::var(name).ok().filter(|s| !s.is_empty());
    let (Some(endpoint), Some(access_key_id), Some(secret_access_key), Some(bucket)) = (
        var("OGF_S3_ENDPOINT"),
        var("OGF_S3_ACCESS_KEY_ID"),
        var("OGF_S3_SECRET_ACCESS_KEY"),
        var("OGF_S3_BUCKET"),
    ) else {
        return missing(
            "S3",
            "OGF_S3_ENDPOINT / OGF_S3_ACCESS_KEY_ID / OGF_S3_SECRET_ACCESS_KEY / OGF_S3_BUCKET",
        );
    };
    Some(S3Env {
        endpoint,
        region: var("OGF_S3_REGION").unwrap_or_else(|| "us-east-1".into()),
        access_key_id,
        secret_access_key,
        bucket,
    })
}
