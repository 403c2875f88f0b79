//! `ogf-operator`: command line of the Oil & Gas Finder operator.

use std::io::Read;
use std::path::PathBuf;

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use anyhow::Context as _;
use clap::{Parser, Subcommand, ValueEnum};
use ogf_crds::Color;
use ogf_operator::controller::{Context, Scope};
use ogf_operator::http::HttpState;
use ogf_operator::leader::{self, LeaseSettings};
use ogf_operator::metrics::Metrics;
use ogf_operator::render::{RenderOptions, render};
use ogf_operator::targets::CheckTargets;
use tokio::sync::watch;

/// Kubernetes operator for Oil & Gas Finder marketplaces.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the controllers against the cluster from the kubeconfig or the in-cluster config.
    Run(RunArgs),
    /// Print the objects the operator would apply for a Marketplace manifest, as multi-document YAML.
    Render {
        /// Manifest with one or more Marketplaces (`-` for stdin); other documents are skipped.
        #[arg(short = 'f', long = "filename")]
        file: PathBuf,
        /// Namespace for Marketplaces whose manifest sets none.
        #[arg(short, long, default_value = "default")]
        namespace: String,
        /// Color the active Service selects.
        #[arg(long, value_enum, default_value_t = ColorArg::Blue)]
        active_color: ColorArg,
        /// Leave out the ServiceMonitor, as on a cluster without the Prometheus Operator.
        #[arg(long)]
        no_service_monitor_api: bool,
    },
}

#[derive(Debug, clap::Args)]
struct RunArgs {
    /// Namespaces to watch (repeat or comma-separate); all namespaces when empty.
    #[arg(
        long = "namespace",
        env = "OGF_WATCH_NAMESPACES",
        value_delimiter = ','
    )]
    namespaces: Vec<String>,
    /// Address of the /metrics, /healthz and /readyz endpoints.
    #[arg(long, env = "OGF_OPERATOR_HTTP_ADDR", default_value = "0.0.0.0:8081")]
    http_addr: std::net::SocketAddr,
    /// Turn leader election off (a single replica only).
    #[arg(long)]
    no_leader_election: bool,
    /// Namespace of the leader Lease.
    #[arg(long, env = "POD_NAMESPACE", default_value = "default")]
    lease_namespace: String,
    /// Name of the leader Lease.
    #[arg(long, default_value = "ogf-operator-leader")]
    lease_name: String,
    /// This replica's identity in the Lease.
    #[arg(long, env = "POD_NAME")]
    identity: Option<String>,
    /// Extra label `KEY=VALUE` on the pods of the Jobs the operator creates (repeatable).
    #[arg(long = "job-pod-label", value_parser = parse_label)]
    job_pod_labels: Vec<(String, String)>,
    /// Hosts Rollout checks may fetch (repeat or comma-separate): `*.domain`, a host name, an
    /// IP address or a CIDR block. Default: `*.svc,*.svc.cluster.local`. Loopback, link-local
    /// (cloud metadata) and the API server are refused unless an IP/CIDR entry names them.
    #[arg(
        long = "allowed-check-targets",
        env = "OGF_ALLOWED_CHECK_TARGETS",
        value_delimiter = ','
    )]
    allowed_check_targets: Vec<String>,
    /// Seconds the lease stays valid after its last renewal.
    #[arg(long, default_value_t = 15)]
    lease_duration_seconds: u64,
    /// Log format.
    #[arg(long, env = "OGF_LOG_FORMAT", value_enum, default_value_t = LogFormat::Json)]
    log_format: LogFormat,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum LogFormat {
    Json,
    Pretty,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum ColorArg {
    Blue,
    Green,
}

impl From<ColorArg> for Color {
    fn from(color: ColorArg) -> Self {
        match color {
            ColorArg::Blue => Color::Blue,
            ColorArg::Green => Color::Green,
        }
    }
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Run(args) => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?
            .block_on(run(args)),
        Command::Render {
            file,
            namespace,
            active_color,
            no_service_monitor_api,
        } => {
            let manifest = read(&file)?;
            let options = RenderOptions {
                namespace,
                active_color: active_color.into(),
                service_monitor_api: !no_service_monitor_api,
            };
            let rendered = render(&manifest, &options)
                .with_context(|| format!("rendering {}", file.display()))?;
            for note in &rendered.notes {
                eprintln!("note: {note}");
            }
            print!("{}", rendered.yaml);
            Ok(())
        }
    }
}

/// Parses `KEY=VALUE`.
fn parse_label(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_string(), value.to_string())),
        _ => Err(format!("expected KEY=VALUE, got {text:?}")),
    }
}

fn read(file: &PathBuf) -> anyhow::Result<String> {
    if file.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("reading stdin")?;
        return Ok(text);
    }
    std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))
}

async fn run(args: RunArgs) -> anyhow::Result<()> {
    let check_targets = CheckTargets::parse(&args.allowed_check_targets)?;

    init_logging(args.log_format);
    let metrics = Metrics::new()?;
    let config = kube::Config::infer()
        .await
        .context("loading the Kubernetes client configuration")?;
    let client = ogf_operator::client::counted(config, metrics.clone())
        .context("connecting to the Kubernetes API server")?;
    let identity = args
        .identity
        .unwrap_or_else(|| format!("ogf-operator-{}", std::process::id()));
    let context = Arc::new(
        Context::new(client.clone(), metrics.clone(), &identity)
            .await
            .with_job_pod_labels(args.job_pod_labels.into_iter().collect())
            .with_check_targets(check_targets),
    );
    tracing::info!(allowed = %context.check_targets, "Rollout check targets");
    let ready = Arc::new(AtomicBool::new(false));
    let (shutdown_tx, shutdown_rx) = watch::channel(false);

    let http = tokio::spawn(ogf_operator::http::serve(
        args.http_addr,
        HttpState {
            metrics,
            ready: ready.clone(),
        },
        ogf_operator::controller::stopped(shutdown_rx.clone()),
    ));
    tokio::spawn(async move {
        shutdown_signal().await;
        tracing::info!("shutting down");
        let _ = shutdown_tx.send(true);
    });
    let lease = (!args.no_leader_election).then(|| LeaseSettings {
        namespace: args.lease_namespace,
        name: args.lease_name,
        identity,
        duration_seconds: args.lease_duration_seconds,
        grace_seconds: (args.lease_duration_seconds / 3).max(1),
    });
    let scope = Scope {
        namespaces: args.namespaces,
    };
    tracing::info!(namespaces = ?scope.namespaces, leader_election = lease.is_some(), "starting");
    leader::run(client, context, scope, lease, ready, shutdown_rx)
        .await
        .context("leader election")?;
    http.await?.context("serving /metrics")?;
    Ok(())
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Pretty => builder.init(),
    }
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => return std::future::pending().await,
            };
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
