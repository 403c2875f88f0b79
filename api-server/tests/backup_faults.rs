//! Fault injection for backups (issue 9, item 3): the S3 server dies in the middle of an upload.
//! The backup must fail cleanly (non-zero exit, a clear message, a failure result line), the
//! earlier artifact must stay listed and restorable, and retention must delete nothing because
//! of the failure.
//!
//! The test runs its own MinIO (the test environment's binary, `$OGF_TESTENV_BIN/minio`, on
//! free ports with its own data directory), so that killing it never disturbs other tests.
//! Without the binary the test is skipped with a message, and fails when `CI=true`.
#![allow(clippy::unwrap_used)]
#![cfg(unix)]

mod backup_support;

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

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

fn curl(args: &[&str]) -> Output {
    Command::new("curl").args(args).output().unwrap()
}

/// `--destination ... --s3-*` flags for the private MinIO.
fn dest_flags(minio: &MinIo, creds: &std::path::Path) -> Vec<String> {
    [
        "--destination",
        &format!("s3://{BUCKET}/nightly"),
        "--s3-endpoint",
        &minio.endpoint(),
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

fn listed_ids(minio: &MinIo, creds: &std::path::Path) -> Vec<String> {
    let mut args = vec!["backup".to_owned(), "list".to_owned()];
    args.extend(dest_flags(minio, creds));
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_dying_mid_upload_fails_the_backup_and_keeps_earlier_artifacts() {
    let Some(binary) = MinIo::binary() else {
        return;
    };
    let mut minio = MinIo {
        binary,
        dir: tempfile::tempdir().unwrap(),
        port: free_port(),
        console_port: free_port(),
        child: None,
    };
    minio.start();
    minio.create_bucket();
    let creds = tempfile::tempdir().unwrap();
    std::fs::write(creds.path().join("AWS_ACCESS_KEY_ID"), USER).unwrap();
    std::fs::write(creds.path().join("AWS_SECRET_ACCESS_KEY"), PASSWORD).unwrap();
    let keys = Keys::new();
    let data = tempfile::tempdir().unwrap();
    create_embedded(data.path()).await;
    let backup_args = |id: &str| -> Vec<String> {
        let mut args = [
            "backup",
            "--data-dir",
            data.path().to_str().unwrap(),
            "--recipient",
            &keys.recipient,
            "--compression-level",
            "1",
            "--id",
            id,
        ]
        .map(str::to_owned)
        .to_vec();
        args.extend(dest_flags(&minio, creds.path()));
        args
    };

    // A good backup first.
    let o = run(&backup_args("good"));
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(listed_ids(&minio, creds.path()), ["good"]);

    // A large one, and MinIO dies while its parts are uploading.
    fill(data.path());
    let mut child = Command::new(BIN)
        .args(backup_args("interrupted"))
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

    // S3 back: only the good artifact is listed, retention keeps it, and it still restores.
    minio.start();
    assert_eq!(listed_ids(&minio, creds.path()), ["good"]);
    let mut prune = ["backup", "prune", "--keep-last", "1"]
        .map(str::to_owned)
        .to_vec();
    prune.extend(dest_flags(&minio, creds.path()));
    let o = run(&prune);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(listed_ids(&minio, creds.path()), ["good"]);
    let mut verify = [
        "backup",
        "verify",
        "--data-dir",
        data.path().to_str().unwrap(),
        "--artifact",
        "good",
        "--identity-file",
        keys.identity_file.to_str().unwrap(),
    ]
    .map(str::to_owned)
    .to_vec();
    verify.extend(dest_flags(&minio, creds.path()));
    let o = run(&verify);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(last_line(&o)["verified"], true);
}
