//! `ogf-api market import`: the real binary loading CSV (plain, FRED, EIA download) and EIA API
//! v2 JSON files into the embedded store and MongoDB (FerretDB), idempotently; malformed files
//! exit 3 naming the line or record, and write nothing.
// clippy.toml's allow-unwrap-in-tests covers #[test] fns only, not this crate's helpers.
#![allow(clippy::unwrap_used)]

mod support;

use std::path::Path;
use std::process::{Command, Output};

use ogf_api::domain::market::{MAX_DATE, MIN_DATE, PriceSource, Series};
use ogf_api::domain::{AuditKind, AuditQuery};
use ogf_api::store::{EmbeddedStore, MarketStore};

const BIN: &str = env!("CARGO_BIN_EXE_ogf-api");

fn import(args: &[&str], store_args: &[&str]) -> Output {
    Command::new(BIN)
        .args(["market", "import"])
        .args(args)
        .args(store_args)
        .env_remove("OGF_STORE")
        .env_remove("OGF_DATA_DIR")
        .env_remove("OGF_MONGODB_URI")
        .env_remove("OGF_MONGODB_URI_FILE")
        .env_remove("OGF_MONGODB_DATABASE")
        .env("OGF_LOG", "warn")
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn write(dir: &Path, name: &str, content: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    path.to_str().unwrap().to_owned()
}

const FRED_CSV: &str = "observation_date,DCOILWTICO\n\
    2026-01-01,.\n2026-01-02,71.23\n2026-01-05,72.10\n2026-01-06,\n2026-01-07,70.5\n";

const EIA_JSON: &str = r#"{"response": {"total": "3", "frequency": "daily", "data": [
    {"period": "2026-01-06", "series": "RBRTE", "value": "76.4", "units": "$/BBL"},
    {"period": "2026-01-05", "series": "RBRTE", "value": 75.95},
    {"period": "2026-01-02", "series": "RBRTE", "value": null}
]}, "apiVersion": "2.1.8"}"#;

#[test]
fn csv_and_eia_json_import_into_the_embedded_store_idempotently() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let store = ["--data-dir", data.to_str().unwrap()];
    let csv = write(dir.path(), "wti.csv", FRED_CSV);
    let out = import(&["--series", "WTI", &csv], &store);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let line = text(&out.stdout);
    assert!(
        line.starts_with("WTI: 3 inserted, 0 updated, 0 unchanged, 2 skipped (no value)"),
        "{line}"
    );
    assert!(line.contains("(2026-01-02 to 2026-01-07)"), "{line}");
    let again = import(&["--series", "wti", &csv], &store);
    assert!(again.status.success(), "{}", text(&again.stderr));
    assert!(
        text(&again.stdout).starts_with("WTI: 0 inserted, 0 updated, 3 unchanged"),
        "{}",
        text(&again.stdout)
    );
    let changed = write(
        dir.path(),
        "eia-download.csv",
        "Cushing OK WTI Spot Price FOB Daily\nData Source: Thomson Reuters\n\
         Day,Cushing OK WTI Spot Price FOB Dollars per Barrel\n\
         01/08/2026,69.9\n01/07/2026,70.55\n",
    );
    let out = import(&["--series", "WTI", &changed], &store);
    assert!(
        text(&out.stdout).starts_with("WTI: 1 inserted, 1 updated, 0 unchanged, 0 skipped"),
        "{} {}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let json = write(dir.path(), "brent.json", EIA_JSON);
    let out = import(&["--series", "BRENT", &json], &store);
    assert!(
        text(&out.stdout).starts_with("BRENT: 2 inserted, 0 updated, 0 unchanged, 1 skipped"),
        "{} {}",
        text(&out.stdout),
        text(&out.stderr)
    );

    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = EmbeddedStore::open(&data).await.unwrap();
        let wti = store.prices(Series::Wti, MIN_DATE, MAX_DATE).await.unwrap();
        let got: Vec<String> = wti
            .iter()
            .map(|p| format!("{} {}", p.date, p.price))
            .collect();
        assert_eq!(
            got,
            [
                "2026-01-02 71.23",
                "2026-01-05 72.10",
                "2026-01-07 70.55",
                "2026-01-08 69.90"
            ]
        );
        assert!(wti.iter().all(|p| p.source == PriceSource::Import));
        assert_eq!(store.count_prices().await.unwrap(), 6);
        let mut q = AuditQuery::all(10);
        q.kind = Some(AuditKind::MarketPricesImported);
        let events = ogf_api::store::AuditStore::audit_page(&store, &q)
            .await
            .unwrap()
            .items;
        assert_eq!(events.len(), 4);
        assert_eq!(
            events[0].detail,
            "series=BRENT inserted=2 updated=0 unchanged=0 skipped=1 file=brent.json"
        );
    });
}

#[test]
fn malformed_files_exit_3_naming_the_line_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let store = ["--data-dir", data.to_str().unwrap()];
    let cases = [
        (
            "bad-date.csv",
            "Date,Price\n2026-01-02,71.23\n2026-13-02,70\n",
            "bad-date.csv: line 3: date:",
        ),
        (
            "bad-price.csv",
            "Date,Price\n2026-01-02,seventy\n",
            "bad-price.csv: line 2: price:",
        ),
        (
            "dup.csv",
            "Date,Price\n2026-01-02,1\n2026-01-02,2\n",
            "line 3: date 2026-01-02 appears twice (first on line 2)",
        ),
        (
            "empty.csv",
            "Date,Price\n2026-01-02,.\n",
            "no prices found (1 rows without a value)",
        ),
        (
            "monthly.json",
            r#"{"response":{"data":[{"period":"2026-01","value":1}]}}"#,
            "response.data[0]: period '2026-01' is not a daily date",
        ),
        (
            "broken.json",
            "{\"response\":\n{\"data\": [\n",
            "invalid JSON:",
        ),
    ];
    for (name, content, want) in cases {
        let file = write(dir.path(), name, content);
        let out = import(&["--series", "WTI", &file], &store);
        assert_eq!(out.status.code(), Some(3), "{name}: {}", text(&out.stderr));
        let err = text(&out.stderr);
        assert!(err.starts_with("ogf-api market import: "), "{err}");
        assert!(err.contains(want), "{name}: {err}");
        assert!(out.stdout.is_empty());
    }
    let missing = dir.path().join("nope.csv");
    let out = import(&["--series", "WTI", missing.to_str().unwrap()], &store);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        text(&out.stderr).contains("nope.csv"),
        "{}",
        text(&out.stderr)
    );
    let out = import(&["--series", "GOLD", missing.to_str().unwrap()], &store);
    assert_eq!(out.status.code(), Some(2), "usage error");
    assert!(
        text(&out.stderr).contains("market series"),
        "{}",
        text(&out.stderr)
    );
    assert!(!data.exists(), "no store was opened for a bad file");
}

#[tokio::test]
async fn csv_imports_into_mongodb() {
    let Some(store) = support::backends::mongodb().await else {
        return;
    };
    let uri = std::env::var("OGF_MONGODB_URI").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let csv = write(
        dir.path(),
        "hh.csv",
        "Date,Price\n2026-01-02,3.215\n2026-01-05,3.4\n",
    );
    let database = store.database_name().to_owned();
    let args = [
        "--store",
        "mongodb",
        "--mongodb-uri",
        uri.as_str(),
        "--mongodb-database",
        database.as_str(),
    ];
    let first = import(&["--series", "HENRY_HUB", &csv], &args);
    let second = import(&["--series", "HENRY_HUB", &csv], &args);
    let points = store
        .prices(Series::HenryHub, MIN_DATE, MAX_DATE)
        .await
        .unwrap();
    store.drop_database().await.unwrap();
    assert!(
        text(&first.stdout).starts_with("HENRY_HUB: 2 inserted, 0 updated, 0 unchanged"),
        "{} {}",
        text(&first.stdout),
        text(&first.stderr)
    );
    assert!(
        text(&second.stdout).starts_with("HENRY_HUB: 0 inserted, 0 updated, 2 unchanged"),
        "{}",
        text(&second.stdout)
    );
    let got: Vec<String> = points.iter().map(|p| p.price.to_string()).collect();
    assert_eq!(got, ["3.215", "3.40"]);
}
