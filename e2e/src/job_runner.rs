//! Runs the operator's Job pods on the host. kwok simulates nodes and never starts containers,
//! so for pods labelled [`KWOK_MANUAL_LABEL`] this runner does what a kubelet would: it runs the
//! container's command with the locally built `ogf-api` binary, exactly as specified (the same
//! args and env; Secret and ConfigMap volumes written into temporary directories, claims mapped
//! to local directories, each mount path rewritten to its local directory), and writes the real
//! outcome (exit code, termination message) into the pod's status. The Job controller then
//! completes or fails the Job as it would on a real node, and the operator reads the same
//! termination message it reads in production.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::core::v1::{ConfigMap, Container, Pod, Secret, Volume};
use kube::api::{Patch, PatchParams};
use kube::runtime::watcher;
use kube::{Api, Client};
use serde_json::json;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

pub use crate::operator::KWOK_MANUAL_LABEL;

/// Longest a command may run before the runner kills it (the Job's own deadline is usually shorter).
const RUN_TIMEOUT: Duration = Duration::from_secs(600);
/// Kubernetes keeps at most this much of a termination message.
const MESSAGE_LIMIT: usize = 4096;

/// What the runner needs besides the cluster.
#[derive(Clone, Debug, Default)]
pub struct RunnerOptions {
    /// Local directory standing in for each PersistentVolumeClaim, by claim name.
    pub claims: HashMap<String, PathBuf>,
    /// The `ogf-api` binary; [`api_binary`] when `None`.
    pub binary: Option<PathBuf>,
}

/// One pod the runner ran.
#[derive(Clone, Debug)]
pub struct RunRecord {
    /// The pod.
    pub pod: String,
    /// Its Job (`job-name` label).
    pub job: Option<String>,
    /// The arguments as specified in the pod.
    pub spec_args: Vec<String>,
    /// The arguments as run (mount paths rewritten to local directories).
    pub args: Vec<String>,
    /// Exit code (-1: killed or could not start).
    pub exit_code: i32,
    /// The termination message written back.
    pub message: String,
    /// What the command wrote to stderr.
    pub stderr: String,
}

#[derive(Debug, Default)]
struct Shared {
    paused: AtomicBool,
    resume: Notify,
    runs: Mutex<Vec<RunRecord>>,
    ran: Notify,
}

/// A background task running Job pods of one namespace until dropped.
#[derive(Debug)]
pub struct JobRunner {
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl JobRunner {
    /// Starts running the Job pods of `namespace`.
    pub fn start(client: Client, namespace: &str, options: RunnerOptions) -> Self {
        let shared = Arc::new(Shared::default());
        let binary = options.binary.clone().unwrap_or_else(api_binary);
        let worker = Worker {
            pods: Api::namespaced(client.clone(), namespace),
            secrets: Api::namespaced(client.clone(), namespace),
            config_maps: Api::namespaced(client, namespace),
            claims: options.claims,
            binary,
            shared: shared.clone(),
        };
        let task = tokio::spawn(worker.run());
        Self { shared, task }
    }

    /// Stops (`true`) or resumes (`false`) running new pods; pods seen while paused run on resume.
    pub fn set_paused(&self, paused: bool) {
        self.shared.paused.store(paused, Ordering::SeqCst);
        if !paused {
            self.shared.resume.notify_one();
        }
    }

    /// Everything run so far, oldest first.
    pub fn runs(&self) -> Vec<RunRecord> {
        lock(&self.shared.runs).clone()
    }

    /// Waits until at least `count` pods have run, at most `timeout`; returns the runs.
    pub async fn wait_for_runs(&self, count: usize, timeout: Duration) -> Vec<RunRecord> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.shared.ran.notified();
            let runs = self.runs();
            if runs.len() >= count {
                return runs;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                panic!(
                    "job runner: {} of {count} pods ran within {timeout:?}: {runs:#?}",
                    runs.len()
                );
            }
        }
    }
}

impl Drop for JobRunner {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The `ogf-api` binary: `OGF_API_BIN`, else `ogf-api` in the Cargo target directory of this
/// test binary (`cargo test --workspace` builds it; alone, run `cargo build -p ogf-api` first).
pub fn api_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("OGF_API_BIN").filter(|p| !p.is_empty()) {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().expect("current test executable");
    // target/<profile>/deps/<test> -> target/<profile>/ogf-api
    let candidate = exe
        .parent()
        .and_then(Path::parent)
        .map(|dir| dir.join("ogf-api"))
        .expect("test executable inside a target directory");
    assert!(
        candidate.is_file(),
        "{} not found: run `cargo build -p ogf-api` (or set OGF_API_BIN)",
        candidate.display()
    );
    candidate
}

struct Worker {
    pods: Api<Pod>,
    secrets: Api<Secret>,
    config_maps: Api<ConfigMap>,
    claims: HashMap<String, PathBuf>,
    binary: PathBuf,
    shared: Arc<Shared>,
}

impl Worker {
    async fn run(self) {
        let config = watcher::Config::default().labels(KWOK_MANUAL_LABEL);
        let mut events = watcher::watcher(self.pods.clone(), config).boxed();
        let mut started: HashSet<String> = HashSet::new();
        let mut deferred: Vec<Pod> = Vec::new();
        loop {
            let pod = tokio::select! {
                event = events.next() => match event {
                    Some(Ok(watcher::Event::Apply(pod) | watcher::Event::InitApply(pod))) => pod,
                    Some(_) => continue,
                    None => return,
                },
                () = self.shared.resume.notified() => {
                    for pod in std::mem::take(&mut deferred) {
                        self.consider(pod, &mut started, &mut deferred).await;
                    }
                    continue;
                }
            };
            self.consider(pod, &mut started, &mut deferred).await;
        }
    }

    async fn consider(&self, pod: Pod, started: &mut HashSet<String>, deferred: &mut Vec<Pod>) {
        let Some(uid) = pod.metadata.uid.clone() else {
            return;
        };
        let running = pod.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running");
        if started.contains(&uid) || pod.metadata.deletion_timestamp.is_some() || !running {
            return;
        }
        if self.shared.paused.load(Ordering::SeqCst) {
            deferred.retain(|p| p.metadata.uid.as_ref() != Some(&uid));
            deferred.push(pod);
            return;
        }
        // Re-read: a deferred pod may be gone or finished by now.
        let name = pod.metadata.name.clone().unwrap_or_default();
        let Ok(Some(pod)) = self.pods.get_opt(&name).await else {
            return;
        };
        if pod.metadata.deletion_timestamp.is_some() {
            return;
        }
        started.insert(uid);
        let record = self.run_pod(&pod).await;
        lock(&self.shared.runs).push(record);
        self.shared.ran.notify_waiters();
    }

    async fn run_pod(&self, pod: &Pod) -> RunRecord {
        let name = pod.metadata.name.clone().unwrap_or_default();
        let job = pod
            .metadata
            .labels
            .as_ref()
            .and_then(|l| l.get("job-name").cloned());
        let container = pod
            .spec
            .as_ref()
            .and_then(|s| s.containers.first().cloned())
            .unwrap_or_default();
        let spec_args = container.args.clone().unwrap_or_default();
        let outcome = match self.prepare(pod, &container).await {
            Ok(prepared) => self.execute(&container, prepared).await,
            Err(message) => Outcome {
                args: spec_args.clone(),
                exit_code: -1,
                message: format!("job runner: {message}"),
                stderr: String::new(),
            },
        };
        self.report(&name, &container, &outcome).await;
        RunRecord {
            pod: name,
            job,
            spec_args,
            args: outcome.args,
            exit_code: outcome.exit_code,
            message: outcome.message,
            stderr: outcome.stderr,
        }
    }

    /// Materialises the pod's volumes and env; returns what to run.
    async fn prepare(&self, pod: &Pod, container: &Container) -> Result<Prepared, String> {
        let root = tempfile::tempdir().map_err(|e| format!("temp dir: {e}"))?;
        let volumes = pod
            .spec
            .as_ref()
            .and_then(|s| s.volumes.clone())
            .unwrap_or_default();
        let mut mapping: Vec<(String, PathBuf)> = Vec::new();
        for mount in container.volume_mounts.clone().unwrap_or_default() {
            let volume = volumes
                .iter()
                .find(|v| v.name == mount.name)
                .ok_or_else(|| format!("volume {} is not defined", mount.name))?;
            let local = self.materialise(volume, root.path()).await?;
            mapping.push((mount.mount_path.clone(), local));
        }
        let termination = container
            .termination_message_path
            .clone()
            .unwrap_or_else(|| "/dev/termination-log".into());
        let termination_local = root.path().join("termination-log");
        std::fs::write(&termination_local, b"").map_err(|e| e.to_string())?;
        mapping.push((termination.clone(), termination_local.clone()));
        // Longest mount path first, so nested mounts win over their parents.
        mapping.sort_by_key(|(path, _)| std::cmp::Reverse(path.len()));
        let rewrite = |text: &str| rewrite_paths(text, &mapping);
        let args = container
            .args
            .clone()
            .unwrap_or_default()
            .iter()
            .map(|a| rewrite(a))
            .collect();
        let mut env = Vec::new();
        for var in container.env.clone().unwrap_or_default() {
            let value = match (&var.value, &var.value_from) {
                (Some(value), _) => rewrite(value),
                (None, Some(from)) => match &from.secret_key_ref {
                    Some(key) => self.secret_value(&key.name, &key.key).await?,
                    None => return Err(format!("env {}: unsupported valueFrom", var.name)),
                },
                (None, None) => String::new(),
            };
            env.push((var.name, value));
        }
        let tmp = mapping
            .iter()
            .find(|(path, _)| path == "/tmp")
            .map(|(_, local)| local.clone())
            .unwrap_or_else(|| root.path().to_path_buf());
        Ok(Prepared {
            _root: root,
            args,
            env,
            tmp,
            termination: termination_local,
            fallback_to_logs: container.termination_message_policy.as_deref()
                == Some("FallbackToLogsOnError"),
        })
    }

    async fn materialise(&self, volume: &Volume, root: &Path) -> Result<PathBuf, String> {
        let dir = root.join(&volume.name);
        if let Some(claim) = &volume.persistent_volume_claim {
            return self
                .claims
                .get(&claim.claim_name)
                .cloned()
                .ok_or_else(|| format!("no local directory for claim {}", claim.claim_name));
        }
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let (data, items): (HashMap<String, Vec<u8>>, _) = if let Some(source) = &volume.secret {
            let name = source.secret_name.clone().unwrap_or_default();
            let secret = self
                .secrets
                .get(&name)
                .await
                .map_err(|e| format!("secret {name}: {e}"))?;
            let data = secret
                .data
                .unwrap_or_default()
                .into_iter()
                .map(|(k, v)| (k, v.0))
                .collect();
            (data, source.items.clone())
        } else if let Some(source) = &volume.config_map {
            let name = source.name.clone();
            let map = self
                .config_maps
                .get(&name)
                .await
                .map_err(|e| format!("configmap {name}: {e}"))?;
            let data = map
                .data
                .unwrap_or_default()
                .into_iter()
                .map(|(k, v)| (k, v.into_bytes()))
                .collect();
            (data, source.items.clone())
        } else if volume.empty_dir.is_some() || volume.projected.is_some() {
            // Projected volumes (the service-account token) are not needed by `ogf-api`.
            return Ok(dir);
        } else {
            return Err(format!("volume {}: unsupported source", volume.name));
        };
        let files: Vec<(String, String)> = match items {
            Some(items) => items.into_iter().map(|i| (i.key, i.path)).collect(),
            None => data.keys().map(|k| (k.clone(), k.clone())).collect(),
        };
        for (key, path) in files {
            let bytes = data
                .get(&key)
                .ok_or_else(|| format!("volume {}: key {key} missing", volume.name))?;
            let file = dir.join(&path);
            if let Some(parent) = file.parent() {
                std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
            }
            std::fs::write(&file, bytes).map_err(|e| e.to_string())?;
        }
        Ok(dir)
    }

    async fn secret_value(&self, name: &str, key: &str) -> Result<String, String> {
        let secret = self
            .secrets
            .get(name)
            .await
            .map_err(|e| format!("secret {name}: {e}"))?;
        let bytes = secret
            .data
            .and_then(|d| d.get(key).cloned())
            .ok_or_else(|| format!("secret {name}: key {key} missing"))?;
        String::from_utf8(bytes.0).map_err(|e| format!("secret {name}/{key}: {e}"))
    }

    async fn execute(&self, container: &Container, prepared: Prepared) -> Outcome {
        let mut command = tokio::process::Command::new(&self.binary);
        command
            .args(&prepared.args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &prepared.tmp)
            .env("TMPDIR", &prepared.tmp)
            .envs(prepared.env.iter().map(|(k, v)| (k, v)))
            .stdin(std::process::Stdio::null())
            .kill_on_drop(true);
        if let Some(cmd) = &container.command {
            // Only the image's own entrypoint can run here.
            if cmd.first().map(String::as_str) != Some("ogf-api") {
                return Outcome {
                    args: prepared.args,
                    exit_code: -1,
                    message: format!("job runner: cannot run command {cmd:?}"),
                    stderr: String::new(),
                };
            }
            command.args(&cmd[1..]);
        }
        let result = tokio::time::timeout(RUN_TIMEOUT, command.output()).await;
        let (exit_code, stdout, stderr) = match result {
            Ok(Ok(output)) => (
                output.status.code().unwrap_or(-1),
                String::from_utf8_lossy(&output.stdout).into_owned(),
                String::from_utf8_lossy(&output.stderr).into_owned(),
            ),
            Ok(Err(e)) => (-1, String::new(), format!("cannot start: {e}")),
            Err(_) => (-1, String::new(), "killed: ran too long".to_string()),
        };
        let mut message = std::fs::read_to_string(&prepared.termination).unwrap_or_default();
        if message.trim().is_empty() && exit_code != 0 && prepared.fallback_to_logs {
            let logs = format!("{stdout}{stderr}");
            let tail: Vec<&str> = logs.lines().rev().take(80).collect();
            message = tail.into_iter().rev().collect::<Vec<_>>().join("\n");
        }
        Outcome {
            args: prepared.args,
            exit_code,
            message: truncate(message.trim_end(), MESSAGE_LIMIT),
            stderr,
        }
    }

    /// Writes the outcome into the pod's status, as a kubelet would.
    async fn report(&self, pod: &str, container: &Container, outcome: &Outcome) {
        let now = k8s_openapi::jiff::Timestamp::now().to_string();
        let succeeded = outcome.exit_code == 0;
        let status = json!({
            "status": {
                "phase": if succeeded { "Succeeded" } else { "Failed" },
                "conditions": [{"type": "Ready", "status": "False", "reason": "PodCompleted",
                                "lastTransitionTime": now}],
                "containerStatuses": [{
                    "name": container.name,
                    "image": container.image.clone().unwrap_or_default(),
                    "imageID": "",
                    "ready": false,
                    "restartCount": 0,
                    "started": false,
                    "state": {"terminated": {
                        "exitCode": outcome.exit_code,
                        "reason": if succeeded { "Completed" } else { "Error" },
                        "message": outcome.message,
                        "startedAt": now,
                        "finishedAt": now,
                    }}
                }]
            }
        });
        if let Err(e) = self
            .pods
            .patch_status(pod, &PatchParams::default(), &Patch::Merge(&status))
            .await
        {
            eprintln!("job runner: cannot report the outcome of pod {pod}: {e}");
        }
    }
}

struct Prepared {
    /// Holds the materialised volumes until the command has run.
    _root: tempfile::TempDir,
    args: Vec<String>,
    env: Vec<(String, String)>,
    tmp: PathBuf,
    termination: PathBuf,
    fallback_to_logs: bool,
}

struct Outcome {
    args: Vec<String>,
    exit_code: i32,
    message: String,
    stderr: String,
}

/// `text` with every occurrence of a mount path (as a whole path prefix) replaced by its local
/// directory. `mapping` is ordered longest path first.
fn rewrite_paths(text: &str, mapping: &[(String, PathBuf)]) -> String {
    let mut out = String::new();
    let mut rest = text;
    'outer: while !rest.is_empty() {
        for (path, local) in mapping {
            if let Some(after) = rest.strip_prefix(path.as_str()) {
                let boundary = after.is_empty() || after.starts_with('/');
                let at_start = out.is_empty() || out.ends_with('=') || out.ends_with("file://");
                if boundary && at_start {
                    out.push_str(&local.to_string_lossy());
                    rest = after;
                    continue 'outer;
                }
            }
        }
        let mut chars = rest.chars();
        if let Some(c) = chars.next() {
            out.push(c);
        }
        rest = chars.as_str();
    }
    out
}

fn truncate(text: &str, limit: usize) -> String {
    if text.len() <= limit {
        return text.to_string();
    }
    let mut end = limit;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_string()
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mapping() -> Vec<(String, PathBuf)> {
        let mut m = vec![
            ("/var/run/ogf/s3".to_string(), PathBuf::from("/tmp/x/s3")),
            ("/var/lib/ogf".to_string(), PathBuf::from("/tmp/x/data")),
            (
                "/dev/termination-log".to_string(),
                PathBuf::from("/tmp/x/t"),
            ),
        ];
        m.sort_by_key(|(p, _)| std::cmp::Reverse(p.len()));
        m
    }

    #[test]
    fn rewrites_whole_path_prefixes_only() {
        let m = mapping();
        assert_eq!(rewrite_paths("/var/run/ogf/s3", &m), "/tmp/x/s3");
        assert_eq!(rewrite_paths("/var/run/ogf/s3/key", &m), "/tmp/x/s3/key");
        assert_eq!(
            rewrite_paths("--data-dir=/var/lib/ogf", &m),
            "--data-dir=/tmp/x/data"
        );
        assert_eq!(
            rewrite_paths("file:///var/lib/ogf/backups", &m),
            "file:///tmp/x/data/backups"
        );
        assert_eq!(rewrite_paths("/var/lib/ogfx", &m), "/var/lib/ogfx");
        assert_eq!(
            rewrite_paths("s3://bucket/var/lib/ogf", &m),
            "s3://bucket/var/lib/ogf"
        );
        assert_eq!(rewrite_paths("backup", &m), "backup");
    }

    #[test]
    fn truncates_on_char_boundaries() {
        assert_eq!(truncate("héllo", 2), "h");
        assert_eq!(truncate("abc", 10), "abc");
    }
}
