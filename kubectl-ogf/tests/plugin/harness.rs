//! The e2e harness of the plugin tests: the cluster under test (the rule of `ogf-e2e`'s `env`,
//! copied so that the plugin does not build the operator), the CRDs, a namespace per test,
//! and the plugin binary run as a process.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{DeleteParams, Patch, PatchParams, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::runtime::wait::{await_condition, conditions};
use kube::{Api, Client, Config, Resource};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// The generated CRD manifests, as committed.
const CRD_YAML: &[&str] = &[
    include_str!("../../../crds/yaml/marketplace.yaml"),
    include_str!("../../../crds/yaml/rollout.yaml"),
    include_str!("../../../crds/yaml/backup.yaml"),
    include_str!("../../../crds/yaml/restore.yaml"),
];

/// True when running under CI (`CI=true`), where a missing cluster fails the test.
fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Reports a missing service: panics under CI, otherwise prints a skip line and returns `None`.
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

/// The kubeconfig of the cluster under test: `OGF_E2E_KUBECONFIG` wins over the test
/// environment's `OGF_TESTENV_KUBECONFIG`.
fn kubeconfig_path() -> Option<String> {
    ["OGF_E2E_KUBECONFIG", "OGF_TESTENV_KUBECONFIG"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()))
}

/// What a run of the plugin printed and how it exited.
#[derive(Debug)]
pub struct Run {
    /// Exit code.
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Run {
    /// Asserts exit code `code`, showing the output when it differs.
    #[track_caller]
    pub fn expect(self, code: i32) -> Self {
        assert_eq!(
            self.code, code,
            "exit code; stdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    /// Standard output as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("JSON output ({e}):\n{}", self.stdout))
    }
}

/// A test's namespace with the CRDs installed, deleted on drop.
pub struct Env {
    /// Client of the cluster under test.
    pub client: Client,
    config: Config,
    /// The kubeconfig file.
    pub kubeconfig: String,
    /// The test's namespace.
    pub ns: String,
}

impl Env {
    /// The cluster under test with the CRDs and a fresh namespace; `None` (skipped) without one.
    pub async fn new(prefix: &str) -> Option<Self> {
        let Some(kubeconfig) = kubeconfig_path() else {
            return missing("Kubernetes", "OGF_E2E_KUBECONFIG / OGF_TESTENV_KUBECONFIG");
        };
        let parsed = Kubeconfig::read_from(&kubeconfig).expect("readable kubeconfig");
        let config = Config::from_custom_kubeconfig(parsed, &KubeConfigOptions::default())
            .await
            .expect("valid kubeconfig");
        let client = Client::try_from(config.clone()).expect("client");
        install_crds(&client).await;
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("clock")
            .subsec_nanos();
        let ns = format!("ogf-plugin-{prefix}-{:08x}", nanos ^ std::process::id());
        let namespace: Namespace = serde_json::from_value(json!({
            "metadata": {"name": ns, "labels": {"ogf.dev/e2e": "true"}}
        }))
        .expect("namespace");
        Api::<Namespace>::all(client.clone())
            .create(&PostParams::default(), &namespace)
            .await
            .unwrap_or_else(|e| panic!("create namespace {ns}: {e}"));
        Some(Self {
            client,
            config,
            kubeconfig,
            ns,
        })
    }

    /// The API of `K` in the test's namespace.
    pub fn api<K>(&self) -> Api<K>
    where
        K: Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>,
    {
        Api::namespaced(self.client.clone(), &self.ns)
    }

    /// Creates an object from its JSON form in the test's namespace.
    pub async fn create<K>(&self, value: Value) -> K
    where
        K: Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>
            + Clone
            + DeserializeOwned
            + Serialize
            + std::fmt::Debug,
    {
        let object: K = serde_json::from_value(value).expect("valid object");
        self.api::<K>()
            .create(&PostParams::default(), &object)
            .await
            .unwrap_or_else(|e| panic!("create {}: {e}", K::kind(&())))
    }

    /// Merges `status` into the object's status subresource, as the operator would.
    pub async fn set_status<K>(&self, name: &str, status: Value)
    where
        K: Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>
            + Clone
            + DeserializeOwned
            + std::fmt::Debug,
    {
        self.api::<K>()
            .patch_status(
                name,
                &PatchParams::default(),
                &Patch::Merge(json!({"status": status})),
            )
            .await
            .unwrap_or_else(|e| panic!("status of {} {name}: {e}", K::kind(&())));
    }

    /// Gets an object of the test's namespace.
    pub async fn get<K>(&self, name: &str) -> K
    where
        K: Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>
            + Clone
            + DeserializeOwned
            + std::fmt::Debug,
    {
        self.api::<K>()
            .get(name)
            .await
            .unwrap_or_else(|e| panic!("get {name}: {e}"))
    }

    /// Runs `kubectl-ogf <args> --kubeconfig <file> -n <namespace>`.
    pub async fn plugin(&self, args: &[&str]) -> Run {
        self.plugin_with_timeout(args, Duration::from_secs(60))
            .await
    }

    /// [`Env::plugin`], killed after `limit`.
    pub async fn plugin_with_timeout(&self, args: &[&str], limit: Duration) -> Run {
        let mut command = tokio::process::Command::new(plugin_binary());
        command
            .args(args)
            .args(["--kubeconfig", &self.kubeconfig, "-n", &self.ns]);
        run(command, limit).await
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        // A fresh client on its own runtime: the test's runtime cannot be blocked on.
        let (ns, config) = (self.ns.clone(), self.config.clone());
        let cleanup = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            rt.block_on(async move {
                let client = Client::try_from(config).ok()?;
                Api::<Namespace>::all(client)
                    .delete(&ns, &DeleteParams::background())
                    .await
                    .ok()
            })
        });
        if cleanup.join().ok().flatten().is_none() {
            eprintln!("warning: could not delete test namespace {}", self.ns);
        }
    }
}

/// The plugin binary Cargo built for this test.
pub fn plugin_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_kubectl-ogf"))
}

/// Runs `command` to completion (killed after `limit`), capturing its output.
pub async fn run(mut command: tokio::process::Command, limit: Duration) -> Run {
    command.stdin(Stdio::null()).kill_on_drop(true);
    let output = tokio::time::timeout(limit, command.output())
        .await
        .unwrap_or_else(|_| panic!("{command:?} ran longer than {limit:?}"))
        .unwrap_or_else(|e| panic!("start {command:?}: {e}"));
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Applies the committed CRDs (server-side, the e2e field manager) and waits until each is
/// Established.
async fn install_crds(client: &Client) {
    let api: Api<CustomResourceDefinition> = Api::all(client.clone());
    for yaml in CRD_YAML {
        let crd: CustomResourceDefinition = serde_yaml::from_str(yaml).expect("valid CRD YAML");
        let name = crd.metadata.name.clone().expect("CRD name");
        api.patch(
            &name,
            &PatchParams::apply("ogf-e2e").force(),
            &Patch::Apply(&crd),
        )
        .await
        .unwrap_or_else(|e| panic!("apply CRD {name}: {e}"));
        tokio::time::timeout(
            Duration::from_secs(30),
            await_condition(api.clone(), &name, conditions::is_crd_established()),
        )
        .await
        .unwrap_or_else(|_| panic!("CRD {name} not Established in 30s"))
        .unwrap_or_else(|e| panic!("watch CRD {name}: {e}"));
    }
}

/// RFC 3339 time `seconds_ago` before now, to the second.
pub fn ago(seconds_ago: u64) -> String {
    let t = k8s_openapi::jiff::Timestamp::now() - Duration::from_secs(seconds_ago);
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}
