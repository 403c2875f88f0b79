//! `ogf-operator`: command line of the Oil & Gas Finder operator.

use std::io::Read;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use ogf_crds::Color;
use ogf_operator::render::{RenderOptions, render};

/// Kubernetes operator for Oil & Gas Finder marketplaces.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
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
