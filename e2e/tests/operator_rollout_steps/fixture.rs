//! The world of a Rollout-steps test: a namespace with a Ready Marketplace `shop` (blue), the
//! in-process operator (every controller, the Backup controller included), and the Job runner
//! that runs the operator's Job pods (migrations, backups) on the host with the real `ogf-api`.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Pod, Service};
use kube::api::{ListParams, Patch, PatchParams, PostParams};
use kube::{Api, Client, ResourceExt};
use ogf_api::store::{EmbeddedStore, ListingStore};
use ogf_crds::{Backup, Marketplace, Rollout};
use ogf_e2e::fixtures::{create_secret, prebind_volume, serve_on_loopback};
use ogf_e2e::job_runner::api_binary;
use ogf_e2e::{JobRunner, Operator, RunnerOptions, TestNamespace, env, install_crds};
use ogf_e2e::{json_condition, wait_for};
use serde_json::{Value, json};

pub const WAIT: Duration = Duration::from_secs(120);
pub const OLD: &str = "ghcr.io/ogf-dev/ogf-api:1.0.0";
pub const NEW: &str = "ghcr.io/ogf-dev/ogf-api:1.1.0";
/// Finalizer the tests put on the old color's pod to keep it terminating.
pub const HOLD_FINALIZER: &str = "e2e.ogf.dev/hold";

/// One test's namespace, operator, Job runner and (embedded) data directory.
pub struct Fixture {
    pub client: Client,
    pub ns: TestNamespace,
    pub runner: JobRunner,
    pub data: PathBuf,
    operator: Option<Operator>,
    restarts: usize,
    _dir: tempfile::TempDir,
}

impl Fixture {
    /// A Ready Marketplace `shop`: one replica on the embedded store (its claim mapped to a
    /// local directory holding a real store with a few listings) or two on MongoDB (a URI
    /// Secret only: nothing here connects to it).
    pub async fn new(prefix: &str, embedded: bool) -> Option<Self> {
        Self::with_spec(prefix, embedded, json!({})).await
    }

    /// [`Fixture::new`] with `extra` merged into the Marketplace's spec.
    pub async fn with_spec(prefix: &str, embedded: bool, extra: Value) -> Option<Self> {
        let config = env::kube_config().await?;
        let client = Client::try_from(config.clone()).expect("client");
        install_crds(&client).await;
        let ns = TestNamespace::create(&client, config, prefix).await;
        let dir = tempfile::tempdir().expect("temp dir");
        let data = dir.path().join("data");
        std::fs::create_dir_all(&data).expect("data dir");
        let runner = JobRunner::start(
            client.clone(),
            ns.name(),
            RunnerOptions {
                claims: HashMap::from([("shop-data".to_string(), data.clone())]),
                binary: None,
            },
        );
        // The real MongoDB wire-protocol server when there is one, so that migration Jobs
        // (`ogf-api migrate`) really connect; the API pods never start under kwok.
        let uri = std::env::var("OGF_MONGODB_URI")
            .ok()
            .filter(|u| !u.is_empty())
            .unwrap_or_else(|| "mongodb://mongo.example:27017/".into());
        create_secret(&client, ns.name(), "mongo", "uri", &uri).await;
        let operator = Operator::start(&client, ns.name(), "solo", None).await;
        let fixture = Self {
            client,
            ns,
            runner,
            data,
            operator: Some(operator),
            restarts: 0,
            _dir: dir,
        };
        let (replicas, database) = if embedded {
            prebind_volume(&fixture.client, fixture.ns.name(), "shop-data").await;
            let listings = ogf_api::demo::generate(5, 1, chrono::Utc::now()).expect("demo");
            let store = EmbeddedStore::open(&fixture.data).await.expect("store");
            store.insert_many(&listings).await.expect("insert");
            (1, json!({"embedded": {"storageSize": "1Gi"}}))
        } else {
            (
                2,
                json!({"mongodb": {"uriSecretRef": {"name": "mongo", "key": "uri"}, "database": fixture.ns.name().replace('-', "_")}}),
            )
        };
        let mut spec = json!({"image": OLD, "replicas": replicas, "database": database});
        if let (Some(spec), Some(extra)) = (spec.as_object_mut(), extra.as_object()) {
            spec.extend(extra.clone());
        }
        let marketplace: Marketplace = serde_json::from_value(json!({
            "apiVersion": "ogf.dev/v1alpha1", "kind": "Marketplace",
            "metadata": {"name": "shop"}, "spec": spec
        }))
        .expect("marketplace");
        fixture
            .marketplaces()
            .create(&PostParams::default(), &marketplace)
            .await
            .expect("create marketplace");
        let ready = json_condition::<Marketplace>(|m| {
            m["status"]["image"] == OLD
                && m["status"]["conditions"].as_array().is_some_and(|cs| {
                    cs.iter()
                        .any(|c| c["type"] == "Ready" && c["status"] == "True")
                })
        });
        wait_for(fixture.marketplaces(), "shop", WAIT, ready)
            .await
            .expect("Marketplace Ready");
        Some(fixture)
    }

    /// Kills the operator as a crash would and starts a new one.
    pub async fn restart_operator(&mut self) {
        if let Some(old) = self.operator.take() {
            old.kill();
        }
        self.restarts += 1;
        let identity = format!("restart-{}", self.restarts);
        self.operator = Some(Operator::start(&self.client, self.ns.name(), &identity, None).await);
    }

    pub fn marketplaces(&self) -> Api<Marketplace> {
        Api::namespaced(self.client.clone(), self.ns.name())
    }

    pub fn rollouts(&self) -> Api<Rollout> {
        Api::namespaced(self.client.clone(), self.ns.name())
    }

    pub fn backups(&self) -> Api<Backup> {
        Api::namespaced(self.client.clone(), self.ns.name())
    }

    pub fn deployments(&self) -> Api<Deployment> {
        Api::namespaced(self.client.clone(), self.ns.name())
    }

    pub fn pods(&self) -> Api<Pod> {
        Api::namespaced(self.client.clone(), self.ns.name())
    }

    fn services(&self) -> Api<Service> {
        Api::namespaced(self.client.clone(), self.ns.name())
    }

    /// Creates Rollout `name` of `shop` to [`NEW`] with `spec` merged in.
    pub async fn create_rollout(&self, name: &str, spec: Value) {
        let mut full = json!({"marketplaceRef": {"name": "shop"}, "image": NEW});
        if let (Some(full), Some(extra)) = (full.as_object_mut(), spec.as_object()) {
            full.extend(extra.clone());
        }
        let rollout: Rollout = serde_json::from_value(json!({
            "apiVersion": "ogf.dev/v1alpha1", "kind": "Rollout",
            "metadata": {"name": name}, "spec": full
        }))
        .expect("rollout");
        self.rollouts()
            .create(&PostParams::default(), &rollout)
            .await
            .expect("create rollout");
    }

    pub async fn patch_rollout(&self, name: &str, patch: Value) {
        self.rollouts()
            .patch(name, &PatchParams::default(), &Patch::Merge(patch))
            .await
            .expect("patch rollout");
    }

    pub async fn patch_marketplace(&self, patch: Value) {
        self.marketplaces()
            .patch("shop", &PatchParams::default(), &Patch::Merge(patch))
            .await
            .expect("patch marketplace");
    }

    /// Waits for the Rollout's phase; returns it as JSON.
    pub async fn wait_phase(&self, name: &str, phase: &'static str) -> Value {
        let cond = json_condition::<Rollout>(move |r| r["status"]["phase"] == phase);
        let rollout = wait_for(self.rollouts(), name, WAIT, cond)
            .await
            .unwrap_or_else(|e| panic!("Rollout {name} {phase}: {e}"))
            .expect("rollout");
        serde_json::to_value(rollout).expect("json")
    }

    /// Waits until the Rollout has condition `kind` True with `reason`.
    pub async fn wait_condition(&self, name: &str, kind: &'static str, reason: &'static str) {
        let cond = json_condition::<Rollout>(move |r| {
            r["status"]["conditions"].as_array().is_some_and(|cs| {
                cs.iter()
                    .any(|c| c["type"] == kind && c["status"] == "True" && c["reason"] == reason)
            })
        });
        wait_for(self.rollouts(), name, WAIT, cond)
            .await
            .unwrap_or_else(|e| panic!("Rollout {name} {kind}={reason}: {e}"));
    }

    pub async fn wait_selector(&self, color: &'static str) {
        let cond =
            json_condition::<Service>(move |s| s["spec"]["selector"]["ogf.dev/color"] == color);
        wait_for(self.services(), "shop", WAIT, cond)
            .await
            .unwrap_or_else(|e| panic!("active Service selects {color}: {e}"));
    }

    pub async fn wait_replicas(&self, deployment: &str, replicas: i64) {
        let cond = json_condition::<Deployment>(move |d| d["spec"]["replicas"] == replicas);
        wait_for(self.deployments(), deployment, WAIT, cond)
            .await
            .unwrap_or_else(|e| panic!("{deployment} at {replicas} replicas: {e}"));
    }

    /// The replica count a Deployment asks for now.
    pub async fn replicas(&self, deployment: &str) -> Option<i32> {
        self.deployments()
            .get_opt(deployment)
            .await
            .expect("get deployment")
            .and_then(|d| d.spec.replicas)
    }

    pub async fn selector(&self) -> String {
        let service = self.services().get("shop").await.expect("service");
        service
            .spec
            .and_then(|s| s.selector)
            .and_then(|s| s.get("ogf.dev/color").cloned())
            .unwrap_or_default()
    }

    /// The pods of `color`.
    pub async fn pods_of(&self, color: &str) -> Vec<Pod> {
        let selector = format!("app.kubernetes.io/instance=shop,ogf.dev/color={color}");
        self.pods()
            .list(&ListParams::default().labels(&selector))
            .await
            .expect("list pods")
            .items
    }

    /// Puts (or removes) [`HOLD_FINALIZER`] on every pod of `color`, so that a deleted pod
    /// stays terminating until it is removed.
    pub async fn hold_pods(&self, color: &str, hold: bool) -> usize {
        let pods = self.pods_of(color).await;
        for pod in &pods {
            let finalizers: Vec<&str> = if hold { vec![HOLD_FINALIZER] } else { vec![] };
            self.pods()
                .patch(
                    &pod.name_any(),
                    &PatchParams::default(),
                    &Patch::Merge(json!({"metadata": {"finalizers": finalizers}})),
                )
                .await
                .expect("patch pod finalizers");
        }
        pods.len()
    }

    /// Makes every pod of `color` Ready or not, as a failing readiness probe would. kwok
    /// leaves a running pod's readiness alone once it started, so it stays as set here.
    pub async fn set_pods_ready(&self, color: &str, ready: bool) {
        let status = if ready { "True" } else { "False" };
        for pod in self.pods_of(color).await {
            let containers: Vec<Value> = pod
                .spec
                .as_ref()
                .map(|s| {
                    s.containers
                        .iter()
                        .map(|c| json!({"name": c.name, "ready": ready}))
                        .collect()
                })
                .unwrap_or_default();
            let patch = json!({"status": {
                "conditions": [{"type": "Ready", "status": status},
                               {"type": "ContainersReady", "status": status}],
                "containerStatuses": containers}});
            self.pods()
                .patch_status(
                    &pod.name_any(),
                    &PatchParams::default(),
                    &Patch::Strategic(patch),
                )
                .await
                .expect("patch pod readiness");
        }
    }

    /// Waits until Deployment `name` reports `ready` ready replicas.
    pub async fn wait_ready_replicas(&self, name: &str, ready: i64) {
        let cond = json_condition::<Deployment>(move |d| {
            d["status"]["readyReplicas"].as_i64().unwrap_or(0) == ready
        });
        wait_for(self.deployments(), name, WAIT, cond)
            .await
            .unwrap_or_else(|e| panic!("{name} with {ready} ready replicas: {e}"));
    }

    /// Waits until the Rollout's message contains `text`.
    pub async fn wait_message(&self, name: &str, text: &'static str) -> Value {
        let cond = json_condition::<Rollout>(move |r| {
            r["status"]["message"]
                .as_str()
                .is_some_and(|m| m.contains(text))
        });
        let rollout = wait_for(self.rollouts(), name, WAIT, cond)
            .await
            .unwrap_or_else(|e| panic!("Rollout {name} saying {text:?}: {e}"))
            .expect("rollout");
        serde_json::to_value(rollout).expect("json")
    }

    /// Records, from now on, every color the active Service `shop` selects, one entry per
    /// change: a switch that happened twice (or back and forth) shows.
    pub fn selector_history(&self) -> History {
        history(self.services(), "shop", |s: Service| {
            s.spec
                .and_then(|s| s.selector)
                .and_then(|s| s.get("ogf.dev/color").cloned())
                .unwrap_or_default()
        })
    }

    /// Records, from now on, every `spec.replicas` of Deployment `name` (`-` while it does
    /// not exist), one entry per change.
    pub fn replica_history(&self, name: &str) -> History {
        history(self.deployments(), name, |d: Deployment| {
            d.spec
                .replicas
                .map_or_else(|| "-".into(), |r| r.to_string())
        })
    }

    /// Waits until every pod of `color` is terminating.
    pub async fn wait_terminating(&self, color: &'static str) {
        let pods = self.pods_of(color).await;
        for pod in pods {
            let cond = json_condition::<Pod>(|p| p["metadata"]["deletionTimestamp"].is_string());
            wait_for(self.pods(), &pod.name_any(), WAIT, cond)
                .await
                .unwrap_or_else(|e| panic!("pod of {color} terminating: {e}"));
        }
    }

    /// A Backup template `name` to the test's MinIO prefix, encrypted to a fresh key; with
    /// `working: false` its credentials are wrong, so a backup from it really fails.
    pub async fn backup_template(&self, name: &str, working: bool) -> bool {
        let Some(s3) = env::s3() else {
            return false;
        };
        let secret = format!("{name}-s3");
        let key = if working {
            s3.secret_access_key.clone()
        } else {
            "wrong".into()
        };
        let data = json!({"AWS_ACCESS_KEY_ID": s3.access_key_id, "AWS_SECRET_ACCESS_KEY": key});
        let object: k8s_openapi::api::core::v1::Secret = serde_json::from_value(json!({
            "apiVersion": "v1", "kind": "Secret", "metadata": {"name": secret}, "stringData": data
        }))
        .expect("secret");
        Api::<k8s_openapi::api::core::v1::Secret>::namespaced(self.client.clone(), self.ns.name())
            .create(&PostParams::default(), &object)
            .await
            .expect("create s3 secret");
        let backup: Backup = serde_json::from_value(json!({
            "apiVersion": "ogf.dev/v1alpha1", "kind": "Backup", "metadata": {"name": name},
            "spec": {
                "marketplaceRef": {"name": "shop"},
                "schedule": "0 3 * * *",
                "suspend": true,
                "destination": {"s3": {"endpoint": s3.endpoint, "bucket": s3.bucket,
                    "prefix": format!("rollout-e2e/{}", self.ns.name()), "region": s3.region,
                    "forcePathStyle": true, "credentialsSecretRef": {"name": secret}}},
                "encryption": {"recipients": [self.recipient()]},
                "backoffLimit": 0
            }
        }))
        .expect("backup template");
        self.backups()
            .create(&PostParams::default(), &backup)
            .await
            .expect("create backup template");
        true
    }

    /// A Backup template `name` writing to the volume claim `claim`, which does not exist:
    /// the Backup controller reports its copies `Degraded` (`ClaimNotFound`).
    pub async fn backup_template_to_missing_claim(&self, name: &str, claim: &str) {
        let backup: Backup = serde_json::from_value(json!({
            "apiVersion": "ogf.dev/v1alpha1", "kind": "Backup", "metadata": {"name": name},
            "spec": {"marketplaceRef": {"name": "shop"}, "schedule": "0 3 * * *", "suspend": true,
                     "destination": {"volume": {"claimName": claim}},
                     "encryption": {"recipients": [self.recipient()]}}
        }))
        .expect("backup template");
        self.backups()
            .create(&PostParams::default(), &backup)
            .await
            .expect("create backup template");
    }

    /// Waits (bounded poll: Events are written just after the status) for a Warning Event
    /// with `reason` about Rollout `name`; returns its message.
    pub async fn wait_warning(&self, name: &str, reason: &str) -> String {
        let events: Api<k8s_openapi::api::core::v1::Event> =
            Api::namespaced(self.client.clone(), self.ns.name());
        let params = ListParams::default().fields(&format!("involvedObject.name={name}"));
        let deadline = std::time::Instant::now() + WAIT;
        loop {
            let list = events.list(&params).await.expect("list events");
            let found = list.items.into_iter().find(|e| {
                e.type_.as_deref() == Some("Warning") && e.reason.as_deref() == Some(reason)
            });
            if let Some(event) = found {
                return event.message.unwrap_or_default();
            }
            assert!(
                std::time::Instant::now() < deadline,
                "no Warning Event {reason} for {name}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// A fresh age recipient from `ogf-api backup keygen`.
    pub fn recipient(&self) -> String {
        let path = self._dir.path().join(format!("identity-{}", uuid_like()));
        let output = Command::new(api_binary())
            .args(["backup", "keygen", "--output"])
            .arg(&path)
            .output()
            .expect("run keygen");
        assert!(output.status.success(), "keygen: {output:?}");
        let line: Value = serde_json::from_slice(&output.stdout).expect("keygen result");
        line["recipient"].as_str().expect("recipient").to_string()
    }
}

/// Watches object `name` and records `value` of each version seen, one entry per change.
fn history<K>(api: Api<K>, name: &str, value: impl Fn(K) -> String + Send + 'static) -> History
where
    K: kube::Resource
        + Clone
        + std::fmt::Debug
        + Send
        + Sync
        + serde::de::DeserializeOwned
        + 'static,
{
    let seen = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let recorded = seen.clone();
    let config = kube::runtime::watcher::Config::default().fields(&format!("metadata.name={name}"));
    let stream = kube::runtime::watcher(api, config);
    let task = tokio::spawn(async move {
        use futures::StreamExt;
        use kube::runtime::watcher::Event;
        let mut stream = std::pin::pin!(stream);
        while let Some(event) = stream.next().await {
            let value = match event {
                Ok(Event::Apply(object) | Event::InitApply(object)) => value(object),
                Ok(Event::Delete(_)) => "-".into(),
                Ok(Event::InitDone) => {
                    let mut seen = recorded.lock().expect("history");
                    if seen.is_empty() {
                        seen.push("-".into());
                    }
                    continue;
                }
                _ => continue,
            };
            let mut seen = recorded.lock().expect("history");
            if seen.last() != Some(&value) {
                seen.push(value);
            }
        }
    });
    History { seen, task }
}

/// The values an object went through, in order (see [`Fixture::selector_history`]).
pub struct History {
    seen: Arc<std::sync::Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl History {
    /// Waits (bounded) until the watch has seen the object (or its absence) once; returns it.
    pub async fn started(&self) -> String {
        let deadline = std::time::Instant::now() + WAIT;
        loop {
            if let Some(first) = self.seen().first() {
                return first.clone();
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the Service watch saw nothing"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// What was seen so far.
    pub fn seen(&self) -> Vec<String> {
        self.seen.lock().expect("history").clone()
    }
}

impl Drop for History {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn uuid_like() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default()
}

/// An HTTP endpoint on 127.0.0.1 answering every GET with the current status code.
pub async fn serve(status: Arc<AtomicU16>) -> String {
    let app = Router::new().fallback(get(move || {
        let status = status.clone();
        async move {
            StatusCode::from_u16(status.load(Ordering::SeqCst)).unwrap_or(StatusCode::IM_A_TEAPOT)
        }
    }));
    let address = serve_on_loopback(app).await;
    format!("http://{address}/readyz")
}

/// A check that keeps probing every second until it passes (it never fails the Rollout).
pub fn patient_check(url: &str) -> Value {
    json!([{"name": "gate", "http": {"url": url, "intervalSeconds": 1, "failureThreshold": 1000}}])
}

/// The phases of a Rollout's history.
pub fn phases(rollout: &Value) -> Vec<String> {
    rollout["status"]["steps"]
        .as_array()
        .map(|steps| {
            steps
                .iter()
                .filter_map(|s| s["phase"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}
