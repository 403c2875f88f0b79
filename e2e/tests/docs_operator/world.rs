//! What the page's reader has and the test environment lacks, supplied by the harness: a
//! working directory that looks like the root of a checkout, `PATH` with kubectl, helm, the
//! workspace's binaries and a `cargo run` stand-in, the reader's `S3_*` variables, a volume
//! for the Marketplace's claim, the Job runner, and the operator (run in this process as the
//! chart's ServiceAccount). Also the clean-up of the fixed names before and after a run.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::sync::Arc;
use std::time::Duration;

use futures::TryStreamExt;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::PodSpec;
use kube::{Api, Client, Config};
use object_store::aws::AmazonS3Builder;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt};
use ogf_api::store::{EmbeddedStore, ListingStore};
use ogf_e2e::env::{self, S3Env};
use ogf_e2e::fixtures::prebind_volume;
use ogf_e2e::job_runner::api_binary;
use ogf_e2e::{JobRunner, Operator, RunnerOptions, install_crds, wait_for};
use ogf_operator::controller::Scope;
use ogf_operator::leader::LeaseSettings;

/// Names the page uses; no other test uses them.
pub const SYSTEM_NS: &str = "ogf-system";
pub const DEMO_NS: &str = "ogf-demo";
pub const RELEASE: &str = "ogf-operator";
pub const LEASE: &str = "ogf-operator-leader";
/// The Marketplace's data claim (`<marketplace>-data`), and the volume pre-bound to it.
pub const CLAIM: &str = "ogf-demo-data";
/// `prefix:` of the page's Backup.
pub const S3_PREFIX: &str = "ogf-demo";
const REPO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
/// Longest a clean-up command may take.
const CLEANUP_TIMEOUT: &str = "180s";

/// Reports a missing tool: a failure under CI, a skip otherwise.
fn missing<T>(what: &str, hint: &str) -> Option<T> {
    let msg = format!("{what} is not available ({hint})");
    if env::in_ci() {
        panic!("{msg} (CI=true: a missing tool is a failure)");
    }
    eprintln!("SKIPPED: {msg}");
    None
}

/// `name` in the test environment's bin directory, else on `PATH`.
fn tool(name: &str) -> Option<PathBuf> {
    let testenv = std::env::var_os("OGF_TESTENV_BIN").map(|dir| PathBuf::from(dir).join(name));
    let on_path = || {
        std::env::var_os("PATH").and_then(|p| {
            std::env::split_paths(&p)
                .map(|dir| dir.join(name))
                .find(|p| p.is_file())
        })
    };
    match testenv.filter(|p| p.is_file()).or_else(on_path) {
        Some(path) => Some(path),
        None => missing(
            name,
            "`e2e/testenv/testenv.sh up`, then source `testenv.sh env`",
        ),
    }
}

/// A binary of this workspace next to `ogf-api` in the target directory of this test binary
/// (`cargo test --workspace` builds them all).
fn workspace_binary(name: &str) -> Option<PathBuf> {
    let api = api_binary();
    let path = api.with_file_name(name);
    if path.is_file() {
        Some(path)
    } else {
        missing(
            &path.display().to_string(),
            "run `cargo build -p ogf-api -p ogf-operator -p kubectl-ogf` first",
        )
    }
}

/// The reader's shell and cluster, for the page's commands.
pub struct World {
    pub client: Client,
    config: Config,
    pub kubeconfig: String,
    pub kubectl: PathBuf,
    helm: PathBuf,
    /// The shell the page's blocks run in.
    pub bash: PathBuf,
    pub s3: S3Env,
    /// The reader's working directory: `charts/` and `examples/` of the checkout, and the
    /// files the page's commands write (`ogf-demo.key`).
    pub workdir: PathBuf,
    path: String,
    pub runner: Option<JobRunner>,
    pub operator: Option<Operator>,
    _dir: tempfile::TempDir,
}

impl World {
    /// The world of a run, with leftovers of an earlier (crashed) run removed; `None` when a
    /// service or tool is missing (the test is skipped, or fails under CI).
    pub async fn new() -> Option<Self> {
        let config = env::kube_config().await?;
        let kubeconfig = env::kubeconfig_path()?;
        let s3 = env::s3()?;
        let kubectl = tool("kubectl")?;
        let helm = tool("helm")?;
        let bash = tool("bash")?;
        let binaries = [
            workspace_binary("ogf-api")?,
            workspace_binary("ogf-operator")?,
            workspace_binary("kubectl-ogf")?,
        ];
        let client = Client::try_from(config.clone()).expect("client");
        // Cluster-scoped, shared with parallel tests: applied idempotently, never deleted.
        install_crds(&client).await;

        let dir = tempfile::tempdir().expect("temp dir");
        let workdir = dir.path().join("checkout");
        let bin = dir.path().join("bin");
        for d in [&workdir, &bin, &dir.path().join("home")] {
            std::fs::create_dir_all(d).expect("create dir");
        }
        for entry in ["charts", "examples"] {
            std::os::unix::fs::symlink(Path::new(REPO).join(entry), workdir.join(entry))
                .expect("symlink into the working directory");
        }
        for binary in &binaries {
            let name = binary.file_name().expect("binary name");
            std::os::unix::fs::symlink(binary, bin.join(name)).expect("symlink binary");
        }
        write_cargo_stand_in(&bin.join("cargo"));
        let mut dirs = vec![bin.clone()];
        dirs.extend(kubectl.parent().map(Path::to_path_buf));
        dirs.extend(helm.parent().map(Path::to_path_buf));
        dirs.extend(
            std::env::var_os("PATH")
                .map_or_else(Vec::new, |p| std::env::split_paths(&p).collect::<Vec<_>>()),
        );
        let path = std::env::join_paths(dirs)
            .expect("PATH")
            .to_string_lossy()
            .into_owned();

        let world = Self {
            client,
            config,
            kubeconfig,
            kubectl,
            helm,
            bash,
            s3,
            workdir,
            path,
            runner: None,
            operator: None,
            _dir: dir,
        };
        world.cleanup();
        world.clear_bucket_prefix().await;
        Some(world)
    }

    /// The environment of the reader's shell: `PATH`, `KUBECONFIG`, `HOME`, and the `S3_*`
    /// variables the page asks for, pointing at the test environment's MinIO.
    pub fn shell_env(&self) -> Vec<(String, String)> {
        let home = self.workdir.parent().expect("temp dir").join("home");
        vec![
            ("PATH".into(), self.path.clone()),
            ("HOME".into(), home.to_string_lossy().into_owned()),
            ("KUBECONFIG".into(), self.kubeconfig.clone()),
            ("LANG".into(), "C.UTF-8".into()),
            ("S3_ENDPOINT".into(), self.s3.endpoint.clone()),
            ("S3_BUCKET".into(), self.s3.bucket.clone()),
            ("S3_ACCESS_KEY_ID".into(), self.s3.access_key_id.clone()),
            (
                "S3_SECRET_ACCESS_KEY".into(),
                self.s3.secret_access_key.clone(),
            ),
        ]
    }

    /// A storage provisioner's part and a kubelet's: the volume pre-bound to the Marketplace's
    /// claim, and the Job runner running the operator's Job pods with that claim mapped to a
    /// local directory holding a real embedded store with demo listings (as the API's first
    /// start would leave it).
    pub async fn provide_volume_and_kubelet(&mut self) {
        let data = self.workdir.parent().expect("temp dir").join("data");
        std::fs::create_dir_all(&data).expect("data dir");
        let listings = ogf_api::demo::generate(40, 11, chrono::Utc::now()).expect("demo");
        let store = EmbeddedStore::open(&data).await.expect("embedded store");
        store
            .insert_many(&listings)
            .await
            .expect("insert demo listings");
        drop(store);
        prebind_volume(&self.client, DEMO_NS, CLAIM).await;
        self.runner = Some(JobRunner::start(
            self.client.clone(),
            DEMO_NS,
            RunnerOptions {
                claims: HashMap::from([(CLAIM.to_string(), data)]),
                binary: None,
            },
        ));
    }

    /// The operator the chart installed, run here (kwok starts no containers): as the chart's
    /// ServiceAccount (impersonation, so its RBAC is what is exercised), watching the page's
    /// namespace only (other tests' namespaces stay theirs), electing its leader through the
    /// chart's Lease in the release namespace. Returns once it holds the Lease.
    pub async fn start_operator(&mut self) {
        let deployment = Api::<Deployment>::namespaced(self.client.clone(), SYSTEM_NS)
            .get(RELEASE)
            .await
            .expect("the chart's operator Deployment");
        let pod: Option<PodSpec> = deployment.spec.template.spec;
        let account = pod
            .and_then(|p| p.service_account_name)
            .expect("the operator's ServiceAccount");
        let mut config = self.config.clone();
        config.auth_info.impersonate = Some(format!("system:serviceaccount:{SYSTEM_NS}:{account}"));
        let as_operator = Client::try_from(config).expect("impersonating client");
        let identity = "ogf-operator-docs-e2e";
        let lease = LeaseSettings {
            namespace: SYSTEM_NS.into(),
            name: LEASE.into(),
            identity: identity.into(),
            duration_seconds: 15,
            grace_seconds: 5,
        };
        let scope = Scope {
            namespaces: vec![DEMO_NS.to_string()],
        };
        self.operator =
            Some(Operator::start_scoped(&as_operator, scope, identity, Some(lease)).await);
        let held = |l: Option<&Lease>| {
            l.and_then(|l| l.spec.as_ref())
                .and_then(|s| s.holder_identity.as_deref())
                == Some(identity)
        };
        wait_for(
            Api::<Lease>::namespaced(self.client.clone(), SYSTEM_NS),
            LEASE,
            Duration::from_secs(90),
            held,
        )
        .await
        .expect("the operator (as the chart's ServiceAccount) holds the leader Lease");
    }

    /// Runs `args` with the reader's environment; never panics.
    pub fn run(&self, program: &Path, args: &[&str]) -> Option<Output> {
        std::process::Command::new(program)
            .args(args)
            .env_clear()
            .envs(self.shell_env())
            .current_dir(&self.workdir)
            .stdin(Stdio::null())
            .output()
            .ok()
    }

    /// What the cluster says about the page's objects, for a failure message.
    pub fn diagnostics(&self) -> String {
        let mut out = String::new();
        for args in [
            vec![
                "get",
                "ogf,deploy,pods,jobs,pvc",
                "-n",
                DEMO_NS,
                "-o",
                "wide",
            ],
            vec!["get", "ogf", "-n", DEMO_NS, "-o", "yaml"],
            vec!["get", "events", "-n", DEMO_NS, "--sort-by=.lastTimestamp"],
            vec!["get", "deploy,pods,lease", "-n", SYSTEM_NS],
        ] {
            let shown = format!("\n$ kubectl {}\n", args.join(" "));
            out.push_str(&shown);
            if let Some(o) = self.run(&self.kubectl, &args) {
                out.push_str(&String::from_utf8_lossy(&o.stdout));
                out.push_str(&String::from_utf8_lossy(&o.stderr));
            }
        }
        if let Some(runner) = &self.runner {
            for run in runner.runs() {
                let tail: String = run.stderr.chars().rev().take(1500).collect::<String>();
                let tail: String = tail.chars().rev().collect();
                out.push_str(&format!(
                    "\njob runner: pod {} exit {} args {:?}\n  message: {}\n  stderr tail: {tail}\n",
                    run.pod, run.exit_code, run.spec_args, run.message
                ));
            }
        }
        out
    }

    /// Removes what the page creates under its fixed names: the release (and its
    /// cluster-scoped RBAC, should a crashed run have lost the release record), both
    /// namespaces, the pre-bound volume. Idempotent; never panics.
    pub fn cleanup(&self) {
        let helm = [
            "uninstall",
            RELEASE,
            "--namespace",
            SYSTEM_NS,
            "--wait",
            "--timeout",
            CLEANUP_TIMEOUT,
            "--ignore-not-found",
        ];
        let kubectl: [&[&str]; 3] = [
            &[
                "delete",
                "clusterrole,clusterrolebinding",
                "-l",
                "app.kubernetes.io/instance=ogf-operator,app.kubernetes.io/managed-by=Helm",
                "--ignore-not-found",
            ],
            &[
                "delete",
                "namespace",
                DEMO_NS,
                SYSTEM_NS,
                "--ignore-not-found",
                "--wait",
                "--timeout",
                CLEANUP_TIMEOUT,
            ],
            &[
                "delete",
                "persistentvolume",
                CLAIM,
                "--ignore-not-found",
                "--wait",
                "--timeout",
                CLEANUP_TIMEOUT,
            ],
        ];
        let report = |what: String, output: Option<Output>| match output {
            Some(o) if o.status.success() => {}
            Some(o) => eprintln!(
                "clean-up: {what} failed: {}",
                String::from_utf8_lossy(&o.stderr)
            ),
            None => eprintln!("clean-up: {what} could not run"),
        };
        report(
            format!("helm {}", helm.join(" ")),
            self.run(&self.helm, &helm),
        );
        for args in kubectl {
            report(
                format!("kubectl {}", args.join(" ")),
                self.run(&self.kubectl, args),
            );
        }
    }

    /// Deletes the objects under the page's Backup prefix in the test bucket.
    pub async fn clear_bucket_prefix(&self) {
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
        let prefix = ObjectPath::from(S3_PREFIX);
        let objects: Vec<_> = store
            .list(Some(&prefix))
            .try_collect()
            .await
            .expect("list the page's backup prefix");
        for object in objects {
            store
                .delete(&object.location)
                .await
                .unwrap_or_else(|e| panic!("delete {}: {e}", object.location));
        }
    }
}

impl Drop for World {
    fn drop(&mut self) {
        // Objects first, while the operator still runs (nothing of it blocks a deletion);
        // then the operator and the runner stop with the fields.
        self.cleanup();
    }
}

/// `cargo run [-q] -p PACKAGE -- ARGS` of the page runs the binary of PACKAGE that cargo built
/// for this test run: a cargo started inside `cargo test` would wait for the build directory
/// lock the outer one holds, and would rebuild on a machine shared with other builds.
fn write_cargo_stand_in(path: &Path) {
    let script = r#"#!/usr/bin/env bash
# docs_operator.rs: stands in for `cargo run [-q] -p PACKAGE -- ARGS` (nothing else).
set -euo pipefail
refuse() { echo "docs_operator harness: only 'cargo run [-q] -p PACKAGE -- ARGS' runs here, not: cargo $ALL ($1)" >&2; exit 97; }
ALL="$*"
[ "${1:-}" = run ] || refuse "not run"
shift
pkg=
while [ $# -gt 0 ]; do
  case "$1" in
    -q|--quiet) shift ;;
    -p|--package) pkg="${2:-}"; shift 2 ;;
    --) shift; break ;;
    *) refuse "flag $1" ;;
  esac
done
case "$pkg" in
  ogf-api|ogf-operator|kubectl-ogf) exec "$(dirname "$0")/$pkg" "$@" ;;
  *) refuse "package '$pkg'" ;;
esac
"#;
    std::fs::write(path, script).expect("write cargo stand-in");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .expect("chmod cargo stand-in");
}
