//! API fuzzing (issue 9, item 1): Schemathesis (PyPI, installed by `scripts/install-deps.sh`)
//! runs against `/openapi.json` of a live `ogf-api` binary on each store, signed in as an
//! admin, with a fixed seed and a bounded number of examples per operation. It must find no
//! 5xx, no response that breaks its documented schema or content type, and no hang (each
//! request has a timeout). Regressions it found are ordinary tests in the HTTP test files.
//!
//! Reproduce by hand: `cargo test -p ogf-api --test schemathesis -- --nocapture` (the failing
//! cases are printed with a `curl` line each). `OGF_SCHEMATHESIS_EXAMPLES` raises the number of
//! examples per operation for a longer local run.
// clippy.toml's allow-unwrap-in-tests covers #[test] fns only, not this crate's helpers.
#![allow(clippy::unwrap_used)]
#![cfg(unix)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_ogf-api");
const SEED: &str = "20261202";
const ADMIN_EMAIL: &str = "fuzz-admin@ogf.local";
const ADMIN_PASSWORD: &str = "fuzz-admin-password-1";
const BUYER_EMAIL: &str = "fuzz-buyer@ogf.local";

/// The `st` command: `OGF_SCHEMATHESIS`, or the venv `install-deps.sh` makes.
fn schemathesis() -> Option<PathBuf> {
    let path = std::env::var_os("OGF_SCHEMATHESIS")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .map(|h| PathBuf::from(h).join(".cache/ogf-tools/schemathesis/bin/st"))
        })?;
    path.is_file().then_some(path)
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// A running `ogf-api serve`, killed on drop.
struct Server {
    child: Child,
    base: String,
    /// Kept open: the server prints more lines, and a closed pipe would make it panic.
    _stdout: BufReader<ChildStdout>,
    _data: tempfile::TempDir,
}

impl Server {
    fn start(store_env: &[(&str, String)]) -> Self {
        let data = tempfile::tempdir().unwrap();
        let mut cmd = Command::new(BIN);
        cmd.args(["serve", "--bind", "127.0.0.1:0"])
            .env_remove("OGF_MONGODB_URI")
            .env("OGF_DATA_DIR", data.path())
            .env("OGF_DEMO_DATA", "60")
            .env("OGF_LOG", "error")
            .env("OGF_ADMIN_EMAIL", ADMIN_EMAIL)
            .env("OGF_ADMIN_PASSWORD", ADMIN_PASSWORD)
            // Fuzzing sends thousands of requests from one address: limits would turn most of
            // them into 429s and hide the handlers from the fuzzer.
            .env("OGF_RATE_LIMIT_AUTH_PER_MINUTE", "0")
            .env("OGF_RATE_LIMIT_ANONYMOUS_PER_DAY", "0")
            .env("OGF_RATE_LIMIT_USER_PER_MINUTE", "0")
            .env("OGF_RATE_LIMIT_TRADING_PER_MINUTE", "0")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        for (k, v) in store_env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        let mut line = String::new();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        stdout.read_line(&mut line).unwrap();
        let base = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap_or_else(|| panic!("no URL in the start-up line {line:?}"))
            .to_owned();
        Self {
            child,
            base,
            _stdout: stdout,
            _data: data,
        }
    }

    /// POSTs JSON with curl; the parsed response body.
    fn post(&self, path: &str, body: &str) -> serde_json::Value {
        let out = Command::new("curl")
            .args(["-fsS", "-H", "content-type: application/json", "-d", body])
            .arg(format!("{}{path}", self.base))
            .output()
            .unwrap();
        assert!(out.status.success(), "POST {path} failed: {out:?}");
        serde_json::from_slice(&out.stdout).unwrap()
    }

    /// An access token for the first admin, or for a newly registered buyer.
    fn token(&self, who: Who) -> String {
        let (email, password) = match who {
            Who::Admin => (ADMIN_EMAIL, ADMIN_PASSWORD),
            Who::Buyer => {
                let body = format!(r#"{{"email":"{BUYER_EMAIL}","password":"{ADMIN_PASSWORD}"}}"#);
                self.post("/api/v1/auth/register", &body);
                (BUYER_EMAIL, ADMIN_PASSWORD)
            }
        };
        let body = format!(r#"{{"email":"{email}","password":"{password}"}}"#);
        let session = self.post("/api/v1/auth/login", &body);
        session["access_token"].as_str().unwrap().to_owned()
    }
}

/// Whom the fuzzer signs in as: the admin reaches every admin and seller route, the buyer the
/// buyer-only ones (bids, offers).
#[derive(Debug, Clone, Copy)]
enum Who {
    Admin,
    Buyer,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs Schemathesis against `server` as the admin, then as a buyer; panics with its report
/// when it finds anything.
fn fuzz(server: &Server, st: &Path, label: &str) {
    for who in [Who::Admin, Who::Buyer] {
        let token = server.token(who);
        run_schemathesis(server, st, &token, &format!("{label} store as {who:?}"));
    }
}

fn run_schemathesis(server: &Server, st: &Path, token: &str, label: &str) {
    let examples = std::env::var("OGF_SCHEMATHESIS_EXAMPLES").unwrap_or_else(|_| "25".into());
    let report = tempfile::tempdir().unwrap();
    let out = Command::new(st)
        .arg("run")
        .arg(format!("{}/openapi.json", server.base))
        .args(["--url", &server.base])
        .args([
            "--checks",
            "not_a_server_error,response_schema_conformance,content_type_conformance",
        ])
        .args(["--max-examples", &examples, "--seed", SEED])
        .args(["--phases", "examples,coverage,fuzzing"])
        .args(["--workers", "2", "--request-timeout", "15"])
        .args(["-H", &format!("Authorization: Bearer {token}")])
        // Signing out (or revoking our own sessions) would end the run's authentication.
        .args(["--exclude-path", "/api/v1/auth/logout"])
        .args(["--exclude-path-regex", "^/api/v1/admin/users/\\{id\\}"])
        .args(["--report", "junit", "--report-dir"])
        .arg(report.path())
        .arg("--no-color")
        // Hypothesis keeps its example database in the working directory.
        .current_dir(report.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "schemathesis found problems on the {label} (exit {:?}):\n{stdout}\n{stderr}",
        out.status.code()
    );
    // A run that generated nothing would pass vacuously.
    let generated = stdout
        .lines()
        .find(|l| l.contains(" generated,"))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|n| n.parse::<u64>().ok())
        .unwrap_or(0);
    assert!(
        generated > 0,
        "schemathesis tested nothing on the {label}:\n{stdout}\n{stderr}"
    );
    eprintln!("schemathesis on the {label}:\n{stdout}");
}

fn tool_or_skip() -> Option<PathBuf> {
    let st = schemathesis();
    if st.is_none() {
        assert!(
            !in_ci(),
            "schemathesis is not installed: run scripts/install-deps.sh (make test does)"
        );
        eprintln!("SKIPPED: schemathesis not installed (scripts/install-deps.sh installs it)");
    }
    st
}

#[test]
fn embedded_store_survives_schemathesis() {
    let Some(st) = tool_or_skip() else { return };
    let server = Server::start(&[]);
    fuzz(&server, &st, "embedded");
}

#[test]
fn mongodb_store_survives_schemathesis() {
    let Some(st) = tool_or_skip() else { return };
    let Ok(uri) = std::env::var("OGF_MONGODB_URI") else {
        assert!(!in_ci(), "OGF_MONGODB_URI not set: run via `make test`");
        eprintln!("SKIPPED: OGF_MONGODB_URI not set (needs FerretDB or MongoDB)");
        return;
    };
    let database = format!("ogf_fuzz_{}", uuid::Uuid::new_v4().simple());
    let server = Server::start(&[
        ("OGF_STORE", "mongodb".to_owned()),
        ("OGF_MONGODB_URI", uri.clone()),
        ("OGF_MONGODB_DATABASE", database.clone()),
    ]);
    let result = std::panic::catch_unwind(|| fuzz(&server, &st, "mongodb"));
    drop(server);
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let store = ogf_api::store::MongoStore::connect(&uri, &database)
            .await
            .unwrap();
        store.drop_database().await.unwrap();
    });
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
}
