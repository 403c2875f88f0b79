//! The `ogf-api` binary: default `serve`, first-start demo data, env configuration, the
//! start-up line, and graceful shutdown on SIGTERM.
// clippy.toml's allow-unwrap-in-tests covers #[test] fns only, not this crate's helpers.
#![allow(clippy::unwrap_used)]
#![cfg(unix)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_ogf-api");

struct Server {
    child: Child,
    line: String,
    base: String,
}

impl Server {
    fn start(args: &[&str], envs: &[(&str, &str)]) -> Self {
        let mut cmd = Command::new(BIN);
        cmd.args(args)
            .env_remove("OGF_MONGODB_URI")
            .env("OGF_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        if line.is_empty() {
            let mut err = String::new();
            child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut err)
                .unwrap();
            panic!("no start-up line; stderr: {err}");
        }
        let url = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap_or_else(|| panic!("no URL in {line:?}"));
        let base = url.trim_start_matches("http://").to_owned();
        Self { child, line, base }
    }

    fn get(&self, path: &str) -> (u16, String) {
        let mut stream = TcpStream::connect(&self.base).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        let status = response[9..12].parse().unwrap();
        let body = response
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_owned())
            .unwrap_or_default();
        (status, body)
    }

    /// Sends SIGTERM and waits (bounded) for a clean exit.
    fn terminate(mut self) {
        let pid = self.child.id().to_string();
        assert!(
            Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .unwrap()
                .success()
        );
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "exit status {status}");
                return;
            }
            assert!(Instant::now() < deadline, "no exit within 20 s of SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn serves_by_default_loads_demo_data_once_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().to_str().unwrap();
    let server = Server::start(
        &["--bind", "127.0.0.1:0"],
        &[("OGF_DATA_DIR", data_dir), ("OGF_DEMO_DATA", "40")],
    );
    assert!(
        server
            .line
            .starts_with("OGF API listening on http://127.0.0.1:"),
        "{}",
        server.line
    );
    assert!(
        server.line.contains(&format!(
            "(store: embedded at {data_dir}, 40 demo listings loaded)"
        )),
        "{}",
        server.line
    );
    let (status, body) = server.get("/api/v1/listings?limit=100");
    assert_eq!(status, 200);
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["items"].as_array().unwrap().len(), 40);
    assert_eq!(server.get("/readyz").0, 200);
    server.terminate();

    // Second start on the same directory: no new demo data; explicit `serve` works too.
    let server = Server::start(
        &[
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--data-dir",
            data_dir,
            "--log-format",
            "json",
        ],
        &[],
    );
    assert!(server.line.contains("40 listings)"), "{}", server.line);
    let (status, body) = server.get("/api/v1/status");
    assert_eq!(status, 200);
    assert!(body.contains(r#""store":"embedded""#), "{body}");
    server.terminate();
}

#[test]
fn demo_data_can_be_disabled() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        &[
            "--bind",
            "127.0.0.1:0",
            "--demo-data",
            "0",
            "--data-dir",
            dir.path().to_str().unwrap(),
        ],
        &[],
    );
    assert!(server.line.contains(", 0 listings)"), "{}", server.line);
    server.terminate();
}

#[test]
fn mongodb_store_without_uri_is_a_clear_start_up_error() {
    let out = Command::new(BIN)
        .args(["--store", "mongodb", "--bind", "127.0.0.1:0"])
        .env_remove("OGF_MONGODB_URI")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("OGF_MONGODB_URI"), "{err}");
}

#[test]
fn rejects_unknown_store_kind() {
    let out = Command::new(BIN)
        .args(["--store", "postgres"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "clap usage error");
}

#[test]
fn serves_from_mongodb_when_configured() {
    let Ok(uri) = std::env::var("OGF_MONGODB_URI") else {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("OGF_MONGODB_URI not set: run via `make test` which starts FerretDB");
        }
        eprintln!("skipped: OGF_MONGODB_URI not set");
        return;
    };
    let db = format!("ogf_test_{}", uuid::Uuid::new_v4().simple());
    let server = Server::start(
        &[
            "--store",
            "mongodb",
            "--bind",
            "127.0.0.1:0",
            "--mongodb-database",
            &db,
            "--demo-data",
            "25",
        ],
        &[("OGF_MONGODB_URI", &uri)],
    );
    let result = std::panic::catch_unwind(|| {
        assert!(
            server
                .line
                .contains(&format!(", database {db}, 25 demo listings loaded)")),
            "{}",
            server.line
        );
        let (status, body) = server.get("/api/v1/listings?limit=10&type=");
        assert_eq!(status, 200, "{body}");
        assert_eq!(server.get("/readyz").0, 200);
        server
    });
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = ogf_api::store::MongoStore::connect(&uri, &db)
            .await
            .unwrap();
        store.drop_database().await.unwrap();
    });
    match result {
        Ok(server) => server.terminate(),
        Err(panic) => std::panic::resume_unwind(panic),
    }
}
