//! API10 Unsafe Consumption of APIs: market data imported from third parties (EIA, FRED
//! downloads, `ogf-api market import`) is hostile until checked. Absurd and non-finite
//! prices, spreadsheet formulas, impossible or future dates, oversize files and a single bad
//! row each refuse the whole file, and nothing is written.

use std::process::Command;

use chrono::{Days, NaiveDate, Utc};
use ogf_api::domain::market::{MAX_DATE, MIN_DATE, Price, Series};
use ogf_api::market::cli::read;
use ogf_api::market::import::{self, MAX_POINTS, MAX_PREAMBLE, parse, parse_csv, refuse_future};
use ogf_api::store::{EmbeddedStore, MarketStore};

/// Price texts a hostile or broken feed sends.
const HOSTILE_PRICES: &[&str] = &[
    "NaN",
    "nan",
    "inf",
    "-inf",
    "Infinity",
    "1e3",
    "1E400",
    "0x10",
    "1,000",
    "71.23.4",
    "1000000.000001",
    "-1000000.01",
    "99999999999999999999",
    "71.1234567",
    "\u{661}\u{662}",
    "--1",
    "=1+1",
    "=cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "+=1",
    "71.23\u{0}",
    "７１",
    "1_000",
];

/// Absurd, non-finite and formula prices are refused on their own, in a CSV row (naming the
/// line) and in an EIA JSON record; the limits themselves still parse.
#[test]
fn hostile_prices_are_refused_wherever_they_appear() {
    for raw in HOSTILE_PRICES {
        assert!(Price::parse(raw).is_err(), "{raw:?} parsed");
        let csv = format!(
            "Date,Price\n2026-01-02,71.23\n2026-01-05,\"{}\"\n",
            raw.replace('"', "\"\"")
        );
        match parse_csv(&csv) {
            Err(import::ImportError::Line { line: 3, .. }) => {}
            other => panic!("{raw:?}: {other:?}"),
        }
        let json = serde_json::json!({ "response": { "data": [
            { "period": "2026-01-02", "value": "71.23" },
            { "period": "2026-01-05", "value": raw },
        ] } })
        .to_string();
        match parse(&json) {
            Err(import::ImportError::Record { index: 1, .. }) => {}
            other => panic!("{raw:?}: {other:?}"),
        }
    }
    for json_value in ["1e400", "true", "[71.23]", "{\"$numberDouble\": \"NaN\"}"] {
        let json = format!(
            r#"{{"response": {{"data": [{{"period": "2026-01-02", "value": {json_value}}}]}}}}"#
        );
        assert!(parse(&json).is_err(), "{json_value}");
    }
    assert_eq!(Price::parse("1000000").unwrap().micros(), 1_000_000_000_000);
    assert_eq!(Price::parse("-37.63").unwrap().micros(), -37_630_000);
}

/// Formula injection (CSV injection) in any column is refused rather than stored; title
/// lines before the header are never stored, so a formula there cannot reach a later export.
#[test]
fn spreadsheet_formulas_are_refused_not_stored() {
    for row in [
        "=HYPERLINK(\"http://evil.example\"),71.23",
        "2026-01-02,=cmd|' /C calc'!A0",
        "@SUM(A1),71.23",
        "2026-01-02,\"=1+1\"",
        "+2026-01-02,71.23",
    ] {
        let csv = format!("Date,Price\n2026-01-01,70\n{row}\n");
        assert!(parse_csv(&csv).is_err(), "{row}");
    }
    let preamble = "=cmd|' /C calc'!A0\n@SUM(1)\nDate,Price\n2026-01-02,71.23\n";
    let parsed = parse_csv(preamble).unwrap();
    assert_eq!(parsed.points.len(), 1);
    assert_eq!(parsed.points[0].1.to_string(), "71.23");
}

/// Dates outside 1900–2100 or impossible ones are refused by the parser; dates after
/// tomorrow are refused before import (as `POST /api/v1/admin/market/prices` does), through
/// [`refuse_future`] and the importer's [`read`].
#[test]
fn impossible_and_future_dates_are_refused() {
    for date in [
        "2101-01-01",
        "9999-12-31",
        "1899-12-31",
        "2026-02-30",
        "2026-13-01",
        "0000-01-01",
        "+2026-01-02",
        "2026-1-2x",
    ] {
        let csv = format!("Date,Price\n{date},71.23\n");
        assert!(parse_csv(&csv).is_err(), "{date}");
    }
    let today = Utc::now().date_naive();
    let tomorrow = today.checked_add_days(Days::new(1)).unwrap();
    let after = tomorrow.checked_add_days(Days::new(1)).unwrap();
    let file = |dates: &[NaiveDate]| {
        let rows: String = dates.iter().map(|d| format!("{d},71.23\n")).collect();
        parse_csv(&format!("Date,Price\n{rows}")).unwrap()
    };
    assert!(refuse_future(&file(&[today, tomorrow]), tomorrow).is_ok());
    let err = refuse_future(&file(&[today, after]), tomorrow).unwrap_err();
    assert!(err.to_string().contains(&after.to_string()), "{err}");
    let far = NaiveDate::from_ymd_opt(2099, 12, 31).unwrap();
    assert!(refuse_future(&file(&[today, far]), tomorrow).is_err());

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("future.csv");
    std::fs::write(&path, format!("Date,Price\n{today},71.23\n{far},999999\n")).unwrap();
    let err = read(&path).unwrap_err();
    assert!(err.contains("2099-12-31"), "{err}");
}

/// Oversize and malformed inputs are refused: a file over 64 MiB (sparse, so the test stays
/// cheap) without reading it, non-UTF-8 bytes, a 20 MB line, an endless preamble, repeated
/// dates.
#[test]
fn oversize_and_binary_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let huge = dir.path().join("huge.csv");
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(65 * 1024 * 1024)
        .unwrap();
    let err = read(&huge).unwrap_err();
    assert!(err.contains("limit"), "{err}");
    let binary = dir.path().join("binary.csv");
    std::fs::write(&binary, b"Date,Price\n2026-01-02,\xff\xfe71\n").unwrap();
    assert!(read(&binary).unwrap_err().contains("UTF-8"));

    // One 20 MB line, a preamble of junk lines and repeated dates: refused, naming a line.
    let line = format!("Date,Price\n2026-01-02,{}\n", "7".repeat(20_000_000));
    assert!(matches!(
        parse_csv(&line),
        Err(import::ImportError::Line { line: 2, .. })
    ));
    let junk = "junk\n".repeat(MAX_PREAMBLE + 1) + "Date,Price\n2026-01-02,71.23\n";
    assert!(matches!(
        parse_csv(&junk),
        Err(import::ImportError::Line { line, .. }) if line == MAX_PREAMBLE + 1
    ));
    let twice = "Date,Price\n2026-01-02,71.23\n2026-01-02,1.00\n";
    assert!(parse_csv(twice).unwrap_err().to_string().contains("twice"));
    // Every day from 1900 to 2100 fits under the point limit, so the limit never truncates.
    let days = (MAX_DATE - MIN_DATE).num_days() + 1;
    assert!(usize::try_from(days).unwrap() < MAX_POINTS, "{days}");
}

/// The real importer is all or nothing: a file with thousands of good rows and one bad row
/// (anywhere, the last one included) exits 3 naming that line and leaves the store empty.
#[test]
fn one_bad_row_imports_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut csv = String::from("Date,Price\n");
    let start = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap();
    for i in 0..5_000 {
        let d = start.checked_add_days(Days::new(i)).unwrap();
        csv.push_str(&format!("{d},{}.{:02}\n", 50 + i % 40, i % 100));
    }
    csv.push_str("2020-01-01,=cmd|' /C calc'!A0\n");
    let path = dir.path().join("wti.csv");
    std::fs::write(&path, &csv).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_ogf-api"))
        .args(["market", "import", "--series", "WTI"])
        .arg(&path)
        .arg("--data-dir")
        .arg(&data)
        .env_remove("OGF_STORE")
        .env_remove("OGF_DATA_DIR")
        .env_remove("OGF_MONGODB_URI")
        .env_remove("OGF_MONGODB_URI_FILE")
        .env_remove("OGF_MONGODB_DATABASE")
        .env("OGF_LOG", "warn")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("line 5002"), "{stderr}");
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = EmbeddedStore::open(&data).await.unwrap();
        let stored = store.prices(Series::Wti, MIN_DATE, MAX_DATE).await.unwrap();
        assert!(stored.is_empty(), "{} points written", stored.len());
    });
}
