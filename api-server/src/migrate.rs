//! `ogf-api migrate`: brings the store up to this binary's schema (embedded: the versioned
//! migrations; mongodb: the indexes), then exits. A Rollout's migration Job runs it with the
//! new image before the new color starts; the result is one JSON line, as for backups.

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use serde_json::json;

use crate::backup::cli::StoreArgs;
use crate::backup::store::StoreTarget;
use crate::store::embedded::schema;
use crate::store::{EmbeddedStore, MongoStore, StoreError};

/// Exit code of a usage error (bad flags, unreadable URI file).
pub const EXIT_USAGE: i32 = 2;
/// Exit code when the store cannot be reached or migrated.
pub const EXIT_STORE: i32 = 6;

/// Options of `migrate`.
#[derive(Debug, Clone, Args)]
pub struct MigrateArgs {
    /// The store to migrate.
    #[command(flatten)]
    pub store: StoreArgs,
    /// Also write the result line to this file (`/dev/termination-log` in Jobs).
    #[arg(long)]
    pub result_file: Option<PathBuf>,
}

/// Runs the migration; returns the process exit code after printing the result line.
pub async fn run(args: MigrateArgs) -> i32 {
    let started = Instant::now();
    let (code, line) = match migrate(&args.store).await {
        Ok((store, version)) => (
            0,
            json!({
                "ok": true, "command": "migrate", "store": store,
                "schemaVersion": version,
                "durationSeconds": started.elapsed().as_secs_f64(),
            }),
        ),
        Err((code, reason, message)) => {
            eprintln!("ogf-api migrate: {message}");
            (
                code,
                json!({"ok": false, "command": "migrate", "reason": reason, "message": message}),
            )
        }
    };
    let line = line.to_string();
    println!("{line}");
    if let Some(path) = &args.result_file
        && let Err(e) = std::fs::write(path, format!("{line}\n"))
    {
        eprintln!("ogf-api migrate: cannot write {}: {e}", path.display());
    }
    code
}

type Failure = (i32, &'static str, String);

async fn migrate(args: &StoreArgs) -> Result<(&'static str, Option<u32>), Failure> {
    let target = args
        .target()
        .map_err(|e| (EXIT_USAGE, "UsageError", e.to_string()))?;
    let store_failure = |e: StoreError| (EXIT_STORE, "StoreError", e.to_string());
    match target {
        StoreTarget::Embedded { data_dir } => {
            EmbeddedStore::open(&data_dir)
                .await
                .map_err(store_failure)?;
            Ok(("embedded", Some(schema::latest_version())))
        }
        StoreTarget::Mongodb { uri, database } => {
            MongoStore::connect(&uri, &database)
                .await
                .map_err(store_failure)?;
            Ok(("mongodb", None))
        }
    }
}
