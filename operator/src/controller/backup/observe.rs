//! Reads what [`super::decide::decide`] needs: the Marketplace and the Secrets and claim the
//! Jobs mount, Restores of the Marketplace, this Backup's Jobs and their pods, and the other
//! active Jobs of the Marketplace. Jobs and pods are listed from the API server (not a cache),
//! so a Job created a moment ago is always seen; nothing is kept in memory between reconciles.

use std::collections::BTreeMap;

use k8s_openapi::ByteString;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Pod, Secret};
use k8s_openapi::jiff::Timestamp;
use kube::api::ListParams;
use kube::{Api, Client, ResourceExt};
use ogf_crds::backup::{S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY, VerifyPolicy};
use ogf_crds::marketplace::DatabaseKind;
use ogf_crds::{Backup, Marketplace, Restore};

use super::decide::Observations;
use super::outcome;
use crate::build::backup_job::{BACKUP_LABEL, short_name};
use crate::build::job::BACKUP_APP_NAME;
use crate::build::labels;
use crate::controller::ReconcileError;
use crate::status::Problem;

/// The Marketplace (when it exists), the observations, and this Backup's Jobs as listed.
pub async fn observe(
    client: &Client,
    backup: &Backup,
) -> Result<(Option<Marketplace>, Observations, Vec<Job>), ReconcileError> {
    let namespace = backup.namespace().unwrap_or_default();
    let market_name = &backup.spec.marketplace_ref.name;
    let marketplace = Api::<Marketplace>::namespaced(client.clone(), &namespace)
        .get_opt(market_name)
        .await
        .map_err(|e| ReconcileError::Kube("reading the Marketplace", e))?;
    let problem = match &marketplace {
        None => Some(Problem {
            reason: "MarketplaceNotFound".into(),
            message: format!("Marketplace {market_name} not found in namespace {namespace}"),
        }),
        Some(m) => missing_reference(client, &namespace, backup, m).await?,
    };
    let jobs_api: Api<Job> = Api::namespaced(client.clone(), &namespace);
    let family = jobs_api
        .list(&ListParams::default().labels(&format!(
            "{}={BACKUP_APP_NAME},{}={market_name}",
            labels::NAME,
            labels::INSTANCE
        )))
        .await
        .map_err(|e| ReconcileError::Kube("listing the Marketplace's Jobs", e))?;
    let uid = backup.uid().unwrap_or_default();
    let owned_by_us = |job: &Job| job.owner_references().iter().any(|o| o.uid == uid);
    let busy = family
        .items
        .iter()
        .filter(|j| !owned_by_us(j) && outcome::is_active(j))
        .map(ResourceExt::name_any)
        .min();
    let own = jobs_api
        .list(&ListParams::default().labels(&format!(
            "{BACKUP_LABEL}={}",
            short_name(&backup.name_any())
        )))
        .await
        .map_err(|e| ReconcileError::Kube("listing the Backup's Jobs", e))?;
    let own: Vec<Job> = own.items.into_iter().filter(|j| owned_by_us(j)).collect();
    let pods_api: Api<Pod> = Api::namespaced(client.clone(), &namespace);
    let mut views = Vec::new();
    for job in &own {
        let pods = if outcome::is_active(job) || job.annotations().contains_key(outcome::RECORDED) {
            Vec::new()
        } else {
            pods_api
                .list(
                    &ListParams::default()
                        .labels(&format!("batch.kubernetes.io/job-name={}", job.name_any())),
                )
                .await
                .map_err(|e| ReconcileError::Kube("listing a Job's pods", e))?
                .items
        };
        views.extend(outcome::view(job, &pods));
    }
    let restore = Api::<Restore>::namespaced(client.clone(), &namespace)
        .list(&ListParams::default())
        .await
        .map_err(|e| ReconcileError::Kube("listing Restores", e))?
        .items
        .into_iter()
        .filter(|r| r.spec.marketplace_name() == Some(market_name.as_str()))
        .filter(|r| !r.status.as_ref().is_some_and(|s| s.phase.is_terminal()))
        .map(|r| r.name_any())
        .min();
    let observations = Observations {
        now: Some(Timestamp::now()),
        problem,
        restore,
        busy,
        jobs: views,
    };
    Ok((marketplace, observations, own))
}

/// The first Secret, key or claim the Jobs would mount that does not exist.
async fn missing_reference(
    client: &Client,
    namespace: &str,
    backup: &Backup,
    marketplace: &Marketplace,
) -> Result<Option<Problem>, ReconcileError> {
    let spec = &backup.spec;
    let mut needed: Vec<(String, Vec<String>, &str)> = Vec::new();
    match marketplace.spec.database.kind() {
        Some(DatabaseKind::MongoDb(mongodb)) => needed.push((
            mongodb.uri_secret_ref.name.clone(),
            vec![mongodb.uri_secret_ref.key.clone()],
            "the Marketplace's spec.database.mongodb.uriSecretRef",
        )),
        Some(DatabaseKind::Embedded(_)) => {}
        None => {
            return Ok(Some(Problem {
                reason: "InvalidMarketplace".into(),
                message: "the Marketplace sets no database".into(),
            }));
        }
    }
    if let Some(s3) = &spec.destination.s3 {
        needed.push((
            s3.credentials_secret_ref.name.clone(),
            vec![S3_ACCESS_KEY_ID.into(), S3_SECRET_ACCESS_KEY.into()],
            "spec.destination.s3.credentialsSecretRef",
        ));
        if let Some(ca) = &s3.ca_secret_ref {
            needed.push((
                ca.name.clone(),
                vec![ca.key.clone()],
                "spec.destination.s3.caSecretRef",
            ));
        }
    }
    if let Some(r) = &spec.encryption.recipients_secret_ref {
        needed.push((
            r.name.clone(),
            vec![r.key.clone()],
            "spec.encryption.recipientsSecretRef",
        ));
    }
    if spec
        .verify_policy()
        .is_some_and(|p| p != VerifyPolicy::Never)
        && let Some(r) = &spec.verify_identity_secret_ref
    {
        needed.push((
            r.name.clone(),
            vec![r.key.clone()],
            "spec.verifyIdentitySecretRef",
        ));
    }
    let secrets: Api<Secret> = Api::namespaced(client.clone(), namespace);
    for (name, keys, field) in needed {
        let secret = secrets
            .get_opt(&name)
            .await
            .map_err(|e| ReconcileError::Kube("reading a referenced Secret", e))?;
        let Some(secret) = secret else {
            return Ok(Some(Problem {
                reason: "SecretNotFound".into(),
                message: format!("Secret {name} ({field}) not found"),
            }));
        };
        let data: BTreeMap<String, ByteString> = secret.data.unwrap_or_default();
        if let Some(key) = keys.iter().find(|k| !data.contains_key(*k)) {
            return Ok(Some(Problem {
                reason: "SecretKeyNotFound".into(),
                message: format!("Secret {name} ({field}) has no key {key}"),
            }));
        }
    }
    if let Some(volume) = &spec.destination.volume {
        let claim = Api::<PersistentVolumeClaim>::namespaced(client.clone(), namespace)
            .get_opt(&volume.claim_name)
            .await
            .map_err(|e| ReconcileError::Kube("reading the destination claim", e))?;
        if claim.is_none() {
            return Ok(Some(Problem {
                reason: "ClaimNotFound".into(),
                message: format!(
                    "PersistentVolumeClaim {} (spec.destination.volume.claimName) not found",
                    volume.claim_name
                ),
            }));
        }
    }
    Ok(None)
}
