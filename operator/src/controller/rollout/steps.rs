//! The steps before the preview is deployed, against the cluster: the one-shot pre-rollout
//! Backup and the migration Job (created, then read back), and the old color's pods that a
//! stop-then-start waits for. Every function is idempotent.

use std::collections::BTreeMap;

use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{ListParams, ObjectMeta, PostParams};
use kube::{Api, Resource, ResourceExt};
use ogf_crds::{Backup, BackupSpec, Color, Marketplace, Rollout, RolloutStatus};

use super::phase::StepState;
use crate::build::labels;
use crate::build::migration_job::{self, MigrationParams, ROLLOUT_LABEL};
use crate::controller::ReconcileError;

/// Type of the Backup condition that tells how its last backup went.
pub const LAST_BACKUP_SUCCEEDED: &str = "LastBackupSucceeded";
/// Longest Job or Backup message carried into the Rollout's status.
const MESSAGE_LIMIT: usize = 400;

/// Where the pre-rollout Backup `status.backupName` stands.
pub async fn backup_state(
    client: &kube::Client,
    rollout: &Rollout,
    status: &RolloutStatus,
) -> Result<StepState, ReconcileError> {
    let namespace = rollout.namespace().unwrap_or_default();
    let api: Api<Backup> = Api::namespaced(client.clone(), &namespace);
    let Some(name) = status.backup_name.as_deref() else {
        return Ok(StepState::NotStarted);
    };
    let backup = api
        .get_opt(name)
        .await
        .map_err(|e| ReconcileError::Kube("reading the pre-rollout Backup", e))?;
    if let Some(backup) = backup {
        return Ok(backup_outcome(&backup));
    }
    let template = rollout
        .spec
        .pre_rollout_backup
        .as_ref()
        .map(|b| b.backup_template_ref.name.clone())
        .unwrap_or_default();
    let exists = api
        .get_opt(&template)
        .await
        .map_err(|e| ReconcileError::Kube("reading the Backup template", e))?
        .is_some();
    Ok(if exists {
        StepState::NotStarted
    } else {
        StepState::TemplateMissing
    })
}

/// A one-shot Backup's outcome from its conditions: `LastBackupSucceeded` decides; before
/// that, a `Degraded` problem (a missing Secret, ...) is reported with its start, so that the
/// Rollout fails once it lasts (see [`super::prepare::BACKUP_DEGRADED_GRACE_SECONDS`]).
pub fn backup_outcome(backup: &Backup) -> StepState {
    let conditions = backup
        .status
        .as_ref()
        .map(|s| s.conditions.as_slice())
        .unwrap_or_default();
    let find = |kind: &str| conditions.iter().find(|c| c.type_ == kind);
    match find(LAST_BACKUP_SUCCEEDED) {
        Some(c) if c.status == "True" => StepState::Succeeded,
        Some(c) if c.status == "False" => {
            StepState::Failed(limit(&format!("{}: {}", c.reason, c.message)))
        }
        _ => match find("Degraded").filter(|c| c.status == "True") {
            Some(c) => StepState::Degraded(
                limit(&format!("{}: {}", c.reason, c.message)),
                c.last_transition_time.0,
            ),
            None => StepState::Running("waiting for it to succeed".into()),
        },
    }
}

/// Creates the one-shot Backup `status.backupName`: the template's spec without `schedule`,
/// owned by the Rollout (deleted with it; its artifact stays in the destination).
pub async fn create_backup(
    client: &kube::Client,
    rollout: &Rollout,
    status: &RolloutStatus,
) -> Result<(), ReconcileError> {
    let (Some(name), Some(template_ref)) = (
        status.backup_name.clone(),
        rollout.spec.pre_rollout_backup.as_ref(),
    ) else {
        return Ok(());
    };
    let namespace = rollout.namespace().unwrap_or_default();
    let api: Api<Backup> = Api::namespaced(client.clone(), &namespace);
    let Some(template) = api
        .get_opt(&template_ref.backup_template_ref.name)
        .await
        .map_err(|e| ReconcileError::Kube("reading the Backup template", e))?
    else {
        return Ok(());
    };
    let backup = one_shot(rollout, &template.spec, &name);
    match api.create(&PostParams::default(), &backup).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(e)) if e.code == 409 => Ok(()),
        Err(e) => Err(ReconcileError::Kube("creating the pre-rollout Backup", e)),
    }
}

/// The one-shot Backup `name` of `rollout` from a template's spec.
pub fn one_shot(rollout: &Rollout, template: &BackupSpec, name: &str) -> Backup {
    let mut spec = template.clone();
    spec.schedule = None;
    spec.suspend = false;
    spec.marketplace_ref.name = rollout.spec.marketplace_ref.name.clone();
    let mut backup = Backup::new(name, spec);
    backup.metadata = ObjectMeta {
        name: Some(name.to_string()),
        namespace: rollout.namespace(),
        labels: Some(BTreeMap::from([
            (
                labels::INSTANCE.to_string(),
                rollout.spec.marketplace_ref.name.clone(),
            ),
            (labels::MANAGED_BY.to_string(), labels::MANAGER.to_string()),
            (ROLLOUT_LABEL.to_string(), rollout.name_any()),
        ])),
        owner_references: rollout.controller_owner_ref(&()).map(|r| vec![r]),
        ..ObjectMeta::default()
    };
    backup
}

/// Where the migration Job `status.migrationJob` stands; a failure carries the pod's
/// termination message (the command's last words) or the Job's condition.
pub async fn migration_state(
    client: &kube::Client,
    rollout: &Rollout,
    status: &RolloutStatus,
) -> Result<StepState, ReconcileError> {
    let Some(name) = status.migration_job.as_deref() else {
        return Ok(StepState::NotStarted);
    };
    let namespace = rollout.namespace().unwrap_or_default();
    let job = Api::<Job>::namespaced(client.clone(), &namespace)
        .get_opt(name)
        .await
        .map_err(|e| ReconcileError::Kube("reading the migration Job", e))?;
    let Some(job) = job else {
        return Ok(StepState::NotStarted);
    };
    let state = job_outcome(&job);
    let StepState::Failed(condition) = state else {
        return Ok(state);
    };
    let pods = Api::<Pod>::namespaced(client.clone(), &namespace)
        .list(&ListParams::default().labels(&format!("job-name={name}")))
        .await
        .map_err(|e| ReconcileError::Kube("listing the migration Job's pods", e))?;
    let said = pods.items.iter().rev().find_map(termination_message);
    Ok(StepState::Failed(match said {
        Some(message) => limit(&format!("{condition}; the command said: {message}")),
        None => condition,
    }))
}

/// A Job's outcome from its conditions (`Complete` or `Failed`, e.g. `DeadlineExceeded`).
pub fn job_outcome(job: &Job) -> StepState {
    let conditions = job
        .status
        .as_ref()
        .and_then(|s| s.conditions.as_deref())
        .unwrap_or_default();
    let holds = |kind: &str| {
        conditions
            .iter()
            .find(|c| c.type_ == kind && c.status == "True")
    };
    if holds("Complete").is_some() {
        return StepState::Succeeded;
    }
    if let Some(failed) = holds("Failed") {
        let reason = failed.reason.as_deref().unwrap_or("Failed");
        let message = failed.message.as_deref().unwrap_or_default();
        return StepState::Failed(limit(&format!("{reason}: {message}")));
    }
    let active = job.status.as_ref().and_then(|s| s.active).unwrap_or(0);
    StepState::Running(format!("running ({active} active pod(s))"))
}

fn termination_message(pod: &Pod) -> Option<String> {
    pod.status
        .as_ref()?
        .container_statuses
        .as_ref()?
        .iter()
        .find_map(|c| c.state.as_ref()?.terminated.as_ref()?.message.clone())
        .filter(|m| !m.trim().is_empty())
        .map(|m| m.trim().to_string())
}

/// Creates the migration Job `status.migrationJob` with the target image.
pub async fn start_migration(
    context: &crate::controller::Context,
    rollout: &Rollout,
    marketplace: &Marketplace,
    status: &RolloutStatus,
) -> Result<(), ReconcileError> {
    let (Some(migration), Some(name)) = (
        rollout.spec.migration.as_ref(),
        status.migration_job.as_deref(),
    ) else {
        return Ok(());
    };
    let Some(owner) = rollout.controller_owner_ref(&()) else {
        tracing::error!("a Rollout without name or uid cannot own its migration Job");
        return Ok(());
    };
    let rollout_name = rollout.name_any();
    let image = status
        .target_image
        .clone()
        .unwrap_or_else(|| rollout.spec.image.clone());
    let job = migration_job::build(
        marketplace,
        &MigrationParams {
            migration,
            rollout: &rollout_name,
            job_name: name,
            image: &image,
            owner,
            pod_labels: &context.job_pod_labels,
        },
    )?;
    let namespace = rollout.namespace().unwrap_or_default();
    match Api::<Job>::namespaced(context.client.clone(), &namespace)
        .create(&PostParams::default(), &job)
        .await
    {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(e)) if e.code == 409 => Ok(()),
        Err(e) => Err(ReconcileError::Kube("creating the migration Job", e)),
    }
}

/// Pods of `color` of Marketplace `name` that still exist, terminating ones included.
pub async fn pods_of(
    client: &kube::Client,
    namespace: &str,
    name: &str,
    color: Color,
) -> Result<usize, ReconcileError> {
    let selector = labels::selector(name, Some(color))
        .into_iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",");
    let pods = Api::<Pod>::namespaced(client.clone(), namespace)
        .list_metadata(&ListParams::default().labels(&selector))
        .await
        .map_err(|e| ReconcileError::Kube("listing the old color's pods", e))?;
    Ok(pods.items.len())
}

fn limit(text: &str) -> String {
    text.chars().take(MESSAGE_LIMIT).collect()
}

#[cfg(test)]
#[path = "steps_tests.rs"]
mod tests;
