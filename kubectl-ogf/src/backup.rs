//! `kubectl ogf backup now|list`: a one-shot run of a Backup, and its artifact history.
//!
//! `backup now` has one mechanism for every Backup, scheduled or not: it sets the annotation
//! `ogf.dev/run-now` ([`RUN_NOW_ANNOTATION`]) to the current time (RFC 3339 UTC), and the
//! Backup controller starts one Job for each new value (the contract of the Argo CD `run-now`
//! action, docs/argocd.md). The artifact lands in the same Backup's history and retention as
//! a scheduled one.

use k8s_openapi::jiff::Timestamp;
use kube::ResourceExt;
use kube::api::{Patch, PatchParams};
use ogf_crds::Backup;
use ogf_crds::backup::RUN_NOW_ANNOTATION;
use serde::Serialize;
use serde_json::{Value, json};

use crate::cli::{BackupCommand, Output};
use crate::cluster::Cluster;
use crate::error::{Error, Result};
use crate::format::{Table, age, bytes, print_json, rfc3339, when};
use crate::rollout::FIELD_MANAGER;

/// Runs one `backup` subcommand.
pub async fn run(cluster: &Cluster, output: Output, command: BackupCommand) -> Result<()> {
    match command {
        BackupCommand::Now { backup } => {
            let current = cluster.get::<Backup>(&backup).await?;
            let requested_at = rfc3339(&Timestamp::now());
            let params = PatchParams {
                field_manager: Some(FIELD_MANAGER.into()),
                ..PatchParams::default()
            };
            let patched = cluster
                .api::<Backup>()
                .patch(
                    &backup,
                    &params,
                    &Patch::Merge(run_now_patch(&requested_at)),
                )
                .await
                .map_err(Error::kube(format!("annotate Backup \"{backup}\"")))?;
            match output {
                Output::Json => print_json(&patched),
                Output::Text => {
                    println!(
                        "backup.ogf.dev/{backup} run requested at {requested_at} (the operator starts a backup Job; follow it with: kubectl ogf backup list {backup})"
                    );
                    for note in run_now_notes(&current) {
                        println!("note: {note}");
                    }
                    Ok(())
                }
            }
        }
        BackupCommand::List { backup } => {
            let backups = match &backup {
                Some(name) => vec![cluster.get::<Backup>(name).await?],
                None => cluster.list::<Backup>().await?,
            };
            let rows = artifact_rows(&backups);
            match output {
                Output::Json => print_json(&rows),
                Output::Text => {
                    if backups.is_empty() {
                        eprintln!("No Backups found in namespace \"{}\".", cluster.namespace);
                    } else if rows.is_empty() {
                        for b in &backups {
                            println!("{}", no_artifacts_line(b, &Timestamp::now()));
                        }
                    } else {
                        print!(
                            "{}",
                            render_artifacts(&rows, backup.is_none(), &Timestamp::now())
                        );
                    }
                    Ok(())
                }
            }
        }
    }
}

/// The merge patch asking for a run now: the run-now annotation set to `requested_at`.
pub fn run_now_patch(requested_at: &str) -> Value {
    json!({"metadata": {"annotations": {RUN_NOW_ANNOTATION: requested_at}}})
}

/// What the user should know about a run requested now (a Job already running, a suspended
/// schedule).
pub fn run_now_notes(backup: &Backup) -> Vec<String> {
    let mut notes = Vec::new();
    if let Some(job) = backup.status.as_ref().and_then(|s| s.active_job.as_deref()) {
        notes.push(format!(
            "Job {job} is running now; the requested run starts after it"
        ));
    }
    if backup.spec.suspend {
        notes.push("the schedule is suspended; this run is not".into());
    }
    notes
}

/// One artifact of one Backup, as listed.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ArtifactRow {
    /// The Backup.
    pub backup: String,
    /// The artifact id (what `restore --artifact` takes).
    pub id: String,
    /// When the backup finished.
    pub time: Timestamp,
    /// Size of the encrypted artifact.
    pub size_bytes: i64,
    /// Test-restored successfully (`None`: not verified).
    pub verified: Option<bool>,
    /// Where it is.
    pub location: String,
    /// sha256 of the encrypted artifact.
    pub sha256: String,
}

/// Every artifact of `backups`, newest first.
pub fn artifact_rows(backups: &[Backup]) -> Vec<ArtifactRow> {
    let mut rows: Vec<ArtifactRow> = backups
        .iter()
        .flat_map(|b| {
            let name = b.name_any();
            b.status
                .iter()
                .flat_map(|s| s.artifacts.iter())
                .map(move |a| ArtifactRow {
                    backup: name.clone(),
                    id: a.id.clone(),
                    time: a.time.0,
                    size_bytes: a.size_bytes,
                    verified: a.verified,
                    location: a.location.clone(),
                    sha256: a.sha256.clone(),
                })
        })
        .collect();
    rows.sort_by(|a, b| b.time.cmp(&a.time).then_with(|| a.id.cmp(&b.id)));
    rows
}

/// `yes`, `no` or `-` (not verified yet).
pub fn verified_text(verified: Option<bool>) -> &'static str {
    match verified {
        Some(true) => "yes",
        Some(false) => "FAILED",
        None => "-",
    }
}

/// The artifact table; with a BACKUP column when several Backups are listed.
pub fn render_artifacts(rows: &[ArtifactRow], with_backup: bool, now: &Timestamp) -> String {
    let mut header = vec!["ID", "TIME", "AGE", "SIZE", "VERIFIED", "LOCATION"];
    if with_backup {
        header.insert(0, "BACKUP");
    }
    let mut table = Table::new(&header);
    for row in rows {
        let mut cells = vec![
            row.id.clone(),
            rfc3339(&row.time),
            age(&row.time, now),
            bytes(row.size_bytes),
            verified_text(row.verified).into(),
            row.location.clone(),
        ];
        if with_backup {
            cells.insert(0, row.backup.clone());
        }
        table.row(cells);
    }
    table.render(0)
}

/// The line for a Backup without artifacts: its last failure and message, if any.
pub fn no_artifacts_line(backup: &Backup, now: &Timestamp) -> String {
    let status = backup.status.clone().unwrap_or_default();
    let mut line = format!("backup \"{}\" has no artifacts yet", backup.name_any());
    if status.last_failure_time.is_some() {
        line.push_str(&format!(
            "; last failure {}",
            when(status.last_failure_time.as_ref(), now)
        ));
    }
    if let Some(message) = status.message.filter(|m| !m.is_empty()) {
        line.push_str(&format!(": {message}"));
    }
    line
}

#[cfg(test)]
#[path = "backup_tests.rs"]
mod tests;
