//! Reads what [`super::phase::decide`] needs from the cluster.

use std::collections::BTreeMap;

use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{Pod, Secret};
use k8s_openapi::jiff::Timestamp;
use kube::api::ListParams;
use kube::{Api, ResourceExt};
use ogf_crds::backup::{Destination, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY};
use ogf_crds::marketplace::SecretKeyRef;
use ogf_crds::{Backup, Marketplace, Restore, RestorePhase};

use super::RestoreContext;
use super::hold;
use super::phase::{MarketplaceView, Missing, Observations, SourceView};
use super::result::{self, JobView};
use crate::build::job::BACKUP_APP_NAME;
use crate::build::{labels, restore_job};
use crate::controller::{ReconcileError, rollout};

/// What was read: the Marketplace and the Job as objects, and the observations.
#[derive(Debug)]
pub struct Observed {
    /// The target Marketplace.
    pub marketplace: Option<Marketplace>,
    /// The observations for [`super::phase::decide`].
    pub obs: Observations,
}

/// Reads the Marketplace, the Job and its pods, the source and, while Pending, what the start
/// waits for.
pub async fn observe(
    context: &RestoreContext,
    restore: &Restore,
) -> Result<Observed, ReconcileError> {
    let client = &context.base.client;
    let namespace = restore.namespace().unwrap_or_default();
    let name = restore.spec.marketplace_name().unwrap_or_default();
    let marketplace = Api::<Marketplace>::namespaced(client.clone(), &namespace)
        .get_opt(name)
        .await
        .map_err(|e| ReconcileError::Kube("reading the Marketplace", e))?;
    let job = own_job(client, &namespace, restore).await?;
    let pods = match &job {
        Some(job) => list_pods(client, &namespace, &format!("job-name={}", job.name_any())).await?,
        None => Vec::new(),
    };
    let source = source(client, &namespace, restore).await?;
    let phase = hold::phase(restore);
    let mut obs = Observations {
        now: Timestamp::now(),
        marketplace: marketplace.as_ref().map(view),
        ahead: None,
        rollout_in_progress: false,
        busy_job: None,
        api_pods: 0,
        source,
        missing: None,
        job: result::view(job.as_ref(), &pods),
    };
    if phase == RestorePhase::Pending
        && let Some(m) = &marketplace
    {
        let restores = context.restores.state();
        obs.ahead = hold::ahead_of(restore, restores.iter().map(AsRef::as_ref));
        obs.rollout_in_progress = rollout::in_progress_for(client, m).await?;
        obs.busy_job = busy_job(client, &namespace, name).await?;
        let selector = selector_string(&labels::selector(name, None));
        obs.api_pods = list_pods(client, &namespace, &selector).await?.len();
        if let SourceView::Resolved { destination, .. } = &obs.source {
            obs.missing = missing_secret(client, &namespace, restore, destination).await?;
        }
    }
    Ok(Observed { marketplace, obs })
}

fn view(marketplace: &Marketplace) -> MarketplaceView {
    let ready = marketplace
        .status
        .as_ref()
        .and_then(|s| s.conditions.iter().find(|c| c.type_ == "Ready"))
        .is_some_and(|c| {
            c.status == "True" && c.reason != crate::controller::marketplace::RESTORE_IN_PROGRESS
        });
    MarketplaceView {
        paused: marketplace.spec.paused,
        ready,
    }
}

/// The restore Job of `restore`, if it exists and is owned by it.
async fn own_job(
    client: &kube::Client,
    namespace: &str,
    restore: &Restore,
) -> Result<Option<Job>, ReconcileError> {
    let name = restore
        .status
        .as_ref()
        .and_then(|s| s.job_name.clone())
        .unwrap_or_else(|| restore_job::job_name(&restore.name_any()));
    let job = Api::<Job>::namespaced(client.clone(), namespace)
        .get_opt(&name)
        .await
        .map_err(|e| ReconcileError::Kube("reading the restore Job", e))?;
    let uid = restore.metadata.uid.as_deref();
    Ok(job.filter(|j| {
        j.owner_references()
            .iter()
            .any(|o| Some(o.uid.as_str()) == uid)
    }))
}

async fn list_pods(
    client: &kube::Client,
    namespace: &str,
    selector: &str,
) -> Result<Vec<Pod>, ReconcileError> {
    Ok(Api::<Pod>::namespaced(client.clone(), namespace)
        .list(&ListParams::default().labels(selector))
        .await
        .map_err(|e| ReconcileError::Kube("listing pods", e))?
        .items)
}

fn selector_string(labels: &BTreeMap<String, String>) -> String {
    labels
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// An unfinished backup, verify or prune Job of `marketplace` (the one-Job-at-a-time rule).
async fn busy_job(
    client: &kube::Client,
    namespace: &str,
    marketplace: &str,
) -> Result<Option<String>, ReconcileError> {
    let selector = format!(
        "{}={BACKUP_APP_NAME},{}={marketplace},{} in (backup,verify,prune)",
        labels::NAME,
        labels::INSTANCE,
        labels::COMPONENT
    );
    let jobs = Api::<Job>::namespaced(client.clone(), namespace)
        .list(&ListParams::default().labels(&selector))
        .await
        .map_err(|e| ReconcileError::Kube("listing backup Jobs", e))?;
    Ok(jobs
        .items
        .iter()
        .find(|job| result::view(Some(job), &[]) == JobView::Active)
        .map(ResourceExt::name_any))
}

/// Resolves `spec.source` into a destination and an artifact.
async fn source(
    client: &kube::Client,
    namespace: &str,
    restore: &Restore,
) -> Result<SourceView, ReconcileError> {
    let source = &restore.spec.source;
    let Some(reference) = &source.backup_ref else {
        return Ok(SourceView::Resolved {
            destination: Box::new(source.location.clone().unwrap_or_default()),
            artifact: source.artifact_id.clone(),
            expected_counts: None,
        });
    };
    let Some(backup) = Api::<Backup>::namespaced(client.clone(), namespace)
        .get_opt(&reference.name)
        .await
        .map_err(|e| ReconcileError::Kube("reading the Backup", e))?
    else {
        return Ok(SourceView::BackupNotFound(reference.name.clone()));
    };
    let artifacts = backup
        .status
        .as_ref()
        .map(|s| s.artifacts.clone())
        .unwrap_or_default();
    // Once started, the artifact recorded in status is the one being restored.
    let chosen = restore
        .status
        .as_ref()
        .and_then(|s| s.artifact_id.clone())
        .or_else(|| source.artifact_id.clone());
    let artifact = match chosen {
        Some(id) => Some(id),
        None => match artifacts.first() {
            Some(newest) => Some(newest.id.clone()),
            None => return Ok(SourceView::NoArtifact(reference.name.clone())),
        },
    };
    let expected_counts = artifacts
        .iter()
        .find(|a| Some(&a.id) == artifact.as_ref())
        .map(|a| a.counts.clone());
    Ok(SourceView::Resolved {
        destination: Box::new(backup.spec.destination.clone()),
        artifact,
        expected_counts,
    })
}

/// The first Secret (or key) the Job mounts that does not exist.
async fn missing_secret(
    client: &kube::Client,
    namespace: &str,
    restore: &Restore,
    destination: &Destination,
) -> Result<Option<Missing>, ReconcileError> {
    let mut wanted: Vec<(&str, SecretKeyRef)> = vec![(
        "spec.decryptionKeySecretRef",
        restore.spec.decryption_key_secret_ref.clone(),
    )];
    if let Some(s3) = &destination.s3 {
        for key in [S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY] {
            wanted.push((
                "s3.credentialsSecretRef",
                SecretKeyRef {
                    name: s3.credentials_secret_ref.name.clone(),
                    key: key.to_string(),
                },
            ));
        }
        if let Some(ca) = &s3.ca_secret_ref {
            wanted.push(("s3.caSecretRef", ca.clone()));
        }
    }
    let secrets: Api<Secret> = Api::namespaced(client.clone(), namespace);
    for (field, reference) in wanted {
        let secret = secrets
            .get_opt(&reference.name)
            .await
            .map_err(|e| ReconcileError::Kube("reading a referenced Secret", e))?;
        let missing = match secret {
            None => Some((
                "SecretNotFound",
                format!(
                    "{field}: Secret {namespace}/{} does not exist",
                    reference.name
                ),
            )),
            Some(s)
                if !s
                    .data
                    .as_ref()
                    .is_some_and(|d| d.contains_key(&reference.key)) =>
            {
                Some((
                    "SecretKeyNotFound",
                    format!(
                        "{field}: Secret {namespace}/{} has no key {:?}",
                        reference.name, reference.key
                    ),
                ))
            }
            Some(_) => None,
        };
        if let Some((reason, message)) = missing {
            return Ok(Some(Missing {
                reason: reason.into(),
                message,
            }));
        }
    }
    Ok(None)
}
