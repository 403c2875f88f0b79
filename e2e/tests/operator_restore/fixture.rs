//! The world of a restore test: a namespace with the in-process operator and the Job runner,
//! a real store (an embedded store in a local directory standing in for the data claim, or a
//! FerretDB database), a real artifact of it in MinIO made by the engine, and its identity.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Secret;
use kube::api::PostParams;
use kube::{Api, Client};
use ogf_api::store::{EmbeddedStore, ListingStore, MongoStore};
use ogf_crds::{Marketplace, Restore};
use ogf_e2e::env::{MongoEnv, S3Env};
use ogf_e2e::fixtures::prebind_volume;
use ogf_e2e::job_runner::api_binary;
use ogf_e2e::{JobRunner, Operator, RunnerOptions, TestNamespace, env, install_crds};
use ogf_e2e::{json_condition, wait_for};
use serde_json::{Value, json};

pub const WAIT: Duration = Duration::from_secs(120);
pub const IMAGE: &str = "ghcr.io/ogf-dev/ogf-api:1.0.0";
/// Listings in the backup.
pub const BACKED_UP: u64 = 12;
/// Listings added after the backup (the change the restore undoes).
pub const ADDED: u64 = 5;

/// The store under test.
#[derive(Debug)]
pub enum Store {
    /// An embedded store in this directory (the claim `shop-data` maps to it).
    Embedded(PathBuf),
    /// A FerretDB database.
    Mongo { uri: String, database: String },
}

impl Store {
    async fn open(&self) -> Box<dyn ListingStore> {
        match self {
            Self::Embedded(dir) => {
                Box::new(EmbeddedStore::open(dir).await.expect("embedded store"))
            }
            Self::Mongo { uri, database } => Box::new(
                MongoStore::connect(uri, database)
                    .await
                    .expect("mongo store"),
            ),
        }
    }

    /// Adds `n` demo listings generated from `seed`.
    pub async fn fill(&self, n: u64, seed: u64) {
        let listings = ogf_api::demo::generate(n as usize, seed, chrono::Utc::now()).expect("demo");
        self.open()
            .await
            .insert_many(&listings)
            .await
            .expect("insert");
    }

    /// Listings in the store.
    pub async fn count(&self) -> u64 {
        self.open()
            .await
            .count(&Default::default())
            .await
            .expect("count")
    }

    fn args(&self) -> Vec<String> {
        match self {
            Self::Embedded(dir) => vec![
                "--store".into(),
                "embedded".into(),
                "--data-dir".into(),
                dir.display().to_string(),
            ],
            Self::Mongo { uri, database } => vec![
                "--store".into(),
                "mongodb".into(),
                "--mongodb-uri".into(),
                uri.clone(),
                "--mongodb-database".into(),
                database.clone(),
            ],
        }
    }
}

/// One restore test's namespace, operator, runner, store, artifact and keys.
pub struct Fixture {
    pub client: Client,
    pub ns: TestNamespace,
    pub runner: JobRunner,
    pub store: Store,
    pub s3: S3Env,
    pub prefix: String,
    operator: Option<Operator>,
    _dir: tempfile::TempDir,
}

impl Fixture {
    /// Everything but the Marketplace; `None` when a service is missing (the test is skipped).
    pub async fn new(prefix: &str, embedded: bool) -> Option<Self> {
        let config = env::kube_config().await?;
        let s3 = env::s3()?;
        let mongo: Option<MongoEnv> = if embedded { None } else { Some(env::mongo()?) };
        let client = Client::try_from(config.clone()).expect("client");
        install_crds(&client).await;
        let ns = TestNamespace::create(&client, config, prefix).await;
        let dir = tempfile::tempdir().expect("temp dir");
        let data = dir.path().join("data");
        std::fs::create_dir_all(&data).expect("data dir");
        let store = match mongo {
            None => Store::Embedded(data.clone()),
            Some(m) => Store::Mongo {
                uri: m.uri,
                database: format!("ogf_restore_{}", ns.name().replace('-', "_")),
            },
        };
        let claims = HashMap::from([("shop-data".to_string(), data)]);
        let runner = JobRunner::start(
            client.clone(),
            ns.name(),
            RunnerOptions {
                claims,
                binary: None,
            },
        );
        let operator = Operator::start(&client, ns.name(), "solo", None).await;
        Some(Self {
            prefix: format!("restore-e2e/{}", ns.name()),
            client,
            ns,
            runner,
            store,
            s3,
            operator: Some(operator),
            _dir: dir,
        })
    }

    /// Kills the operator as a crash would and starts a new one: state comes back from status
    /// and the Job.
    pub async fn restart_operator(&mut self) {
        if let Some(old) = self.operator.take() {
            old.kill();
        }
        self.operator = Some(Operator::start(&self.client, self.ns.name(), "second", None).await);
    }

    /// The running operator's metrics.
    pub fn metrics(&self) -> Option<&ogf_operator::metrics::Metrics> {
        self.operator.as_ref().map(|o| &o.metrics)
    }

    /// Finished Restores with `outcome` counted by the running operator.
    pub fn restore_count(&self, outcome: &str) -> u64 {
        self.metrics()
            .map_or(0, |m| m.restore_count(self.ns.name(), outcome))
    }

    /// Waits until the running operator has counted `expected` finished Restores with
    /// `outcome` (it counts right after the terminal status write a test has just seen).
    pub async fn wait_restore_count(&self, outcome: &str, expected: u64) -> u64 {
        let _ = ogf_e2e::wait_until("ogf_restore_total", Duration::from_secs(10), || {
            self.restore_count(outcome) >= expected
        })
        .await;
        self.restore_count(outcome)
    }

    pub fn marketplaces(&self) -> Api<Marketplace> {
        Api::namespaced(self.client.clone(), self.ns.name())
    }

    pub fn restores(&self) -> Api<Restore> {
        Api::namespaced(self.client.clone(), self.ns.name())
    }

    pub fn deployments(&self) -> Api<Deployment> {
        Api::namespaced(self.client.clone(), self.ns.name())
    }

    fn dir(&self) -> &Path {
        self._dir.path()
    }

    /// A new age identity: its file content (for a Secret) and its recipient.
    pub fn keygen(&self, name: &str) -> (String, String) {
        let path = self.dir().join(name);
        let output = Command::new(api_binary())
            .args(["backup", "keygen", "--output"])
            .arg(&path)
            .output()
            .expect("run keygen");
        assert!(output.status.success(), "keygen: {output:?}");
        let line: Value = serde_json::from_slice(&output.stdout).expect("keygen result");
        let recipient = line["recipient"].as_str().expect("recipient").to_string();
        (std::fs::read_to_string(&path).expect("identity"), recipient)
    }

    /// Backs the store up to MinIO with the engine; returns the artifact id and its counts.
    pub fn backup(&self, recipient: &str) -> (String, Value) {
        self.backup_of(&self.store, recipient)
    }

    /// Backs `store` up to the test's MinIO prefix (another cluster's store, for a bootstrap).
    pub fn backup_of(&self, store: &Store, recipient: &str) -> (String, Value) {
        let id = "e2e-backup-1";
        let output = Command::new(api_binary())
            .arg("backup")
            .args(store.args())
            .args([
                "--destination",
                &format!("s3://{}/{}", self.s3.bucket, self.prefix),
            ])
            .args([
                "--s3-endpoint",
                &self.s3.endpoint,
                "--s3-region",
                &self.s3.region,
            ])
            .args([
                "--s3-force-path-style",
                "--recipient",
                recipient,
                "--id",
                id,
            ])
            .env("AWS_ACCESS_KEY_ID", &self.s3.access_key_id)
            .env("AWS_SECRET_ACCESS_KEY", &self.s3.secret_access_key)
            .output()
            .expect("run backup");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "backup failed: {stdout} {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let line: Value =
            serde_json::from_str(stdout.lines().last().unwrap_or_default()).expect("result");
        (id.to_string(), line["counts"].clone())
    }

    /// Creates Secret `name` with `data` (string values).
    pub async fn secret(&self, name: &str, data: Value) {
        let secret: Secret = serde_json::from_value(json!({
            "apiVersion": "v1", "kind": "Secret", "metadata": {"name": name}, "stringData": data
        }))
        .expect("secret");
        Api::<Secret>::namespaced(self.client.clone(), self.ns.name())
            .create(&PostParams::default(), &secret)
            .await
            .unwrap_or_else(|e| panic!("create secret {name}: {e}"));
    }

    /// The S3 credentials and MongoDB URI Secrets the Jobs mount.
    pub async fn common_secrets(&self) {
        self.secret(
            "backup-s3",
            json!({"AWS_ACCESS_KEY_ID": self.s3.access_key_id,
                   "AWS_SECRET_ACCESS_KEY": self.s3.secret_access_key}),
        )
        .await;
        let uri = match &self.store {
            Store::Mongo { uri, .. } => uri.clone(),
            Store::Embedded(_) => "mongodb://unused:27017/".into(),
        };
        self.secret("mongo", json!({"uri": uri})).await;
    }

    /// Creates Marketplace `shop` on the store under test (one replica embedded, two on mongodb).
    pub async fn create_marketplace(&self) {
        let (replicas, database) = match &self.store {
            Store::Embedded(_) => {
                prebind_volume(&self.client, self.ns.name(), "shop-data").await;
                (1, json!({"embedded": {"storageSize": "1Gi"}}))
            }
            Store::Mongo { database, .. } => (
                2,
                json!({"mongodb": {"uriSecretRef": {"name": "mongo", "key": "uri"}, "database": database}}),
            ),
        };
        let marketplace: Marketplace = serde_json::from_value(json!({
            "apiVersion": "ogf.dev/v1alpha1", "kind": "Marketplace",
            "metadata": {"name": "shop"},
            "spec": {"image": IMAGE, "replicas": replicas, "database": database}
        }))
        .expect("marketplace");
        self.marketplaces()
            .create(&PostParams::default(), &marketplace)
            .await
            .expect("create marketplace");
    }

    /// The replica count of the Marketplace when it serves.
    pub fn serving_replicas(&self) -> i64 {
        match self.store {
            Store::Embedded(_) => 1,
            Store::Mongo { .. } => 2,
        }
    }

    /// Creates a Restore `name` of artifact `id` from the test's MinIO prefix.
    pub async fn create_restore(
        &self,
        name: &str,
        into: Value,
        id: &str,
        key: &str,
        deadline: i64,
    ) {
        let mut spec = json!({
            "source": {"artifactId": id, "location": {"s3": {
                "endpoint": self.s3.endpoint, "bucket": self.s3.bucket, "prefix": self.prefix,
                "region": self.s3.region, "forcePathStyle": true,
                "credentialsSecretRef": {"name": "backup-s3"}}}},
            "decryptionKeySecretRef": {"name": key, "key": "identity"},
            "activeDeadlineSeconds": deadline
        });
        if let (Some(spec), Some(into)) = (spec.as_object_mut(), into.as_object()) {
            spec.extend(into.clone());
        }
        let restore: Restore = serde_json::from_value(json!({
            "apiVersion": "ogf.dev/v1alpha1", "kind": "Restore",
            "metadata": {"name": name}, "spec": spec
        }))
        .expect("restore");
        self.restores()
            .create(&PostParams::default(), &restore)
            .await
            .expect("create restore");
    }

    /// Waits for the Restore's phase; returns it as JSON.
    pub async fn wait_phase(&self, name: &str, phase: &'static str, timeout: Duration) -> Value {
        let cond = json_condition::<Restore>(move |r| r["status"]["phase"] == phase);
        let restore = wait_for(self.restores(), name, timeout, cond)
            .await
            .unwrap_or_else(|e| panic!("Restore {name} {phase}: {e}"))
            .expect("restore");
        serde_json::to_value(restore).expect("json")
    }

    /// Waits until the Marketplace's Ready condition has `status` and, when given, `reason`.
    pub async fn wait_ready(&self, status: &'static str, reason: Option<&'static str>) -> Value {
        let cond = json_condition::<Marketplace>(move |m| {
            m["status"]["conditions"].as_array().is_some_and(|cs| {
                cs.iter().any(|c| {
                    c["type"] == "Ready"
                        && c["status"] == status
                        && reason.is_none_or(|r| c["reason"] == r)
                })
            })
        });
        let m = wait_for(self.marketplaces(), "shop", WAIT, cond)
            .await
            .unwrap_or_else(|e| panic!("Marketplace Ready={status} {reason:?}: {e}"))
            .expect("marketplace");
        serde_json::to_value(m).expect("json")
    }

    /// Waits until the active Deployment asks for `replicas` pods.
    pub async fn wait_replicas(&self, replicas: i64) {
        let cond = json_condition::<Deployment>(move |d| d["spec"]["replicas"] == replicas);
        wait_for(self.deployments(), "shop-blue", WAIT, cond)
            .await
            .unwrap_or_else(|e| panic!("shop-blue at {replicas} replicas: {e}"));
    }

    /// The active Deployment's replica count now.
    pub async fn replicas(&self) -> Option<i64> {
        let d = self
            .deployments()
            .get_opt("shop-blue")
            .await
            .expect("get deployment")?;
        d.spec.replicas.map(i64::from)
    }
}
