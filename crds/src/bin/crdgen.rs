//! Writes the CRD YAML of every kind to `crds/yaml/` and the Helm chart's `crds/` directory.
//!
//! `crdgen --check` writes nothing and exits non-zero when a committed file is stale.

use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use ogf_crds::generate::{REGENERATE_COMMAND, chart_crd_dir, crd_files, stale_files, yaml_dir};

/// Generate the ogf.dev CustomResourceDefinitions.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Only check that the committed files are up to date; exit 1 when they are not.
    #[arg(long)]
    check: bool,
}

fn main() -> anyhow::Result<ExitCode> {
    let args = Args::parse();
    let files = crd_files().context("serializing the CRDs to YAML")?;
    let mut dirs = vec![yaml_dir()];
    let chart = chart_crd_dir();
    if chart.is_dir() {
        dirs.push(chart);
    }

    if args.check {
        let stale: Vec<_> = dirs
            .iter()
            .flat_map(|dir| stale_files(dir, &files))
            .collect();
        if stale.is_empty() {
            println!("CRD YAML is up to date");
            return Ok(ExitCode::SUCCESS);
        }
        for path in &stale {
            eprintln!("stale: {}", path.display());
        }
        eprintln!("run `{REGENERATE_COMMAND}` and commit the result");
        return Ok(ExitCode::FAILURE);
    }

    for dir in &dirs {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        for file in &files {
            let path = dir.join(file.file_name);
            std::fs::write(&path, &file.yaml)
                .with_context(|| format!("writing {}", path.display()))?;
            println!("wrote {}", path.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}
