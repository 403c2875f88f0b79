//! Carrying out a [`Decision`]: the Job, the status write, Events and metrics.

use std::time::Duration;

use k8s_openapi::api::batch::v1::Job;
use kube::api::{DeleteParams, Patch, PatchParams, PostParams};
use kube::runtime::controller::Action;
use kube::runtime::events::EventType;
use kube::{Api, ResourceExt};
use ogf_crds::{Marketplace, Restore, RestorePhase, RestoreStatus};
use serde_json::json;

use super::error::RestoreError;
use super::phase::{Decision, Observations, SourceView};
use super::{RestoreContext, transition};
use crate::build::restore_job::{self, RestoreJobParams};
use crate::controller::freshness::{STALE_RETRY, cached_copy_is_stale};
use crate::controller::{ReconcileError, publish_event};
use crate::error::ErrorCategory;

/// Does what `decision` says and records it.
pub async fn act(
    context: &RestoreContext,
    restore: &Restore,
    marketplace: Option<&Marketplace>,
    decision: Decision,
    obs: &Observations,
) -> Result<Action, RestoreError> {
    let mut status = restore.status.clone().unwrap_or_default();
    let generation = restore.metadata.generation;
    let now = obs.now;
    match decision {
        Decision::Done => Ok(Action::await_change()),
        Decision::Wait {
            message,
            problem,
            after,
        } => {
            status.message = Some(message);
            transition::set_conditions(&mut status, generation, problem.as_deref(), now);
            if Some(&status) != restore.status.as_ref() {
                save(context, restore, status).await?;
            }
            Ok(after.map_or_else(Action::await_change, |after| {
                Action::requeue(after + Duration::from_millis(500))
            }))
        }
        Decision::Start => {
            // A Restore whose Job was created, finished and deleted still reads `Pending` in a
            // stale copy; starting from it would restore a second time.
            if cached_copy_is_stale(&context.base.client, restore, "reading the Restore").await? {
                return Ok(Action::requeue(STALE_RETRY));
            }
            let (
                Some(marketplace),
                SourceView::Resolved {
                    destination,
                    artifact,
                    ..
                },
            ) = (marketplace, &obs.source)
            else {
                return Ok(Action::requeue(Duration::from_secs(5)));
            };
            let params = RestoreJobParams {
                restore,
                destination,
                artifact: artifact.as_deref(),
                pod_labels: &context.base.job_pod_labels,
            };
            let job = match restore_job::build(marketplace, &params) {
                Ok(job) => job,
                Err(e) if e.category() == ErrorCategory::User => {
                    let message = format!("{e}; the live data was not changed");
                    transition::enter(&mut status, RestorePhase::Failed, &message, now);
                    transition::set_conditions(&mut status, generation, Some("InvalidSpec"), now);
                    return finish(
                        context,
                        restore,
                        status,
                        "failed",
                        EventType::Warning,
                        "RestoreFailed",
                    )
                    .await;
                }
                Err(e) => return Err(e.into()),
            };
            let job_name = job.name_any();
            let created = create_job(context, restore, &job).await?;
            transition::start(
                &mut status,
                &marketplace.name_any(),
                destination,
                artifact.as_deref(),
                &job_name,
                now,
            );
            transition::set_conditions(&mut status, generation, None, now);
            let message = status.message.clone().unwrap_or_default();
            save(context, restore, status).await?;
            if created {
                context.base.metrics.wrote("Job", "created");
                publish(
                    context,
                    restore,
                    EventType::Normal,
                    "RestoreStarted",
                    &message,
                )
                .await;
            }
            Ok(Action::await_change())
        }
        Decision::Verify(result) => {
            transition::verify(&mut status, &result);
            transition::set_conditions(&mut status, generation, None, now);
            save(context, restore, status).await?;
            Ok(Action::await_change())
        }
        Decision::Swap => {
            let message = "the restored data is verified and in place; starting the API on it";
            transition::enter(&mut status, RestorePhase::Swapping, message, now);
            transition::set_conditions(&mut status, generation, None, now);
            save(context, restore, status).await?;
            Ok(Action::await_change())
        }
        Decision::Succeed => {
            let counts: i64 = status.restored_counts.values().sum();
            let message = format!(
                "restored {} ({counts} documents) into Marketplace {}; it serves the restored data",
                status.artifact_id.as_deref().unwrap_or("the artifact"),
                status.marketplace.as_deref().unwrap_or_default()
            );
            transition::enter(&mut status, RestorePhase::Succeeded, &message, now);
            transition::set_conditions(&mut status, generation, None, now);
            finish(
                context,
                restore,
                status,
                "succeeded",
                EventType::Normal,
                "RestoreSucceeded",
            )
            .await
        }
        Decision::Fail {
            reason,
            message,
            stop_job,
        } => {
            if stop_job {
                stop(context, restore, &status).await?;
            }
            transition::enter(&mut status, RestorePhase::Failed, &message, now);
            transition::set_conditions(&mut status, generation, Some(&reason), now);
            finish(
                context,
                restore,
                status,
                "failed",
                EventType::Warning,
                "RestoreFailed",
            )
            .await
        }
    }
}

/// Writes a terminal status, then the Event and the metrics (once: only when written).
async fn finish(
    context: &RestoreContext,
    restore: &Restore,
    status: RestoreStatus,
    outcome: &str,
    type_: EventType,
    reason: &str,
) -> Result<Action, RestoreError> {
    let took = transition::duration(&status);
    let message = status.message.clone().unwrap_or_default();
    if save(context, restore, status).await? {
        let namespace = restore.namespace().unwrap_or_default();
        context
            .base
            .metrics
            .restore_finished(&namespace, outcome, took);
        publish(context, restore, type_, reason, &message).await;
    }
    Ok(Action::await_change())
}

/// Creates the Job; `false` when it already existed.
async fn create_job(
    context: &RestoreContext,
    restore: &Restore,
    job: &Job,
) -> Result<bool, ReconcileError> {
    let api: Api<Job> = Api::namespaced(
        context.base.client.clone(),
        &restore.namespace().unwrap_or_default(),
    );
    match api.create(&PostParams::default(), job).await {
        Ok(_) => Ok(true),
        Err(kube::Error::Api(status)) if status.code == 409 => Ok(false),
        Err(e) => Err(ReconcileError::Kube("creating the restore Job", e)),
    }
}

/// Deletes the restore Job and its pod (past its deadline).
async fn stop(
    context: &RestoreContext,
    restore: &Restore,
    status: &RestoreStatus,
) -> Result<(), ReconcileError> {
    let Some(name) = status.job_name.as_deref() else {
        return Ok(());
    };
    let api: Api<Job> = Api::namespaced(
        context.base.client.clone(),
        &restore.namespace().unwrap_or_default(),
    );
    match api.delete(name, &DeleteParams::background()).await {
        Ok(_) => {
            context.base.metrics.wrote("Job", "deleted");
            Ok(())
        }
        Err(kube::Error::Api(status)) if status.code == 404 => Ok(()),
        Err(e) => Err(ReconcileError::Kube("deleting the restore Job", e)),
    }
}

/// Writes `status` through the status subresource, guarded by the resourceVersion; `false` on
/// a conflict (a newer Restore is on its way and will be reconciled).
async fn save(
    context: &RestoreContext,
    restore: &Restore,
    status: RestoreStatus,
) -> Result<bool, ReconcileError> {
    let api: Api<Restore> = Api::namespaced(
        context.base.client.clone(),
        &restore.namespace().unwrap_or_default(),
    );
    let patch = json!({
        "metadata": {"resourceVersion": restore.resource_version()},
        "status": status,
    });
    match api
        .patch_status(
            &restore.name_any(),
            &PatchParams::default(),
            &Patch::Merge(patch),
        )
        .await
    {
        Ok(_) => Ok(true),
        Err(kube::Error::Api(status)) if status.code == 409 => Ok(false),
        Err(e) => Err(ReconcileError::Kube("writing the Restore status", e)),
    }
}

async fn publish(
    context: &RestoreContext,
    restore: &Restore,
    type_: EventType,
    reason: &str,
    note: &str,
) {
    publish_event(&context.base, restore, type_, reason, note, "Restore").await;
}
