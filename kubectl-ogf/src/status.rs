//! `kubectl ogf status <marketplace>`: one view of a Marketplace with its newest Rollout, its
//! Backups and any Restore in progress, built by a pure function from the listed objects.

use k8s_openapi::jiff::Timestamp;
use kube::ResourceExt;
use ogf_crds::condition::{self, ConditionType};
use ogf_crds::{Backup, Marketplace, Restore, Rollout};
use serde::Serialize;

use crate::backup::verified_text;
use crate::cli::Output;
use crate::cluster::Cluster;
use crate::error::Result;
use crate::format::{Table, age, bytes, or_dash, print_json};
use crate::restore::in_progress;
use crate::rollout::build::phase;

/// Runs `status`.
pub async fn run(cluster: &Cluster, output: Output, name: &str) -> Result<()> {
    let marketplace = cluster.get::<Marketplace>(name).await?;
    let rollouts = cluster.list::<Rollout>().await?;
    let backups = cluster.list::<Backup>().await?;
    let restores = cluster.list::<Restore>().await?;
    let report = StatusReport::build(&marketplace, &rollouts, &backups, &restores);
    match output {
        Output::Json => print_json(&report),
        Output::Text => {
            print!("{}", report.render(&Timestamp::now()));
            Ok(())
        }
    }
}

/// A condition as shown: status, reason, message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConditionView {
    /// `True`, `False` or `Unknown`.
    pub status: String,
    /// CamelCase reason.
    pub reason: String,
    /// For humans.
    pub message: String,
}

/// The newest Rollout of the Marketplace.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RolloutView {
    /// Its name.
    pub name: String,
    /// Its phase.
    pub phase: String,
    /// The image it moves to.
    pub target_image: String,
    /// When it was created.
    pub created: Option<Timestamp>,
}

/// One Backup of the Marketplace.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BackupView {
    /// Its name.
    pub name: String,
    /// Cron schedule; absent for a one-shot Backup.
    pub schedule: Option<String>,
    /// Whether the schedule is suspended.
    pub suspended: bool,
    /// When the last backup succeeded.
    pub last_success: Option<Timestamp>,
    /// When the last backup failed.
    pub last_failure: Option<Timestamp>,
    /// The newest artifact's id.
    pub newest_artifact: Option<String>,
    /// When the newest artifact was written.
    pub newest_artifact_time: Option<Timestamp>,
    /// Its size.
    pub newest_artifact_size_bytes: Option<i64>,
    /// Whether it was test-restored successfully.
    pub newest_artifact_verified: Option<bool>,
}

/// A Restore of the Marketplace that has not finished.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RestoreView {
    /// Its name.
    pub name: String,
    /// Its phase.
    pub phase: String,
    /// The artifact being restored, once resolved.
    pub artifact: Option<String>,
    /// When it started.
    pub started: Option<Timestamp>,
}

/// Everything `status` shows (and prints with `-o json`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusReport {
    /// The Marketplace.
    pub name: String,
    /// Its namespace.
    pub namespace: String,
    /// The `Ready` condition.
    pub ready: Option<ConditionView>,
    /// The `Degraded` condition, when true.
    pub degraded: Option<ConditionView>,
    /// The color serving traffic.
    pub active_color: Option<String>,
    /// The image the active color runs (status).
    pub image: Option<String>,
    /// The image asked for (spec).
    pub spec_image: String,
    /// Ready pods of the active color.
    pub ready_replicas: i32,
    /// Pods wanted: `spec.replicas`, or under an autoscaler its current count.
    pub desired_replicas: i32,
    /// URL of the API.
    pub endpoint: Option<String>,
    /// Whether `spec.paused` is set.
    pub paused: bool,
    /// The newest Rollout of the Marketplace.
    pub rollout: Option<RolloutView>,
    /// Its Backups.
    pub backups: Vec<BackupView>,
    /// A Restore in progress.
    pub restore: Option<RestoreView>,
}

impl StatusReport {
    /// The report for `marketplace` from every Rollout, Backup and Restore of its namespace.
    pub fn build(
        marketplace: &Marketplace,
        rollouts: &[Rollout],
        backups: &[Backup],
        restores: &[Restore],
    ) -> Self {
        let name = marketplace.name_any();
        let status = marketplace.status.clone().unwrap_or_default();
        let view = |kind| {
            condition::find(&status.conditions, kind).map(|c| ConditionView {
                status: c.status.clone(),
                reason: c.reason.clone(),
                message: c.message.clone(),
            })
        };
        let desired_replicas = match &marketplace.spec.autoscaling {
            Some(a) => status.replicas.unwrap_or(a.min_replicas),
            None => marketplace.spec.replicas,
        };
        let rollout = rollouts
            .iter()
            .filter(|r| r.spec.marketplace_ref.name == name)
            .max_by_key(|r| (r.metadata.creation_timestamp.clone(), r.name_any()))
            .map(|r| RolloutView {
                name: r.name_any(),
                phase: phase(r).to_string(),
                target_image: r.spec.image.clone(),
                created: r.metadata.creation_timestamp.as_ref().map(|t| t.0),
            });
        let mut backups: Vec<BackupView> = backups
            .iter()
            .filter(|b| b.spec.marketplace_ref.name == name)
            .map(backup_view)
            .collect();
        backups.sort_by(|a, b| a.name.cmp(&b.name));
        let restore = in_progress(restores, &name).map(|r| {
            let status = r.status.clone().unwrap_or_default();
            RestoreView {
                name: r.name_any(),
                phase: status.phase.to_string(),
                artifact: status
                    .artifact_id
                    .or_else(|| r.spec.source.artifact_id.clone()),
                started: status.start_time.map(|t| t.0),
            }
        });
        Self {
            namespace: marketplace.namespace().unwrap_or_default(),
            ready: view(ConditionType::Ready),
            degraded: view(ConditionType::Degraded).filter(|c| c.status == "True"),
            active_color: status.active_color.map(|c| c.to_string()),
            image: status.image,
            spec_image: marketplace.spec.image.clone(),
            ready_replicas: status.ready_replicas.unwrap_or(0),
            desired_replicas,
            endpoint: status.endpoint,
            paused: marketplace.spec.paused,
            rollout,
            backups,
            restore,
            name,
        }
    }

    /// The report as text.
    pub fn render(&self, now: &Timestamp) -> String {
        let ago = |t: &Option<Timestamp>| {
            t.as_ref()
                .map_or_else(|| "-".into(), |t| format!("{} ago", age(t, now)))
        };
        let mut out = String::new();
        let mut field = |label: &str, value: String| {
            out.push_str(&format!("{}\n", format!("{label:<14}{value}").trim_end()))
        };
        field(
            "Marketplace:",
            format!("{} (namespace {})", self.name, self.namespace),
        );
        field(
            "Ready:",
            self.ready
                .as_ref()
                .map_or_else(|| "Unknown (no status yet)".into(), condition_text),
        );
        if let Some(degraded) = &self.degraded {
            field("Degraded:", condition_text(degraded));
        }
        if self.paused {
            field(
                "Paused:",
                "yes (spec.paused: the operator changes nothing)".into(),
            );
        }
        field("Active color:", or_dash(self.active_color.as_deref()));
        let image = match &self.image {
            Some(image) if *image == self.spec_image => image.clone(),
            Some(image) => format!("{image} (spec: {})", self.spec_image),
            None => format!("- (spec: {})", self.spec_image),
        };
        field("Image:", image);
        field(
            "Replicas:",
            format!("{}/{} ready", self.ready_replicas, self.desired_replicas),
        );
        field("Endpoint:", or_dash(self.endpoint.as_deref()));
        field(
            "Rollout:",
            self.rollout.as_ref().map_or_else(
                || "none".into(),
                |r| {
                    format!(
                        "{} {} → {} (created {})",
                        r.name,
                        r.phase,
                        r.target_image,
                        ago(&r.created)
                    )
                },
            ),
        );
        field(
            "Restore:",
            self.restore.as_ref().map_or_else(
                || "none in progress".into(),
                |r| {
                    format!(
                        "{} {} (artifact {}, started {})",
                        r.name,
                        r.phase,
                        r.artifact.as_deref().unwrap_or("newest"),
                        ago(&r.started)
                    )
                },
            ),
        );
        if self.backups.is_empty() {
            field("Backups:", "none".into());
            return out;
        }
        field("Backups:", String::new());
        let mut table = Table::new(&[
            "NAME",
            "SCHEDULE",
            "LAST SUCCESS",
            "LAST FAILURE",
            "NEWEST ARTIFACT",
            "AGE",
            "SIZE",
            "VERIFIED",
        ]);
        for b in &self.backups {
            let mut schedule = b.schedule.clone().unwrap_or_else(|| "one-shot".into());
            if b.suspended {
                schedule.push_str(" (suspended)");
            }
            table.row(vec![
                b.name.clone(),
                schedule,
                ago(&b.last_success),
                ago(&b.last_failure),
                or_dash(b.newest_artifact.as_deref()),
                b.newest_artifact_time
                    .as_ref()
                    .map_or_else(|| "-".into(), |t| age(t, now)),
                b.newest_artifact_size_bytes
                    .map_or_else(|| "-".into(), bytes),
                if b.newest_artifact.is_some() {
                    verified_text(b.newest_artifact_verified).into()
                } else {
                    "-".into()
                },
            ]);
        }
        out.push_str(&table.render(2));
        out
    }
}

/// `True (Reason): message`.
fn condition_text(c: &ConditionView) -> String {
    let mut text = format!("{} ({})", c.status, c.reason);
    if !c.message.is_empty() {
        text.push_str(&format!(": {}", c.message));
    }
    text
}

/// The view of one Backup.
fn backup_view(backup: &Backup) -> BackupView {
    let status = backup.status.clone().unwrap_or_default();
    let newest = status.artifacts.first();
    BackupView {
        name: backup.name_any(),
        schedule: backup.spec.schedule.clone(),
        suspended: backup.spec.suspend,
        last_success: status.last_successful_time.map(|t| t.0),
        last_failure: status.last_failure_time.map(|t| t.0),
        newest_artifact: newest.map(|a| a.id.clone()),
        newest_artifact_time: newest.map(|a| a.time.0),
        newest_artifact_size_bytes: newest.map(|a| a.size_bytes),
        newest_artifact_verified: newest.and_then(|a| a.verified),
    }
}

#[cfg(test)]
#[path = "status_tests.rs"]
mod tests;
