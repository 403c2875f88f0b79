//! The Rollout reconciler: a blue-green move of a Marketplace to a new image.
//!
//! Each reconcile observes (the Marketplace, both colors, the active Service, sibling
//! Rollouts), asks the pure [`phase::decide`] for the one next thing, and does it. A phase
//! change is written to status before the phase's work starts, so a restarted operator
//! resumes where it stopped. Rollouts, Marketplaces and Deployments are watched; requeues
//! only serve check intervals and delays.

mod act;
mod checks;
mod condition;
mod implicit;
mod observe;
mod phase;
mod prepare;
mod probe;
mod record;
mod steps;
mod transition;
mod work;

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{Pod, Service};
use kube::ResourceExt;
use kube::runtime::controller::Action;
use kube::runtime::events::EventType;
use kube::runtime::reflector::{ObjectRef, Store};
use kube::runtime::watcher;
use ogf_crds::rollout::Phase;
use ogf_crds::{Backup, Marketplace, Rollout};
use tokio::sync::watch;

use super::error::{ReconcileError, category_label};
use super::freshness::{STALE_RETRY, cached_copy_is_stale};
use super::{Context, scoped_api, stopped, triggers};
use crate::build::labels;
use crate::targets::GuardedResolver;
use phase::Decision;

pub use implicit::{ensure_implicit, in_progress_for};
pub use phase::in_progress;

const KIND: &str = "Rollout";
const MANAGED: &str = "app.kubernetes.io/managed-by=ogf-operator";
const MIGRATION_JOBS: &str =
    "app.kubernetes.io/managed-by=ogf-operator,app.kubernetes.io/component=migration";
const API_PODS: &str = "app.kubernetes.io/name=ogf-api,app.kubernetes.io/component=api";

/// The Rollout controller's state: the shared context, the Rollout cache and an HTTP client.
#[allow(missing_debug_implementations)] // Context is not Debug
pub struct RolloutContext {
    base: Arc<Context>,
    rollouts: Store<Rollout>,
    http: reqwest::Client,
}

/// Runs the Rollout controller in `namespace` (all when `None`) until `stop`.
pub async fn run(context: Arc<Context>, namespace: Option<String>, stop: watch::Receiver<bool>) {
    let client = context.client.clone();
    let ns = namespace.as_deref();
    let rollouts_api = scoped_api::<Rollout>(&client, ns);
    let managed = watcher::Config::default().labels(MANAGED);
    // Check targets come from Rollouts: no redirects, no proxies, and every address a name
    // resolves to is checked against the allow-list (see crate::targets).
    let http = match reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .dns_resolver(Arc::new(GuardedResolver::new(
            context.check_targets.clone(),
        )))
        .build()
    {
        Ok(http) => http,
        Err(e) => {
            tracing::error!(error = %e, "cannot build the HTTP client for Rollout checks");
            return;
        }
    };
    let controller = triggers::controller(rollouts_api.clone(), watcher::Config::default())
        .with_config(super::controller_config());
    let store = controller.store();
    let rollout_context = Arc::new(RolloutContext {
        base: context,
        rollouts: store.clone(),
        http,
    });
    let (by_rollout, by_marketplace) = (store.clone(), store.clone());
    let (by_deployment, by_service, by_pod) = (store.clone(), store.clone(), store);
    // Migration Jobs and pre-rollout Backups are owned by their Rollout; API pods are watched
    // (metadata only) so that a stop-then-start continues the moment the old pod is gone.
    let migration_jobs = watcher::Config::default().labels(MIGRATION_JOBS);
    let api_pods = watcher::Config::default().labels(API_PODS);
    controller
        .watches_stream(
            triggers::objects(rollouts_api, watcher::Config::default()),
            move |r| siblings(&by_rollout, r.namespace(), &r.spec.marketplace_ref.name),
        )
        // Mappers need names and labels only: metadata-only watches keep memory flat.
        .watches_stream(
            triggers::metadata::<Marketplace>(&client, ns, watcher::Config::default()),
            move |m| siblings(&by_marketplace, m.namespace(), &m.name_any()),
        )
        .watches_stream(
            triggers::metadata::<Deployment>(&client, ns, managed.clone()),
            move |d| siblings(&by_deployment, d.namespace(), &labels::instance_of(&d)),
        )
        .watches_stream(
            triggers::metadata::<Service>(&client, ns, managed),
            move |s| siblings(&by_service, s.namespace(), &labels::instance_of(&s)),
        )
        .owns_stream(triggers::metadata::<Job>(&client, ns, migration_jobs))
        .owns_stream(triggers::metadata::<Backup>(
            &client,
            ns,
            watcher::Config::default(),
        ))
        .watches_stream(triggers::metadata::<Pod>(&client, ns, api_pods), move |p| {
            siblings(&by_pod, p.namespace(), &labels::instance_of(&p))
        })
        .graceful_shutdown_on(stopped(stop))
        .run(reconcile, error_policy, rollout_context)
        .for_each(|result| async move {
            if let Err(e) = result {
                tracing::debug!(error = %e, "rollout controller event");
            }
        })
        .await;
}

/// The Rollouts of Marketplace `name` in `namespace`.
fn siblings(
    store: &Store<Rollout>,
    namespace: Option<String>,
    name: &str,
) -> Vec<ObjectRef<Rollout>> {
    store
        .state()
        .iter()
        .filter(|r| r.namespace() == namespace && r.spec.marketplace_ref.name == name)
        .map(|r| ObjectRef::from_obj(r.as_ref()))
        .collect()
}

async fn reconcile(
    rollout: Arc<Rollout>,
    context: Arc<RolloutContext>,
) -> Result<Action, ReconcileError> {
    let started = std::time::Instant::now();
    let key = format!(
        "{}/{}",
        rollout.namespace().unwrap_or_default(),
        rollout.name_any()
    );
    let result = step(&rollout, &context).await;
    context.base.metrics.reconciled(KIND, started.elapsed());
    if result.is_ok() {
        context.base.succeeded(&key);
    }
    result
}

fn error_policy(
    rollout: Arc<Rollout>,
    error: &ReconcileError,
    context: Arc<RolloutContext>,
) -> Action {
    let key = format!(
        "{}/{}",
        rollout.namespace().unwrap_or_default(),
        rollout.name_any()
    );
    let category = error.category();
    context.base.metrics.failed(KIND, category_label(category));
    tracing::warn!(object = %key, category = category_label(category), error = %error, "rollout reconcile failed");
    Action::requeue(context.base.backoff(&key))
}

/// One observe → decide → act round.
async fn step(rollout: &Rollout, context: &RolloutContext) -> Result<Action, ReconcileError> {
    let client = &context.base.client;
    let (marketplace, obs) = observe::observe(
        client,
        &context.rollouts,
        &context.base.check_targets,
        rollout,
    )
    .await?;
    let decision = phase::decide(rollout, &obs);
    let mut status = rollout.status.clone().unwrap_or_default();
    let previous = status.clone();
    let generation = rollout.metadata.generation;
    match decision {
        Decision::Enter { phase, message } => {
            enter(context, rollout, status, phase, &message, None, &obs).await
        }
        Decision::Fail { reason, message } => {
            let reason = Some(reason);
            enter(
                context,
                rollout,
                status,
                Phase::Failed,
                &message,
                reason,
                &obs,
            )
            .await
        }
        Decision::Retry(value) => {
            transition::enter(
                &mut status,
                rollout,
                Phase::Pending,
                "retried",
                None,
                obs.now,
            );
            status.last_retry = Some(value);
            transition::set_conditions(&mut status, generation, None, obs.now);
            record::save(context, rollout, status).await?;
            record::publish(
                context,
                rollout,
                EventType::Normal,
                "Retried",
                "retried: starting again",
            )
            .await;
            Ok(Action::await_change())
        }
        Decision::Resume => {
            transition::resume(&mut status, obs.now);
            record::save(context, rollout, status).await?;
            Ok(Action::await_change())
        }
        Decision::Done => {
            // Only the conditions' observedGeneration may be behind (a later spec edit).
            transition::set_conditions(&mut status, generation, None, obs.now);
            if status != previous {
                record::save(context, rollout, status).await?;
            }
            Ok(Action::await_change())
        }
        Decision::Wait {
            after,
            message,
            reason,
        } => {
            status.message = Some(message.clone());
            if reason == Some(phase::WaitReason::MarketplacePaused) && status.paused_at.is_none() {
                status.paused_at = Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(
                    obs.now,
                ));
            }
            transition::set_conditions(
                &mut status,
                generation,
                reason.map(|r| (r, message.as_str())),
                obs.now,
            );
            if status != previous {
                record::save(context, rollout, status).await?;
            }
            Ok(after.map_or_else(Action::await_change, |after| {
                Action::requeue(after + Duration::from_millis(200))
            }))
        }
        Decision::Act(work) => {
            // Work writes Deployments, Services and the Marketplace before its guarded status
            // write: from a copy older than the last phase change (an abort's switch back) it
            // would point traffic at, or scale down, the wrong color.
            if cached_copy_is_stale(client, rollout, "reading the Rollout").await? {
                return Ok(Action::requeue(STALE_RETRY));
            }
            let Some(marketplace) = marketplace else {
                return work::release(context, rollout, status).await;
            };
            work::act(context, rollout, &marketplace, status, work, &obs).await
        }
    }
}

/// Records `phase` (with the reason of a failure), then announces it.
async fn enter(
    context: &RolloutContext,
    rollout: &Rollout,
    mut status: ogf_crds::RolloutStatus,
    phase: Phase,
    message: &str,
    reason: Option<phase::FailReason>,
    obs: &phase::Observations,
) -> Result<Action, ReconcileError> {
    let previous = status.clone();
    transition::enter(
        &mut status,
        rollout,
        phase,
        message,
        obs.marketplace.as_ref(),
        obs.now,
    );
    if let Some(reason) = reason {
        status.reason = Some(reason.as_str().to_string());
        if reason == phase::FailReason::MarketplaceNotFound {
            // Its Deployments went with it: nothing is left to scale down.
            status.scaled_down = true;
        }
    }
    transition::set_conditions(&mut status, rollout.metadata.generation, None, obs.now);
    // Announced (Event, outcome metrics) only once the phase change is really written: a
    // conflict recomputes the same change on the next reconcile.
    if record::save(context, rollout, status).await? {
        record::announce(context, rollout, &previous, phase, message, obs).await;
    }
    Ok(Action::await_change())
}
