//! The Backup reconciler: scheduled (operator-side) or one-shot backups of a Marketplace's
//! store, run as Jobs, with their results recorded in status.
//!
//! Each reconcile observes (the Marketplace and referenced Secrets, Restores of the
//! Marketplace, every backup-family Job of the Marketplace and this Backup's Jobs with their
//! pods), asks the pure [`decide::decide`] for the one next thing, and does it: record a
//! finished Job (read from its pod's termination message), start a backup, verify or prune
//! Job, or hold and say why. All state lives in the Backup's status and in its Jobs (label
//! `ogf.dev/backup`, annotation `ogf.dev/recorded` once recorded), so a restarted operator
//! carries on where the last one stopped. Backups, Jobs of the `ogf-backup` family,
//! Restores and Marketplaces are watched; requeues serve the schedule and rechecks. The
//! per-Backup metric series of deleted Backups are forgotten by [`series`].

mod act;
mod condition;
mod decide;
mod history;
mod observe;
mod outcome;
mod record;
mod schedule;
mod series;

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;
use kube::ResourceExt;
use kube::runtime::controller::Action;
use kube::runtime::events::EventType;
use kube::runtime::reflector::{ObjectRef, Store};
use kube::runtime::watcher;
use ogf_crds::{Backup, Marketplace, Restore};
use tokio::sync::watch;
use tracing::Instrument;

use super::error::{ReconcileError, category_label};
use super::freshness::{STALE_RETRY, cached_copy_is_stale};
use super::{Context, RESYNC, publish_event, scoped_api, stopped, triggers};
use crate::build::backup_job::{self, BackupTask};
use crate::build::job::BACKUP_APP_NAME;
use crate::build::labels;
use crate::status::Problem;
use decide::{Decision, Hold};

pub use decide::verify_selected;
pub use schedule::Schedule;

const KIND: &str = "Backup";
/// How often a Backup held by a problem, a Restore or another Job is looked at again,
/// besides the watches.
const RECHECK: Duration = Duration::from_secs(30);

/// Locks that serialise "is a Job of this Marketplace running? no: create one" per
/// `namespace/marketplace` within this operator (the leader), so two Backups (or a Backup
/// and a Restore) never start Jobs of one Marketplace at the same time. The Restore
/// reconciler takes the same lock through [`marketplace_job_lock`].
static JOB_LOCKS: LazyLock<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>> =
    LazyLock::new(Mutex::default);

/// The lock to hold while checking for and creating a Job of Marketplace `name` in `namespace`.
pub fn marketplace_job_lock(namespace: &str, name: &str) -> Arc<tokio::sync::Mutex<()>> {
    let mut locks = JOB_LOCKS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    locks
        .entry(format!("{namespace}/{name}"))
        .or_default()
        .clone()
}

/// Runs the Backup controller in `namespace` (all when `None`) until `stop`.
pub async fn run(context: Arc<Context>, namespace: Option<String>, stop: watch::Receiver<bool>) {
    let client = context.client.clone();
    let ns = namespace.as_deref();
    let controller = triggers::controller(
        scoped_api::<Backup>(&client, ns),
        watcher::Config::default(),
    )
    .with_config(super::controller_config());
    let store = controller.store();
    let (by_job, by_restore, by_marketplace) = (store.clone(), store.clone(), store);
    let family = watcher::Config::default().labels(&format!("{}={BACKUP_APP_NAME}", labels::NAME));
    let series_context = context.clone();
    let series = series::forget_deleted(&series_context, namespace.clone(), stop.clone());
    let controller = controller
        .watches_stream(triggers::metadata::<Job>(&client, ns, family), move |job| {
            of_marketplace(&by_job, job.namespace(), &labels::instance_of(&job))
        })
        .watches_stream(
            triggers::objects(
                scoped_api::<Restore>(&client, ns),
                watcher::Config::default(),
            ),
            move |restore| {
                let name = restore
                    .spec
                    .marketplace_name()
                    .unwrap_or_default()
                    .to_string();
                of_marketplace(&by_restore, restore.namespace(), &name)
            },
        )
        .watches_stream(
            triggers::metadata::<Marketplace>(&client, ns, watcher::Config::default()),
            move |m| of_marketplace(&by_marketplace, m.namespace(), &m.name_any()),
        )
        .graceful_shutdown_on(stopped(stop))
        .run(reconcile, error_policy, context)
        .for_each(|result| async move {
            if let Err(e) = result {
                tracing::debug!(error = %e, "backup controller event");
            }
        });
    tokio::join!(controller, series);
}

/// The Backups of Marketplace `name` in `namespace`.
fn of_marketplace(
    store: &Store<Backup>,
    namespace: Option<String>,
    name: &str,
) -> Vec<ObjectRef<Backup>> {
    store
        .state()
        .iter()
        .filter(|b| b.namespace() == namespace && b.spec.marketplace_ref.name == name)
        .map(|b| ObjectRef::from_obj(b.as_ref()))
        .collect()
}

fn key(backup: &Backup) -> String {
    format!(
        "{}/{}",
        backup.namespace().unwrap_or_default(),
        backup.name_any()
    )
}

async fn reconcile(backup: Arc<Backup>, context: Arc<Context>) -> Result<Action, ReconcileError> {
    let started = Instant::now();
    let span = tracing::info_span!("reconcile", kind = KIND, object = %key(&backup));
    let result = step(&backup, &context).instrument(span).await;
    context.metrics.reconciled(KIND, started.elapsed());
    if result.is_ok() {
        context.succeeded(&key(&backup));
    }
    result
}

fn error_policy(backup: Arc<Backup>, error: &ReconcileError, context: Arc<Context>) -> Action {
    let category = error.category();
    context.metrics.failed(KIND, category_label(category));
    tracing::warn!(object = %key(&backup), category = category_label(category), error = %error, "backup reconcile failed");
    Action::requeue(context.backoff(&key(&backup)))
}

/// One observe → decide → act → status round.
async fn step(backup: &Backup, context: &Context) -> Result<Action, ReconcileError> {
    let namespace = backup.namespace().unwrap_or_default();
    let lock = marketplace_job_lock(&namespace, &backup.spec.marketplace_ref.name);
    let _guard = lock.lock().await;
    let (marketplace, obs, _) = observe::observe(&context.client, backup).await?;
    let now = obs.now.unwrap_or_else(Timestamp::now);
    let mut decision = decide::decide(backup, &obs);
    let previous = backup.status.clone().unwrap_or_default();
    let mut status = previous.clone();

    match &decision {
        Decision::Record(job) => return record(context, backup, status, job, now).await,
        Decision::Vanished(name) => {
            let job = record::vanished(name, now);
            return record(context, backup, status, &job, now).await;
        }
        _ => {}
    }
    let mut started = None;
    if let Decision::Start(task) = &decision {
        // The status naming the last Job may still be on its way: when that Job was deleted
        // meanwhile, this copy would start it again.
        if cached_copy_is_stale(&context.client, backup, "reading the Backup").await? {
            return Ok(Action::requeue(STALE_RETRY));
        }
        match (marketplace.as_ref(), task) {
            (Some(m), task) => match backup_job::build(backup, m, task, &context.job_pod_labels) {
                Ok(job) => {
                    let name = act::create(context, &job).await?;
                    status.active_job = Some(name.clone());
                    if let BackupTask::Backup { scheduled } = task {
                        status.last_schedule_time = Some(Time(*scheduled));
                        if let Some(value) = decide::run_now_request(backup, &previous) {
                            status.last_run_now = Some(value);
                        }
                    }
                    started = Some((name, task.clone()));
                }
                Err(e) => {
                    decision = Decision::Hold(Hold::Problem(Problem {
                        reason: "InvalidSpec".into(),
                        message: e.to_string(),
                    }));
                }
            },
            (None, _) => return Ok(Action::requeue(RECHECK)),
        }
    }
    condition::set(&mut status, backup, &decision, now);
    context
        .metrics
        .backup_observed(&namespace, &backup.name_any(), &status);
    if status != previous && !act::save(context, backup, &status).await? {
        return Ok(Action::requeue(Duration::from_millis(500)));
    }
    announce(context, backup, &previous, &status, &decision, started).await;
    let expired = history::expired(&obs.jobs);
    if !expired.is_empty() {
        act::delete_jobs(context, &namespace, &expired).await;
    }
    Ok(requeue(&decision, now))
}

/// Records a finished (or vanished) Job: status first, then the Job's `recorded` mark.
async fn record(
    context: &Context,
    backup: &Backup,
    mut status: ogf_crds::BackupStatus,
    job: &outcome::JobView,
    now: Timestamp,
) -> Result<Action, ReconcileError> {
    let recorded = record::apply(&mut status, job, now);
    if !act::save(context, backup, &status).await? {
        return Ok(Action::requeue(Duration::from_millis(500)));
    }
    let outcome = if matches!(job.outcome, Some(outcome::Outcome::Succeeded(_))) {
        "succeeded"
    } else {
        "failed"
    };
    // Announced before the Job is marked: a crash in between repeats an Event, never loses one.
    act::announce(context, backup, &recorded).await;
    if !job.deleting {
        act::mark_recorded(
            context,
            &backup.namespace().unwrap_or_default(),
            &job.name,
            outcome,
        )
        .await?;
    }
    Ok(Action::requeue(Duration::from_millis(200)))
}

/// Events for a start, a new hold reason, or a skip.
async fn announce(
    context: &Context,
    backup: &Backup,
    previous: &ogf_crds::BackupStatus,
    status: &ogf_crds::BackupStatus,
    decision: &Decision,
    started: Option<(String, BackupTask)>,
) {
    if let Some((name, task)) = started {
        let (reason, what) = match task {
            BackupTask::Backup { .. } => ("BackupStarted", "backup"),
            BackupTask::Verify { .. } => ("VerifyStarted", "verification"),
            BackupTask::Prune { .. } => ("PruneStarted", "retention"),
        };
        publish_event(
            context,
            backup,
            EventType::Normal,
            reason,
            &format!("started {what} Job {name}"),
            "Backup",
        )
        .await;
        return;
    }
    if previous.message == status.message {
        return;
    }
    let note = status.message.clone().unwrap_or_default();
    match decision {
        Decision::Hold(Hold::Restore(_)) => {
            context
                .metrics
                .backup_skipped(&backup.namespace().unwrap_or_default());
            publish_event(
                context,
                backup,
                EventType::Normal,
                "BackupSkipped",
                &note,
                "Backup",
            )
            .await;
        }
        Decision::Hold(Hold::Problem(problem)) => {
            publish_event(
                context,
                backup,
                EventType::Warning,
                &problem.reason,
                &note,
                "Backup",
            )
            .await;
        }
        _ => {}
    }
}

/// When to look again: at the next schedule time, soon while held, else on a watch event.
fn requeue(decision: &Decision, now: Timestamp) -> Action {
    match decision {
        Decision::Hold(Hold::Scheduled(Some(next))) => {
            let wait = (next.as_millisecond() - now.as_millisecond())
                .max(0)
                .unsigned_abs();
            Action::requeue(Duration::from_millis(wait + 200).min(RESYNC))
        }
        Decision::Hold(Hold::Problem(_) | Hold::Restore(_) | Hold::Busy(_)) => {
            Action::requeue(RECHECK)
        }
        _ => Action::requeue(RESYNC),
    }
}
