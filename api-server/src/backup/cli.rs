//! Flags of `ogf-api backup [list|verify|prune|keygen]` and `ogf-api restore` (the contract the
//! operator's Jobs call), and the result line: one JSON line on stdout, also written to
//! `--result-file` (the Job sets `/dev/termination-log`).

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};

use super::dest::{Destination, DestinationConfig};
use super::engine::{self, BackupOptions};
use super::marker::{self, failure_line};
use super::retention::{Policy, parse_duration};
use super::store::StoreTarget;
use super::{BackupError, crypt};
use crate::config::StoreChoice;

/// Which database (same flags and variables as `serve`).
#[derive(Debug, Clone, Args)]
pub struct StoreArgs {
    /// Which store.
    #[arg(long, env = "OGF_STORE", value_enum, default_value_t = StoreChoice::Embedded)]
    pub store: StoreChoice,
    /// Data directory of the embedded store (file ogf.sqlite3).
    #[arg(long, env = "OGF_DATA_DIR", default_value = "./.ogf-data")]
    pub data_dir: PathBuf,
    /// MongoDB connection string (never printed); prefer --mongodb-uri-file.
    #[arg(long, env = "OGF_MONGODB_URI", hide_env_values = true)]
    pub mongodb_uri: Option<String>,
    /// File holding the MongoDB connection string (trailing whitespace trimmed).
    #[arg(long, env = "OGF_MONGODB_URI_FILE")]
    pub mongodb_uri_file: Option<PathBuf>,
    /// MongoDB database name.
    #[arg(long, env = "OGF_MONGODB_DATABASE", default_value = "ogf")]
    pub mongodb_database: String,
}

impl StoreArgs {
    /// The target, reading the URI file if given.
    pub fn target(&self) -> Result<StoreTarget, BackupError> {
        match self.store {
            StoreChoice::Embedded => Ok(StoreTarget::Embedded {
                data_dir: self.data_dir.clone(),
            }),
            StoreChoice::Mongodb => {
                let uri = match (&self.mongodb_uri_file, &self.mongodb_uri) {
                    (Some(path), _) => std::fs::read_to_string(path)
                        .map(|s| s.trim_end().to_owned())
                        .map_err(|e| {
                            BackupError::Usage(format!(
                                "reading --mongodb-uri-file {}: {}",
                                path.display(),
                                e.kind()
                            ))
                        })?,
                    (None, Some(uri)) => uri.clone(),
                    (None, None) => {
                        return Err(BackupError::Usage(
                            "--store mongodb needs --mongodb-uri-file, --mongodb-uri or \
                             OGF_MONGODB_URI"
                                .into(),
                        ));
                    }
                };
                Ok(StoreTarget::Mongodb {
                    uri,
                    database: self.mongodb_database.clone(),
                })
            }
        }
    }
}

/// Where artifacts live.
#[derive(Debug, Clone, Args)]
pub struct DestArgs {
    /// `s3://BUCKET/PREFIX` or `file:///ABSOLUTE/DIR`.
    #[arg(long)]
    pub destination: Option<String>,
    /// S3 endpoint URL (absent: AWS).
    #[arg(long)]
    pub s3_endpoint: Option<String>,
    /// S3 region.
    #[arg(long, default_value = "us-east-1")]
    pub s3_region: String,
    /// Path-style S3 requests (MinIO, most non-AWS servers).
    #[arg(long)]
    pub s3_force_path_style: bool,
    /// PEM bundle trusted in addition to the system roots.
    #[arg(long)]
    pub s3_ca_file: Option<PathBuf>,
    /// Directory with files AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (a mounted Secret);
    /// otherwise those environment variables.
    #[arg(long)]
    pub s3_credentials_dir: Option<PathBuf>,
}

impl DestArgs {
    /// Opens the destination.
    pub fn open(&self) -> Result<Destination, BackupError> {
        let url = self
            .destination
            .clone()
            .ok_or_else(|| BackupError::Usage("--destination is required".into()))?;
        Destination::open(&DestinationConfig {
            url,
            s3_endpoint: self.s3_endpoint.clone(),
            s3_region: self.s3_region.clone(),
            s3_force_path_style: self.s3_force_path_style,
            s3_ca_file: self.s3_ca_file.clone(),
            s3_credentials_dir: self.s3_credentials_dir.clone(),
        })
    }
}

/// `ogf-api backup`: back up now, or one of the nested commands.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct BackupCommand {
    /// Nested command; without one, a backup runs.
    #[command(subcommand)]
    pub action: Option<BackupAction>,
    /// Options of the backup itself.
    #[command(flatten)]
    pub run: BackupArgs,
}

/// Nested commands of `backup`.
#[derive(Debug, Subcommand)]
pub enum BackupAction {
    /// One JSON line per completed backup, newest first.
    List(ListArgs),
    /// Full test restore of an artifact into a scratch location.
    Verify(RestoreArgs),
    /// Delete artifacts outside the retention policy.
    Prune(PruneArgs),
    /// Generate an age identity (secret) file and print its recipient (public key).
    Keygen(KeygenArgs),
}

/// Options of `backup`.
#[derive(Debug, Args)]
pub struct BackupArgs {
    #[command(flatten)]
    store: StoreArgs,
    #[command(flatten)]
    dest: DestArgs,
    /// age X25519 recipient (public key, `age1...`); repeatable.
    #[arg(long = "recipient")]
    recipients: Vec<String>,
    /// File of recipients, one per line, `#` comments.
    #[arg(long)]
    recipients_file: Option<PathBuf>,
    /// zstd level, 1 (fastest, the default) to 19 (smallest).
    #[arg(long, default_value_t = 1)]
    compression_level: i32,
    /// Artifact id (default: generated from the time).
    #[arg(long)]
    id: Option<String>,
    /// Test-restore the new artifact into scratch before marking it complete (needs
    /// --identity-file).
    #[arg(long)]
    verify: bool,
    /// age identity file (only with --verify).
    #[arg(long)]
    identity_file: Option<PathBuf>,
    /// Also write the result line here (the Job uses /dev/termination-log).
    #[arg(long)]
    result_file: Option<PathBuf>,
}

/// Options of `restore` and `backup verify`.
#[derive(Debug, Args)]
pub struct RestoreArgs {
    #[command(flatten)]
    store: StoreArgs,
    #[command(flatten)]
    dest: DestArgs,
    /// Artifact id, or `latest`.
    #[arg(long)]
    artifact: String,
    /// age identity file (secret key).
    #[arg(long)]
    identity_file: PathBuf,
    /// Also write the result line here.
    #[arg(long)]
    result_file: Option<PathBuf>,
}

/// Options of `backup list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    dest: DestArgs,
}

/// Options of `backup prune`.
#[derive(Debug, Args)]
pub struct PruneArgs {
    #[command(flatten)]
    dest: DestArgs,
    /// Keep the N newest.
    #[arg(long)]
    keep_last: Option<u32>,
    /// Keep the newest of each of the N most recent days with backups.
    #[arg(long)]
    keep_daily: Option<u32>,
    /// Keep the newest of each of the N most recent ISO weeks with backups.
    #[arg(long)]
    keep_weekly: Option<u32>,
    /// Delete backups older than this (30d, 12h, 90m, 2w).
    #[arg(long)]
    max_age: Option<String>,
    /// Report what would be deleted, delete nothing.
    #[arg(long)]
    dry_run: bool,
    /// Also write the result line here.
    #[arg(long)]
    result_file: Option<PathBuf>,
}

/// Options of `backup keygen`.
#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// Where to write the identity (created with mode 0600; never overwritten).
    #[arg(long)]
    output: PathBuf,
}

/// Prints `line` and writes it to `result_file`.
fn emit(line: &str, result_file: Option<&Path>) {
    println!("{line}");
    if let Some(path) = result_file
        && let Err(e) = std::fs::write(path, line.as_bytes())
    {
        eprintln!("warning: writing the result file {}: {e}", path.display());
    }
}

fn finish<T: serde::Serialize>(
    command: &str,
    result: Result<T, BackupError>,
    result_file: Option<&Path>,
) -> i32 {
    match result {
        Ok(report) => {
            emit(&marker::line(&report), result_file);
            0
        }
        Err(e) => {
            eprintln!("error: {command} failed: {e}");
            emit(&failure_line(command, &e), result_file);
            e.exit_code()
        }
    }
}

/// Runs `ogf-api backup ...`; returns the exit code.
pub async fn run_backup(cmd: BackupCommand) -> i32 {
    match cmd.action {
        None => {
            let a = cmd.run;
            let result = async {
                let recipients = crypt::recipients(&a.recipients, a.recipients_file.as_deref())?;
                let verify_with = match (a.verify, &a.identity_file) {
                    (true, Some(f)) => Some(crypt::identities(f)?),
                    (true, None) => {
                        return Err(BackupError::Usage("--verify needs --identity-file".into()));
                    }
                    (false, _) => None,
                };
                let store = a.store.target()?;
                let dest = a.dest.open()?;
                let opts = BackupOptions {
                    id: a.id.clone(),
                    recipients,
                    compression_level: a.compression_level,
                    verify_with,
                };
                engine::backup(&store, &dest, opts).await
            }
            .await;
            finish("backup", result, a.result_file.as_deref())
        }
        Some(BackupAction::Verify(a)) => {
            let result = async {
                let identities = crypt::identities(&a.identity_file)?;
                let store = a.store.target()?;
                let dest = a.dest.open()?;
                engine::verify(&store, &dest, &a.artifact, &identities).await
            }
            .await;
            finish("verify", result, a.result_file.as_deref())
        }
        Some(BackupAction::List(a)) => {
            let result = async {
                let dest = a.dest.open()?;
                engine::list(&dest).await
            }
            .await;
            match result {
                Ok(markers) => {
                    let mut out = std::io::stdout().lock();
                    for m in markers {
                        let _ = writeln!(out, "{}", marker::line(&m));
                    }
                    0
                }
                Err(e) => finish::<()>("list", Err(e), None),
            }
        }
        Some(BackupAction::Prune(a)) => {
            let result = async {
                let policy = Policy {
                    keep_last: a.keep_last,
                    keep_daily: a.keep_daily,
                    keep_weekly: a.keep_weekly,
                    max_age: a.max_age.as_deref().map(parse_duration).transpose()?,
                };
                let dest = a.dest.open()?;
                engine::prune(&dest, &policy, a.dry_run, chrono::Utc::now()).await
            }
            .await;
            finish("prune", result, a.result_file.as_deref())
        }
        Some(BackupAction::Keygen(a)) => finish("keygen", keygen(&a.output), None),
    }
}

/// Runs `ogf-api restore ...`; returns the exit code.
pub async fn run_restore(a: RestoreArgs) -> i32 {
    let result = async {
        let identities = crypt::identities(&a.identity_file)?;
        let store = a.store.target()?;
        let dest = a.dest.open()?;
        engine::restore(&store, &dest, &a.artifact, &identities).await
    }
    .await;
    finish("restore", result, a.result_file.as_deref())
}

fn keygen(output: &Path) -> Result<serde_json::Value, BackupError> {
    let (secret, public) = crypt::generate();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options
        .open(output)
        .map_err(|e| BackupError::Usage(format!("creating {}: {e}", output.display())))?;
    let created = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    writeln!(f, "# created: {created}\n# public key: {public}\n{secret}")
        .and_then(|()| f.sync_all())
        .map_err(|e| BackupError::Usage(format!("writing {}: {e}", output.display())))?;
    Ok(serde_json::json!({
        "ok": true,
        "command": "keygen",
        "identityFile": output.display().to_string(),
        "recipient": public,
    }))
}
