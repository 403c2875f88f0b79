//! `kubectl-ogf`: the kubectl plugin of Oil & Gas Finder (`kubectl ogf ...`).
//!
//! Wiring only: parse the command line, connect as kubectl would, run the command, and turn
//! its error into a message on stderr and an exit code (see [`error`]).

mod backup;
mod cli;
mod cluster;
mod error;
#[cfg(test)]
mod fixtures;
mod format;
mod restore;
mod rollout;
mod status;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};
use crate::cluster::Cluster;
use crate::error::Result;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Usage errors exit with 2; `--help` and `--version` print to stdout and exit 0.
            let _ = e.print();
            let code = if e.use_stderr() {
                error::EXIT_USAGE
            } else {
                error::EXIT_OK
            };
            return ExitCode::from(code);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(error::EXIT_FAILURE);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::from(error::EXIT_OK),
        Err(e) => {
            eprintln!("error: {e}");
            e.to_exit_code()
        }
    }
}

/// Connects and runs the command.
async fn run(cli: Cli) -> Result<()> {
    let cluster = Cluster::connect(&cli.global).await?;
    let output = cli.global.output;
    match cli.command {
        Command::Status { marketplace } => status::run(&cluster, output, &marketplace).await,
        Command::Rollout(command) => rollout::run(&cluster, output, command).await,
        Command::Backup(command) => backup::run(&cluster, output, command).await,
        Command::Restore(args) => restore::run(&cluster, output, args).await,
    }
}
