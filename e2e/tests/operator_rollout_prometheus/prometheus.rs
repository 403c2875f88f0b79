//! A real Prometheus for a test: Debian's `prometheus` server (extracted by
//! `scripts/install-deps.sh`) on a free loopback port with a config written by the test,
//! scraping a real `/metrics` endpoint served by the test every second; killed on drop.
//!
//! A missing binary skips the test with a message, and fails it under `CI=true`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use serde_json::Value;

/// How long Prometheus gets to start and to scrape what a test waits for.
const PROMETHEUS_WAIT: Duration = Duration::from_secs(90);
/// How often the test looks at Prometheus' API while it waits.
const POLL: Duration = Duration::from_millis(200);
/// Requests counted per scrape by [`ApiMetrics`].
const REQUESTS_PER_SCRAPE: u64 = 1000;

/// The PromQL error ratio the Rollout checks query: 5xx responses over all, over 5 s.
pub const ERROR_RATIO: &str = "sum(rate(ogf_http_requests_total{job=\"shop-preview\",code=~\"5..\"}[5s])) \
     / sum(rate(ogf_http_requests_total{job=\"shop-preview\"}[5s]))";

/// The `prometheus` server binary: on `PATH`, else where `scripts/install-deps.sh` extracts
/// it (`~/.cache/ogf-testenv/promtool/<version>/usr/bin/prometheus`).
pub fn binary() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join("prometheus"))
            .find(|p| p.is_file())
    });
    let cached = || {
        let dir = PathBuf::from(std::env::var_os("HOME")?).join(".cache/ogf-testenv/promtool");
        let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
            .ok()?
            .filter_map(Result::ok)
            .map(|e| e.path().join("usr/bin/prometheus"))
            .filter(|p| p.is_file())
            .collect();
        found.sort();
        found.pop()
    };
    on_path.or_else(cached).or_else(|| {
        let msg = "the prometheus server is not available (run scripts/install-deps.sh)";
        if ogf_e2e::env::in_ci() {
            panic!("{msg} (CI=true: a missing tool is a failure)");
        }
        eprintln!("SKIPPED: {msg}");
        None
    })
}

/// A `/metrics` endpoint like the API's: `ogf_http_requests_total{code}` counters that grow
/// by [`REQUESTS_PER_SCRAPE`] per scrape, of which the test-controlled error ratio are 500s.
#[derive(Clone, Debug)]
pub struct ApiMetrics {
    state: Arc<Mutex<Counters>>,
}

#[derive(Debug, Default)]
struct Counters {
    /// Errors per thousand requests from now on.
    errors_per_mille: u64,
    ok: u64,
    errors: u64,
}

impl ApiMetrics {
    /// Serves `/metrics` on a free loopback port; returns it and its `host:port`.
    pub async fn serve(errors_per_mille: u64) -> (Self, String) {
        let metrics = Self {
            state: Arc::new(Mutex::new(Counters {
                errors_per_mille,
                ..Counters::default()
            })),
        };
        let scraped = metrics.clone();
        let app = Router::new().route(
            "/metrics",
            get(move || {
                let scraped = scraped.clone();
                async move { scraped.scrape() }
            }),
        );
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .expect("bind the metrics endpoint");
        let address = listener.local_addr().expect("address").to_string();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        (metrics, address)
    }

    /// Sets the share of 500s (per thousand requests) in the requests counted from now on.
    pub fn set_errors_per_mille(&self, errors_per_mille: u64) {
        self.state.lock().expect("counters").errors_per_mille = errors_per_mille;
    }

    fn scrape(&self) -> String {
        let mut c = self.state.lock().expect("counters");
        let errors = c.errors_per_mille.min(REQUESTS_PER_SCRAPE);
        c.errors += errors;
        c.ok += REQUESTS_PER_SCRAPE - errors;
        format!(
            "# HELP ogf_http_requests_total HTTP requests by status code.\n\
             # TYPE ogf_http_requests_total counter\n\
             ogf_http_requests_total{{route=\"/api/v1/listings\",code=\"200\"}} {}\n\
             ogf_http_requests_total{{route=\"/api/v1/listings\",code=\"500\"}} {}\n",
            c.ok, c.errors
        )
    }
}

/// A running Prometheus server; killed (and reaped) on drop.
#[derive(Debug)]
pub struct Prometheus {
    /// Its base URL, e.g. `http://127.0.0.1:40123`.
    pub address: String,
    child: Child,
    http: reqwest::Client,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Prometheus {
    /// Starts `binary` scraping `target` (`host:port`, path `/metrics`) every second as job
    /// `shop-preview`, and waits until it is ready.
    pub async fn start(binary: &std::path::Path, target: &str) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let config = dir.path().join("prometheus.yml");
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n\
                 scrape_configs:\n  - job_name: shop-preview\n    static_configs:\n      - targets: [\"{target}\"]\n"
            ),
        )
        .expect("write prometheus.yml");
        let log = dir.path().join("prometheus.log");
        let port = free_port();
        let stderr = std::fs::File::create(&log).expect("log file");
        let child = Command::new(binary)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", binary.display()));
        let mut prometheus = Self {
            address: format!("http://127.0.0.1:{port}"),
            child,
            http: reqwest::Client::new(),
            log,
            _dir: dir,
        };
        let ready = format!("{}/-/ready", prometheus.address);
        let deadline = Instant::now() + PROMETHEUS_WAIT;
        loop {
            prometheus.assert_running();
            let answer = prometheus.http.get(&ready).send().await;
            if answer.is_ok_and(|r| r.status().is_success()) {
                return prometheus;
            }
            assert!(
                Instant::now() < deadline,
                "Prometheus not ready after {PROMETHEUS_WAIT:?}: {}",
                prometheus.log_tail()
            );
            tokio::time::sleep(POLL).await;
        }
    }

    /// Polls the instant query `query` until its first sample satisfies `accept`; returns it.
    pub async fn wait_value(&mut self, query: &str, accept: impl Fn(f64) -> bool) -> f64 {
        let url = reqwest::Url::parse_with_params(
            &format!("{}/api/v1/query", self.address),
            [("query", query)],
        )
        .expect("query URL");
        let deadline = Instant::now() + PROMETHEUS_WAIT;
        let mut last = String::from("no answer yet");
        loop {
            self.assert_running();
            let answer = self.http.get(url.clone()).send().await;
            if let Ok(body) = match answer {
                Ok(r) => r.json::<Value>().await,
                Err(e) => Err(e),
            } {
                let sample = body["data"]["result"][0]["value"][1]
                    .as_str()
                    .and_then(|v| v.parse::<f64>().ok());
                if let Some(value) = sample.filter(|v| accept(*v)) {
                    return value;
                }
                last = body.to_string();
            }
            assert!(
                Instant::now() < deadline,
                "Prometheus never answered {query} as expected within {PROMETHEUS_WAIT:?}; \
                 last answer: {last}; log: {}",
                self.log_tail()
            );
            tokio::time::sleep(POLL).await;
        }
    }

    fn assert_running(&mut self) {
        if let Ok(Some(exit)) = self.child.try_wait() {
            panic!("Prometheus exited ({exit}): {}", self.log_tail());
        }
    }

    fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback port that was free a moment ago.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}
