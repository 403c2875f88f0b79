//! `ogf-api market import --series WTI FILE`: loads a CSV or EIA API v2 JSON file into the
//! configured store (same store flags and variables as `serve` and `backup`), upserting by
//! `(series, date)`, and prints one summary line. Exit codes: 0 done, 2 usage, 3 unreadable
//! or malformed file (nothing written), 6 store failure.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::{Args, Subcommand};

use super::import::{self, Parsed};
use crate::backup::cli::StoreArgs;
use crate::backup::store::StoreTarget;
use crate::domain::market::{PricePoint, PriceSource, Series, UpsertCounts};
use crate::domain::{AuditEvent, AuditKind, new_id};
use crate::store::{EmbeddedStore, MongoStore, Store, StoreError};

/// Exit code of a usage error.
pub const EXIT_USAGE: i32 = 2;
/// Exit code of an unreadable or malformed file.
pub const EXIT_INPUT: i32 = 3;
/// Exit code of a store failure.
pub const EXIT_STORE: i32 = 6;
/// Largest file accepted, bytes.
const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;
/// Points written per store call.
const BATCH: usize = 1_000;

/// `ogf-api market ...`.
#[derive(Debug, Subcommand)]
pub enum MarketCommand {
    /// Import daily prices from a CSV (`Date,Price`, EIA/FRED variants) or EIA API v2 JSON file.
    Import(ImportArgs),
}

/// Options of `market import`.
#[derive(Debug, Clone, Args)]
pub struct ImportArgs {
    /// The series the file holds: WTI, BRENT or HENRY_HUB.
    #[arg(long, value_parser = parse_series)]
    pub series: Series,
    /// The file to import.
    pub file: PathBuf,
    /// The store to write to.
    #[command(flatten)]
    pub store: StoreArgs,
}

fn parse_series(raw: &str) -> Result<Series, String> {
    Series::parse_loose(raw).map_err(|e| e.to_string())
}

/// Runs a market subcommand; returns the exit code.
pub async fn run(command: MarketCommand) -> i32 {
    match command {
        MarketCommand::Import(args) => match import_file(&args).await {
            Ok(line) => {
                println!("{line}");
                0
            }
            Err((code, message)) => {
                eprintln!("ogf-api market import: {message}");
                code
            }
        },
    }
}

/// Reads and parses `path`, refusing files over 64 MiB, non-UTF-8 text, malformed rows and
/// prices dated after tomorrow (UTC); nothing is written when this fails.
pub fn read(path: &Path) -> Result<Parsed, String> {
    let shown = path.display();
    let meta = std::fs::metadata(path).map_err(|e| format!("{shown}: {e}"))?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(format!(
            "{shown}: {} bytes is over the {MAX_FILE_BYTES}-byte limit",
            meta.len()
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("{shown}: {e}"))?;
    let text = String::from_utf8(bytes).map_err(|_| format!("{shown}: not UTF-8 text"))?;
    let parsed = import::parse(&text).map_err(|e| format!("{shown}: {e}"))?;
    // Prices dated after tomorrow (UTC) are refused, as over HTTP.
    let today = chrono::Utc::now().date_naive();
    let latest = today
        .checked_add_days(chrono::Days::new(1))
        .unwrap_or(today);
    import::refuse_future(&parsed, latest).map_err(|e| format!("{shown}: {e}"))?;
    if parsed.points.is_empty() {
        return Err(format!(
            "{shown}: no prices found ({} rows without a value)",
            parsed.skipped
        ));
    }
    Ok(parsed)
}

async fn open(args: &StoreArgs) -> Result<Arc<dyn Store>, (i32, String)> {
    let store_err = |e: StoreError| (EXIT_STORE, e.to_string());
    match args.target().map_err(|e| (EXIT_USAGE, e.to_string()))? {
        StoreTarget::Embedded { data_dir } => Ok(Arc::new(
            EmbeddedStore::open(&data_dir).await.map_err(store_err)?,
        )),
        StoreTarget::Mongodb { uri, database } => Ok(Arc::new(
            MongoStore::connect(&uri, &database)
                .await
                .map_err(store_err)?,
        )),
    }
}

/// Imports `points` of `series` into `store` in batches; returns the total counts.
pub async fn upsert_all(
    store: &dyn Store,
    series: Series,
    points: &[(chrono::NaiveDate, crate::domain::market::Price)],
    source: PriceSource,
) -> Result<UpsertCounts, StoreError> {
    let mut total = UpsertCounts::default();
    for chunk in points.chunks(BATCH) {
        let batch: Vec<PricePoint> = chunk
            .iter()
            .map(|&(date, price)| PricePoint {
                series,
                date,
                price,
                source,
            })
            .collect();
        total.add(store.upsert_prices(&batch).await?);
    }
    Ok(total)
}

async fn import_file(args: &ImportArgs) -> Result<String, (i32, String)> {
    let parsed = read(&args.file).map_err(|m| (EXIT_INPUT, m))?;
    let store = open(&args.store).await?;
    let counts = upsert_all(
        store.as_ref(),
        args.series,
        &parsed.points,
        PriceSource::Import,
    )
    .await
    .map_err(|e| (EXIT_STORE, e.to_string()))?;
    let name = args
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let detail = format!(
        "series={} inserted={} updated={} unchanged={} skipped={} file={name}",
        args.series, counts.inserted, counts.updated, counts.unchanged, parsed.skipped
    );
    let event = AuditEvent {
        id: new_id(),
        at: chrono::Utc::now(),
        kind: AuditKind::MarketPricesImported,
        user_id: None,
        actor_id: None,
        ip: None,
        detail,
    };
    if let Err(e) = store.record_audit(&event).await {
        eprintln!("ogf-api market import: warning: writing the audit event failed: {e}");
    }
    let (first, last) = (parsed.points[0].0, parsed.points[parsed.points.len() - 1].0);
    Ok(format!(
        "{}: {} inserted, {} updated, {} unchanged, {} skipped (no value) from {} ({first} to {last})",
        args.series,
        counts.inserted,
        counts.updated,
        counts.unchanged,
        parsed.skipped,
        args.file.display()
    ))
}
