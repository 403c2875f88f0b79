//! The Marketplace reconciler: dereference → validate → build → apply → status.
//!
//! Owned objects are watched (label `app.kubernetes.io/managed-by=ogf-operator`),
//! so an edited or deleted Service or Deployment is repaired on its watch event;
//! Secrets are watched too, so a Marketplace waiting for a missing Secret
//! recovers as soon as the Secret appears.
//!
//! Images move blue-green: the active Deployment runs `status.image` (the image actually
//! promoted) once set, a `spec.image` change creates an implicit Rollout, and while a
//! Rollout holds the Marketplace the colored objects (both Deployments and their ConfigMaps
//! `<name>-config-<color>`) are left to it.
//!
//! While a Restore holds the Marketplace (maintenance, see [`maintenance`]), its API is kept
//! at zero replicas and `Ready=False` (reason `RestoreInProgress`) names the Restore; Restores
//! are watched so the hold starts and ends on their phase changes.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::core::v1::{
    ConfigMap, PersistentVolumeClaim, Secret, Service, ServiceAccount,
};
use k8s_openapi::api::networking::v1::{Ingress, NetworkPolicy};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;
use kube::api::{Patch, PatchParams};
use kube::core::PartialObjectMeta;
use kube::runtime::controller::Action;
use kube::runtime::events::{Event, EventType};
use kube::runtime::reflector::{ObjectRef, Store};
use kube::runtime::watcher;
use kube::{Api, Resource, ResourceExt};
use ogf_crds::marketplace::{DatabaseKind, SecretKeyRef};
use ogf_crds::{Color, Marketplace, MarketplaceStatus, Restore, Rollout};
use rand::RngCore;
use serde_json::{Value, json};
use tokio::sync::watch;
use tracing::Instrument;

use super::error::{ReconcileError, category_label};
use super::freshness::{STALE_RETRY, cached_copy_is_stale};
use super::{Context, RESYNC, publish_event, rollout, scoped_api, stopped, triggers};
use crate::apply::{self, Outcome};
use crate::build::{self, Options, owner::Owner};
use crate::error::{BuildError, ErrorCategory};
use crate::status::{self, Observed, Problem};

mod maintenance;

pub use maintenance::{REPLICAS_BEFORE, RESTORE_IN_PROGRESS};

const KIND: &str = "Marketplace";
/// How often a Marketplace waiting for a fix (missing Secret) is looked at again,
/// besides the Secret watch.
const RECHECK: Duration = Duration::from_secs(30);
const MANAGED: &str = "app.kubernetes.io/managed-by=ogf-operator";

/// Runs the Marketplace controller in `namespace` (all when `None`) until `stop`.
pub async fn run(context: Arc<Context>, namespace: Option<String>, stop: watch::Receiver<bool>) {
    let client = context.client.clone();
    let ns = namespace.as_deref();
    let owned = watcher::Config::default().labels(MANAGED);
    let controller = triggers::controller(
        scoped_api::<Marketplace>(&client, ns),
        watcher::Config::default(),
    );
    let marketplaces = controller.store();
    controller
        .with_config(super::controller_config())
        .owns_stream(triggers::metadata::<Deployment>(&client, ns, owned.clone()))
        .owns_stream(triggers::metadata::<Service>(&client, ns, owned.clone()))
        .owns_stream(triggers::metadata::<ConfigMap>(&client, ns, owned.clone()))
        .owns_stream(triggers::metadata::<ServiceAccount>(
            &client,
            ns,
            owned.clone(),
        ))
        .owns_stream(triggers::metadata::<PersistentVolumeClaim>(
            &client,
            ns,
            owned.clone(),
        ))
        .owns_stream(triggers::metadata::<HorizontalPodAutoscaler>(
            &client,
            ns,
            owned.clone(),
        ))
        .owns_stream(triggers::metadata::<PodDisruptionBudget>(
            &client,
            ns,
            owned.clone(),
        ))
        .owns_stream(triggers::metadata::<NetworkPolicy>(
            &client,
            ns,
            owned.clone(),
        ))
        .owns_stream(triggers::metadata::<Ingress>(&client, ns, owned))
        .watches_stream(
            triggers::metadata::<Secret>(&client, ns, watcher::Config::default()),
            move |secret| referencing(&marketplaces, &secret),
        )
        .watches_stream(
            triggers::objects(
                scoped_api::<Rollout>(&client, ns),
                watcher::Config::default(),
            ),
            |rollout| {
                let namespace = rollout.namespace().unwrap_or_default();
                Some(ObjectRef::new(&rollout.spec.marketplace_ref.name).within(&namespace))
            },
        )
        .watches_stream(
            triggers::objects(
                scoped_api::<Restore>(&client, ns),
                watcher::Config::default(),
            ),
            |restore| {
                let namespace = restore.namespace().unwrap_or_default();
                restore
                    .spec
                    .marketplace_name()
                    .map(|name| ObjectRef::new(name).within(&namespace))
            },
        )
        .graceful_shutdown_on(stopped(stop))
        .run(reconcile, error_policy, context)
        .for_each(|result| async move {
            if let Err(e) = result {
                tracing::debug!(error = %e, "marketplace controller event");
            }
        })
        .await;
}

/// The Marketplaces that read `secret`: its owner, and those whose spec names it.
fn referencing(
    marketplaces: &Store<Marketplace>,
    secret: &PartialObjectMeta<Secret>,
) -> Vec<ObjectRef<Marketplace>> {
    let (Some(namespace), Some(name)) = (secret.namespace(), secret.metadata.name.as_deref())
    else {
        return Vec::new();
    };
    marketplaces
        .state()
        .iter()
        .filter(|m| m.namespace().as_deref() == Some(namespace.as_str()))
        .filter(|m| secret_names(m).iter().any(|n| n == name))
        .map(|m| ObjectRef::from_obj(m.as_ref()))
        .collect()
}

/// Names of every Secret a Marketplace reads.
fn secret_names(marketplace: &Marketplace) -> Vec<String> {
    let spec = &marketplace.spec;
    let mut names = vec![spec.jwt_secret_ref.as_ref().map_or_else(
        || format!("{}-jwt", marketplace.name_any()),
        |r| r.name.clone(),
    )];
    if let Some(DatabaseKind::MongoDb(mongodb)) = spec.database.kind() {
        names.push(mongodb.uri_secret_ref.name.clone());
    }
    names
}

/// One reconcile; on a user error the Marketplace's conditions say what is wrong.
pub async fn reconcile(
    marketplace: Arc<Marketplace>,
    context: Arc<Context>,
) -> Result<Action, ReconcileError> {
    let started = Instant::now();
    let key = format!(
        "{}/{}",
        marketplace.namespace().unwrap_or_default(),
        marketplace.name_any()
    );
    let span = tracing::info_span!("reconcile", kind = KIND, object = %key);
    let result = reconcile_inner(&marketplace, &context)
        .instrument(span)
        .await;
    context.metrics.reconciled(KIND, started.elapsed());
    match &result {
        Ok(_) => context.succeeded(&key),
        Err(error) if error.category() == ErrorCategory::User => {
            let problem = Problem {
                reason: error.reason().to_string(),
                message: error.to_string(),
            };
            if let Err(e) = report_problem(&marketplace, &context, &problem).await {
                tracing::warn!(object = %key, error = %e, "cannot write the Degraded condition");
            }
        }
        Err(_) => {}
    }
    result
}

/// Retries with exponential backoff per object and reports the failure as an Event.
pub fn error_policy(
    marketplace: Arc<Marketplace>,
    error: &ReconcileError,
    context: Arc<Context>,
) -> Action {
    let key = format!(
        "{}/{}",
        marketplace.namespace().unwrap_or_default(),
        marketplace.name_any()
    );
    let category = error.category();
    context.metrics.failed(KIND, category_label(category));
    tracing::warn!(object = %key, category = category_label(category), error = %error, "reconcile failed");
    let event = Event {
        type_: EventType::Warning,
        reason: error.reason().into(),
        note: Some(error.to_string()),
        action: "Reconcile".into(),
        secondary: None,
    };
    let reference = marketplace.object_ref(&());
    let recorder = context.recorder.clone();
    tokio::spawn(async move {
        if let Err(e) = recorder.publish(&event, &reference).await {
            tracing::debug!(error = %e, "cannot publish event");
        }
    });
    Action::requeue(context.backoff(&key))
}

async fn reconcile_inner(
    marketplace: &Marketplace,
    context: &Context,
) -> Result<Action, ReconcileError> {
    let owner = Owner::of(marketplace)?;
    let client = &context.client;
    let namespace = owner.namespace.as_str();
    let active_color = marketplace
        .status
        .as_ref()
        .and_then(|s| s.active_color)
        .unwrap_or_default();

    if marketplace.spec.paused {
        let deployment = active_deployment(context, &owner, active_color).await?;
        write_status(marketplace, context, deployment.as_ref(), None, &[], None).await?;
        return Ok(Action::requeue(RESYNC));
    }

    // Dereference and validate what the spec points at.
    if let Some(problem) = check_references(context, marketplace, namespace).await? {
        report_problem(marketplace, context, &problem).await?;
        return Ok(Action::requeue(RECHECK));
    }
    let jwt_secret_value = generated_jwt_value(context, marketplace, &owner).await?;

    // A Rollout in progress owns both colored Deployments; otherwise an image change starts
    // one, except during maintenance (it waits for the Restore).
    let rolling = rollout::in_progress_for(client, marketplace).await?;
    // A Rollout that just finished wrote the Marketplace's spec (image, promoted config) before
    // marking itself done; building from an older cached spec would roll the new color's pods
    // back to the old configuration. Checked after the Rollouts were listed (fresh).
    if !rolling && cached_copy_is_stale(client, marketplace, "reading the Marketplace").await? {
        return Ok(Action::requeue(STALE_RETRY));
    }
    let hold = maintenance::holder(client, marketplace).await?;
    if !rolling && hold.is_none() {
        rollout::ensure_implicit(client, marketplace).await?;
    }

    // Build (pure) with the image actually promoted, then apply what differs.
    let options = Options {
        active_color,
        jwt_secret_value,
        service_monitor_api: context.service_monitor_api,
    };
    let mut promoted = marketplace.clone();
    if let Some(image) = marketplace.status.as_ref().and_then(|s| s.image.clone()) {
        promoted.spec.image = image;
    }
    let mut desired = build::desired(&promoted, &options)?;
    maintenance::hold_desired(&mut desired, &marketplace.spec, hold.is_some());
    let manifests: Vec<Value> = desired
        .manifests()
        .map_err(|e| ReconcileError::Serialize("desired objects", e))?
        .into_iter()
        .filter(|m| !(rolling && colored(m)))
        .collect();
    let mut changes = Vec::new();
    for manifest in &manifests {
        let outcome = apply::apply(client, namespace, manifest).await?;
        if outcome != Outcome::Unchanged {
            let verb = if outcome == Outcome::Created {
                "created"
            } else {
                "updated"
            };
            context
                .metrics
                .wrote(manifest["kind"].as_str().unwrap_or("?"), verb);
            changes.push(format!("{verb} {}", apply::describe(manifest)));
        }
    }
    let leftovers = no_longer_desired(
        marketplace,
        &owner,
        &manifests,
        context.service_monitor_api,
        rolling,
    );
    for leftover in leftovers {
        if apply::delete_if_owned(client, namespace, &leftover, owner.reference.uid.as_str())
            .await?
        {
            context
                .metrics
                .wrote(leftover["kind"].as_str().unwrap_or("?"), "deleted");
            changes.push(format!("deleted {}", apply::describe(&leftover)));
        }
    }
    if !changes.is_empty() {
        tracing::info!(changes = ?changes, "applied");
        publish(
            context,
            marketplace,
            EventType::Normal,
            "Applied",
            &changes.join(", "),
        )
        .await;
    }

    let mut deployment = active_deployment(context, &owner, active_color).await?;
    if let Some(live) = deployment.as_ref().filter(|_| !rolling) {
        let autoscaled = marketplace.spec.autoscaling.is_some();
        if maintenance::scale_autoscaled(client, namespace, live, autoscaled, hold.is_some())
            .await?
        {
            context.metrics.wrote("Deployment", "updated");
            deployment = active_deployment(context, &owner, active_color).await?;
        }
    }
    maintenance::announce(context, marketplace, hold.as_deref()).await;
    write_status(
        marketplace,
        context,
        deployment.as_ref(),
        None,
        &desired.skipped,
        hold.as_deref(),
    )
    .await?;
    Ok(Action::requeue(RESYNC))
}

/// A missing or incomplete Secret that the spec references, as a problem to report.
async fn check_references(
    context: &Context,
    marketplace: &Marketplace,
    namespace: &str,
) -> Result<Option<Problem>, ReconcileError> {
    let mut refs: Vec<(&str, &SecretKeyRef)> = Vec::new();
    if let Some(DatabaseKind::MongoDb(mongodb)) = marketplace.spec.database.kind() {
        refs.push((
            "spec.database.mongodb.uriSecretRef",
            &mongodb.uri_secret_ref,
        ));
    }
    if let Some(jwt) = &marketplace.spec.jwt_secret_ref {
        refs.push(("spec.jwtSecretRef", jwt));
    }
    let secrets: Api<Secret> = Api::namespaced(context.client.clone(), namespace);
    for (field, reference) in refs {
        let secret = secrets
            .get_opt(&reference.name)
            .await
            .map_err(|e| ReconcileError::Kube("reading a referenced Secret", e))?;
        let problem = match secret {
            None => Some(Problem {
                reason: "SecretNotFound".into(),
                message: format!(
                    "{field}: Secret {namespace}/{} does not exist",
                    reference.name
                ),
            }),
            Some(secret) if !has_key(&secret, &reference.key) => Some(Problem {
                reason: "SecretKeyNotFound".into(),
                message: format!(
                    "{field}: Secret {namespace}/{} has no key {:?}",
                    reference.name, reference.key
                ),
            }),
            Some(_) => None,
        };
        if problem.is_some() {
            return Ok(problem);
        }
    }
    Ok(None)
}

fn has_key(secret: &Secret, key: &str) -> bool {
    secret.data.as_ref().is_some_and(|d| d.contains_key(key))
        || secret
            .string_data
            .as_ref()
            .is_some_and(|d| d.contains_key(key))
}

/// A fresh signing key when the generated JWT Secret does not exist yet; `None` keeps the
/// existing one (never rotated by accident) or when the user brings their own.
async fn generated_jwt_value(
    context: &Context,
    marketplace: &Marketplace,
    owner: &Owner,
) -> Result<Option<String>, ReconcileError> {
    if marketplace.spec.jwt_secret_ref.is_some() {
        return Ok(None);
    }
    let secrets: Api<Secret> = Api::namespaced(context.client.clone(), &owner.namespace);
    let existing = secrets
        .get_opt(&owner.jwt_secret_name())
        .await
        .map_err(|e| ReconcileError::Kube("reading the JWT Secret", e))?;
    if existing.is_some() {
        return Ok(None);
    }
    let mut key = [0u8; 48];
    rand::rng().fill_bytes(&mut key);
    Ok(Some(key.iter().map(|b| format!("{b:02x}")).collect()))
}

/// Whether `manifest` belongs to one color (label `ogf.dev/color`): a Deployment or its
/// ConfigMap, left to a Rollout that holds the Marketplace.
fn colored(manifest: &Value) -> bool {
    manifest["metadata"]["labels"][build::labels::COLOR].is_string()
}

/// Optional objects the spec does not ask for (any more), to delete if we own them; the
/// shared ConfigMap of older versions only once no Rollout holds the Marketplace (until then
/// the live color's Deployment may still read it).
fn no_longer_desired(
    marketplace: &Marketplace,
    owner: &Owner,
    manifests: &[Value],
    service_monitor_api: bool,
    rolling: bool,
) -> Vec<Value> {
    let name = owner.name.as_str();
    let mut candidates = vec![
        (
            "autoscaling/v2",
            "HorizontalPodAutoscaler",
            name.to_string(),
        ),
        ("policy/v1", "PodDisruptionBudget", name.to_string()),
        ("networking.k8s.io/v1", "NetworkPolicy", name.to_string()),
        ("networking.k8s.io/v1", "Ingress", name.to_string()),
    ];
    if service_monitor_api {
        candidates.push((
            "monitoring.coreos.com/v1",
            "ServiceMonitor",
            name.to_string(),
        ));
    }
    if marketplace.spec.jwt_secret_ref.is_some() {
        candidates.push(("v1", "Secret", owner.jwt_secret_name()));
    }
    if !rolling {
        candidates.push(("v1", "ConfigMap", owner.legacy_config_map_name()));
    }
    candidates
        .into_iter()
        .filter(|(_, kind, name)| {
            !manifests
                .iter()
                .any(|m| m["kind"] == *kind && m["metadata"]["name"] == name.as_str())
        })
        .map(|(api_version, kind, name)| json!({"apiVersion": api_version, "kind": kind, "metadata": {"name": name}}))
        .collect()
}

async fn active_deployment(
    context: &Context,
    owner: &Owner,
    color: Color,
) -> Result<Option<Deployment>, ReconcileError> {
    Api::<Deployment>::namespaced(context.client.clone(), &owner.namespace)
        .get_opt(&owner.deployment_name(color))
        .await
        .map_err(|e| ReconcileError::Kube("reading the active Deployment", e))
}

/// Writes Ready=False/Degraded=True with `problem`, and an Event when the reason is new.
async fn report_problem(
    marketplace: &Marketplace,
    context: &Context,
    problem: &Problem,
) -> Result<(), ReconcileError> {
    let owner = Owner::of(marketplace)?;
    let color = marketplace
        .status
        .as_ref()
        .and_then(|s| s.active_color)
        .unwrap_or_default();
    let deployment = active_deployment(context, &owner, color).await?;
    let changed = write_status(
        marketplace,
        context,
        deployment.as_ref(),
        Some(problem),
        &[],
        None,
    )
    .await?;
    if changed {
        publish(
            context,
            marketplace,
            EventType::Warning,
            &problem.reason,
            &problem.message,
        )
        .await;
    }
    Ok(())
}

/// Computes the status and writes it through the status subresource if it changed; `hold`
/// names the Restore the API is stopped for.
async fn write_status(
    marketplace: &Marketplace,
    context: &Context,
    deployment: Option<&Deployment>,
    problem: Option<&Problem>,
    notes: &[String],
    hold: Option<&str>,
) -> Result<bool, ReconcileError> {
    let owner = Owner::of(marketplace)?;
    let endpoint = build::endpoint(&owner, &marketplace.spec);
    let observed = Observed {
        generation: marketplace.metadata.generation,
        paused: marketplace.spec.paused,
        active_color: marketplace
            .status
            .as_ref()
            .and_then(|s| s.active_color)
            .unwrap_or_default(),
        deployment,
        problem,
        endpoint: &endpoint,
        notes,
    };
    let now = Time(Timestamp::now());
    let mut new: MarketplaceStatus = status::compute(marketplace.status.as_ref(), &observed, &now);
    if let Some(restore) = hold {
        maintenance::mark_held(&mut new.conditions, restore, observed.generation, &now);
    }
    let ready = new
        .conditions
        .iter()
        .any(|c| c.type_ == "Ready" && c.status == "True");
    context
        .metrics
        .marketplace_ready(&owner.namespace, &owner.name, ready);
    if marketplace.status.as_ref() == Some(&new) {
        return Ok(false);
    }
    // Guarded by the resourceVersion: a Rollout may have just switched the active color; on a
    // conflict the newer Marketplace is reconciled on its own watch event.
    let api: Api<Marketplace> = Api::namespaced(context.client.clone(), &owner.namespace);
    let patch = json!({
        "metadata": {"resourceVersion": marketplace.resource_version()},
        "status": new,
    });
    match api
        .patch_status(&owner.name, &PatchParams::default(), &Patch::Merge(patch))
        .await
    {
        Ok(_) => Ok(true),
        Err(kube::Error::Api(status)) if status.code == 409 => Ok(false),
        Err(e) => Err(ReconcileError::Kube("writing the status", e)),
    }
}

async fn publish(
    context: &Context,
    marketplace: &Marketplace,
    type_: EventType,
    reason: &str,
    note: &str,
) {
    publish_event(context, marketplace, type_, reason, note, "Reconcile").await;
}

impl From<BuildError> for Problem {
    fn from(error: BuildError) -> Self {
        Self {
            reason: error.reason().into(),
            message: error.to_string(),
        }
    }
}
