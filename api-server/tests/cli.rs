//! The `ogf-api` binary: default `serve`, first-start demo data, env configuration, the
//! start-up line, and graceful shutdown on SIGTERM.
// clippy.toml's allow-unwrap-in-tests covers #[test] fns only, not this crate's helpers.
#![allow(clippy::unwrap_used)]
#![cfg(unix)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_ogf-api");

struct Server {
    child: Child,
    /// Kept open: closing it would make the server's later `println!`s fail.
    stdout: BufReader<ChildStdout>,
    line: String,
    base: String,
}

impl Server {
    fn start(args: &[&str], envs: &[(&str, &str)]) -> Self {
        let mut cmd = Command::new(BIN);
        cmd.args(args)
            .env_remove("OGF_MONGODB_URI")
            .env_remove("OGF_JWT_SECRET")
            .env_remove("OGF_ENVIRONMENT")
            .env_remove("OGF_ADMIN_PASSWORD")
            .env_remove("OGF_BIND_ADDR")
            .env_remove("OGF_BIND")
            .env("OGF_LOG", "warn")
            .env("OGF_SHUTDOWN_DELAY_SECONDS", "0")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        let mut line = String::new();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        stdout.read_line(&mut line).unwrap();
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
        Self {
            child,
            stdout,
            line,
            base,
        }
    }

    /// The next line the server printed on stdout.
    fn next_line(&mut self) -> String {
        let mut line = String::new();
        self.stdout.read_line(&mut line).unwrap();
        line
    }

    fn get(&self, path: &str) -> (u16, String) {
        self.request(&format!("GET {path} HTTP/1.1\r\nHost: test\r\n"))
    }

    fn post_json(&self, path: &str, body: &str) -> (u16, String) {
        self.request(&format!(
            "POST {path} HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\n\r\n{body}",
            body.len()
        ))
    }

    /// Sends `head` (request line and headers, plus any body after a blank line).
    fn request(&self, head: &str) -> (u16, String) {
        let mut stream = TcpStream::connect(&self.base).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let request = match head.split_once("\r\n\r\n") {
            Some((headers, body)) => format!("{headers}\r\nConnection: close\r\n\r\n{body}"),
            None => format!("{head}Connection: close\r\n\r\n"),
        };
        stream.write_all(request.as_bytes()).unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        let status = response[9..12].parse().unwrap();
        let body = response
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_owned())
            .unwrap_or_default();
        (status, body)
    }

    /// Sends SIGTERM, waits for a clean exit, and returns what stdout and stderr still held.
    fn terminate_with_output(mut self) -> (String, String) {
        self.signal_and_wait();
        let mut out = String::new();
        self.stdout.read_to_string(&mut out).unwrap();
        let mut err = String::new();
        self.child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        (out, err)
    }

    /// Sends SIGTERM and waits (bounded) for a clean exit.
    fn terminate(mut self) {
        self.signal_and_wait();
    }

    fn signal_and_wait(&mut self) {
        self.send_sigterm();
        self.wait_for_clean_exit(Duration::from_secs(20));
    }

    fn send_sigterm(&self) {
        let pid = self.child.id().to_string();
        assert!(
            Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .unwrap()
                .success()
        );
    }

    /// Waits (polling, bounded by `within`) for the process to exit with success.
    fn wait_for_clean_exit(&mut self, within: Duration) {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "exit status {status}");
                return;
            }
            assert!(Instant::now() < deadline, "no clean exit within {within:?}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// Reads one HTTP/1.1 response (head and `Content-Length` body) from `stream`.
fn read_response(stream: &mut TcpStream) -> String {
    let mut raw = Vec::new();
    let mut byte = [0u8; 1];
    while !raw.ends_with(b"\r\n\r\n") {
        assert_eq!(
            stream.read(&mut byte).unwrap(),
            1,
            "connection closed early"
        );
        raw.push(byte[0]);
    }
    let head = String::from_utf8(raw).unwrap();
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().unwrap())
        })
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body).unwrap();
    head + &String::from_utf8(body).unwrap()
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
    // Anonymous searches never show drafts; the demo statuses depend only on the seed.
    let published = ogf_api::demo::generate(40, ogf_api::demo::DEFAULT_SEED, chrono::Utc::now())
        .unwrap()
        .iter()
        .filter(|l| l.status != ogf_api::domain::ListingStatus::Draft)
        .count();
    assert_eq!(json["items"].as_array().unwrap().len(), published);
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

#[test]
fn first_start_creates_an_admin_and_prints_its_password_once() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "--bind",
        "127.0.0.1:0",
        "--demo-data",
        "0",
        "--data-dir",
        dir.path().to_str().unwrap(),
    ];
    let mut server = Server::start(&args, &[]);
    let line = server.next_line();
    let password = line
        .strip_prefix("First admin account created: admin@ogf.local  password: ")
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("{line:?}"))
        .to_owned();
    assert!(password.len() >= 12);
    let (status, body) = server.post_json(
        "/api/v1/auth/login",
        &format!(r#"{{"email":"admin@ogf.local","password":"{password}"}}"#),
    );
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("access_token"));
    let (rest, err) = server.terminate_with_output();
    assert_eq!(rest, "", "printed once");
    assert!(!err.contains(&password), "never logged");

    let server = Server::start(&args, &[]);
    let (rest, err) = server.terminate_with_output();
    assert_eq!(rest, "", "not printed again: {rest}");
    assert!(!err.contains(&password));
}

#[test]
fn production_without_a_jwt_secret_refuses_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args([
            "--bind",
            "127.0.0.1:0",
            "--data-dir",
            dir.path().to_str().unwrap(),
        ])
        .env("OGF_ENVIRONMENT", "production")
        .env_remove("OGF_JWT_SECRET")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("OGF_JWT_SECRET") && err.contains("production"),
        "{err}"
    );

    let out = Command::new(BIN)
        .args([
            "--bind",
            "127.0.0.1:0",
            "--data-dir",
            dir.path().to_str().unwrap(),
        ])
        .env("OGF_JWT_SECRET", "tiny-key-value")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("too short"), "{err}");
    assert!(
        !err.contains("tiny-key-value"),
        "the key is never printed: {err}"
    );
}

#[test]
fn starts_with_the_operator_environment() {
    let dir = tempfile::tempdir().unwrap();
    let secret = "operator-generated-jwt-secret-0123456789abcdef";
    let admin_password = "operator admin password";
    let server = Server::start(
        &[],
        &[
            ("OGF_BIND_ADDR", "127.0.0.1:0"),
            ("OGF_LOG_FORMAT", "json"),
            ("OGF_LOG", ""),
            ("OGF_LOG_LEVEL", "info"),
            ("OGF_ENVIRONMENT", "production"),
            ("OGF_STORE", "embedded"),
            ("OGF_DATA_DIR", dir.path().to_str().unwrap()),
            ("OGF_JWT_SECRET", secret),
            ("OGF_ADMIN_PASSWORD", admin_password),
            ("OGF_CORS_ORIGINS", ""),
            ("OGF_RATE_LIMIT_AUTH_PER_MINUTE", "5"),
            ("OGF_RATE_LIMIT_ANONYMOUS_PER_DAY", "200"),
            ("OGF_RATE_LIMIT_USER_PER_MINUTE", "600"),
            ("OGF_CACHE_TTL_LISTINGS_SECONDS", "30"),
            ("OGF_CACHE_TTL_MARKET_DATA_SECONDS", "300"),
            ("OGF_DEMO_DATA", "3"),
        ],
    );
    assert!(
        server
            .line
            .starts_with("OGF API listening on http://127.0.0.1:"),
        "{}",
        server.line
    );
    let (status, body) = server.post_json(
        "/api/v1/auth/login",
        &format!(r#"{{"email":"admin@ogf.local","password":"{admin_password}"}}"#),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(server.get("/healthz").0, 200);
    let (rest, err) = server.terminate_with_output();
    assert!(
        rest.contains("First admin account created: admin@ogf.local (password from"),
        "{rest}"
    );
    assert!(!rest.contains(admin_password));
    assert!(
        err.contains(r#""level":"INFO""#),
        "JSON logs at info: {err}"
    );
    for secret in [secret, admin_password] {
        assert!(!err.contains(secret), "secret in logs");
    }
}

#[test]
fn sigterm_drains_first_readyz_fails_and_responses_close_their_connections() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(
        &["--bind", "127.0.0.1:0"],
        &[
            ("OGF_DATA_DIR", dir.path().to_str().unwrap()),
            ("OGF_DEMO_DATA", "0"),
            ("OGF_SHUTDOWN_DELAY_SECONDS", "10"),
        ],
    );
    // A keep-alive connection opened before the signal, like a client of the old color's.
    let mut kept = TcpStream::connect(&server.base).unwrap();
    kept.set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    kept.write_all(b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n")
        .unwrap();
    let before = read_response(&mut kept).to_ascii_lowercase();
    assert!(before.starts_with("http/1.1 200"), "{before}");
    assert!(!before.contains("connection: close"), "{before}");

    server.send_sigterm();
    let deadline = Instant::now() + Duration::from_secs(5);
    let (status, body) = loop {
        let (status, body) = server.get("/readyz");
        if status == 503 || Instant::now() > deadline {
            break (status, body);
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status, 503, "readyz while draining: {body}");
    assert!(body.contains("shutting-down"), "{body}");

    // Still served while draining, and told to reconnect elsewhere.
    kept.write_all(b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n")
        .unwrap();
    let during = read_response(&mut kept).to_ascii_lowercase();
    assert!(during.starts_with("http/1.1 200"), "{during}");
    assert!(during.contains("connection: close"), "{during}");
    let mut rest = Vec::new();
    kept.read_to_end(&mut rest).unwrap();
    assert!(
        rest.is_empty(),
        "the server closed the connection after the response"
    );
    assert!(
        server.child.try_wait().unwrap().is_none(),
        "still running while draining"
    );

    server.wait_for_clean_exit(Duration::from_secs(30));
}
