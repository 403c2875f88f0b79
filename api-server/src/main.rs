//! `ogf-api`: command line and wiring. `serve` is the default subcommand.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};
use ogf_api::demo::{self, DEFAULT_SEED};
use ogf_api::http::{AppState, app};
use ogf_api::store::{EmbeddedStore, ListingStore, MongoStore, redacted_uri};
use tracing_subscriber::EnvFilter;

/// Oil & Gas Finder marketplace API.
#[derive(Debug, Parser)]
#[command(version, about, args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Options of `serve`, the default subcommand.
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the HTTP API (the default).
    Serve(ServeArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum StoreChoice {
    /// SQLite in `--data-dir` (no service needed).
    Embedded,
    /// A MongoDB-compatible server at `--mongodb-uri`.
    Mongodb,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum LogFormat {
    /// One JSON object per line (production).
    Json,
    /// Human-readable.
    Pretty,
}

#[derive(Debug, Clone, Args)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "OGF_BIND", default_value = "127.0.0.1:8080")]
    bind: SocketAddr,
    /// Which store to use.
    #[arg(long, env = "OGF_STORE", value_enum, default_value_t = StoreChoice::Embedded)]
    store: StoreChoice,
    /// Data directory of the embedded store.
    #[arg(long, env = "OGF_DATA_DIR", default_value = "./.ogf-data")]
    data_dir: PathBuf,
    /// MongoDB connection string (required with `--store mongodb`; never logged).
    #[arg(long, env = "OGF_MONGODB_URI", hide_env_values = true)]
    mongodb_uri: Option<String>,
    /// MongoDB database name.
    #[arg(long, env = "OGF_MONGODB_DATABASE", default_value = "ogf")]
    mongodb_database: String,
    /// Log format.
    #[arg(long, env = "OGF_LOG_FORMAT", value_enum, default_value_t = LogFormat::Pretty)]
    log_format: LogFormat,
    /// Demo listings to load when the store is empty at start-up (0: none).
    #[arg(long, env = "OGF_DEMO_DATA", default_value_t = 500)]
    demo_data: usize,
}

#[tokio::main]
async fn main() -> Result<()> {
    let cli = Cli::parse();
    let args = match cli.command {
        Some(Command::Serve(args)) => args,
        None => cli.serve,
    };
    init_logging(args.log_format);
    serve(args).await
}

fn init_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_env("OGF_LOG")
        .or_else(|_| EnvFilter::try_from_default_env())
        .unwrap_or_else(|_| EnvFilter::new("info"));
    // Logs go to stderr, so stdout carries only the start-up line.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Pretty => builder.init(),
    }
}

async fn serve(args: ServeArgs) -> Result<()> {
    let (store, where_): (Arc<dyn ListingStore>, String) = match args.store {
        StoreChoice::Embedded => {
            let store = EmbeddedStore::open(&args.data_dir).await.with_context(|| {
                format!("opening embedded store in {}", args.data_dir.display())
            })?;
            (
                Arc::new(store),
                format!("embedded at {}", args.data_dir.display()),
            )
        }
        StoreChoice::Mongodb => {
            let uri = args
                .mongodb_uri
                .as_deref()
                .context("--store mongodb needs --mongodb-uri or OGF_MONGODB_URI")?;
            let store = MongoStore::connect(uri, &args.mongodb_database)
                .await
                .context("connecting to MongoDB")?;
            let shown = format!(
                "mongodb at {}, database {}",
                redacted_uri(uri),
                args.mongodb_database
            );
            (Arc::new(store), shown)
        }
    };
    let loaded = demo::seed_if_empty(
        store.as_ref(),
        args.demo_data,
        DEFAULT_SEED,
        chrono::Utc::now(),
    )
    .await
    .context("loading demo data")?;
    let total = store
        .count(&Default::default())
        .await
        .context("counting listings")?;
    let state = AppState::new(store).context("registering metrics")?;
    let listener = tokio::net::TcpListener::bind(args.bind)
        .await
        .with_context(|| format!("binding {}", args.bind))?;
    let addr = listener.local_addr().context("reading the bound address")?;
    let listings = if loaded > 0 {
        format!("{loaded} demo listings loaded")
    } else {
        format!("{total} listings")
    };
    let shutdown = shutdown_signal()?;
    println!("OGF API listening on http://{addr}  (store: {where_}, {listings})");
    tracing::info!(%addr, store = %where_, total, loaded, "listening");
    axum::serve(listener, app(state))
        .with_graceful_shutdown(shutdown)
        .await
        .context("serving HTTP")?;
    tracing::info!("shut down cleanly");
    Ok(())
}

/// Installs the SIGINT (Ctrl-C) and SIGTERM handlers now, so that a signal arriving right after
/// the start-up line is not missed, and returns a future resolving on the first of them. After it
/// resolves, `serve` stops accepting and drains in-flight requests.
#[cfg(unix)]
fn shutdown_signal() -> Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt()).context("installing the SIGINT handler")?;
    let mut terminate =
        signal(SignalKind::terminate()).context("installing the SIGTERM handler")?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => tracing::info!("SIGINT received, shutting down"),
            _ = terminate.recv() => tracing::info!("SIGTERM received, shutting down"),
        }
    })
}

/// Ctrl-C only, where Unix signals do not exist.
#[cfg(not(unix))]
fn shutdown_signal() -> Result<impl std::future::Future<Output = ()>> {
    Ok(async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "listening for Ctrl-C");
            std::future::pending::<()>().await;
        }
    })
}
