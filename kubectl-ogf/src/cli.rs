//! Command-line interface: global kubectl-style flags and one subcommand per command group.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::error::EXIT_CODES_HELP;

/// Drive Oil & Gas Finder marketplaces from kubectl: status, blue-green rollouts, backups and
/// restores (resources of the API group ogf.dev).
#[derive(Debug, Parser)]
#[command(name = "kubectl-ogf", bin_name = "kubectl ogf", version, after_help = EXIT_CODES_HELP)]
pub struct Cli {
    /// Flags every command understands.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The kubectl flags the plugin honours, placed anywhere on the command line.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Namespace of the objects; default: the namespace of the kubeconfig context.
    #[arg(short = 'n', long, global = true)]
    pub namespace: Option<String>,
    /// The kubeconfig context to use; default: the current context.
    #[arg(long, global = true)]
    pub context: Option<String>,
    /// Path to the kubeconfig file; default: $KUBECONFIG, then ~/.kube/config, then in-cluster.
    #[arg(long, global = true)]
    pub kubeconfig: Option<PathBuf>,
    /// Output format: human-readable text (default) or JSON.
    #[arg(short = 'o', long, global = true, value_enum, default_value_t = Output::Text)]
    pub output: Output,
}

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    /// Tables and lines for people.
    Text,
    /// JSON for scripts: the report, or the object created or changed.
    Json,
}

/// The command groups.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show a Marketplace: readiness, color, image, replicas, its newest Rollout, its Backups
    /// and any Restore in progress.
    Status {
        /// The Marketplace.
        marketplace: String,
    },
    /// Start, promote, abort, retry, undo and follow blue-green Rollouts.
    #[command(subcommand)]
    Rollout(RolloutCommand),
    /// Run a Backup now, list its artifacts.
    #[command(subcommand)]
    Backup(BackupCommand),
    /// Restore an artifact of a Backup: in place into its Marketplace, or into a new one.
    Restore(RestoreArgs),
}

/// `kubectl ogf rollout ...`
#[derive(Debug, Subcommand)]
pub enum RolloutCommand {
    /// Create a Rollout moving a Marketplace to a new image.
    Start {
        /// The Marketplace to roll out.
        marketplace: String,
        /// The new API image.
        #[arg(long)]
        image: String,
        /// Name of the Rollout; default: `<marketplace>-<image tag>-<random>`.
        #[arg(long)]
        name: Option<String>,
        /// Wait in AwaitingPromotion for `kubectl ogf rollout promote`.
        #[arg(long)]
        no_auto_promote: bool,
    },
    /// Let a Rollout switch traffic (sets spec.promote; acted on in AwaitingPromotion).
    Promote {
        /// The Rollout.
        rollout: String,
    },
    /// Stop a Rollout: the old color keeps (or gets back) the traffic (sets spec.abort).
    Abort {
        /// The Rollout.
        rollout: String,
    },
    /// Restart an Aborted, RolledBack or Failed Rollout (clears spec.abort, sets the
    /// ogf.dev/retry annotation).
    Retry {
        /// The Rollout.
        rollout: String,
    },
    /// Roll a Marketplace back to the image it ran before its newest succeeded Rollout.
    Undo {
        /// The Marketplace.
        marketplace: String,
        /// Name of the new Rollout; default: `<marketplace>-undo-<random>`.
        #[arg(long)]
        name: Option<String>,
    },
    /// Show a Rollout's phase, history and checks; with --watch, follow it until it ends.
    Status {
        /// The Rollout.
        rollout: String,
        /// Follow the Rollout until it reaches a terminal phase; exit 1 unless it Succeeded.
        #[arg(short, long)]
        watch: bool,
        /// Longest time to watch, e.g. `90s`, `10m`, `1h`.
        #[arg(long, default_value = "10m", value_parser = parse_duration)]
        timeout: Duration,
    },
}

/// `kubectl ogf backup ...`
#[derive(Debug, Subcommand)]
pub enum BackupCommand {
    /// Ask the operator to run a Backup once now (annotation ogf.dev/run-now).
    Now {
        /// The Backup.
        backup: String,
    },
    /// List the artifacts of one Backup, or of every Backup of the namespace.
    List {
        /// The Backup; all of the namespace when absent.
        backup: Option<String>,
    },
}

/// `kubectl ogf restore ...`
#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The Backup whose artifact is restored.
    pub backup: String,
    /// The artifact id (see `kubectl ogf backup list`); default: the newest successful one.
    #[arg(long)]
    pub artifact: Option<String>,
    /// Bootstrap a new Marketplace of this name instead of restoring in place.
    #[arg(long, value_name = "NAME")]
    pub into: Option<String>,
    /// Secret (and key, default `identity`) holding the age identity that decrypts the artifact.
    #[arg(long, value_name = "NAME[/KEY]", value_parser = parse_secret_key)]
    pub key_secret: SecretKeyArg,
    /// Name of the Restore; default: `<marketplace>-restore-<random>`.
    #[arg(long)]
    pub name: Option<String>,
}

/// A `NAME[/KEY]` reference to a key of a Secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretKeyArg {
    /// The Secret.
    pub name: String,
    /// The key in it.
    pub key: String,
}

/// Key of the decryption Secret when `--key-secret` names none (as in the examples).
pub const DEFAULT_IDENTITY_KEY: &str = "identity";

/// Parses `NAME` or `NAME/KEY`.
fn parse_secret_key(value: &str) -> Result<SecretKeyArg, String> {
    let (name, key) = match value.split_once('/') {
        Some((name, key)) => (name, key),
        None => (value, DEFAULT_IDENTITY_KEY),
    };
    if name.is_empty() || key.is_empty() || key.contains('/') {
        return Err(format!("expected NAME or NAME/KEY, got {value:?}"));
    }
    Ok(SecretKeyArg {
        name: name.into(),
        key: key.into(),
    })
}

/// Parses a duration such as `90s`, `10m` or `1h30m`.
fn parse_duration(value: &str) -> Result<Duration, String> {
    let parsed: k8s_openapi::jiff::SignedDuration = value
        .parse()
        .map_err(|e| format!("expected a duration such as 90s, 10m or 1h: {e}"))?;
    Duration::try_from(parsed).map_err(|_| "the duration must not be negative".to_string())
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn secret_keys_default_to_identity() {
        assert_eq!(
            parse_secret_key("restore-key").unwrap(),
            SecretKeyArg {
                name: "restore-key".into(),
                key: "identity".into()
            }
        );
        assert_eq!(parse_secret_key("k/age.txt").unwrap().key, "age.txt");
        assert!(parse_secret_key("/x").is_err());
        assert!(parse_secret_key("x/").is_err());
        assert!(parse_secret_key("a/b/c").is_err());
    }

    #[test]
    fn durations_read_like_kubectl() {
        assert_eq!(parse_duration("90s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("10m").unwrap(), Duration::from_secs(600));
        assert_eq!(parse_duration("1h30m").unwrap(), Duration::from_secs(5400));
        assert!(parse_duration("soon").is_err());
    }

    #[test]
    fn global_flags_go_anywhere() {
        let cli = Cli::try_parse_from([
            "kubectl-ogf",
            "rollout",
            "status",
            "r1",
            "-n",
            "shop",
            "--watch",
            "-o",
            "json",
        ])
        .unwrap();
        assert_eq!(cli.global.namespace.as_deref(), Some("shop"));
        assert_eq!(cli.global.output, Output::Json);
        assert!(matches!(
            cli.command,
            Command::Rollout(RolloutCommand::Status { watch: true, .. })
        ));
    }
}
