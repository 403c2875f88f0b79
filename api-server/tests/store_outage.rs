//! `/readyz` and store-backed requests while the MongoDB server goes away and comes back, and
//! a stream of writes that the outage interrupts (nothing acknowledged may be lost).
//!
//! The test runs the real app (`app()` served on a loopback port, `--store mongodb`) against a
//! FerretDB process of its own: the test environment's `ferretdb` binary
//! (`$OGF_TESTENV_BIN/ferretdb`) started on free ports with its own SQLite directory, so that
//! stopping it never disturbs other tests using the shared FerretDB. A drop guard kills that
//! process and removes its directory whatever happens. Waits poll with bounded deadlines.
//!
//! Without `OGF_TESTENV_BIN` (or the binary) the test is skipped with a message, and fails
//! when `CI=true`.
// clippy.toml's allow-unwrap-in-tests covers #[test] fns only, not this crate's helpers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::net::{SocketAddr, TcpListener as StdListener};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ogf_api::http::{AppState, app};
use ogf_api::store::{MongoStore, Store};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Longest wait for FerretDB to accept connections, and for the app to notice a change.
const DEADLINE: Duration = Duration::from_secs(60);
/// A store-backed request during the outage must answer within this (server selection
/// timeout of the store, 5 s, plus slack), never hang until the request timeout.
const OUTAGE_ANSWER_WITHIN: Duration = Duration::from_secs(15);

/// A private FerretDB process; killed (and its data removed) on drop.
struct FerretDb {
    binary: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
    debug_port: u16,
    child: Option<Child>,
}

fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl FerretDb {
    /// The test environment's binary, or `None` (skip; a failure under `CI=true`).
    fn binary() -> Option<PathBuf> {
        let found = std::env::var("OGF_TESTENV_BIN")
            .ok()
            .map(|dir| PathBuf::from(dir).join("ferretdb"))
            .filter(|p| p.is_file());
        if found.is_none() {
            let msg = "FerretDB binary not available: $OGF_TESTENV_BIN/ferretdb is missing. Run \
                       `make test`, or `e2e/testenv/testenv.sh up && source \
                       ~/.cache/ogf-testenv/run/env`";
            if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
                panic!("{msg} (CI=true: a missing service is a failure)");
            }
            eprintln!("SKIPPED: {msg}");
        }
        found
    }

    /// Starts a fresh instance on free ports and waits until it accepts connections.
    async fn start_new(binary: PathBuf) -> Self {
        let mut db = Self {
            binary,
            dir: tempfile::tempdir().unwrap(),
            port: free_port(),
            debug_port: free_port(),
            child: None,
        };
        db.start().await;
        db
    }

    fn uri(&self) -> String {
        format!("mongodb://127.0.0.1:{}/", self.port)
    }

    /// Starts the process (same ports, same data) and waits until it accepts connections.
    async fn start(&mut self) {
        assert!(self.child.is_none(), "already running");
        let dir = self.dir.path();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("ferretdb.log"))
            .unwrap();
        let child = Command::new(&self.binary)
            .arg("--handler=sqlite")
            .arg(format!("--sqlite-url=file:{}/", dir.display()))
            .arg(format!("--listen-addr=127.0.0.1:{}", self.port))
            .arg(format!("--debug-addr=127.0.0.1:{}", self.debug_port))
            .arg(format!("--state-dir={}", dir.display()))
            .arg("--telemetry=disable")
            .arg("--log-level=WARN")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        self.child = Some(child);
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", self.port)).await.is_err() {
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                panic!("ferretdb exited with {status}: {}", self.log());
            }
            assert!(
                started.elapsed() < DEADLINE,
                "ferretdb not listening after {DEADLINE:?}: {}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Kills the process and waits until it is gone.
    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("ferretdb.log")).unwrap_or_default()
    }
}

impl Drop for FerretDb {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A response of the minimal HTTP/1.1 client below.
#[derive(Debug)]
struct Reply {
    status: u16,
    content_type: String,
    body: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

/// One request on a fresh connection (`Connection: close`, so the body ends at EOF); the
/// app sets `Content-Length` on every response this test reads.
async fn call(addr: SocketAddr, method: &str, path: &str, body: Option<Value>) -> Reply {
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    let raw = String::from_utf8(raw).unwrap();
    let (head, body) = raw
        .split_once("\r\n\r\n")
        .expect("a complete HTTP response");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status line");
    let content_type = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-type")
                .then(|| value.trim().to_owned())
        })
        .unwrap_or_default();
    Reply {
        status,
        content_type,
        body: body.to_owned(),
    }
}

/// Polls `GET /readyz` until it answers `status`, within [`DEADLINE`]; returns that reply.
async fn wait_ready(addr: SocketAddr, status: u16) -> Reply {
    let started = Instant::now();
    loop {
        let reply = call(addr, "GET", "/readyz", None).await;
        if reply.status == status {
            return reply;
        }
        assert!(
            started.elapsed() < DEADLINE,
            "/readyz still {} after {DEADLINE:?} (want {status}): {}",
            reply.status,
            reply.body
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn assert_unavailable_problem(reply: &Reply, what: &str) {
    assert_eq!(reply.status, 503, "{what}: {}", reply.body);
    assert_eq!(reply.content_type, "application/problem+json", "{what}");
    let p = reply.json();
    assert_eq!(p["status"], 503, "{what}: {p}");
    assert_eq!(
        p["type"], "https://ogf.dev/problems/store-unavailable",
        "{what}: {p}"
    );
    let text = p.to_string();
    assert!(
        !text.contains("127.0.0.1") && !text.to_lowercase().contains("server selection"),
        "{what}: internal details leaked: {text}"
    );
}

async fn register(addr: SocketAddr, email: &str) -> Reply {
    let body = json!({ "email": email, "password": support::app::PASSWORD });
    call(addr, "POST", "/api/v1/auth/register", Some(body)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_follows_the_database_going_away_and_coming_back() {
    let Some(binary) = FerretDb::binary() else {
        return;
    };
    let mut ferret = FerretDb::start_new(binary).await;
    let store = MongoStore::connect(&ferret.uri(), "ogf_outage")
        .await
        .expect("connect to the private FerretDB");
    let store: Arc<dyn Store> = Arc::new(store);
    let state = AppState::new(store, support::unlimited_settings()).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        axum::serve(
            listener,
            app(state).into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
    });

    // Up: ready, and writes work.
    let ready = wait_ready(addr, 200).await;
    assert_eq!(ready.json()["store"], "mongodb");
    assert_eq!(register(addr, "before@example.com").await.status, 201);

    // Down: /readyz turns 503 problem+json; store-backed requests answer 503 promptly.
    ferret.stop();
    let down = wait_ready(addr, 503).await;
    assert_unavailable_problem(&down, "/readyz");
    let asked = Instant::now();
    let listings = call(addr, "GET", "/api/v1/listings?limit=5", None).await;
    assert!(
        asked.elapsed() < OUTAGE_ANSWER_WITHIN,
        "a store-backed request took {:?} during the outage",
        asked.elapsed()
    );
    assert_unavailable_problem(&listings, "GET /api/v1/listings");
    let asked = Instant::now();
    let write = register(addr, "during@example.com").await;
    assert!(asked.elapsed() < OUTAGE_ANSWER_WITHIN + Duration::from_secs(5));
    assert_unavailable_problem(&write, "POST /api/v1/auth/register");

    // Back: ready again, reads and writes work, data written before the outage is there.
    ferret.start().await;
    wait_ready(addr, 200).await;
    let listings = call(addr, "GET", "/api/v1/listings?limit=5", None).await;
    assert_eq!(listings.status, 200, "{}", listings.body);
    assert_eq!(register(addr, "after@example.com").await.status, 201);
    let again = register(addr, "before@example.com").await;
    assert_eq!(again.status, 409, "kept across the restart: {}", again.body);

    server.abort();
    drop(ferret);
}

/// What the writers saw: e-mail addresses whose registration was acknowledged (201), and every
/// other answer.
#[derive(Debug, Default)]
struct WriteLog {
    acknowledged: Vec<String>,
    refused: Vec<Reply>,
}

/// Counts of a [`WriteLog`] without holding its lock across an await.
fn counts(log: &std::sync::Mutex<WriteLog>) -> (usize, usize) {
    let log = log.lock().unwrap();
    (log.acknowledged.len(), log.refused.len())
}

/// Polls until `done(acknowledged, refused)` holds, within [`DEADLINE`].
async fn wait_writes(
    log: &std::sync::Mutex<WriteLog>,
    what: &str,
    done: impl Fn(usize, usize) -> bool,
) {
    let started = Instant::now();
    loop {
        let (acked, refused) = counts(log);
        if done(acked, refused) {
            return;
        }
        assert!(
            started.elapsed() < DEADLINE,
            "{what}: {acked} acknowledged, {refused} refused after {DEADLINE:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Issue 9, fault injection: the database stops in the middle of a stream of writes and comes
/// back. Every write is either acknowledged (201) or refused with a 503 problem, and every
/// acknowledged write is in the database afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_acknowledged_write_is_lost_when_the_database_stops_during_writes() {
    let Some(binary) = FerretDb::binary() else {
        return;
    };
    let mut ferret = FerretDb::start_new(binary).await;
    let store = MongoStore::connect(&ferret.uri(), "ogf_outage_writes")
        .await
        .expect("connect to the private FerretDB");
    let store: Arc<dyn Store> = Arc::new(store);
    let state = AppState::new(store.clone(), support::unlimited_settings()).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        axum::serve(
            listener,
            app(state).into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
    });
    wait_ready(addr, 200).await;

    let log = Arc::new(std::sync::Mutex::new(WriteLog::default()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writers: Vec<_> = (0..3)
        .map(|w| {
            let (log, stop) = (log.clone(), stop.clone());
            tokio::spawn(async move {
                let mut n = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let email = format!("writer{w}-{n}@example.com");
                    n += 1;
                    let reply = register(addr, &email).await;
                    let mut log = log.lock().unwrap();
                    if reply.status == 201 {
                        log.acknowledged.push(email);
                    } else {
                        log.refused.push(reply);
                    }
                }
            })
        })
        .collect();

    // Writes flow, then the database dies under them, then it comes back.
    wait_writes(&log, "before the outage", |acked, _| acked >= 6).await;
    ferret.stop();
    let (acked_at_stop, _) = counts(&log);
    wait_writes(&log, "during the outage", |_, refused| refused >= 3).await;
    ferret.start().await;
    wait_writes(&log, "after the outage", |acked, _| {
        acked >= acked_at_stop + 6
    })
    .await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for w in writers {
        w.await.unwrap();
    }

    let log = std::mem::take(&mut *log.lock().unwrap());
    for reply in &log.refused {
        assert_unavailable_problem(reply, "a write refused during the outage");
    }
    for email in &log.acknowledged {
        let parsed = ogf_api::domain::Email::parse(email).unwrap();
        let user = store.user_by_email(&parsed).await.unwrap();
        assert!(
            user.is_some(),
            "acknowledged registration of {email} was lost"
        );
    }
    server.abort();
    drop(ferret);
}
