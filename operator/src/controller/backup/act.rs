//! The Backup reconciler's writes: Jobs created and deleted, status saved, Jobs marked
//! recorded, Events and metrics. Every function is idempotent.

use k8s_openapi::api::batch::v1::Job;
use kube::api::{DeleteParams, Patch, PatchParams, PostParams};
use kube::runtime::events::EventType;
use kube::{Api, ResourceExt};
use ogf_crds::{Backup, BackupStatus};
use serde_json::{Value, json};

use super::outcome::RECORDED;
use super::record::Recorded;
use crate::controller::{Context, ReconcileError, publish_event};

/// Status fields written as `null` when absent, so a merge patch clears them.
const CLEARABLE: &[&str] = &[
    "lastScheduleTime",
    "nextScheduleTime",
    "lastSuccessfulTime",
    "lastFailureTime",
    "activeJob",
    "artifacts",
    "message",
    "conditions",
    "observedGeneration",
];

/// Writes `status` through the status subresource, guarded by the Backup's resourceVersion.
/// `Ok(false)` on a conflict: a newer Backup is on its way and will be reconciled.
pub async fn save(
    context: &Context,
    backup: &Backup,
    status: &BackupStatus,
) -> Result<bool, ReconcileError> {
    let api: Api<Backup> = Api::namespaced(
        context.client.clone(),
        &backup.namespace().unwrap_or_default(),
    );
    let mut value = serde_json::to_value(status)
        .map_err(|e| ReconcileError::Serialize("the Backup status", e))?;
    if let Value::Object(map) = &mut value {
        for field in CLEARABLE {
            map.entry(*field).or_insert(Value::Null);
        }
    }
    let patch = json!({
        "metadata": {"resourceVersion": backup.resource_version()},
        "status": value,
    });
    match api
        .patch_status(
            &backup.name_any(),
            &PatchParams::default(),
            &Patch::Merge(patch),
        )
        .await
    {
        Ok(_) => Ok(true),
        Err(kube::Error::Api(status)) if status.code == 409 => Ok(false),
        Err(e) => Err(ReconcileError::Kube("writing the Backup status", e)),
    }
}

/// Creates `job`; an existing Job of that name (a retried reconcile) is fine.
pub async fn create(context: &Context, job: &Job) -> Result<String, ReconcileError> {
    let name = job.name_any();
    let api: Api<Job> =
        Api::namespaced(context.client.clone(), &job.namespace().unwrap_or_default());
    match api.create(&PostParams::default(), job).await {
        Ok(_) => {
            context.metrics.wrote("Job", "created");
            Ok(name)
        }
        Err(kube::Error::Api(status)) if status.code == 409 => Ok(name),
        Err(e) => Err(ReconcileError::Kube("creating a backup Job", e)),
    }
}

/// Marks `name` recorded, so neither this operator nor a restarted one records it again.
pub async fn mark_recorded(
    context: &Context,
    namespace: &str,
    name: &str,
    outcome: &str,
) -> Result<(), ReconcileError> {
    let api: Api<Job> = Api::namespaced(context.client.clone(), namespace);
    let patch = json!({"metadata": {"annotations": {RECORDED: outcome}}});
    match api
        .patch(name, &PatchParams::default(), &Patch::Merge(patch))
        .await
    {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(status)) if status.code == 404 => Ok(()),
        Err(e) => Err(ReconcileError::Kube("marking a Job recorded", e)),
    }
}

/// Deletes the Jobs `names` (and, in the background, their pods).
pub async fn delete_jobs(context: &Context, namespace: &str, names: &[String]) {
    let api: Api<Job> = Api::namespaced(context.client.clone(), namespace);
    for name in names {
        match api.delete(name, &DeleteParams::background()).await {
            Ok(_) => context.metrics.wrote("Job", "deleted"),
            Err(kube::Error::Api(status)) if status.code == 404 => {}
            Err(e) => tracing::debug!(job = %name, error = %e, "cannot delete an old backup Job"),
        }
    }
}

/// The Event and metrics of a recorded outcome.
pub async fn announce(context: &Context, backup: &Backup, recorded: &Recorded) {
    let type_ = if recorded.warning {
        EventType::Warning
    } else {
        EventType::Normal
    };
    publish_event(
        context,
        backup,
        type_,
        recorded.reason,
        &recorded.note,
        "Backup",
    )
    .await;
    if let Some(metric) = &recorded.metric {
        let namespace = backup.namespace().unwrap_or_default();
        let name = backup.name_any();
        if metric.succeeded {
            context.metrics.backup_succeeded(
                &namespace,
                &name,
                metric.finished,
                metric.duration.unwrap_or(0.0),
                metric.size,
            );
        } else {
            context
                .metrics
                .backup_failed(&namespace, &name, metric.finished, metric.duration);
        }
    }
}
