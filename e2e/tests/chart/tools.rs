//! The tools the chart tests drive (helm, kubectl, hadolint), the cluster they
//! point at, and a Helm release that uninstalls itself.

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

use kube::{Client, Config};
use ogf_e2e::{TestNamespace, env, install_crds};
use tokio::io::AsyncWriteExt;

use super::{CHART, WAIT};

/// Reports a missing tool: a failure under CI, a skip otherwise.
fn missing_tool<T>(name: &str, hint: &str) -> Option<T> {
    let msg = format!("{name} is not available ({hint})");
    if env::in_ci() {
        panic!("{msg} (CI=true: a missing tool is a failure)");
    }
    eprintln!("SKIPPED: {msg}");
    None
}

/// `name` from the test environment's bin directory, else from `PATH`.
pub(crate) fn tool(name: &str) -> Option<PathBuf> {
    let testenv = std::env::var_os("OGF_TESTENV_BIN").map(|dir| PathBuf::from(dir).join(name));
    let on_path = || {
        std::env::var_os("PATH")
            .into_iter()
            .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    };
    match testenv.filter(|p| p.is_file()).or_else(on_path) {
        Some(path) => Some(path),
        None => missing_tool(
            name,
            "`e2e/testenv/testenv.sh build helm kubernetes`, then source `testenv.sh env`",
        ),
    }
}

/// Runs `program` with `args` (and `stdin`), capturing its output.
pub(crate) async fn run(program: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut command = tokio::process::Command::new(program);
    command
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut child = command
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()));
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().expect("stdin pipe");
        pipe.write_all(input.as_bytes()).await.expect("write stdin");
        drop(pipe);
    }
    tokio::time::timeout(WAIT, child.wait_with_output())
        .await
        .unwrap_or_else(|_| panic!("{} {args:?} took over {WAIT:?}", program.display()))
        .expect("wait for the command")
}

/// Runs a command that must succeed; returns its stdout.
pub(crate) async fn run_ok(program: &Path, args: &[&str], stdin: Option<&str>) -> String {
    let output = run(program, args, stdin).await;
    assert!(
        output.status.success(),
        "{} {} failed ({}):\n{}{}",
        program.display(),
        args.join(" "),
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("utf-8 output")
}

/// The cluster under test with helm and kubectl pointed at it; CRDs installed.
pub(crate) struct Cluster {
    pub(crate) client: Client,
    config: Config,
    kubeconfig: String,
    helm: PathBuf,
    kubectl: PathBuf,
}

impl Cluster {
    pub(crate) async fn connect() -> Option<Self> {
        let config = env::kube_config().await?;
        let kubeconfig = env::kubeconfig_path()?;
        let helm = tool("helm")?;
        let kubectl = tool("kubectl")?;
        let client = Client::try_from(config.clone()).expect("client");
        // Cluster-scoped and shared with parallel tests: applied idempotently, never deleted.
        install_crds(&client).await;
        Some(Self {
            client,
            config,
            kubeconfig,
            helm,
            kubectl,
        })
    }

    pub(crate) async fn namespace(&self, prefix: &str) -> TestNamespace {
        TestNamespace::create(&self.client, self.config.clone(), prefix).await
    }

    pub(crate) async fn helm(&self, args: &[&str]) -> String {
        let mut all = args.to_vec();
        all.extend(["--kubeconfig", self.kubeconfig.as_str()]);
        run_ok(&self.helm, &all, None).await
    }

    pub(crate) async fn kubectl(&self, args: &[&str], stdin: Option<&str>) -> String {
        let mut all = args.to_vec();
        all.extend(["--kubeconfig", self.kubeconfig.as_str()]);
        run_ok(&self.kubectl, &all, stdin).await
    }

    /// `kubectl auth can-i <args> --as <user>`: true for "yes", false for "no".
    pub(crate) async fn can_i(&self, user: &str, args: &[&str]) -> bool {
        let mut all = vec!["auth", "can-i"];
        all.extend_from_slice(args);
        all.extend(["--as", user, "--kubeconfig", self.kubeconfig.as_str()]);
        let output = run(&self.kubectl, &all, None).await;
        match String::from_utf8_lossy(&output.stdout).trim() {
            "yes" => true,
            "no" => false,
            other => panic!(
                "kubectl {} answered {other:?}: {}",
                all.join(" "),
                String::from_utf8_lossy(&output.stderr)
            ),
        }
    }

    /// A client that acts as `user` (`Impersonate-User`), as `kubectl --as` does.
    pub(crate) fn impersonating(&self, user: &str) -> Client {
        let mut config = self.config.clone();
        config.auth_info.impersonate = Some(user.to_string());
        Client::try_from(config).expect("impersonating client")
    }
}

/// A Helm release, uninstalled when dropped (its ClusterRole would outlive the namespace).
pub(crate) struct Release {
    pub(crate) name: String,
    namespace: String,
    helm: PathBuf,
    kubeconfig: String,
    installed: bool,
}

impl Release {
    /// `helm install --skip-crds` into `ns` under a release name unique to it.
    pub(crate) async fn install(cluster: &Cluster, ns: &str, values: &[&str]) -> Self {
        let suffix = ns.rsplit('-').next().expect("namespace suffix");
        let name = format!("ogf-operator-{suffix}");
        let mut args = vec!["install", name.as_str(), CHART, "--namespace", ns];
        args.push("--skip-crds");
        args.extend_from_slice(values);
        // Built first, so that a failed (possibly partial) install is uninstalled on the panic.
        let release = Self {
            name: name.clone(),
            namespace: ns.to_string(),
            helm: cluster.helm.clone(),
            kubeconfig: cluster.kubeconfig.clone(),
            installed: true,
        };
        cluster.helm(&args).await;
        release
    }

    /// Object names: the release name already contains the chart name.
    pub(crate) fn fullname(&self) -> &str {
        &self.name
    }

    pub(crate) fn service_account_user(&self) -> String {
        format!("system:serviceaccount:{}:{}", self.namespace, self.name)
    }

    pub(crate) async fn uninstall(mut self) {
        let output = run(
            &self.helm,
            &[
                "uninstall",
                &self.name,
                "--namespace",
                &self.namespace,
                "--wait",
                "--timeout",
                "60s",
                "--kubeconfig",
                &self.kubeconfig,
            ],
            None,
        )
        .await;
        self.installed = false;
        assert!(
            output.status.success(),
            "helm uninstall: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

impl Drop for Release {
    fn drop(&mut self) {
        if !self.installed {
            return;
        }
        let status = std::process::Command::new(&self.helm)
            .args(["uninstall", &self.name, "--namespace", &self.namespace])
            .args(["--kubeconfig", &self.kubeconfig])
            .stdout(Stdio::null())
            .status();
        if !status.is_ok_and(|s| s.success()) {
            eprintln!("warning: could not uninstall release {}", self.name);
        }
    }
}

/// hadolint: on PATH, else where `scripts/install-deps.sh` installs it.
pub(crate) fn hadolint() -> Option<PathBuf> {
    let installed = std::env::var_os("HOME")
        .map(|home| PathBuf::from(home).join(".cache/ogf-tools/hadolint/bin/hadolint"));
    let on_path = std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p)
            .map(|dir| dir.join("hadolint"))
            .find(|p| p.is_file())
    });
    match on_path.or(installed.filter(|p| p.is_file())) {
        Some(path) => Some(path),
        None => missing_tool("hadolint", "run scripts/install-deps.sh"),
    }
}
