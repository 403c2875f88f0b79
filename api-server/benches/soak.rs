//! API soak (issue 9): the release `ogf-api` on its embedded store, driven at a steady rate
//! with a realistic mix for N minutes while a backup of the live store runs (a third of the
//! way in) and a blue-green switch happens (two thirds in, by default); reports throughput,
//! p50/p99 per kind, every status class, and each server's RSS over time (a leak shows as a
//! slope).
//!
//! The switch is done the way a `Rollout` does it, with a local stand-in for the Service: the
//! clients talk to a TCP proxy; a second server (green) starts on the same store and must be
//! ready; the proxy sends new connections to green; the old server (blue) gets SIGTERM and
//! drains (`/readyz` fails, responses close their connections) before it stops. Every
//! request must still succeed. (The operator's part of a Rollout, on a control plane whose
//! pods run no containers, is tested in `e2e/tests/operator_rollout.rs`.)
//!
//! ```sh
//! cargo build --release -p ogf-api
//! OGF_SOAK_MINUTES=10 OGF_SOAK_RATE=100 cargo bench -p ogf-api --bench soak
//! ```
//!
//! `OGF_SOAK_SWITCH_PERCENT` (default 67) sets when the switch happens. Clients sign in
//! again all the time (2 % of the mix), and each sign-in renews that account's access token,
//! so runs may outlast the 15-minute token lifetime.
//!
//! The load is open (requests start on schedule whether or not earlier ones finished) and
//! latency is measured from the scheduled start, so a stall shows in the percentiles instead
//! of slowing the load down. Requests come from 4,096 client addresses in turn
//! (`X-Forwarded-For`, the loopback is a trusted proxy), so per-IP limits apply per client as
//! in production.
//! Every limit keeps its default. A 429 is counted apart: the mix stays inside the limits, so
//! any 429 is reported, and any 5xx or transport error is an error.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU16, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};

const ADMIN_PASSWORD: &str = "soak admin password 0123";
const PASSWORD: &str = "soak password 0123";
/// Client addresses the requests come from, in turn: a fixed population, as in a day of
/// real traffic, large enough that none of them reaches the anonymous daily limit (200) within
/// a run of up to 2½ hours.
const CLIENTS: usize = 4_096;
const BUYERS: usize = 40;
const SELLERS: usize = 8;
const BOUNDARY: &str = "ogf-soak-5f2c";
/// Shared by both colors, so that tokens issued by blue stay valid on green.
const JWT_SECRET: &str = "soak-jwt-secret-0123456789abcdef0123456789abcdef";
/// RSS is sampled this often.
const SAMPLE_EVERY: Duration = Duration::from_secs(10);
/// Samples before this are warm-up (caches filling), left out of the slope.
const WARM_UP: Duration = Duration::from_secs(60);

/// The kinds of request in the mix, with their share (per 1,000).
const MIX: [(Kind, u32); 8] = [
    (Kind::Search, 520),
    (Kind::Read, 200),
    (Kind::Me, 80),
    (Kind::Watch, 40),
    (Kind::Bid, 60),
    (Kind::Market, 60),
    (Kind::Upload, 20),
    (Kind::Login, 20),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Search,
    Read,
    Me,
    Watch,
    Bid,
    Market,
    Upload,
    Login,
}

const SEARCHES: [&str; 10] = [
    "?q=permian",
    "?q=royalty%20checks&sort=relevance",
    "?type=mineral_rights&sort=newest",
    "?basin=Bakken&sort=price_asc",
    "?state=ND&min_price=10000000&max_price=50000000&sort=price_desc",
    "?near=-102.03,31.87&radius_km=50",
    "?bbox=-104.5,31.0,-101.0,33.0&sort=newest",
    "?sale_type=auction&sort=ending_soonest",
    "?min_boe_d=100&sort=production",
    "?county=Reeves&sort=production",
];

/// What the load needs: the server, its users, listings and auctions.
struct World {
    http: Client,
    base: String,
    /// Each buyer's current access token, replaced by every sign-in of that buyer.
    buyers: Vec<Mutex<String>>,
    /// Each seller's current access token and data-room listing.
    sellers: Vec<(Mutex<String>, String)>,
    listings: Vec<String>,
    auctions: Vec<(String, AtomicU64)>,
}

#[derive(Default)]
struct Tally {
    latencies: BTreeMap<Kind, Vec<Duration>>,
    statuses: BTreeMap<String, u64>,
    errors: Vec<String>,
    limited: u64,
}

#[tokio::main]
async fn main() {
    let minutes: u64 = env_or("OGF_SOAK_MINUTES", 10);
    let rate: u64 = env_or("OGF_SOAK_RATE", 100);
    // Long runs that measure memory put the switch late, so blue serves long enough to show
    // a slope.
    let switch_percent: u64 = env_or("OGF_SOAK_SWITCH_PERCENT", 67).clamp(10, 95);
    let scratch = tempfile::tempdir().expect("temp dir");
    let data = scratch.path().join("data");
    let port = free_port();
    let blue = start_server(&data, port);
    let http = Client::builder()
        .timeout(Duration::from_secs(30))
        .pool_max_idle_per_host(64)
        .build()
        .expect("client");
    wait_ready(&http, &format!("http://127.0.0.1:{port}")).await;
    let upstream = Arc::new(AtomicU16::new(port));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("proxy");
    let base = format!("http://{}", listener.local_addr().expect("proxy address"));
    tokio::spawn(proxy(listener, upstream.clone()));
    let world = Arc::new(setup(http.clone(), base).await);
    eprintln!(
        "soak: {minutes} min at {rate} req/s, {} listings, {} auctions",
        world.listings.len(),
        world.auctions.len()
    );

    let tally = Arc::new(Mutex::new(Tally::default()));
    let started = Instant::now();
    let end = started + Duration::from_secs(minutes * 60);
    let serving = Arc::new(AtomicU32::new(blue.id()));
    let sampler = tokio::spawn(sample_rss(serving.clone(), started, end));
    let switch = tokio::spawn(switch_midway(
        SwitchPlan {
            http,
            data: data.clone(),
            upstream,
            serving,
            started,
            at: Duration::from_secs(minutes * 60 * switch_percent / 100),
        },
        blue,
    ));
    let backup = tokio::spawn(backup_midway(
        data.clone(),
        scratch.path().to_path_buf(),
        minutes,
    ));

    let interval = Duration::from_secs_f64(1.0 / rate as f64);
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut tasks = tokio::task::JoinSet::new();
    let mut n: u64 = 0;
    while Instant::now() < end {
        ticker.tick().await;
        let scheduled = Instant::now();
        let kind = pick(n);
        let (world, tally) = (world.clone(), tally.clone());
        tasks.spawn(async move {
            let outcome = run(&world, kind, n).await;
            let elapsed = scheduled.elapsed();
            let mut t = tally.lock().expect("tally");
            t.latencies.entry(kind).or_default().push(elapsed);
            match outcome {
                Ok(status) => {
                    *t.statuses.entry(status.as_u16().to_string()).or_default() += 1;
                    if status == StatusCode::TOO_MANY_REQUESTS {
                        t.limited += 1;
                    } else if status.is_server_error() || !expected(kind, status) {
                        t.errors.push(format!("{kind:?}: {status}"));
                    }
                }
                Err(e) => {
                    *t.statuses.entry("transport".into()).or_default() += 1;
                    t.errors.push(format!("{kind:?}: {e}"));
                }
            }
        });
        n += 1;
        while tasks.try_join_next().is_some() {}
    }
    while tasks.join_next().await.is_some() {}
    let wall = started.elapsed();
    let samples = sampler.await.expect("sampler");
    let backup = backup.await.expect("backup");
    let (switch, mut green) = switch.await.expect("switch");
    let _ = green.kill();
    let _ = green.wait();

    let t = tally.lock().expect("tally");
    let mut all: Vec<Duration> = t.latencies.values().flatten().copied().collect();
    all.sort();
    let per_kind: BTreeMap<String, Value> = t
        .latencies
        .iter()
        .map(|(kind, ls)| {
            let mut ls = ls.clone();
            ls.sort();
            (format!("{kind:?}"), json!({"requests": ls.len(), "p50_ms": ms(pct(&ls, 50.0)), "p99_ms": ms(pct(&ls, 99.0))}))
        })
        .collect();
    let switched_at = switch["switched_at_seconds"].as_f64().unwrap_or(f64::MAX);
    let blue_pid = samples.first().map_or(0, |s| s.pid);
    let warm = WARM_UP.as_secs_f64();
    let blue_steady: Vec<(f64, f64)> = samples
        .iter()
        .filter(|s| s.pid == blue_pid && s.seconds >= warm && s.seconds < switched_at)
        .map(|s| (s.seconds, s.anon_mib))
        .collect();
    let green_steady: Vec<(f64, f64)> = samples
        .iter()
        .filter(|s| s.pid != blue_pid && s.seconds >= switched_at + warm)
        .map(|s| (s.seconds, s.anon_mib))
        .collect();
    let third = blue_steady.len() / 3;
    let report = json!({
        "minutes": minutes,
        "target_rate_per_second": rate,
        "requests": all.len(),
        "throughput_per_second": all.len() as f64 / wall.as_secs_f64(),
        "p50_ms": ms(pct(&all, 50.0)),
        "p99_ms": ms(pct(&all, 99.0)),
        "max_ms": ms(all.last().copied().unwrap_or_default()),
        "statuses": t.statuses,
        "rate_limited_429": t.limited,
        "errors": t.errors.len(),
        "first_errors": t.errors.iter().take(10).collect::<Vec<_>>(),
        "per_kind": per_kind,
        "backup": backup,
        "blue_green_switch": switch,
        "memory_samples_seconds_color_rss_anon_mib": samples.iter().map(|s| json!([s.seconds.round(), if s.pid == blue_pid { "blue" } else { "green" }, (s.rss_mib * 10.0).round() / 10.0, (s.anon_mib * 10.0).round() / 10.0])).collect::<Vec<_>>(),
        "blue_anon_slope_mib_per_hour_after_warm_up": slope(&blue_steady) * 3600.0,
        "blue_anon_median_first_third_mib": median(&blue_steady[..third]),
        "blue_anon_median_last_third_mib": median(&blue_steady[blue_steady.len() - third..]),
        "green_anon_slope_mib_per_hour_after_warm_up": slope(&green_steady) * 3600.0,
    });
    println!("{}", serde_json::to_string_pretty(&report).expect("json"));
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../bench/results");
    std::fs::create_dir_all(&dir).expect("results dir");
    std::fs::write(dir.join("soak.json"), report.to_string()).expect("write results");
}

/// The kind of the `n`-th request: a fixed interleaving of the mix's shares.
fn pick(n: u64) -> Kind {
    let slot = u32::try_from((n * 379) % 1000).unwrap_or(0);
    let mut upto = 0;
    for (kind, share) in MIX {
        upto += share;
        if slot < upto {
            return kind;
        }
    }
    Kind::Search
}

/// Answers that are part of normal business for a kind (a lost race to outbid, say).
fn expected(kind: Kind, status: StatusCode) -> bool {
    match kind {
        Kind::Bid => matches!(status.as_u16(), 201 | 409 | 422),
        Kind::Upload => status == StatusCode::CREATED,
        // Unwatching a listing that is not watched is a 404.
        Kind::Watch => status.is_success() || status == StatusCode::NOT_FOUND,
        _ => status == StatusCode::OK,
    }
}

async fn run(w: &World, kind: Kind, n: u64) -> Result<StatusCode, String> {
    let i = usize::try_from(n).unwrap_or(0);
    let client = i % CLIENTS;
    let ip = format!("10.0.{}.{}", client / 256, client % 256);
    let buyer = w.buyers[i % w.buyers.len()].lock().expect("token").clone();
    let request = match kind {
        Kind::Search => w.get(&format!("/api/v1/listings{}", SEARCHES[i % SEARCHES.len()])),
        Kind::Read => w.get(&format!(
            "/api/v1/listings/{}",
            w.listings[i % w.listings.len()]
        )),
        Kind::Me => w.get("/api/v1/users/me").bearer_auth(&buyer),
        Kind::Watch => {
            let listing = &w.listings[(i / 7) % w.listings.len()];
            let method = if i % 2 == 0 {
                Method::PUT
            } else {
                Method::DELETE
            };
            w.http
                .request(method, format!("{}/api/v1/me/watchlist/{listing}", w.base))
                .bearer_auth(&buyer)
        }
        Kind::Bid => {
            let (id, next) = &w.auctions[i % w.auctions.len()];
            let amount = next.fetch_add(10_000, Ordering::SeqCst);
            w.http
                .post(format!("{}/api/v1/listings/{id}/bids", w.base))
                .bearer_auth(&buyer)
                .header("content-type", "application/json")
                .body(json!({"amount_cents": amount}).to_string())
        }
        Kind::Market => w.get("/api/v1/market/prices?series=WTI&interval=month"),
        Kind::Upload => {
            let (token, listing) = &w.sellers[i % w.sellers.len()];
            let token = token.lock().expect("token").clone();
            let csv = format!(
                "well,api,oil_bbl_d\nSoak {n},42-389-{:05},{}\n",
                n % 100_000,
                n % 900
            );
            w.http
                .post(format!("{}/api/v1/listings/{listing}/documents", w.base))
                .bearer_auth(&token)
                .header(
                    "content-type",
                    format!("multipart/form-data; boundary={BOUNDARY}"),
                )
                .body(multipart(&format!("production-{n}.csv"), csv.as_bytes()))
        }
        Kind::Login => w
            .http
            .post(format!("{}/api/v1/auth/login", w.base))
            .header("content-type", "application/json")
            .body(json!({"email": account_email(i), "password": PASSWORD}).to_string()),
    };
    let response = request
        .header("x-forwarded-for", ip)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status();
    let body = response.bytes().await.map_err(|e| e.to_string())?;
    if kind == Kind::Login && status == StatusCode::OK {
        let token = serde_json::from_slice::<Value>(&body)
            .ok()
            .and_then(|v| Some(v["access_token"].as_str()?.to_owned()))
            .ok_or("login answer without an access token")?;
        let j = i % (BUYERS + SELLERS);
        let slot = match w.buyers.get(j) {
            Some(slot) => slot,
            None => &w.sellers[j - BUYERS].0,
        };
        *slot.lock().expect("token") = token;
    }
    Ok(status)
}

/// The account the `i`-th request signs in as: every buyer and seller in turn, so each one's
/// access token is renewed long before it expires (15 minutes), as a client would.
fn account_email(i: usize) -> String {
    let j = i % (BUYERS + SELLERS);
    if j < BUYERS {
        format!("buyer{j}@soak.example")
    } else {
        format!("seller{}@soak.example", j - BUYERS)
    }
}

impl World {
    fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.http.get(format!("{}{path}", self.base))
    }
}

/// Accounts, listings to read and auctions to bid on, made through the API.
async fn setup(http: Client, base: String) -> World {
    let call = |method: Method, path: &str, token: Option<&str>, body: Value, ip: usize| {
        let mut req = http
            .request(method, format!("{base}{path}"))
            .header("x-forwarded-for", format!("192.0.2.{}", ip % 250))
            .header("content-type", "application/json")
            .body(body.to_string());
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        async move {
            let res = req.send().await.expect("setup request");
            let status = res.status();
            let body: Value =
                serde_json::from_slice(&res.bytes().await.expect("body")).unwrap_or(Value::Null);
            assert!(status.is_success(), "setup: {status} {body}");
            body
        }
    };
    let sign_up = |email: String, role: &'static str, ip: usize| {
        let call = &call;
        async move {
            call(
                Method::POST,
                "/api/v1/auth/register",
                None,
                json!({"email": email, "password": PASSWORD, "role": role}),
                ip,
            )
            .await;
            let t = call(
                Method::POST,
                "/api/v1/auth/login",
                None,
                json!({"email": email, "password": PASSWORD}),
                ip,
            )
            .await;
            t["access_token"].as_str().expect("token").to_owned()
        }
    };
    let mut buyers = Vec::new();
    for i in 0..BUYERS {
        buyers.push(Mutex::new(
            sign_up(format!("buyer{i}@soak.example"), "buyer", i).await,
        ));
    }
    let mut sellers = Vec::new();
    let mut auctions = Vec::new();
    let ends_at = (chrono::Utc::now() + chrono::Duration::hours(6)).to_rfc3339();
    for i in 0..SELLERS {
        let token = sign_up(format!("seller{i}@soak.example"), "seller", BUYERS + i).await;
        let auction = call(Method::POST, "/api/v1/listings", Some(&token), json!({
            "title": format!("Soak auction {i}"), "description": "Producing WI package, Midland.",
            "type": "working_interest", "status": "active", "basin": "Permian", "state": "TX",
            "county": "Midland", "location": {"lon": -102.08, "lat": 31.99},
            "asking_price_cents": 1_000_000, "sale_type": "auction",
            "ends_at": ends_at, "bid_increment_cents": 10_000,
        }), BUYERS + i).await;
        let id = auction["id"].as_str().expect("id").to_owned();
        auctions.push((id.clone(), AtomicU64::new(1_000_000)));
        sellers.push((Mutex::new(token), id));
    }
    let page = http
        .get(format!("{base}/api/v1/listings?limit=100"))
        .header("x-forwarded-for", "192.0.2.251")
        .send()
        .await
        .expect("listings");
    let page: Value = serde_json::from_slice(&page.bytes().await.expect("body")).expect("json");
    let listings = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|l| l["id"].as_str().map(str::to_owned))
        .collect();
    World {
        http,
        base,
        buyers,
        sellers,
        listings,
        auctions,
    }
}

fn multipart(file_name: &str, data: &[u8]) -> Vec<u8> {
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\n\
         Content-Type: text/csv\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(data);
    body.extend_from_slice(
        format!("\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"visibility\"\r\n\r\npublic\r\n--{BOUNDARY}--\r\n")
            .as_bytes(),
    );
    body
}

/// A backup of the live store, started a third of the way in: its result line and time.
async fn backup_midway(data: PathBuf, scratch: PathBuf, minutes: u64) -> Value {
    tokio::time::sleep(Duration::from_secs(minutes * 20)).await;
    tokio::task::spawn_blocking(move || {
        let keys = scratch.join("keys.txt");
        let key = run_cli(&["backup", "keygen", "--output", keys.to_str().expect("path")]);
        let out = scratch.join("artifacts");
        std::fs::create_dir_all(&out).expect("artifacts dir");
        let started = Instant::now();
        let line = run_cli(&[
            "backup",
            "--data-dir",
            data.to_str().expect("path"),
            "--destination",
            &format!("file://{}", out.display()),
            "--recipient",
            key["recipient"].as_str().expect("recipient"),
            "--id",
            "soak",
        ]);
        json!({"seconds": started.elapsed().as_secs_f64(), "result": line})
    })
    .await
    .expect("backup task")
}

/// What the blue-green switch needs.
struct SwitchPlan {
    http: Client,
    data: PathBuf,
    /// The proxy's upstream port: where new connections go.
    upstream: Arc<AtomicU16>,
    /// The pid whose RSS is sampled.
    serving: Arc<AtomicU32>,
    started: Instant,
    at: Duration,
}

/// At `plan.at`: starts green on the same store, waits until it is ready, sends new
/// connections to it, then stops blue with SIGTERM (it drains first) and waits for its exit.
/// Returns the timings and green.
async fn switch_midway(plan: SwitchPlan, mut blue: Child) -> (Value, Child) {
    tokio::time::sleep(plan.at).await;
    let begun = Instant::now();
    let port = free_port();
    let green = start_server(&plan.data, port);
    wait_ready(&plan.http, &format!("http://127.0.0.1:{port}")).await;
    let green_ready = begun.elapsed();
    plan.upstream.store(port, Ordering::SeqCst);
    plan.serving.store(green.id(), Ordering::SeqCst);
    let switched_at = plan.started.elapsed();
    let term = Command::new("kill")
        .args(["-TERM", &blue.id().to_string()])
        .status()
        .expect("kill -TERM");
    assert!(term.success(), "SIGTERM to blue");
    let exit = tokio::task::spawn_blocking(move || blue.wait().expect("blue exit"))
        .await
        .expect("wait task");
    let timings = json!({
        "switched_at_seconds": switched_at.as_secs_f64(),
        "green_ready_seconds": green_ready.as_secs_f64(),
        "blue_stopped_after_switch_seconds": (begun.elapsed() - green_ready).as_secs_f64(),
        "blue_exit": exit.to_string(),
    });
    (timings, green)
}

/// The stand-in for the Service: each client connection is piped to the upstream port of
/// the moment it was accepted (connections already open stay with their server).
async fn proxy(listener: tokio::net::TcpListener, upstream: Arc<AtomicU16>) {
    loop {
        let Ok((mut client, _)) = listener.accept().await else {
            continue;
        };
        let port = upstream.load(Ordering::SeqCst);
        tokio::spawn(async move {
            if let Ok(mut server) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await {
                // Without these, Nagle's algorithm holds a response's last segment back until
                // the peer's delayed ACK: 40 ms on every multi-segment answer.
                let _ = client.set_nodelay(true);
                let _ = server.set_nodelay(true);
                let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
            }
        });
    }
}

fn run_cli(args: &[&str]) -> Value {
    let output = Command::new(binary())
        .args(args)
        .output()
        .expect("run ogf-api");
    assert!(
        output.status.success(),
        "ogf-api {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let last = stdout.lines().last().unwrap_or("{}");
    serde_json::from_str(last).unwrap_or_else(|_| json!({"stdout": stdout}))
}

/// Memory of the serving process every [`SAMPLE_EVERY`] until `end`.
async fn sample_rss(serving: Arc<AtomicU32>, started: Instant, end: Instant) -> Vec<Sample> {
    let mut samples = Vec::new();
    let mut ticker = tokio::time::interval(SAMPLE_EVERY);
    while Instant::now() < end {
        ticker.tick().await;
        let pid = serving.load(Ordering::SeqCst);
        samples.push(Sample {
            seconds: started.elapsed().as_secs_f64(),
            pid,
            rss_mib: status_mib(pid, "VmRSS"),
            anon_mib: status_mib(pid, "RssAnon"),
        });
    }
    samples
}

/// One memory sample: RSS, and its anonymous part (heap and stacks, where a leak shows;
/// the rest is mapped files: the binary and the database's memory-mapped pages).
#[derive(Clone, Copy)]
struct Sample {
    seconds: f64,
    pid: u32,
    rss_mib: f64,
    anon_mib: f64,
}

/// A `/proc/{pid}/status` field in kB, as MiB.
fn status_mib(pid: u32, field: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .unwrap_or(0.0)
        / 1024.0
}

fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/release/ogf-api")
}

fn start_server(data: &std::path::Path, port: u16) -> Child {
    Command::new(binary())
        .env("OGF_BIND_ADDR", format!("127.0.0.1:{port}"))
        .env("OGF_DATA_DIR", data)
        .env("OGF_DEMO_DATA", "2000")
        .env("OGF_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("OGF_TRUSTED_PROXIES", "127.0.0.1")
        .env("OGF_JWT_SECRET", JWT_SECRET)
        .env("OGF_LOG_LEVEL", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start target/release/ogf-api (cargo build --release -p ogf-api first)")
}

async fn wait_ready(http: &Client, base: &str) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Ok(r) = http.get(format!("{base}/readyz")).send().await
            && r.status() == StatusCode::OK
        {
            return;
        }
        assert!(Instant::now() < deadline, "ogf-api did not become ready");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 10_000.0).round() / 10.0
}

fn median(points: &[(f64, f64)]) -> f64 {
    let mut v: Vec<f64> = points.iter().map(|(_, r)| *r).collect();
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

/// Least-squares slope of `(x, y)` points (0 for fewer than two).
fn slope(points: &[(f64, f64)]) -> f64 {
    if points.len() < 2 {
        return 0.0;
    }
    let n = points.len() as f64;
    let (sx, sy) = points
        .iter()
        .fold((0.0, 0.0), |(a, b), (x, y)| (a + x, b + y));
    let (mx, my) = (sx / n, sy / n);
    let (num, den) = points.iter().fold((0.0, 0.0), |(num, den), (x, y)| {
        (num + (x - mx) * (y - my), den + (x - mx) * (x - mx))
    });
    if den == 0.0 { 0.0 } else { num / den }
}
