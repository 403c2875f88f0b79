//! `ogf-api`: command line and wiring. `serve` is the default subcommand.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use ogf_api::auth::bootstrap::{AdminBootstrap, ensure_admin};
use ogf_api::backup::cli::{self, BackupCommand, RestoreArgs};
use ogf_api::config::{LogFormat, ServeArgs, StoreChoice};
use ogf_api::demo::cli::{self as demo_cli, DemoCommand};
use ogf_api::demo::{self, DEFAULT_SEED};
use ogf_api::http::{AppState, app};
use ogf_api::market::cli::{self as market_cli, MarketCommand};
use ogf_api::migrate::{self, MigrateArgs};
use ogf_api::store::{EmbeddedStore, MongoStore, Store, redacted_uri};
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
    /// Back up the store into an encrypted artifact (or list, verify, prune artifacts).
    Backup(Box<BackupCommand>),
    /// Restore an artifact into the store (staged, verified, then swapped in).
    Restore(RestoreArgs),
    /// Bring the store's schema and indexes up to this version, then exit.
    Migrate(MigrateArgs),
    /// Market data: `market import --series WTI FILE` loads daily prices into the store.
    #[command(subcommand)]
    Market(MarketCommand),
    /// Demo data: `demo load --count N` bulk-loads deterministic demo listings (benchmarks).
    #[command(subcommand)]
    Demo(DemoCommand),
}

#[tokio::main]
async fn main() -> Result<()> {
    let cli = Cli::parse();
    let args = match cli.command {
        Some(Command::Serve(args)) => args,
        None => cli.serve,
        Some(Command::Backup(cmd)) => {
            init_logging(log_format_from_env(), Some("warn"));
            std::process::exit(cli::run_backup(*cmd).await);
        }
        Some(Command::Restore(args)) => {
            init_logging(log_format_from_env(), Some("warn"));
            std::process::exit(cli::run_restore(args).await);
        }
        Some(Command::Migrate(args)) => {
            init_logging(log_format_from_env(), Some("warn"));
            std::process::exit(migrate::run(args).await);
        }
        Some(Command::Market(cmd)) => {
            init_logging(log_format_from_env(), Some("warn"));
            std::process::exit(market_cli::run(cmd).await);
        }
        Some(Command::Demo(cmd)) => {
            init_logging(log_format_from_env(), Some("warn"));
            std::process::exit(demo_cli::run(cmd).await);
        }
    };
    init_logging(args.log_format, args.log_level.as_deref());
    serve(args).await
}

/// Log format of the backup commands: `OGF_LOG_FORMAT` (`json` in the operator's Jobs).
fn log_format_from_env() -> LogFormat {
    match std::env::var("OGF_LOG_FORMAT").as_deref() {
        Ok("json") => LogFormat::Json,
        _ => LogFormat::Pretty,
    }
}

/// Filter precedence: `OGF_LOG`, `RUST_LOG`, `--log-level`/`OGF_LOG_LEVEL`, `info`; empty
/// values count as absent.
fn init_logging(format: LogFormat, level: Option<&str>) {
    let from_env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let directives = from_env("OGF_LOG")
        .or_else(|| from_env("RUST_LOG"))
        .or_else(|| level.filter(|l| !l.trim().is_empty()).map(str::to_owned))
        .unwrap_or_else(|| "info".to_owned());
    let filter = EnvFilter::try_new(&directives).unwrap_or_else(|_| EnvFilter::new("info"));
    // Logs go to stderr, so stdout carries only the start-up line (and a one-time password).
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Pretty => builder.init(),
    }
}

async fn open_store(args: &ServeArgs) -> Result<(Arc<dyn Store>, String)> {
    match args.store {
        StoreChoice::Embedded => {
            let store = EmbeddedStore::open(&args.data_dir).await.with_context(|| {
                format!("opening embedded store in {}", args.data_dir.display())
            })?;
            let shown = format!("embedded at {}", args.data_dir.display());
            Ok((Arc::new(store), shown))
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
            Ok((Arc::new(store), shown))
        }
    }
}

async fn serve(args: ServeArgs) -> Result<()> {
    let bind = args.bind_addr().context("invalid configuration")?;
    let (settings, generated_key) = args.settings().context("invalid configuration")?;
    if generated_key {
        tracing::warn!(
            "NO JWT SECRET CONFIGURED: using an ephemeral random key (development only). \
             Every token becomes invalid when the process stops, and replicas cannot share \
             sessions. Set OGF_JWT_SECRET (at least 32 bytes); OGF_ENVIRONMENT=production \
             refuses to start without it."
        );
    }
    let (store, where_) = open_store(&args).await?;
    let loaded = demo::seed_if_empty(
        store.as_ref(),
        args.demo_data,
        DEFAULT_SEED,
        chrono::Utc::now(),
    )
    .await
    .context("loading demo data")?;
    if args.demo_data > 0 {
        let points = demo::market::seed_market_if_empty(
            store.as_ref(),
            DEFAULT_SEED,
            chrono::Utc::now().date_naive(),
        )
        .await
        .context("loading demo market data")?;
        if points > 0 {
            tracing::info!(points, "synthetic demo market prices loaded (source demo)");
        }
    }
    let total = store
        .count(&Default::default())
        .await
        .context("counting listings")?;
    let admin = ensure_admin(
        store.as_ref(),
        settings.clock.as_ref(),
        &args.admin_email,
        args.admin_password.clone(),
    )
    .await
    .context("creating the first admin account")?;
    let state = AppState::new(store, settings).context("registering metrics")?;
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .with_context(|| format!("binding {bind}"))?;
    let addr = listener.local_addr().context("reading the bound address")?;
    let listings = if loaded > 0 {
        format!("{loaded} demo listings loaded")
    } else {
        format!("{total} listings")
    };
    let shutdown = drain_then_stop(
        shutdown_signal()?,
        state.clone(),
        Duration::from_secs(args.shutdown_delay_seconds),
    );
    println!("OGF API listening on http://{addr}  (store: {where_}, {listings})");
    match admin {
        AdminBootstrap::CreatedWithPassword { email, password } => println!(
            "First admin account created: {email}  password: {password}  \
             (shown only this once; change it with PATCH /api/v1/users/me)"
        ),
        AdminBootstrap::Created { email } => {
            println!("First admin account created: {email} (password from OGF_ADMIN_PASSWORD)");
        }
        AdminBootstrap::Exists => {}
    }
    tracing::info!(%addr, store = %where_, total, loaded, "listening");
    axum::serve(
        listener,
        app(state.clone()).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
    .context("serving HTTP")?;
    // Write the listing activity still queued by the drained requests.
    state.activity().flush().await;
    tracing::info!("shut down cleanly");
    Ok(())
}

/// Which signal asked the server to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    /// Ctrl-C: stop now.
    Interrupt,
    /// SIGTERM (Kubernetes): drain first.
    Terminate,
}

/// Resolves when `serve` must stop accepting: at once after SIGINT; after SIGTERM, once the
/// server has drained for `delay` (see [`ogf_api::http::drain`]).
async fn drain_then_stop(
    signal: impl std::future::Future<Output = Stop>,
    state: AppState,
    delay: Duration,
) {
    if signal.await == Stop::Terminate && !delay.is_zero() {
        state.start_draining();
        tracing::info!(seconds = delay.as_secs(), "draining before shutdown");
        tokio::time::sleep(delay).await;
    }
}

/// Installs the SIGINT (Ctrl-C) and SIGTERM handlers now, so that a signal arriving right after
/// the start-up line is not missed, and returns a future resolving on the first of them.
#[cfg(unix)]
fn shutdown_signal() -> Result<impl std::future::Future<Output = Stop>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt()).context("installing the SIGINT handler")?;
    let mut terminate =
        signal(SignalKind::terminate()).context("installing the SIGTERM handler")?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {
                tracing::info!("SIGINT received, shutting down");
                Stop::Interrupt
            }
            _ = terminate.recv() => {
                tracing::info!("SIGTERM received, shutting down");
                Stop::Terminate
            }
        }
    })
}

/// Ctrl-C only, where Unix signals do not exist.
#[cfg(not(unix))]
fn shutdown_signal() -> Result<impl std::future::Future<Output = Stop>> {
    Ok(async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "listening for Ctrl-C");
            std::future::pending::<()>().await;
        }
        Stop::Interrupt
    })
}
