//! `ogf-api demo ...`: demo data outside `serve`, for benchmarks and demos.
//!
//! - `demo load --count N [--seed S]` bulk-loads `N` deterministic demo listings (the same seed
//!   gives the same listings, relative to the load time) into an empty store, in batches of one
//!   transaction (embedded) or one bulk insert (MongoDB) each, and prints how long it took.
//! - `demo drop-database` drops a scratch MongoDB database made for a benchmark; it refuses
//!   every database whose name does not start with [`SCRATCH_PREFIX`], so that it can never
//!   drop a real marketplace.
//!
//! Exit codes: 0 done, 2 usage, 5 the store already holds listings, 6 store failure.

use std::time::Instant;

use clap::{Args, Subcommand};

use super::{DEFAULT_SEED, seed_if_empty};
use crate::backup::cli::StoreArgs;
use crate::backup::store::StoreTarget;
use crate::store::{EmbeddedStore, ListingStore, MongoStore, StoreError};

/// Exit code of a usage error.
pub const EXIT_USAGE: i32 = 2;
/// Exit code of `load` on a store that already holds listings.
pub const EXIT_NOT_EMPTY: i32 = 5;
/// Exit code of a store failure.
pub const EXIT_STORE: i32 = 6;
/// Only databases whose name starts with this may be dropped by `drop-database`.
pub const SCRATCH_PREFIX: &str = "ogf_bench_";

/// `ogf-api demo ...`.
#[derive(Debug, Subcommand)]
pub enum DemoCommand {
    /// Load N deterministic demo listings into an empty store.
    Load(LoadArgs),
    /// Drop a scratch MongoDB database (name must start with `ogf_bench_`).
    DropDatabase(DropArgs),
}

/// Options of `demo load`.
#[derive(Debug, Clone, Args)]
pub struct LoadArgs {
    /// How many listings.
    #[arg(long)]
    pub count: usize,
    /// Generator seed (the same seed gives the same listings).
    #[arg(long, default_value_t = DEFAULT_SEED)]
    pub seed: u64,
    /// The store to write to.
    #[command(flatten)]
    pub store: StoreArgs,
}

/// Options of `demo drop-database`.
#[derive(Debug, Clone, Args)]
pub struct DropArgs {
    /// The database (`--store mongodb` only).
    #[command(flatten)]
    pub store: StoreArgs,
}

/// Runs a demo subcommand; returns the exit code.
pub async fn run(command: DemoCommand) -> i32 {
    let result = match command {
        DemoCommand::Load(args) => load(&args).await,
        DemoCommand::DropDatabase(args) => drop_database(&args).await,
    };
    match result {
        Ok(line) => {
            println!("{line}");
            0
        }
        Err((code, message)) => {
            eprintln!("ogf-api demo: {message}");
            code
        }
    }
}

type Failure = (i32, String);

fn store_failure(e: StoreError) -> Failure {
    (EXIT_STORE, e.to_string())
}

async fn load(args: &LoadArgs) -> Result<String, Failure> {
    let target = args
        .store
        .target()
        .map_err(|e| (EXIT_USAGE, e.to_string()))?;
    let store: Box<dyn ListingStore> = match &target {
        StoreTarget::Embedded { data_dir } => {
            Box::new(EmbeddedStore::open(data_dir).await.map_err(store_failure)?)
        }
        StoreTarget::Mongodb { uri, database } => Box::new(
            MongoStore::connect(uri, database)
                .await
                .map_err(store_failure)?,
        ),
    };
    let started = Instant::now();
    let loaded = seed_if_empty(store.as_ref(), args.count, args.seed, chrono::Utc::now())
        .await
        .map_err(|e| (EXIT_STORE, e.to_string()))?;
    if loaded == 0 && args.count > 0 {
        return Err((
            EXIT_NOT_EMPTY,
            format!("{target:?} already holds listings; nothing loaded"),
        ));
    }
    Ok(format!(
        "loaded {loaded} demo listings into {target:?} in {:.1} s (seed {})",
        started.elapsed().as_secs_f64(),
        args.seed
    ))
}

async fn drop_database(args: &DropArgs) -> Result<String, Failure> {
    let target = args
        .store
        .target()
        .map_err(|e| (EXIT_USAGE, e.to_string()))?;
    let StoreTarget::Mongodb { uri, database } = &target else {
        return Err((EXIT_USAGE, "drop-database needs --store mongodb".to_owned()));
    };
    if !database.starts_with(SCRATCH_PREFIX) {
        return Err((
            EXIT_USAGE,
            format!(
                "refusing to drop {database:?}: only scratch databases named {SCRATCH_PREFIX}* can be dropped"
            ),
        ));
    }
    let store = MongoStore::connect(uri, database)
        .await
        .map_err(store_failure)?;
    store.drop_database().await.map_err(store_failure)?;
    Ok(format!("dropped {target:?}"))
}
