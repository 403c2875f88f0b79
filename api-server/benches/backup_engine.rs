//! Backup engine benchmark (not a timed test): backup of an embedded store with listings-like
//! rows to a local directory and to S3 (MinIO on loopback, when the test environment's
//! variables are set), and restore, each run as the real release binary under
//! `/usr/bin/time -v` for CPU time and peak RSS.
//!
//! ```sh
//! source ~/.cache/ogf-testenv/run/env   # optional: adds the S3 runs
//! OGF_BENCH_MB=1024 OGF_BENCH_RUNS=3 cargo bench -p ogf-api --bench backup_engine
//! ```
//! Throughput is the plaintext archive size (every row, BSON-encoded) over wall time; "per
//! core" divides by user + system CPU seconds instead.
//!
//! While iterating: `OGF_BENCH_DATA=DIR` keeps the dataset in `DIR` (generated when `DIR` holds
//! no database, reused as it is otherwise: `OGF_BENCH_MB` then has no effect), and
//! `OGF_BENCH_RESTORE=0` skips the restores.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use rand::{Rng, SeedableRng};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_ogf-api");
const WORDS: &[&str] = &[
    "Permian",
    "Midland",
    "Delaware",
    "Bakken",
    "Eagle",
    "Ford",
    "royalty",
    "mineral",
    "acres",
    "working",
    "interest",
    "lease",
    "NRI",
    "producing",
    "wells",
    "horizontal",
    "Wolfcamp",
    "Spraberry",
    "operator",
    "held",
    "by",
    "production",
    "gas",
    "oil",
    "barrels",
    "per",
    "day",
    "unit",
    "county",
    "section",
    "township",
    "range",
    "term",
    "primary",
    "bonus",
    "escrow",
    "title",
    "clean",
    "offset",
    "drilling",
    "permits",
    "pooled",
    "the",
    "with",
    "and",
    "of",
];

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn sentence(rng: &mut impl Rng, words: usize) -> String {
    (0..words)
        .map(|_| WORDS[rng.random_range(0..WORDS.len())])
        .collect::<Vec<_>>()
        .join(" ")
}

/// Fills `dir` with listings until about `mb` MiB of row data.
fn generate(dir: &Path, mb: u64) -> u64 {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(ogf_api::store::EmbeddedStore::open(dir))
        .unwrap();
    let conn = rusqlite::Connection::open(dir.join("ogf.sqlite3")).unwrap();
    conn.execute_batch("PRAGMA synchronous = OFF;").unwrap();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let target = mb << 20;
    let (mut bytes, mut n) = (0u64, 0u64);
    let types = [
        "lease",
        "mineral_rights",
        "royalty_interest",
        "working_interest",
        "equipment",
    ];
    while bytes < target {
        let tx = conn.unchecked_transaction().unwrap();
        for _ in 0..10_000 {
            let title = sentence(&mut rng, 8);
            let len = rng.random_range(60..180);
            let desc = sentence(&mut rng, len);
            bytes += (title.len() + desc.len() + 200) as u64;
            tx.execute(
                "INSERT INTO listings (id, title, description, listing_type, status, basin, \
                 state, county, lon, lat, net_acres, gross_acres, nri_pct, wi_pct, oil_bbl_d, \
                 gas_mcf_d, boe_d, asking_price_cents, sale_type, created_at_ms) VALUES \
                 (?1, ?2, ?3, ?4, 'active', 'Permian', 'TX', 'Midland', ?5, ?6, ?7, ?8, ?9, ?10, \
                 ?11, ?12, ?13, ?14, 'fixed', ?15)",
                rusqlite::params![
                    format!("lst-{n:010}"),
                    title,
                    desc,
                    types[rng.random_range(0..types.len())],
                    rng.random_range(-104.0..-100.0),
                    rng.random_range(30.0..33.0),
                    rng.random_range(1.0..640.0),
                    rng.random_range(1.0..1280.0),
                    rng.random_range(0.0..100.0),
                    rng.random_range(0.0..100.0),
                    rng.random_range(0.0..500.0),
                    rng.random_range(0.0..5000.0),
                    rng.random_range(0.0..1500.0),
                    rng.random_range(1_000_000i64..900_000_000),
                    1_700_000_000_000i64 + n as i64,
                ],
            )
            .unwrap();
            n += 1;
        }
        tx.commit().unwrap();
    }
    n
}

#[derive(Debug, Clone, Copy)]
struct Run {
    wall: f64,
    cpu: f64,
    rss_kib: u64,
}

/// Runs the binary under `/usr/bin/time -v`; returns the result line and the measurements.
fn timed(args: &[&str]) -> (Value, Run) {
    try_timed(args).unwrap_or_else(|e| panic!("{e}"))
}

fn try_timed(args: &[&str]) -> Result<(Value, Run), String> {
    let start = Instant::now();
    let out = Command::new("/usr/bin/time")
        .arg("-v")
        .arg(BIN)
        .args(args)
        .env("OGF_LOG", "warn")
        .output()
        .expect("/usr/bin/time is needed for CPU time and peak RSS");
    let wall = start.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        return Err(format!("{args:?} failed: {stderr}"));
    }
    let field = |name: &str| -> f64 {
        stderr
            .lines()
            .find_map(|l| {
                l.trim()
                    .strip_prefix(name)
                    .map(|v| v.trim().parse().unwrap_or(0.0))
            })
            .unwrap_or(0.0)
    };
    let cpu = field("User time (seconds):") + field("System time (seconds):");
    let rss_kib = field("Maximum resident set size (kbytes):") as u64;
    let line = String::from_utf8_lossy(&out.stdout)
        .lines()
        .last()
        .unwrap_or("{}")
        .to_owned();
    Ok((
        serde_json::from_str(&line).unwrap(),
        Run { wall, cpu, rss_kib },
    ))
}

/// Deletes every object under `prefix` (the benchmark leaves nothing in the bucket; prune
/// always keeps the newest artifact).
fn delete_prefix(endpoint: &str, bucket: &str, key_id: &str, secret: &str, prefix: &str) {
    use futures::TryStreamExt;
    use object_store::{ObjectStore, ObjectStoreExt};
    let store = object_store::aws::AmazonS3Builder::new()
        .with_endpoint(endpoint)
        .with_region(std::env::var("OGF_S3_REGION").unwrap_or_else(|_| "us-east-1".into()))
        .with_bucket_name(bucket)
        .with_access_key_id(key_id)
        .with_secret_access_key(secret)
        .with_allow_http(true)
        .with_virtual_hosted_style_request(false)
        .build()
        .unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let path = object_store::path::Path::from(prefix);
        let objects: Vec<_> = store.list(Some(&path)).try_collect().await.unwrap();
        for object in objects {
            store.delete(&object.location).await.unwrap();
        }
    });
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn report(name: &str, bytes: u64, runs: &[Run]) {
    let mb = bytes as f64 / 1_048_576.0;
    let wall = median(runs.iter().map(|r| r.wall).collect());
    let cpu = median(runs.iter().map(|r| r.cpu).collect());
    let rss = runs.iter().map(|r| r.rss_kib).max().unwrap_or(0) as f64 / 1024.0;
    println!(
        "| {name} | {mb:.0} MiB | {wall:.2} s | {:.0} MB/s | {:.0} MB/s | {rss:.1} MiB |",
        mb / wall,
        mb / cpu.max(0.001)
    );
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let mb = env_num("OGF_BENCH_MB", 1024);
    let runs = env_num("OGF_BENCH_RUNS", 3) as usize;
    let restore = env_num("OGF_BENCH_RESTORE", 1) != 0;
    let scratch = tempfile::tempdir().unwrap();
    let data = std::env::var_os("OGF_BENCH_DATA")
        .map_or_else(|| scratch.path().join("data"), std::path::PathBuf::from);
    let t = Instant::now();
    let rows = if data.join("ogf.sqlite3").is_file() {
        let conn = rusqlite::Connection::open(data.join("ogf.sqlite3")).unwrap();
        let n: i64 = conn
            .query_row("SELECT count(*) FROM listings", [], |r| r.get(0))
            .unwrap();
        n.unsigned_abs()
    } else {
        generate(&data, mb)
    };
    let db_mb = std::fs::metadata(data.join("ogf.sqlite3")).unwrap().len() / 1_048_576;
    eprintln!(
        "dataset: {rows} listings ({db_mb} MiB database), ready in {:.0} s",
        t.elapsed().as_secs_f64()
    );

    let keys = scratch.path().join("identity.txt");
    let (key, _) = timed(&["backup", "keygen", "--output", keys.to_str().unwrap()]);
    let recipient = key["recipient"].as_str().unwrap().to_owned();
    let d = data.to_str().unwrap();
    let out = scratch.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let dest = format!("file://{}", out.display());

    let mut archive_bytes = 0;
    let mut local = Vec::new();
    let mut last_id = String::new();
    for i in 0..runs {
        let id = format!("bench-{i}");
        let (line, run) = timed(&[
            "backup",
            "--data-dir",
            d,
            "--destination",
            &dest,
            "--recipient",
            &recipient,
            "--id",
            &id,
        ]);
        archive_bytes = line["archiveBytes"].as_u64().unwrap();
        eprintln!("local backup {i}: {line}");
        local.push(run);
        last_id = id;
    }
    let mut restores = Vec::new();
    for i in (0..runs).filter(|_| restore) {
        let target = scratch.path().join(format!("restored-{i}"));
        let (line, run) = timed(&[
            "restore",
            "--data-dir",
            target.to_str().unwrap(),
            "--destination",
            &dest,
            "--artifact",
            &last_id,
            "--identity-file",
            keys.to_str().unwrap(),
        ]);
        eprintln!("restore {i}: {line}");
        restores.push(run);
        std::fs::remove_dir_all(&target).unwrap();
    }
    let mut s3 = Vec::new();
    let mut s3_restores = Vec::new();
    let s3_vars = [
        "OGF_S3_ENDPOINT",
        "OGF_S3_BUCKET",
        "OGF_S3_ACCESS_KEY_ID",
        "OGF_S3_SECRET_ACCESS_KEY",
    ]
    .map(|v| std::env::var(v).ok());
    if let [Some(endpoint), Some(bucket), Some(key_id), Some(secret)] = s3_vars {
        let creds = scratch.path().join("creds");
        std::fs::create_dir_all(&creds).unwrap();
        std::fs::write(creds.join("AWS_ACCESS_KEY_ID"), &key_id).unwrap();
        std::fs::write(creds.join("AWS_SECRET_ACCESS_KEY"), &secret).unwrap();
        let prefix = format!("bench/{}", uuid::Uuid::new_v4().simple());
        let url = format!("s3://{bucket}/{prefix}");
        let mut s3_id = String::new();
        for i in 0..runs {
            let id = format!("bench-s3-{i}");
            let (line, run) = timed(&[
                "backup",
                "--id",
                &id,
                "--data-dir",
                d,
                "--recipient",
                &recipient,
                "--destination",
                &url,
                "--s3-endpoint",
                &endpoint,
                "--s3-force-path-style",
                "--s3-credentials-dir",
                creds.to_str().unwrap(),
            ]);
            eprintln!("s3 backup {i}: {line}");
            s3.push(run);
            s3_id = id;
        }
        for i in (0..runs).filter(|_| restore) {
            let target = scratch.path().join(format!("restored-s3-{i}"));
            let (line, run) = timed(&[
                "restore",
                "--data-dir",
                target.to_str().unwrap(),
                "--destination",
                &url,
                "--s3-endpoint",
                &endpoint,
                "--s3-force-path-style",
                "--s3-credentials-dir",
                creds.to_str().unwrap(),
                "--artifact",
                &s3_id,
                "--identity-file",
                keys.to_str().unwrap(),
            ]);
            eprintln!("s3 restore {i}: {line}");
            s3_restores.push(run);
            std::fs::remove_dir_all(&target).unwrap();
        }
        let (line, _) = timed(&[
            "backup",
            "prune",
            "--destination",
            &url,
            "--s3-endpoint",
            &endpoint,
            "--s3-force-path-style",
            "--s3-credentials-dir",
            creds.to_str().unwrap(),
            "--keep-last",
            "1",
        ]);
        eprintln!("cleanup: {line}");
        delete_prefix(&endpoint, &bucket, &key_id, &secret, &prefix);
    }
    println!(
        "\n{rows} listings, {db_mb} MiB SQLite file, archive {:.0} MiB plaintext, medians of {runs} runs\n",
        archive_bytes as f64 / 1_048_576.0
    );
    println!("| operation | data | wall | throughput | per CPU-second | peak RSS |");
    println!("|---|---|---|---|---|---|");
    report("backup → local file", archive_bytes, &local);
    if !s3.is_empty() {
        report("backup → S3 (MinIO, loopback)", archive_bytes, &s3);
    }
    if !restores.is_empty() {
        report("restore ← local file", archive_bytes, &restores);
    }
    if !s3_restores.is_empty() {
        report(
            "restore ← S3 (MinIO, loopback)",
            archive_bytes,
            &s3_restores,
        );
    }
}
