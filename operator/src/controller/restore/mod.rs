//! The Restore reconciler: loads a backup artifact into a Marketplace's store, in place or
//! into a new Marketplace, with the API stopped (the maintenance hold) until the data is back.
//!
//! Each reconcile observes (the Marketplace, the restore Job and its pod's result line, the
//! source, and while `Pending` what the start waits for), asks the pure [`phase::decide`] for
//! the one next thing, and does it ([`act`]). The phase lives in status and the Job is found
//! by its name and owner, so a restarted operator resumes where it stopped. The hold itself
//! is applied by the Marketplace reconciler, which watches Restores ([`hold::holder`]).

mod act;
mod error;
pub mod hold;
mod observe;
pub mod phase;
pub mod result;
mod transition;

use std::sync::Arc;
use std::time::Instant;

use futures::StreamExt;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::Pod;
use kube::ResourceExt;
use kube::runtime::controller::Action;
use kube::runtime::reflector::{ObjectRef, Store};
use kube::runtime::watcher;
use ogf_crds::{Marketplace, Restore};
use tokio::sync::watch;
use tracing::Instrument;

use super::{Context, scoped_api, stopped, triggers};
use crate::build::job::BACKUP_APP_NAME;
use crate::build::labels;
pub use error::RestoreError;

const KIND: &str = "Restore";

/// The Restore controller's state: the shared context and the Restore cache.
#[allow(missing_debug_implementations)] // Context is not Debug
pub struct RestoreContext {
    base: Arc<Context>,
    restores: Store<Restore>,
}

/// Runs the Restore controller in `namespace` (all when `None`) until `stop`.
pub async fn run(context: Arc<Context>, namespace: Option<String>, stop: watch::Receiver<bool>) {
    let client = context.client.clone();
    let ns = namespace.as_deref();
    let controller = triggers::controller(
        scoped_api::<Restore>(&client, ns),
        watcher::Config::default(),
    )
    .with_config(super::controller_config());
    let store = controller.store();
    let restore_context = Arc::new(RestoreContext {
        base: context,
        restores: store.clone(),
    });
    let (by_job, by_pod, by_marketplace) = (store.clone(), store.clone(), store);
    let backup_jobs =
        watcher::Config::default().labels(&format!("{}={BACKUP_APP_NAME}", labels::NAME));
    let api_pods = watcher::Config::default().labels(&format!(
        "{}={},{}={}",
        labels::NAME,
        labels::APP_NAME,
        labels::COMPONENT,
        labels::COMPONENT_API
    ));
    controller
        // Restore Jobs (the Restore's own) and backup-family Jobs (a Restore waits for them).
        .watches_stream(
            triggers::metadata::<Job>(&client, ns, backup_jobs),
            move |job| targeting(&by_job, job.namespace(), &labels::instance_of(&job)),
        )
        // API pods: a Restore starts once they are gone.
        .watches_stream(
            triggers::metadata::<Pod>(&client, ns, api_pods),
            move |pod| targeting(&by_pod, pod.namespace(), &labels::instance_of(&pod)),
        )
        // The Marketplace: created (bootstrap), Ready again (Swapping), paused.
        .watches_stream(
            triggers::metadata::<Marketplace>(&client, ns, watcher::Config::default()),
            move |m| targeting(&by_marketplace, m.namespace(), &m.name_any()),
        )
        .graceful_shutdown_on(stopped(stop))
        .run(reconcile, error_policy, restore_context)
        .for_each(|result| async move {
            if let Err(e) = result {
                tracing::debug!(error = %e, "restore controller event");
            }
        })
        .await;
}

/// The unfinished Restores of Marketplace `name` in `namespace`.
fn targeting(
    store: &Store<Restore>,
    namespace: Option<String>,
    name: &str,
) -> Vec<ObjectRef<Restore>> {
    store
        .state()
        .iter()
        .filter(|r| r.namespace() == namespace && r.spec.marketplace_name() == Some(name))
        .filter(|r| !hold::phase(r).is_terminal())
        .map(|r| ObjectRef::from_obj(r.as_ref()))
        .collect()
}

async fn reconcile(
    restore: Arc<Restore>,
    context: Arc<RestoreContext>,
) -> Result<Action, RestoreError> {
    let started = Instant::now();
    let key = format!(
        "{}/{}",
        restore.namespace().unwrap_or_default(),
        restore.name_any()
    );
    let span = tracing::info_span!("reconcile", kind = KIND, object = %key);
    let result = step(&restore, &context).instrument(span).await;
    context.base.metrics.reconciled(KIND, started.elapsed());
    if result.is_ok() {
        context.base.succeeded(&key);
    }
    result
}

fn error_policy(
    restore: Arc<Restore>,
    error: &RestoreError,
    context: Arc<RestoreContext>,
) -> Action {
    let key = format!(
        "{}/{}",
        restore.namespace().unwrap_or_default(),
        restore.name_any()
    );
    context.base.metrics.failed(KIND, error.category_label());
    tracing::warn!(object = %key, category = error.category_label(), error = %error, "restore reconcile failed");
    Action::requeue(context.base.backoff(&key))
}

/// One observe → decide → act round; a finished Restore does nothing more.
async fn step(restore: &Restore, context: &RestoreContext) -> Result<Action, RestoreError> {
    if hold::phase(restore).is_terminal() {
        return Ok(Action::await_change());
    }
    // The same lock the Backup controller holds while it checks for and creates Jobs: at most
    // one backup-family or restore Job per Marketplace, even when both decide at once.
    let lock = super::backup::marketplace_job_lock(
        &restore.namespace().unwrap_or_default(),
        restore.spec.marketplace_name().unwrap_or_default(),
    );
    let _guard = lock.lock().await;
    let observed = observe::observe(context, restore).await?;
    let decision = phase::decide(restore, &observed.obs);
    tracing::debug!(?decision, "decided");
    act::act(
        context,
        restore,
        observed.marketplace.as_ref(),
        decision,
        &observed.obs,
    )
    .await
}
