//! The Jobs of a `Backup`: `ogf-api backup`, `ogf-api backup verify` and `ogf-api backup prune`,
//! built on [`super::job`] with exactly the engine's command-line contract.
//!
//! Every secret (S3 credentials, CA bundle, recipients list, verification identity, MongoDB
//! URI) is mounted as a read-only file and passed by path; the backup Job never mounts an
//! identity, so the pod that reads live data holds no key that can decrypt an artifact.

use std::collections::BTreeMap;

use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use k8s_openapi::jiff::Timestamp;
use kube::Resource;
use ogf_crds::backup::{Destination, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY};
use ogf_crds::marketplace::DatabaseKind;
use ogf_crds::{Backup, Marketplace};
use sha2::{Digest, Sha256};

use super::env::DATA_MOUNT_PATH;
use super::job::{self, ApiJob, ClaimMount, JobComponent, SecretFiles, TERMINATION_LOG};
use super::owner::Owner;
use crate::error::BuildError;

/// Label naming the Backup a Job belongs to (its name, shortened like Job names when long).
pub const BACKUP_LABEL: &str = "ogf.dev/backup";
/// Label naming the artifact a verify or prune Job works on.
pub const ARTIFACT_LABEL: &str = "ogf.dev/artifact";
/// Annotation with the schedule time (RFC 3339) a backup Job was started for.
pub const SCHEDULED_AT: &str = "ogf.dev/scheduled-at";

/// Mount path of the S3 credentials Secret (files `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`).
pub const S3_CREDENTIALS_DIR: &str = "/var/run/ogf/s3-credentials";
/// The S3 CA bundle file.
pub const S3_CA_FILE: &str = "/var/run/ogf/s3-ca/ca.crt";
/// The recipients file (one age public key per line).
pub const RECIPIENTS_FILE: &str = "/var/run/ogf/recipients/recipients";
/// The age identity file of verification Jobs.
pub const IDENTITY_FILE: &str = "/var/run/ogf/identity/identity";
/// The MongoDB URI file.
pub const MONGODB_URI_FILE: &str = "/var/run/ogf/mongodb/uri";
/// Mount path of a volume destination's claim.
pub const DESTINATION_MOUNT_PATH: &str = "/var/run/ogf/destination";

/// Longest Backup-name part of a Job name: `<base>-<yyyymmddthhmmss>-verify` fits in 63.
const MAX_BASE_LEN: usize = 63 - 16 - 7;

/// Which of a Backup's Jobs to build.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BackupTask {
    /// A backup for the schedule time `scheduled` (or now, for a one-shot Backup).
    Backup {
        /// Schedule time: the Job name's timestamp and the [`SCHEDULED_AT`] annotation.
        scheduled: Timestamp,
    },
    /// A test restore of `artifact`.
    Verify {
        /// Artifact id (the backup Job's name).
        artifact: String,
    },
    /// Retention applied after `artifact` was written.
    Prune {
        /// Artifact id (the backup Job's name).
        artifact: String,
    },
}

impl BackupTask {
    /// The Job component.
    pub fn component(&self) -> JobComponent {
        match self {
            Self::Backup { .. } => JobComponent::Backup,
            Self::Verify { .. } => JobComponent::Verify,
            Self::Prune { .. } => JobComponent::Prune,
        }
    }

    /// The Job's name: `<backup>-<yyyymmddthhmmss>` for a backup (also the artifact id),
    /// `<artifact>-verify` and `<artifact>-prune` for its follow-ups.
    pub fn job_name(&self, backup: &str) -> String {
        match self {
            Self::Backup { scheduled } => {
                format!(
                    "{}-{}",
                    short_name(backup),
                    scheduled.strftime("%Y%m%dt%H%M%S")
                )
            }
            Self::Verify { artifact } => format!("{artifact}-verify"),
            Self::Prune { artifact } => format!("{artifact}-prune"),
        }
    }
}

/// `name` lower-cased, or when longer than 40 characters its first 33 and a 6-hex hash of the
/// whole, so that every Job name stays a valid DNS label and distinct Backups stay distinct.
pub fn short_name(name: &str) -> String {
    let name = name.to_ascii_lowercase();
    if name.len() <= MAX_BASE_LEN {
        return name;
    }
    let hash = hex(&Sha256::digest(name.as_bytes())[..3]);
    let keep = MAX_BASE_LEN - 7;
    let head: String = name.chars().take(keep).collect();
    format!("{}-{hash}", head.trim_end_matches(['-', '.']))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Why a Backup's Job cannot be built.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum BackupJobError {
    /// The Marketplace cannot be identified (name, namespace, uid).
    #[error(transparent)]
    Marketplace(#[from] BuildError),
    /// A metadata field of the Backup is not set.
    #[error("the Backup has no metadata.{0}")]
    MissingMetadata(&'static str),
    /// `spec.destination` sets neither `s3` nor `volume`.
    #[error("spec.destination must set exactly one of s3 or volume")]
    NoDestination,
    /// A verification Job needs `spec.verifyIdentitySecretRef`.
    #[error("spec.verify needs spec.verifyIdentitySecretRef (the age identity that test-restores)")]
    NoVerifyIdentity,
}

/// Builds `task`'s Job for `backup` of `marketplace`, with `pod_labels` added to its labels
/// (the operator's `--job-pod-label`).
pub fn build(
    backup: &Backup,
    marketplace: &Marketplace,
    task: &BackupTask,
    pod_labels: &BTreeMap<String, String>,
) -> Result<Job, BackupJobError> {
    let owner = Owner::of(marketplace)?;
    let spec = &backup.spec;
    let backup_name = backup
        .metadata
        .name
        .clone()
        .ok_or(BackupJobError::MissingMetadata("name"))?;
    let destination = destination_url(&spec.destination)?;
    let mut args: Vec<String> = match task {
        BackupTask::Backup { .. } => vec!["backup".into()],
        BackupTask::Verify { .. } => vec!["backup".into(), "verify".into()],
        BackupTask::Prune { .. } => vec!["backup".into(), "prune".into()],
    };
    let mut secrets = Vec::new();
    let mut claims = Vec::new();
    let database = marketplace
        .spec
        .database
        .kind()
        .ok_or(BuildError::DatabaseNotExactlyOne)?;
    let embedded = matches!(database, DatabaseKind::Embedded(_));
    match task {
        BackupTask::Backup { .. } => {
            store_args(&owner, database, true, &mut args, &mut secrets, &mut claims)
        }
        BackupTask::Verify { .. } => store_args(
            &owner,
            database,
            false,
            &mut args,
            &mut secrets,
            &mut claims,
        ),
        BackupTask::Prune { .. } => {}
    }
    destination_args(
        &spec.destination,
        &destination,
        &mut args,
        &mut secrets,
        &mut claims,
    );
    match task {
        BackupTask::Backup { .. } => {
            for recipient in &spec.encryption.recipients {
                args.extend(["--recipient".into(), recipient.clone()]);
            }
            if let Some(secret) = &spec.encryption.recipients_secret_ref {
                secrets.push(secret_file(
                    "recipients",
                    &secret.name,
                    &secret.key,
                    RECIPIENTS_FILE,
                ));
                args.extend(["--recipients-file".into(), RECIPIENTS_FILE.into()]);
            }
            args.extend([
                "--compression-level".into(),
                spec.compression.level.to_string(),
                "--id".into(),
                task.job_name(&backup_name),
            ]);
        }
        BackupTask::Verify { artifact } => {
            let identity = spec
                .verify_identity_secret_ref
                .as_ref()
                .ok_or(BackupJobError::NoVerifyIdentity)?;
            secrets.push(secret_file(
                "identity",
                &identity.name,
                &identity.key,
                IDENTITY_FILE,
            ));
            args.extend([
                "--artifact".into(),
                artifact.clone(),
                "--identity-file".into(),
                IDENTITY_FILE.into(),
            ]);
        }
        BackupTask::Prune { .. } => args.extend(prune_flags(spec.retention.as_ref())),
    }
    args.extend(["--result-file".into(), TERMINATION_LOG.into()]);

    let mut extra_labels = pod_labels.clone();
    extra_labels.insert(BACKUP_LABEL.into(), short_name(&backup_name));
    if let BackupTask::Verify { artifact } | BackupTask::Prune { artifact } = task {
        extra_labels.insert(ARTIFACT_LABEL.into(), artifact.clone());
    }
    let api_job = ApiJob {
        name: task.job_name(&backup_name),
        namespace: owner.namespace.clone(),
        instance: owner.name.clone(),
        component: task.component(),
        owner: backup_owner(backup)?,
        image: marketplace
            .status
            .as_ref()
            .and_then(|s| s.image.clone())
            .unwrap_or_else(|| marketplace.spec.image.clone()),
        args,
        secrets,
        // The embedded store's ReadWriteOnce volume is only mounted by a backup Job.
        colocate_with_api: embedded && matches!(task, BackupTask::Backup { .. }),
        claims,
        active_deadline_seconds: spec.active_deadline_seconds,
        backoff_limit: spec.backoff_limit,
        extra_labels,
        image_pull_secrets: marketplace.spec.image_pull_secrets.clone(),
        node_selector: marketplace.spec.node_selector.clone(),
        tolerations: marketplace.spec.tolerations.clone(),
    };
    let mut built = job::build(&api_job);
    if let BackupTask::Backup { scheduled } = task {
        built.metadata.annotations = Some(BTreeMap::from([(
            SCHEDULED_AT.to_string(),
            scheduled.to_string(),
        )]));
    }
    Ok(built)
}

/// The `--destination` URL.
fn destination_url(destination: &Destination) -> Result<String, BackupJobError> {
    destination
        .url(DESTINATION_MOUNT_PATH)
        .ok_or(BackupJobError::NoDestination)
}

/// `--store` and its options; the live data volume only when `live` (a backup reads it).
fn store_args(
    owner: &Owner,
    database: DatabaseKind<'_>,
    live: bool,
    args: &mut Vec<String>,
    secrets: &mut Vec<SecretFiles>,
    claims: &mut Vec<ClaimMount>,
) {
    args.extend(["--store".into(), database.as_str().into()]);
    match database {
        DatabaseKind::Embedded(_) => {
            if live {
                claims.push(ClaimMount {
                    volume: "data".into(),
                    claim_name: owner.pvc_name(),
                    mount_path: DATA_MOUNT_PATH.into(),
                    // SQLite writes its WAL index even to read a consistent snapshot.
                    read_only: false,
                });
                args.extend(["--data-dir".into(), DATA_MOUNT_PATH.into()]);
            }
        }
        DatabaseKind::MongoDb(mongodb) => {
            let uri = &mongodb.uri_secret_ref;
            secrets.push(secret_file(
                "mongodb-uri",
                &uri.name,
                &uri.key,
                MONGODB_URI_FILE,
            ));
            args.extend([
                "--mongodb-uri-file".into(),
                MONGODB_URI_FILE.into(),
                "--mongodb-database".into(),
                mongodb.database.clone(),
            ]);
        }
    }
}

/// `--destination` and the S3 options, with their Secrets and claim.
fn destination_args(
    destination: &Destination,
    url: &str,
    args: &mut Vec<String>,
    secrets: &mut Vec<SecretFiles>,
    claims: &mut Vec<ClaimMount>,
) {
    args.extend(["--destination".into(), url.into()]);
    if let Some(s3) = &destination.s3 {
        if let Some(endpoint) = &s3.endpoint {
            args.extend(["--s3-endpoint".into(), endpoint.clone()]);
        }
        args.extend(["--s3-region".into(), s3.region.clone()]);
        if s3.force_path_style {
            args.push("--s3-force-path-style".into());
        }
        if let Some(ca) = &s3.ca_secret_ref {
            secrets.push(secret_file("s3-ca", &ca.name, &ca.key, S3_CA_FILE));
            args.extend(["--s3-ca-file".into(), S3_CA_FILE.into()]);
        }
        secrets.push(SecretFiles {
            volume: "s3-credentials".into(),
            secret_name: s3.credentials_secret_ref.name.clone(),
            items: [S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY]
                .into_iter()
                .map(|k| (k.to_string(), k.to_string()))
                .collect(),
            mount_path: S3_CREDENTIALS_DIR.into(),
        });
        args.extend(["--s3-credentials-dir".into(), S3_CREDENTIALS_DIR.into()]);
    }
    if let Some(volume) = &destination.volume {
        claims.push(ClaimMount {
            volume: "destination".into(),
            claim_name: volume.claim_name.clone(),
            mount_path: DESTINATION_MOUNT_PATH.into(),
            read_only: false,
        });
    }
}

/// The prune flags of a retention policy (none: prune only removes orphaned objects).
pub fn prune_flags(retention: Option<&ogf_crds::backup::Retention>) -> Vec<String> {
    let mut flags = Vec::new();
    let Some(retention) = retention else {
        return flags;
    };
    for (flag, value) in [
        ("--keep-last", retention.keep_last),
        ("--keep-daily", retention.keep_daily),
        ("--keep-weekly", retention.keep_weekly),
    ] {
        if let Some(value) = value {
            flags.extend([flag.to_string(), value.to_string()]);
        }
    }
    if let Some(max_age) = &retention.max_age {
        flags.extend(["--max-age".to_string(), max_age.clone()]);
    }
    flags
}

/// One Secret key as the file `path` (its directory is the mount path).
fn secret_file(volume: &str, secret: &str, key: &str, path: &str) -> SecretFiles {
    let (dir, file) = path.rsplit_once('/').unwrap_or(("/", path));
    SecretFiles {
        volume: volume.into(),
        secret_name: secret.into(),
        items: vec![(key.into(), file.into())],
        mount_path: dir.into(),
    }
}

/// Controller owner reference to the Backup (its Jobs are deleted with it).
fn backup_owner(backup: &Backup) -> Result<OwnerReference, BackupJobError> {
    Ok(OwnerReference {
        api_version: Backup::api_version(&()).into_owned(),
        kind: Backup::kind(&()).into_owned(),
        name: backup
            .metadata
            .name
            .clone()
            .ok_or(BackupJobError::MissingMetadata("name"))?,
        uid: backup
            .metadata
            .uid
            .clone()
            .ok_or(BackupJobError::MissingMetadata("uid"))?,
        controller: Some(true),
        block_owner_deletion: Some(true),
    })
}

#[cfg(test)]
#[path = "backup_job_tests.rs"]
mod tests;
