//! The restore Job: `ogf-api restore` of one artifact into a Marketplace's store, built on the
//! generic [`super::job`] builder (hardened pod, secrets as read-only files, never env values).
//!
//! The API is stopped while it runs (see the Restore reconciler), so the embedded store's
//! ReadWriteOnce claim is mounted read-write and the pod is *not* colocated with API pods
//! (there are none to colocate with). A volume destination is mounted read-only.

use std::collections::BTreeMap;

use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use kube::ResourceExt;
use ogf_crds::backup::{Destination, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY};
use ogf_crds::marketplace::{DatabaseKind, SecretKeyRef};
use ogf_crds::{Marketplace, Restore};
use sha2::{Digest, Sha256};

use super::env::DATA_MOUNT_PATH;
use super::job::{self, ApiJob, ClaimMount, JobComponent, SecretFiles, TERMINATION_LOG};
use super::owner::Owner;
use crate::error::{BuildError, ErrorCategory};

/// Label naming the Restore on its Job and pod.
pub const RESTORE_LABEL: &str = "ogf.dev/restore";
/// Directory of the mounted S3 credentials (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`).
pub const S3_CREDENTIALS_DIR: &str = "/var/run/ogf/s3-credentials";
/// The mounted S3 CA bundle.
pub const S3_CA_FILE: &str = "/var/run/ogf/s3-ca/ca.crt";
/// The mounted age identity.
pub const IDENTITY_FILE: &str = "/var/run/ogf/identity/identity";
/// The mounted MongoDB URI.
pub const MONGODB_URI_FILE: &str = "/var/run/ogf/mongodb/uri";
/// Where a volume destination is mounted (read-only).
pub const DESTINATION_MOUNT_PATH: &str = "/var/run/ogf/destination";
/// Pod retries: none. A failed restore left the live data untouched, and retrying a wrong key
/// or a tampered artifact cannot help; the Restore reports the failure instead.
const BACKOFF_LIMIT: i32 = 0;
const MAX_NAME: usize = 63;

/// Why a restore Job cannot be built.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum RestoreJobError {
    /// The Marketplace cannot be turned into objects.
    #[error(transparent)]
    Marketplace(#[from] BuildError),
    /// The Restore has no uid (not read from the API server).
    #[error("the Restore has no metadata.uid")]
    MissingUid,
    /// The source destination sets neither `s3` nor `volume` (admission forbids it).
    #[error("the source destination must set exactly one of s3 or volume")]
    DestinationNotExactlyOne,
}

impl RestoreJobError {
    /// How the reconciler treats this error.
    pub fn category(&self) -> ErrorCategory {
        match self {
            Self::Marketplace(e) => e.category(),
            Self::MissingUid => ErrorCategory::Bug,
            Self::DestinationNotExactlyOne => ErrorCategory::User,
        }
    }
}

/// Everything the restore Job is built from besides the Marketplace.
#[derive(Clone, Debug, PartialEq)]
pub struct RestoreJobParams<'a> {
    /// The Restore (name, namespace, uid, spec).
    pub restore: &'a Restore,
    /// Where the artifact is (the Backup's destination or `source.location`).
    pub destination: &'a Destination,
    /// Artifact id; `None` restores the newest (`--artifact latest`).
    pub artifact: Option<&'a str>,
    /// Extra labels on the pod (`--job-pod-label`).
    pub pod_labels: &'a BTreeMap<String, String>,
}

/// `<restore>-restore`, shortened with a hash suffix to fit a label value (63 characters).
pub fn job_name(restore: &str) -> String {
    let full = format!("{restore}-restore");
    if full.len() <= MAX_NAME {
        return full;
    }
    let digest = Sha256::digest(restore.as_bytes());
    let hex: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
    let base: String = restore.chars().take(MAX_NAME - 9 - 8).collect();
    format!("{}-{hex}-restore", base.trim_end_matches('-'))
}

/// The `ogf.dev/restore` label value of `restore`'s Job (the name, shortened like the Job's).
pub fn label_value(restore: &str) -> String {
    if restore.len() <= MAX_NAME {
        restore.to_string()
    } else {
        job_name(restore)
    }
}

/// The controller owner reference to `restore`.
pub fn owner_reference(restore: &Restore) -> Result<OwnerReference, RestoreJobError> {
    let uid = restore
        .metadata
        .uid
        .clone()
        .ok_or(RestoreJobError::MissingUid)?;
    Ok(OwnerReference {
        api_version: "ogf.dev/v1alpha1".into(),
        kind: "Restore".into(),
        name: restore.name_any(),
        uid,
        controller: Some(true),
        block_owner_deletion: Some(true),
    })
}

/// The restore Job of `params.restore` into `marketplace`.
pub fn build(
    marketplace: &Marketplace,
    params: &RestoreJobParams<'_>,
) -> Result<Job, RestoreJobError> {
    let owner = Owner::of(marketplace)?;
    let spec = &marketplace.spec;
    let database = spec
        .database
        .kind()
        .ok_or(BuildError::DatabaseNotExactlyOne)?;
    let restore = params.restore;
    let name = restore.name_any();
    let image = marketplace
        .status
        .as_ref()
        .and_then(|s| s.image.clone())
        .unwrap_or_else(|| spec.image.clone());

    let mut args = vec!["restore".to_string()];
    let mut secrets = vec![secret_files(
        "identity",
        &restore.spec.decryption_key_secret_ref,
        IDENTITY_FILE,
    )];
    let mut claims = Vec::new();
    match database {
        DatabaseKind::Embedded(_) => {
            args.extend(flags(&[
                ("--store", "embedded"),
                ("--data-dir", DATA_MOUNT_PATH),
            ]));
            claims.push(ClaimMount {
                volume: "data".into(),
                claim_name: owner.pvc_name(),
                mount_path: DATA_MOUNT_PATH.into(),
                read_only: false,
            });
        }
        DatabaseKind::MongoDb(mongodb) => {
            args.extend(flags(&[
                ("--store", "mongodb"),
                ("--mongodb-uri-file", MONGODB_URI_FILE),
                ("--mongodb-database", &mongodb.database),
            ]));
            secrets.push(secret_files(
                "mongodb",
                &mongodb.uri_secret_ref,
                MONGODB_URI_FILE,
            ));
        }
    }
    let url = params
        .destination
        .url(DESTINATION_MOUNT_PATH)
        .ok_or(RestoreJobError::DestinationNotExactlyOne)?;
    args.extend(flags(&[("--destination", &url)]));
    if let Some(s3) = &params.destination.s3 {
        if let Some(endpoint) = &s3.endpoint {
            args.extend(flags(&[("--s3-endpoint", endpoint)]));
        }
        args.extend(flags(&[("--s3-region", &s3.region)]));
        if s3.force_path_style {
            args.push("--s3-force-path-style".into());
        }
        args.extend(flags(&[("--s3-credentials-dir", S3_CREDENTIALS_DIR)]));
        secrets.push(SecretFiles {
            volume: "s3-credentials".into(),
            secret_name: s3.credentials_secret_ref.name.clone(),
            items: [S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY]
                .iter()
                .map(|k| ((*k).to_string(), (*k).to_string()))
                .collect(),
            mount_path: S3_CREDENTIALS_DIR.into(),
        });
        if let Some(ca) = &s3.ca_secret_ref {
            args.extend(flags(&[("--s3-ca-file", S3_CA_FILE)]));
            secrets.push(secret_files("s3-ca", ca, S3_CA_FILE));
        }
    }
    if let Some(volume) = &params.destination.volume {
        claims.push(ClaimMount {
            volume: "destination".into(),
            claim_name: volume.claim_name.clone(),
            mount_path: DESTINATION_MOUNT_PATH.into(),
            read_only: true,
        });
    }
    args.extend(flags(&[
        ("--artifact", params.artifact.unwrap_or("latest")),
        ("--identity-file", IDENTITY_FILE),
        ("--result-file", TERMINATION_LOG),
    ]));

    let mut extra_labels = params.pod_labels.clone();
    extra_labels.insert(RESTORE_LABEL.into(), label_value(&name));
    let api_job = ApiJob {
        name: job_name(&name),
        namespace: owner.namespace.clone(),
        instance: owner.name.clone(),
        component: JobComponent::Restore,
        owner: owner_reference(restore)?,
        image,
        args,
        secrets,
        claims,
        active_deadline_seconds: restore.spec.active_deadline_seconds,
        backoff_limit: BACKOFF_LIMIT,
        colocate_with_api: false,
        extra_labels,
        image_pull_secrets: spec.image_pull_secrets.clone(),
        node_selector: spec.node_selector.clone(),
        tolerations: spec.tolerations.clone(),
    };
    Ok(job::build(&api_job))
}

/// One Secret key mounted as the file `path` (its directory is the mount path).
fn secret_files(volume: &str, reference: &SecretKeyRef, path: &str) -> SecretFiles {
    let (dir, file) = path.rsplit_once('/').unwrap_or(("/", path));
    SecretFiles {
        volume: volume.into(),
        secret_name: reference.name.clone(),
        items: vec![(reference.key.clone(), file.to_string())],
        mount_path: dir.into(),
    }
}

fn flags(pairs: &[(&str, &str)]) -> Vec<String> {
    pairs
        .iter()
        .flat_map(|(flag, value)| [(*flag).to_string(), (*value).to_string()])
        .collect()
}

#[cfg(test)]
#[path = "restore_job_tests.rs"]
mod tests;
