//! Operator at scale: N Marketplaces on the test environment (default 1,000).
//!
//! Runs the release `ogf-operator run` binary as a subprocess and reports the
//! time until every Marketplace is Ready, the operator's peak RSS and CPU time,
//! API requests and writes per reconcile, writes in steady state, and how fast
//! a deleted Service is repaired.
//!
//! With `OGF_BENCH_SOAK_MINUTES=N` it then keeps the operator busy for N minutes (a
//! Marketplace change every 2 s, a deleted Service every 30 s) and samples its RSS every
//! 30 s: a leak shows as a slope (reported in MiB per hour, after a 5-minute warm-up).
//!
//! ```sh
//! e2e/testenv/testenv.sh up && . <(e2e/testenv/testenv.sh env)
//! cargo build --release -p ogf-operator
//! OGF_BENCH_MARKETPLACES=1000 cargo bench -p ogf-e2e --bench operator_scale
//! OGF_BENCH_MARKETPLACES=1000 OGF_BENCH_SOAK_MINUTES=30 cargo bench -p ogf-e2e --bench operator_scale
//! ```

use std::collections::HashSet;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures::{StreamExt, TryStreamExt, stream};
use k8s_openapi::api::core::v1::{Node, Secret, Service};
use kube::api::{DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client, ResourceExt};
use ogf_crds::Marketplace;
use ogf_e2e::{TestNamespace, env, install_crds, wait_for};
use serde_json::json;

const STEADY_WINDOW: Duration = Duration::from_secs(30);
const DRIFT_SAMPLES: usize = 20;
const SOAK_CHANGE_EVERY: Duration = Duration::from_secs(2);
const SOAK_SAMPLE_EVERY: Duration = Duration::from_secs(30);
const SOAK_WARM_UP: Duration = Duration::from_secs(300);

#[tokio::main]
async fn main() {
    let count: usize = std::env::var("OGF_BENCH_MARKETPLACES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let Some(config) = env::kube_config().await else {
        std::process::exit(2);
    };
    let client = Client::try_from(config.clone()).expect("client");
    check_node_capacity(&client, count).await;
    install_crds(&client).await;
    let ns = TestNamespace::create(&client, config, "bench").await;
    let n = ns.name().to_string();
    let secret: Secret = serde_json::from_value(json!({"apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "mongo"}, "stringData": {"uri": "mongodb://mongo.example:27017/"}}))
    .expect("secret");
    Api::<Secret>::namespaced(client.clone(), &n)
        .create(&PostParams::default(), &secret)
        .await
        .expect("secret");

    let port = free_port();
    let mut operator = start_operator(&n, port);
    let metrics_url = format!("http://127.0.0.1:{port}/metrics");
    wait_http(&metrics_url).await;

    let marketplaces: Api<Marketplace> = Api::namespaced(client.clone(), &n);
    let started = Instant::now();
    let creating = stream::iter(0..count).for_each_concurrent(16, |i| {
        let api = marketplaces.clone();
        async move {
            let mkt: Marketplace = serde_json::from_value(json!({
                "apiVersion": "ogf.dev/v1alpha1", "kind": "Marketplace",
                "metadata": {"name": format!("mkt-{i}")},
                "spec": {"image": "ghcr.io/ogf-dev/ogf-api:1.0.0", "replicas": 1,
                    "database": {"mongodb": {"uriSecretRef": {"name": "mongo", "key": "uri"}, "database": "ogf"}}}
            }))
            .expect("marketplace");
            api.create(&PostParams::default(), &mkt).await.expect("create");
        }
    });
    let ready = all_ready(marketplaces.clone(), count);
    let (_, time_to_ready) = tokio::join!(creating, ready);
    let created_in = started.elapsed();
    let at_ready = scrape(&metrics_url).await;

    // Steady state: nothing changes, so the operator must write nothing.
    tokio::time::sleep(STEADY_WINDOW).await;
    let after_window = scrape(&metrics_url).await;

    // Drift: delete a Service and time its repair (from the delete's acknowledgement).
    let services: Api<Service> = Api::namespaced(client.clone(), &n);
    let mut repairs = Vec::new();
    for i in 0..DRIFT_SAMPLES.min(count) {
        let name = format!("mkt-{i}");
        let old_uid = services.get(&name).await.expect("service").uid();
        services
            .delete(&name, &DeleteParams::default())
            .await
            .expect("delete");
        let deleted_at = Instant::now();
        let recreated = move |s: Option<&Service>| s.is_some_and(|s| s.uid() != old_uid);
        wait_for(services.clone(), &name, Duration::from_secs(30), recreated)
            .await
            .expect("service repaired");
        repairs.push(deleted_at.elapsed());
    }
    let soak_minutes: u64 = std::env::var("OGF_BENCH_SOAK_MINUTES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let soak = if soak_minutes > 0 {
        let pid = operator.id();
        Some(
            soak_run(
                &marketplaces,
                &services,
                count,
                pid,
                soak_minutes,
                &metrics_url,
            )
            .await,
        )
    } else {
        None
    };
    let peak_rss_kib = proc_status_kib(operator.id(), "VmHWM");
    let cpu_seconds = proc_cpu_seconds(operator.id());
    let _ = operator.kill();
    let _ = operator.wait();

    repairs.sort();
    let reconciles = at_ready.get("ogf_operator_reconcile_total");
    let report = json!({
        "marketplaces": count,
        "created_in_seconds": created_in.as_secs_f64(),
        "all_ready_after_seconds": time_to_ready.as_secs_f64(),
        "operator_peak_rss_mib": peak_rss_kib as f64 / 1024.0,
        "operator_cpu_seconds": cpu_seconds,
        "reconciles_until_ready": reconciles,
        "api_requests_per_reconcile": at_ready.get("ogf_operator_api_requests_total") / reconciles.max(1.0),
        "writes_per_reconcile": at_ready.get("ogf_operator_object_writes_total") / reconciles.max(1.0),
        "steady_state_window_seconds": STEADY_WINDOW.as_secs(),
        "steady_state_writes": after_window.get("ogf_operator_object_writes_total") - at_ready.get("ogf_operator_object_writes_total"),
        "steady_state_api_requests": after_window.get("ogf_operator_api_requests_total") - at_ready.get("ogf_operator_api_requests_total"),
        "drift_repair_median_ms": repairs[repairs.len() / 2].as_secs_f64() * 1000.0,
        "drift_repair_max_ms": repairs.last().map_or(0.0, |d| d.as_secs_f64() * 1000.0),
    });
    let mut report = report;
    if let Some(soak) = soak {
        report["soak"] = soak;
    }
    println!("{}", serde_json::to_string_pretty(&report).expect("json"));
    let dir = format!("{}/../bench/results", env!("CARGO_MANIFEST_DIR"));
    std::fs::create_dir_all(&dir).expect("results dir");
    std::fs::write(format!("{dir}/operator_scale.json"), report.to_string())
        .expect("write results");
}

/// Keeps the operator busy for `minutes` and samples its RSS: a Marketplace change every
/// [`SOAK_CHANGE_EVERY`] (replicas 1 ↔ 2, round robin), a deleted Service every
/// [`SOAK_SAMPLE_EVERY`] (awaited until repaired), the RSS after each deletion's repair.
async fn soak_run(
    marketplaces: &Api<Marketplace>,
    services: &Api<Service>,
    count: usize,
    pid: u32,
    minutes: u64,
    metrics_url: &str,
) -> serde_json::Value {
    let started = Instant::now();
    let end = started + Duration::from_secs(minutes * 60);
    let before = scrape(metrics_url).await;
    let mut samples: Vec<(f64, f64)> = vec![(0.0, rss_mib(pid))];
    let mut changes = 0usize;
    let mut next_sample = started + SOAK_SAMPLE_EVERY;
    let mut ticker = tokio::time::interval(SOAK_CHANGE_EVERY);
    while Instant::now() < end {
        ticker.tick().await;
        let name = format!("mkt-{}", changes % count);
        // Round 0 scales every Marketplace to 2, round 1 back to 1, and so on.
        let replicas = if (changes / count).is_multiple_of(2) {
            2
        } else {
            1
        };
        let patch = json!({"spec": {"replicas": replicas}});
        marketplaces
            .patch(&name, &PatchParams::default(), &Patch::Merge(patch))
            .await
            .expect("patch marketplace");
        changes += 1;
        if Instant::now() >= next_sample {
            let victim = format!("mkt-{}", (changes * 7) % count);
            let old_uid = services.get(&victim).await.expect("service").uid();
            services
                .delete(&victim, &DeleteParams::default())
                .await
                .expect("delete");
            let recreated = move |s: Option<&Service>| s.is_some_and(|s| s.uid() != old_uid);
            wait_for(
                services.clone(),
                &victim,
                Duration::from_secs(60),
                recreated,
            )
            .await
            .expect("service repaired during the soak");
            samples.push((started.elapsed().as_secs_f64(), rss_mib(pid)));
            next_sample += SOAK_SAMPLE_EVERY;
        }
    }
    let after = scrape(metrics_url).await;
    let warm = SOAK_WARM_UP.as_secs_f64();
    let steady: Vec<(f64, f64)> = samples
        .iter()
        .copied()
        .filter(|(t, _)| *t >= warm)
        .collect();
    let median = |xs: &[(f64, f64)]| {
        let mut v: Vec<f64> = xs.iter().map(|(_, r)| *r).collect();
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or(0.0)
    };
    let third = steady.len() / 3;
    json!({
        "minutes": minutes,
        "marketplace_changes": changes,
        "services_deleted_and_repaired": samples.len() - 1,
        "reconciles": after.get("ogf_operator_reconcile_total") - before.get("ogf_operator_reconcile_total"),
        "reconcile_errors": after.get("ogf_operator_reconcile_errors_total") - before.get("ogf_operator_reconcile_errors_total"),
        "rss_mib_samples": samples.iter().map(|(t, r)| json!([t.round(), (r * 10.0).round() / 10.0])).collect::<Vec<_>>(),
        "rss_slope_mib_per_hour_after_warm_up": slope(&steady) * 3600.0,
        "rss_median_first_third_mib": median(&steady[..third]),
        "rss_median_last_third_mib": median(&steady[steady.len() - third..]),
    })
}

/// Least-squares slope of `(x, y)` points (0 for fewer than two).
fn slope(points: &[(f64, f64)]) -> f64 {
    let n = points.len() as f64;
    if points.len() < 2 {
        return 0.0;
    }
    let (sx, sy) = points
        .iter()
        .fold((0.0, 0.0), |(a, b), (x, y)| (a + x, b + y));
    let (mx, my) = (sx / n, sy / n);
    let (num, den) = points.iter().fold((0.0, 0.0), |(num, den), (x, y)| {
        (num + (x - mx) * (y - my), den + (x - mx) * (x - mx))
    });
    if den == 0.0 { 0.0 } else { num / den }
}

fn rss_mib(pid: u32) -> f64 {
    proc_status_kib(pid, "VmRSS") as f64 / 1024.0
}

/// Waits (watch-driven) until `count` Marketplaces report Ready for their generation.
async fn all_ready(api: Api<Marketplace>, count: usize) -> Duration {
    let started = Instant::now();
    let mut ready = HashSet::new();
    let mut events = watcher(api, watcher::Config::default())
        .applied_objects()
        .boxed();
    while ready.len() < count {
        let Some(mkt) = events.try_next().await.expect("watch") else {
            break;
        };
        let is_ready = mkt.status.as_ref().is_some_and(|s| {
            s.observed_generation == mkt.metadata.generation
                && s.conditions
                    .iter()
                    .any(|c| c.type_ == "Ready" && c.status == "True")
        });
        if is_ready {
            ready.insert(mkt.name_any());
        } else {
            ready.remove(&mkt.name_any());
        }
    }
    started.elapsed()
}

async fn check_node_capacity(client: &Client, count: usize) {
    let nodes = Api::<Node>::all(client.clone())
        .list(&ListParams::default())
        .await
        .expect("nodes");
    let pods: i64 = nodes
        .items
        .iter()
        .filter_map(|n| {
            n.status
                .as_ref()?
                .allocatable
                .as_ref()?
                .get("pods")?
                .0
                .parse::<i64>()
                .ok()
        })
        .sum();
    assert!(
        pods >= count as i64 + 50,
        "the nodes allow {pods} pods, fewer than {count} Marketplaces need: restart the test environment \
         (testenv.sh down && up) so its kwok nodes get their current capacity"
    );
}

fn start_operator(namespace: &str, port: u16) -> Child {
    let binary = format!(
        "{}/../target/release/ogf-operator",
        env!("CARGO_MANIFEST_DIR")
    );
    Command::new(&binary)
        .args([
            "run",
            "--namespace",
            namespace,
            "--no-leader-election",
            "--log-format",
            "json",
        ])
        .arg("--http-addr")
        .arg(format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("start {binary} (run `cargo build --release -p ogf-operator` first): {e}")
        })
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

async fn wait_http(url: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while fetch(url).await.is_none() {
        assert!(Instant::now() < deadline, "operator did not serve {url}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Plain HTTP/1.0 GET on loopback, enough for a metrics page.
async fn fetch(url: &str) -> Option<String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.strip_prefix("http://")?;
    let (host, path) = rest.split_once('/')?;
    let mut stream = tokio::net::TcpStream::connect(host).await.ok()?;
    stream
        .write_all(format!("GET /{path} HTTP/1.0\r\nHost: {host}\r\n\r\n").as_bytes())
        .await
        .ok()?;
    let mut body = String::new();
    stream.read_to_string(&mut body).await.ok()?;
    let ok = body.starts_with("HTTP/1.0 200") || body.starts_with("HTTP/1.1 200");
    ok.then_some(body)
}

/// Sums of every sample of each metric family in a scrape.
struct Scrape(Vec<(String, f64)>);

impl Scrape {
    fn get(&self, family: &str) -> f64 {
        self.0
            .iter()
            .filter(|(name, _)| name == family || name.starts_with(&format!("{family}{{")))
            .map(|(_, v)| v)
            .sum()
    }
}

async fn scrape(url: &str) -> Scrape {
    let text = fetch(url).await.expect("metrics");
    Scrape(
        text.lines()
            .filter(|l| l.starts_with("ogf_"))
            .filter_map(|l| {
                let (name, value) = l.rsplit_once(' ')?;
                Some((name.to_string(), value.parse().ok()?))
            })
            .collect(),
    )
}

fn proc_status_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn proc_cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of /proc/PID/stat (11 and 12 after the name); 100 ticks/s.
    (ticks(11) + ticks(12)) / 100.0
}
