//! The world of a backup test: a namespace with the in-process operator and the Job runner, a
//! Marketplace `shop` on a real store holding data (an embedded store in a local directory
//! that stands in for its data claim, or a FerretDB database), the Secrets its Backups mount,
//! and MinIO under a prefix of its own.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::Secret;
use kube::api::{ListParams, PostParams};
use kube::{Api, Client};
use object_store::aws::AmazonS3Builder;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};
use ogf_api::store::{EmbeddedStore, ListingStore, MongoStore};
use ogf_crds::{Backup, Marketplace};
use ogf_e2e::env::S3Env;
use ogf_e2e::fixtures::prebind_volume;
use ogf_e2e::job_runner::api_binary;
use ogf_e2e::{JobRunner, Operator, RunnerOptions, TestNamespace, env, install_crds};
use ogf_e2e::{json_condition, wait_for};
use serde_json::{Value, json};

/// Longest wait for one step.
pub const WAIT: Duration = Duration::from_secs(120);
/// Listings in the store.
pub const LISTINGS: u64 = 12;

/// One backup test's namespace, operator, runner, store and bucket prefix.
pub struct Fixture {
    pub client: Client,
    pub ns: TestNamespace,
    pub runner: JobRunner,
    pub s3: S3Env,
    pub prefix: String,
    pub recipient: String,
    pub identity: String,
    operator: Option<Operator>,
    _dir: tempfile::TempDir,
}

impl Fixture {
    /// A namespace with Marketplace `shop` on a store holding [`LISTINGS`] listings, its
    /// Secrets (`backup-s3`, `mongo`, `age`), the operator and the runner; `None` when a
    /// service is missing (the test is skipped).
    pub async fn new(prefix: &str, embedded: bool) -> Option<Self> {
        let config = env::kube_config().await?;
        let s3 = env::s3()?;
        let mongo = if embedded { None } else { Some(env::mongo()?) };
        let client = Client::try_from(config.clone()).expect("client");
        install_crds(&client).await;
        let ns = TestNamespace::create(&client, config, prefix).await;
        let dir = tempfile::tempdir().expect("temp dir");
        let data = dir.path().join("data");
        std::fs::create_dir_all(&data).expect("data dir");
        let listings =
            ogf_api::demo::generate(LISTINGS as usize, 7, chrono::Utc::now()).expect("demo");
        let (database, uri) = match &mongo {
            None => {
                let store = EmbeddedStore::open(&data).await.expect("embedded store");
                store.insert_many(&listings).await.expect("insert");
                (
                    json!({"embedded": {"storageSize": "1Gi"}}),
                    "mongodb://unused:27017/".to_string(),
                )
            }
            Some(m) => {
                let name = format!("ogf_backup_{}", ns.name().replace('-', "_"));
                let store = MongoStore::connect(&m.uri, &name)
                    .await
                    .expect("mongo store");
                store.insert_many(&listings).await.expect("insert");
                (
                    json!({"mongodb": {"uriSecretRef": {"name": "mongo", "key": "uri"}, "database": name}}),
                    m.uri.clone(),
                )
            }
        };
        let runner = JobRunner::start(
            client.clone(),
            ns.name(),
            RunnerOptions {
                claims: HashMap::from([("shop-data".to_string(), data)]),
                binary: None,
            },
        );
        let identity_path: PathBuf = dir.path().join("identity");
        let output = Command::new(api_binary())
            .args(["backup", "keygen", "--output"])
            .arg(&identity_path)
            .output()
            .expect("run keygen");
        assert!(output.status.success(), "keygen: {output:?}");
        let line: Value = serde_json::from_slice(&output.stdout).expect("keygen result");
        let recipient = line["recipient"].as_str().expect("recipient").to_string();
        let identity = std::fs::read_to_string(&identity_path).expect("identity");
        let operator = Operator::start(&client, ns.name(), "solo", None).await;
        let fixture = Self {
            prefix: format!("backup-e2e/{}", ns.name()),
            client,
            ns,
            runner,
            s3,
            recipient,
            identity,
            operator: Some(operator),
            _dir: dir,
        };
        fixture
            .secret(
                "backup-s3",
                json!({"AWS_ACCESS_KEY_ID": fixture.s3.access_key_id,
                       "AWS_SECRET_ACCESS_KEY": fixture.s3.secret_access_key}),
            )
            .await;
        fixture.secret("mongo", json!({ "uri": uri })).await;
        fixture
            .secret("age", json!({"identity": fixture.identity}))
            .await;
        if embedded {
            prebind_volume(&fixture.client, fixture.ns.name(), "shop-data").await;
        }
        let replicas = if embedded { 1 } else { 2 };
        let marketplace: Marketplace = serde_json::from_value(json!({
            "apiVersion": "ogf.dev/v1alpha1", "kind": "Marketplace", "metadata": {"name": "shop"},
            "spec": {"image": "ghcr.io/ogf-dev/ogf-api:1.0.0", "replicas": replicas, "database": database}
        }))
        .expect("marketplace");
        Api::<Marketplace>::namespaced(fixture.client.clone(), fixture.ns.name())
            .create(&PostParams::default(), &marketplace)
            .await
            .expect("create marketplace");
        Some(fixture)
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

    /// The S3 destination of the test's prefix in `bucket` (the test bucket when `None`).
    pub fn destination(&self, bucket: Option<&str>) -> Value {
        json!({"s3": {
            "endpoint": self.s3.endpoint, "bucket": bucket.unwrap_or(&self.s3.bucket),
            "prefix": self.prefix, "region": self.s3.region, "forcePathStyle": true,
            "credentialsSecretRef": {"name": "backup-s3"}}})
    }

    /// Creates Backup `name` of `shop` to the test's prefix, with `extra` spec fields.
    pub async fn create_backup(&self, name: &str, extra: Value) {
        let mut spec = json!({
            "marketplaceRef": {"name": "shop"},
            "destination": self.destination(None),
            "encryption": {"recipients": [self.recipient]},
        });
        if let (Some(spec), Some(extra)) = (spec.as_object_mut(), extra.as_object()) {
            spec.extend(extra.clone());
        }
        let backup: Backup = serde_json::from_value(json!({
            "apiVersion": "ogf.dev/v1alpha1", "kind": "Backup", "metadata": {"name": name}, "spec": spec
        }))
        .expect("backup");
        self.backups()
            .create(&PostParams::default(), &backup)
            .await
            .unwrap_or_else(|e| panic!("create backup {name}: {e}"));
    }

    pub fn backups(&self) -> Api<Backup> {
        Api::namespaced(self.client.clone(), self.ns.name())
    }

    pub fn jobs(&self) -> Api<Job> {
        Api::namespaced(self.client.clone(), self.ns.name())
    }

    /// Jobs of Backup `name`, oldest first.
    pub async fn jobs_of(&self, name: &str) -> Vec<Job> {
        let mut jobs = self
            .jobs()
            .list(&ListParams::default().labels(&format!("ogf.dev/backup={name}")))
            .await
            .expect("list jobs")
            .items;
        jobs.sort_by_key(|j| {
            (
                j.metadata.creation_timestamp.clone().map(|t| t.0),
                j.metadata.name.clone(),
            )
        });
        jobs
    }

    /// Waits until `check` holds for Backup `name`'s JSON; returns it.
    pub async fn wait_backup(
        &self,
        name: &str,
        what: &str,
        check: impl Fn(&Value) -> bool,
    ) -> Value {
        let cond = json_condition::<Backup>(check);
        let backup = match wait_for(self.backups(), name, WAIT, cond).await {
            Ok(backup) => backup.expect("backup"),
            Err(e) => {
                let now = self.backups().get(name).await.ok();
                let runs: Vec<_> = self
                    .runner
                    .runs()
                    .into_iter()
                    .map(|r| (r.pod, r.exit_code, r.message, r.stderr))
                    .collect();
                panic!(
                    "Backup {name} {what}: {e}\nstatus: {}\nruns: {runs:#?}",
                    serde_json::to_string_pretty(&now.and_then(|b| b.status)).unwrap_or_default()
                )
            }
        };
        serde_json::to_value(backup).expect("json")
    }

    /// Stops the operator and waits until its controllers are gone. (`Operator::kill` aborts
    /// only the outer task: the controller tasks it spawned would keep running.) Either way
    /// nothing survives in memory, which is what the restart test is about.
    pub async fn stop_operator(&mut self) {
        if let Some(old) = self.operator.take() {
            old.stop().await;
        }
    }

    /// Backup runs with `outcome` counted by the running operator.
    pub fn runs_counted(&self, outcome: &str) -> u64 {
        self.operator
            .as_ref()
            .map_or(0, |o| o.metrics.backup_run_count(self.ns.name(), outcome))
    }

    /// Kills the operator as a crash would (no graceful shutdown, nothing released).
    #[allow(dead_code)] // the fault-injection test's; the backup tests stop it gracefully
    pub fn kill_operator(&mut self) {
        if let Some(old) = self.operator.take() {
            old.kill();
        }
    }

    /// Starts a new operator.
    pub async fn start_operator(&mut self) {
        self.operator = Some(Operator::start(&self.client, self.ns.name(), "second", None).await);
    }

    /// Whether the encrypted object of artifact `id` is in MinIO under the test's prefix.
    pub async fn object_exists(&self, id: &str) -> bool {
        let store: Arc<dyn ObjectStore> = Arc::new(
            AmazonS3Builder::new()
                .with_endpoint(&self.s3.endpoint)
                .with_region(&self.s3.region)
                .with_bucket_name(&self.s3.bucket)
                .with_access_key_id(&self.s3.access_key_id)
                .with_secret_access_key(&self.s3.secret_access_key)
                .with_allow_http(true)
                .with_virtual_hosted_style_request(false)
                .build()
                .expect("s3 client"),
        );
        let path = Path::from(format!("{}/{id}.ogfbak", self.prefix));
        store.head(&path).await.is_ok()
    }
}

/// The condition of `kind` in a resource's JSON.
pub fn condition(resource: &Value, kind: &str) -> Value {
    resource["status"]["conditions"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["type"] == kind))
        .cloned()
        .unwrap_or_default()
}
