//! Fault injection for backups (issue 9, item 3): the S3 server dies, or fills up, in the middle
//! of an upload. The backup must fail cleanly (non-zero exit, a clear message, a failure result
//! line), leave no half-uploaded parts behind, the earlier artifact must stay listed and
//! restorable, and retention must delete nothing because of the failure.
//!
//! "Full" is MinIO's own answer when its drives are full (`507 XMinioStorageFull`), given by a
//! small proxy in front of the real MinIO once a byte budget is spent: filling a real disk would
//! need a size-limited mount, which test machines do not always allow.
//!
//! The tests run their own MinIO (the test environment's binary, `$OGF_TESTENV_BIN/minio`, on
//! free ports with its own data directory), so that killing it never disturbs other tests.
//! Without the binary the test is skipped with a message, and fails when `CI=true`.
#![allow(clippy::unwrap_used)]
#![cfg(unix)]

mod backup_support;

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};

use backup_support::{Keys, create_embedded, fill};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_ogf-api");
const USER: &str = "faults-user";
const PASSWORD: &str = "faults-password-1";
const BUCKET: &str = "faults";
/// Longest wait for MinIO to become live.
const DEADLINE: Duration = Duration::from_secs(60);

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A private MinIO; killed on drop, data kept across [`MinIo::stop`] and [`MinIo::start`].
struct MinIo {
    binary: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
    console_port: u16,
    child: Option<Child>,
}

impl MinIo {
    fn binary() -> Option<PathBuf> {
        let found = std::env::var("OGF_TESTENV_BIN")
            .ok()
            .map(|d| PathBuf::from(d).join("minio"))
            .filter(|p| p.is_file());
        if found.is_none() {
            let msg = "MinIO binary not available ($OGF_TESTENV_BIN/minio): run `make test`";
            assert!(
                !std::env::var("CI").is_ok_and(|v| v == "true"),
                "{msg} (CI=true: a missing service is a failure)"
            );
            eprintln!("SKIPPED: {msg}");
        }
        found
    }

    /// A private MinIO, started, with the test bucket; `None` (skipped) without the binary.
    fn running() -> Option<Self> {
        let mut minio = MinIo {
            binary: Self::binary()?,
            dir: tempfile::tempdir().unwrap(),
            port: free_port(),
            console_port: free_port(),
            child: None,
        };
        minio.start();
        minio.create_bucket();
        Some(minio)
    }

    /// Multipart uploads started in the bucket and neither completed nor aborted.
    fn pending_uploads(&self) -> usize {
        let o = curl(&[
            "-fsS",
            "--max-time",
            "10",
            "--aws-sigv4",
            "aws:amz:us-east-1:s3",
            "--user",
            &format!("{USER}:{PASSWORD}"),
            &format!("{}/{BUCKET}?uploads=", self.endpoint()),
        ]);
        assert!(o.status.success(), "list multipart uploads: {o:?}");
        String::from_utf8_lossy(&o.stdout)
            .matches("<Upload>")
            .count()
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn start(&mut self) {
        assert!(self.child.is_none(), "already running");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join("minio.log"))
            .unwrap();
        let child = Command::new(&self.binary)
            .arg("server")
            .arg(self.dir.path().join("data"))
            .args(["--address", &format!("127.0.0.1:{}", self.port)])
            .args([
                "--console-address",
                &format!("127.0.0.1:{}", self.console_port),
            ])
            .arg("--quiet")
            .env("MINIO_ROOT_USER", USER)
            .env("MINIO_ROOT_PASSWORD", PASSWORD)
            .env("MINIO_BROWSER", "off")
            .env("MINIO_UPDATE", "off")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        self.child = Some(child);
        let started = Instant::now();
        let live = format!("{}/minio/health/live", self.endpoint());
        while !curl(&["-fsS", "--max-time", "2", &live]).status.success() {
            assert!(
                started.elapsed() < DEADLINE,
                "minio not live after {DEADLINE:?}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn create_bucket(&self) {
        let o = curl(&[
            "-fsS",
            "--max-time",
            "10",
            "-X",
            "PUT",
            "--aws-sigv4",
            "aws:amz:us-east-1:s3",
            "--user",
            &format!("{USER}:{PASSWORD}"),
            &format!("{}/{BUCKET}", self.endpoint()),
        ]);
        assert!(o.status.success(), "create bucket: {o:?}");
    }
}

impl Drop for MinIo {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A directory with the private MinIO's credentials, as the backup reads them.
fn credentials() -> tempfile::TempDir {
    let creds = tempfile::tempdir().unwrap();
    std::fs::write(creds.path().join("AWS_ACCESS_KEY_ID"), USER).unwrap();
    std::fs::write(creds.path().join("AWS_SECRET_ACCESS_KEY"), PASSWORD).unwrap();
    creds
}

/// A proxy in front of MinIO that answers writes as a full MinIO does (`507
/// XMinioStorageFull`) once `capacity` bytes of request bodies have been written through it.
/// Requests are forwarded unchanged (their SigV4 signatures stay valid).
struct FullProxy {
    upstream: String,
    client: reqwest::Client,
    written: AtomicU64,
    capacity: AtomicU64,
}

impl FullProxy {
    /// Starts the proxy in front of `upstream`, unlimited until [`FullProxy::fill_after`].
    async fn start(upstream: String) -> (Arc<Self>, String) {
        let proxy = Arc::new(Self {
            upstream,
            client: reqwest::Client::new(),
            written: AtomicU64::new(0),
            capacity: AtomicU64::new(u64::MAX),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let app = axum::Router::new()
            .fallback(forward)
            .with_state(proxy.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (proxy, endpoint)
    }

    /// From now on, at most `bytes` more bytes are written before the storage is full.
    fn fill_after(&self, bytes: u64) {
        let written = self.written.load(Ordering::SeqCst);
        self.capacity.store(written + bytes, Ordering::SeqCst);
    }
}

async fn forward(State(proxy): State<Arc<FullProxy>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, 256 << 20).await else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    if parts.method == Method::PUT || parts.method == Method::POST {
        let len = body.len() as u64;
        let written = proxy.written.fetch_add(len, Ordering::SeqCst) + len;
        if written > proxy.capacity.load(Ordering::SeqCst) {
            proxy.written.fetch_sub(len, Ordering::SeqCst);
            return storage_full(parts.uri.path());
        }
    }
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let mut upstream = proxy
        .client
        .request(parts.method.clone(), format!("{}{path}", proxy.upstream))
        .body(body);
    for (name, value) in &parts.headers {
        if name != header::CONTENT_LENGTH && name != header::TRANSFER_ENCODING {
            upstream = upstream.header(name, value);
        }
    }
    let Ok(answer) = upstream.send().await else {
        return StatusCode::BAD_GATEWAY.into_response();
    };
    let mut response = Response::builder().status(answer.status());
    for (name, value) in answer.headers() {
        if name != header::CONTENT_LENGTH && name != header::TRANSFER_ENCODING {
            response = response.header(name, value);
        }
    }
    let body = answer.bytes().await.unwrap_or_default();
    response.body(Body::from(body)).unwrap()
}

/// What MinIO answers a write when its drives are full.
fn storage_full(resource: &str) -> Response {
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>XMinioStorageFull</Code>\
         <Message>Storage backend has reached its minimum free drive threshold. Please delete a \
         few objects to proceed.</Message><Resource>{resource}</Resource>\
         <RequestId>e2e-full</RequestId></Error>"
    );
    Response::builder()
        .status(StatusCode::INSUFFICIENT_STORAGE)
        .header(header::CONTENT_TYPE, "application/xml")
        .body(Body::from(Bytes::from(xml)))
        .unwrap()
}

fn curl(args: &[&str]) -> Output {
    Command::new("curl").args(args).output().unwrap()
}

/// `--destination ... --s3-*` flags for the private MinIO.
fn dest_flags(endpoint: &str, creds: &std::path::Path) -> Vec<String> {
    [
        "--destination",
        &format!("s3://{BUCKET}/nightly"),
        "--s3-endpoint",
        endpoint,
        "--s3-region",
        "us-east-1",
        "--s3-force-path-style",
        "--s3-credentials-dir",
        creds.to_str().unwrap(),
    ]
    .map(str::to_owned)
    .to_vec()
}

fn run(args: &[String]) -> Output {
    Command::new(BIN)
        .args(args)
        .env_remove("OGF_MONGODB_URI")
        .env_remove("OGF_STORE")
        .output()
        .unwrap()
}

fn last_line(out: &Output) -> Value {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().last().unwrap_or_else(|| {
        panic!(
            "no output; stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    serde_json::from_str(line).unwrap()
}

fn listed_ids(endpoint: &str, creds: &std::path::Path) -> Vec<String> {
    let mut args = vec!["backup".to_owned(), "list".to_owned()];
    args.extend(dest_flags(endpoint, creds));
    let o = run(&args);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

/// One backup scenario: an embedded store, age keys and S3 credentials, backing up through
/// `endpoint` (MinIO itself, or a proxy in front of it).
struct Scenario {
    endpoint: String,
    creds: tempfile::TempDir,
    keys: Keys,
    data: tempfile::TempDir,
}

impl Scenario {
    async fn new(endpoint: String) -> Self {
        let data = tempfile::tempdir().unwrap();
        create_embedded(data.path()).await;
        Self {
            endpoint,
            creds: credentials(),
            keys: Keys::new(),
            data,
        }
    }

    fn args(&self, command: &[&str], with_data: bool) -> Vec<String> {
        let mut args: Vec<String> = command.iter().map(|&a| a.to_owned()).collect();
        if with_data {
            args.extend([
                "--data-dir".to_owned(),
                self.data.path().display().to_string(),
            ]);
        }
        args.extend(dest_flags(&self.endpoint, self.creds.path()));
        args
    }

    /// `ogf-api backup` of the store as artifact `id` (level 1: the tests need speed).
    fn backup_args(&self, id: &str) -> Vec<String> {
        let recipient = self.keys.recipient.as_str();
        let command = [
            "backup",
            "--recipient",
            recipient,
            "--compression-level",
            "1",
            "--id",
            id,
        ];
        self.args(&command, true)
    }

    /// A backup `good` that succeeds and is listed.
    fn good_backup(&self) {
        succeeded(&run(&self.backup_args("good")));
        assert_eq!(self.listed(), ["good"]);
    }

    fn listed(&self) -> Vec<String> {
        listed_ids(&self.endpoint, self.creds.path())
    }

    /// After a failed backup: only `good` is listed, retention keeps it, and it verifies.
    fn good_backup_survives(&self) {
        assert_eq!(self.listed(), ["good"]);
        succeeded(&run(
            &self.args(&["backup", "prune", "--keep-last", "1"], false)
        ));
        assert_eq!(self.listed(), ["good"]);
        let identity = self.keys.identity_file.to_str().unwrap();
        let verify = [
            "backup",
            "verify",
            "--artifact",
            "good",
            "--identity-file",
            identity,
        ];
        let o = run(&self.args(&verify, true));
        succeeded(&o);
        assert_eq!(last_line(&o)["verified"], true);
    }
}

fn succeeded(o: &Output) {
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_dying_mid_upload_fails_the_backup_and_keeps_earlier_artifacts() {
    let Some(mut minio) = MinIo::running() else {
        return;
    };
    let scenario = Scenario::new(minio.endpoint()).await;
    scenario.good_backup();

    // A large one, and MinIO dies while its parts are uploading.
    fill(scenario.data.path());
    let mut child = Command::new(BIN)
        .args(scenario.backup_args("interrupted"))
        .env_remove("OGF_MONGODB_URI")
        .env_remove("OGF_STORE")
        .env("OGF_LOG", "ogf_api::backup=debug")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut seen = false;
    let mut line = String::new();
    while stderr.read_line(&mut line).unwrap() > 0 {
        if line.contains("upload progress") {
            seen = true;
            break;
        }
        line.clear();
    }
    assert!(seen, "the backup finished before MinIO could be stopped");
    minio.stop();
    // The engine's S3 retries are bounded (30 s); the backup must end by itself, not hang.
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success(), "the interrupted backup succeeded");
    assert!(
        rest.contains("error: backup failed"),
        "no clear message on stderr: {rest}"
    );
    let failure = last_line(&out);
    assert_eq!(failure["ok"], false, "{failure}");
    assert_eq!(failure["command"], "backup", "{failure}");

    // S3 back: the good artifact is untouched.
    minio.start();
    scenario.good_backup_survives();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_full_mid_upload_fails_the_backup_and_keeps_earlier_artifacts() {
    let Some(minio) = MinIo::running() else {
        return;
    };
    let (proxy, endpoint) = FullProxy::start(minio.endpoint()).await;
    let scenario = Scenario::new(endpoint).await;
    scenario.good_backup();

    // The storage fills up a few MiB into a 24 MiB backup (random data: it does not compress).
    fill(scenario.data.path());
    proxy.fill_after(6 << 20);
    let started = Instant::now();
    let out = run(&scenario.backup_args("too-big"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "the backup succeeded on a full S3");
    assert!(
        started.elapsed() < Duration::from_secs(120),
        "the failing backup took {:?}",
        started.elapsed()
    );
    assert!(
        stderr.contains("error: backup failed"),
        "no clear message: {stderr}"
    );
    let failure = last_line(&out);
    assert_eq!(failure["ok"], false, "{failure}");
    assert_eq!(failure["reason"], "DestinationError", "{failure}");
    assert!(
        failure["message"]
            .as_str()
            .is_some_and(|m| m.contains("XMinioStorageFull")),
        "the message names the cause: {failure}"
    );
    assert_eq!(
        minio.pending_uploads(),
        0,
        "the failed multipart upload was not aborted: its parts would keep filling the storage"
    );
    scenario.good_backup_survives();
}
