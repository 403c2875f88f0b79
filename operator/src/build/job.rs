//! Jobs that run `ogf-api` commands (backup, verify, restore, prune, migration): one hardened
//! pod template for all of them, with secrets mounted as read-only files, never as env values.

use std::collections::BTreeMap;

use k8s_openapi::api::batch::v1::{Job, JobSpec};
use k8s_openapi::api::core::v1::{
    Affinity, Container, EmptyDirVolumeSource, KeyToPath, LocalObjectReference,
    PersistentVolumeClaimVolumeSource, PodAffinity, PodAffinityTerm, PodSpec, PodTemplateSpec,
    ResourceRequirements, SecretVolumeSource, Toleration, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta, OwnerReference};

use super::{labels, pod};

/// Name of the container of every `ogf-api` Job.
pub const CONTAINER_NAME: &str = "ogf-api";
/// Where the container writes its one-line JSON result (read back from the pod status).
pub const TERMINATION_LOG: &str = "/dev/termination-log";
/// Value of `app.kubernetes.io/name` on backup, verify, restore and prune Jobs.
pub const BACKUP_APP_NAME: &str = "ogf-backup";
/// Mode of mounted secret files: readable by the pod's user only.
const SECRET_FILE_MODE: i32 = 0o400;
const TMP_VOLUME: &str = "tmp";

/// What a Job does: the `app.kubernetes.io/component` label value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobComponent {
    /// `ogf-api backup`.
    Backup,
    /// `ogf-api backup verify`.
    Verify,
    /// `ogf-api backup prune`.
    Prune,
    /// `ogf-api restore`.
    Restore,
    /// A Rollout's database migration.
    Migration,
}

impl JobComponent {
    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Backup => "backup",
            Self::Verify => "verify",
            Self::Prune => "prune",
            Self::Restore => "restore",
            Self::Migration => "migration",
        }
    }

    /// `app.kubernetes.io/name`: `ogf-backup` for the backup family, `ogf-api` for migrations.
    pub fn app_name(self) -> &'static str {
        match self {
            Self::Migration => labels::APP_NAME,
            _ => BACKUP_APP_NAME,
        }
    }
}

/// Keys of a Secret mounted as files in one directory.
#[derive(Clone, Debug, PartialEq)]
pub struct SecretFiles {
    /// Volume name (unique within the pod).
    pub volume: String,
    /// The Secret.
    pub secret_name: String,
    /// `(key, file name)` pairs; every key is required.
    pub items: Vec<(String, String)>,
    /// Directory the files appear in.
    pub mount_path: String,
}

/// A PersistentVolumeClaim mounted into the Job's pod.
#[derive(Clone, Debug, PartialEq)]
pub struct ClaimMount {
    /// Volume name (unique within the pod).
    pub volume: String,
    /// The claim.
    pub claim_name: String,
    /// Where it is mounted.
    pub mount_path: String,
    /// Mount read-only.
    pub read_only: bool,
}

/// Everything an `ogf-api` Job is built from.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiJob {
    /// Job name (also the artifact id of a backup).
    pub name: String,
    /// Namespace.
    pub namespace: String,
    /// The Marketplace (`app.kubernetes.io/instance`).
    pub instance: String,
    /// What the Job does.
    pub component: JobComponent,
    /// Controller owner reference (the Backup, Restore or Rollout).
    pub owner: OwnerReference,
    /// Image (the Marketplace's `ogf-api` image).
    pub image: String,
    /// Arguments of `ogf-api` (the image's entrypoint).
    pub args: Vec<String>,
    /// Secrets mounted as files.
    pub secrets: Vec<SecretFiles>,
    /// Claims mounted (the embedded store's data volume, a backup volume).
    pub claims: Vec<ClaimMount>,
    /// Seconds before the Job is stopped and failed.
    pub active_deadline_seconds: i64,
    /// Pod retries.
    pub backoff_limit: i32,
    /// Run on the node of the Marketplace's API pods (a ReadWriteOnce data volume).
    pub colocate_with_api: bool,
    /// Extra labels for the Job and its pod (e.g. `ogf.dev/backup: <name>`).
    pub extra_labels: BTreeMap<String, String>,
    /// Pull secrets, node selector and tolerations copied from the Marketplace.
    pub image_pull_secrets: Vec<LocalObjectReference>,
    /// Node selector copied from the Marketplace.
    pub node_selector: BTreeMap<String, String>,
    /// Tolerations copied from the Marketplace.
    pub tolerations: Vec<Toleration>,
}

/// The labels of the Job and its pod.
pub fn job_labels(job: &ApiJob) -> BTreeMap<String, String> {
    let mut result = BTreeMap::from([
        (
            labels::NAME.to_string(),
            job.component.app_name().to_string(),
        ),
        (labels::INSTANCE.to_string(), job.instance.clone()),
        (labels::MANAGED_BY.to_string(), labels::MANAGER.to_string()),
        (
            labels::COMPONENT.to_string(),
            job.component.as_str().to_string(),
        ),
    ]);
    result.extend(job.extra_labels.clone());
    result
}

/// The Job.
pub fn build(job: &ApiJob) -> Job {
    let labels = job_labels(job);
    Job {
        metadata: ObjectMeta {
            name: Some(job.name.clone()),
            namespace: Some(job.namespace.clone()),
            labels: Some(labels.clone()),
            owner_references: Some(vec![job.owner.clone()]),
            ..ObjectMeta::default()
        },
        spec: Some(JobSpec {
            active_deadline_seconds: Some(job.active_deadline_seconds),
            backoff_limit: Some(job.backoff_limit),
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(labels),
                    ..ObjectMeta::default()
                }),
                spec: Some(pod_spec(job)),
            },
            ..JobSpec::default()
        }),
        status: None,
    }
}

fn pod_spec(job: &ApiJob) -> PodSpec {
    let mut volumes = vec![Volume {
        name: TMP_VOLUME.into(),
        empty_dir: Some(EmptyDirVolumeSource {
            size_limit: Some(Quantity("256Mi".into())),
            ..EmptyDirVolumeSource::default()
        }),
        ..Volume::default()
    }];
    let mut mounts = vec![VolumeMount {
        name: TMP_VOLUME.into(),
        mount_path: "/tmp".into(),
        ..VolumeMount::default()
    }];
    for secret in &job.secrets {
        volumes.push(Volume {
            name: secret.volume.clone(),
            secret: Some(SecretVolumeSource {
                secret_name: Some(secret.secret_name.clone()),
                items: Some(
                    secret
                        .items
                        .iter()
                        .map(|(key, path)| KeyToPath {
                            key: key.clone(),
                            path: path.clone(),
                            ..KeyToPath::default()
                        })
                        .collect(),
                ),
                default_mode: Some(SECRET_FILE_MODE),
                optional: Some(false),
                ..SecretVolumeSource::default()
            }),
            ..Volume::default()
        });
        mounts.push(VolumeMount {
            name: secret.volume.clone(),
            mount_path: secret.mount_path.clone(),
            read_only: Some(true),
            ..VolumeMount::default()
        });
    }
    for claim in &job.claims {
        volumes.push(Volume {
            name: claim.volume.clone(),
            persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                claim_name: claim.claim_name.clone(),
                read_only: Some(claim.read_only),
            }),
            ..Volume::default()
        });
        mounts.push(VolumeMount {
            name: claim.volume.clone(),
            mount_path: claim.mount_path.clone(),
            read_only: Some(claim.read_only),
            ..VolumeMount::default()
        });
    }
    PodSpec {
        restart_policy: Some("Never".into()),
        automount_service_account_token: Some(false),
        enable_service_links: Some(false),
        security_context: Some(pod::pod_security_context()),
        containers: vec![Container {
            name: CONTAINER_NAME.into(),
            image: Some(job.image.clone()),
            image_pull_policy: Some("IfNotPresent".into()),
            args: Some(job.args.clone()),
            resources: Some(resources()),
            security_context: Some(pod::container_security_context()),
            volume_mounts: Some(mounts),
            termination_message_path: Some(TERMINATION_LOG.into()),
            termination_message_policy: Some("FallbackToLogsOnError".into()),
            ..Container::default()
        }],
        volumes: Some(volumes),
        affinity: job.colocate_with_api.then(|| colocate(&job.instance)),
        image_pull_secrets: (!job.image_pull_secrets.is_empty())
            .then(|| job.image_pull_secrets.clone()),
        node_selector: (!job.node_selector.is_empty()).then(|| job.node_selector.clone()),
        tolerations: (!job.tolerations.is_empty()).then(|| job.tolerations.clone()),
        ..PodSpec::default()
    }
}

/// Requests and limits of every `ogf-api` Job: the engine streams, so memory stays small.
fn resources() -> ResourceRequirements {
    let quantities = |cpu: &str, memory: &str| {
        BTreeMap::from([
            ("cpu".to_string(), Quantity(cpu.into())),
            ("memory".to_string(), Quantity(memory.into())),
        ])
    };
    ResourceRequirements {
        requests: Some(quantities("100m", "64Mi")),
        limits: Some(quantities("1", "256Mi")),
        ..ResourceRequirements::default()
    }
}

/// Required affinity to the node of the Marketplace's API pods.
fn colocate(instance: &str) -> Affinity {
    Affinity {
        pod_affinity: Some(PodAffinity {
            required_during_scheduling_ignored_during_execution: Some(vec![PodAffinityTerm {
                label_selector: Some(LabelSelector {
                    match_labels: Some(labels::selector(instance, None)),
                    ..LabelSelector::default()
                }),
                topology_key: "kubernetes.io/hostname".into(),
                ..PodAffinityTerm::default()
            }]),
            ..PodAffinity::default()
        }),
        ..Affinity::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job() -> ApiJob {
        ApiJob {
            name: "nightly-20261123t020000z".into(),
            namespace: "shop".into(),
            instance: "demo".into(),
            component: JobComponent::Backup,
            owner: OwnerReference {
                api_version: "ogf.dev/v1alpha1".into(),
                kind: "Backup".into(),
                name: "nightly".into(),
                uid: "uid-1".into(),
                controller: Some(true),
                block_owner_deletion: Some(true),
            },
            image: "ghcr.io/ogf-dev/ogf-api:1.0.0".into(),
            args: vec!["backup".into(), "--id".into(), "x".into()],
            secrets: vec![SecretFiles {
                volume: "s3".into(),
                secret_name: "backup-s3".into(),
                items: vec![("AWS_ACCESS_KEY_ID".into(), "AWS_ACCESS_KEY_ID".into())],
                mount_path: "/var/run/ogf/s3".into(),
            }],
            claims: vec![ClaimMount {
                volume: "data".into(),
                claim_name: "demo-data".into(),
                mount_path: "/var/lib/ogf".into(),
                read_only: false,
            }],
            active_deadline_seconds: 600,
            backoff_limit: 1,
            colocate_with_api: true,
            extra_labels: BTreeMap::from([("ogf.dev/backup".into(), "nightly".into())]),
            image_pull_secrets: Vec::new(),
            node_selector: BTreeMap::new(),
            tolerations: Vec::new(),
        }
    }

    #[test]
    fn job_is_labelled_owned_and_bounded() {
        let built = build(&job());
        let labels = built.metadata.labels.as_ref().unwrap();
        assert_eq!(labels[labels::NAME], "ogf-backup");
        assert_eq!(labels[labels::COMPONENT], "backup");
        assert_eq!(labels[labels::INSTANCE], "demo");
        assert_eq!(labels["ogf.dev/backup"], "nightly");
        assert_eq!(
            built.metadata.owner_references.as_ref().unwrap()[0].kind,
            "Backup"
        );
        let spec = built.spec.as_ref().unwrap();
        assert_eq!(spec.active_deadline_seconds, Some(600));
        assert_eq!(spec.backoff_limit, Some(1));
        let pod_labels = spec
            .template
            .metadata
            .as_ref()
            .unwrap()
            .labels
            .as_ref()
            .unwrap();
        assert_eq!(pod_labels, labels);
    }

    #[test]
    fn pod_is_hardened_and_secrets_are_files() {
        let built = build(&job());
        let pod = built.spec.unwrap().template.spec.unwrap();
        assert_eq!(pod.restart_policy.as_deref(), Some("Never"));
        assert_eq!(pod.automount_service_account_token, Some(false));
        assert_eq!(
            pod.security_context.as_ref().unwrap().run_as_non_root,
            Some(true)
        );
        let container = &pod.containers[0];
        assert!(container.env.is_none(), "no env values at all");
        let security = container.security_context.as_ref().unwrap();
        assert_eq!(security.read_only_root_filesystem, Some(true));
        assert_eq!(security.allow_privilege_escalation, Some(false));
        assert_eq!(
            container.termination_message_path.as_deref(),
            Some(TERMINATION_LOG)
        );
        let volumes = pod.volumes.unwrap();
        let secret = volumes.iter().find(|v| v.name == "s3").unwrap();
        let source = secret.secret.as_ref().unwrap();
        assert_eq!(source.default_mode, Some(0o400));
        assert_eq!(source.optional, Some(false));
        let mount = container
            .volume_mounts
            .as_ref()
            .unwrap()
            .iter()
            .find(|m| m.name == "s3")
            .unwrap();
        assert_eq!(mount.read_only, Some(true));
        assert!(pod.affinity.unwrap().pod_affinity.is_some());
    }

    #[test]
    fn migrations_are_labelled_as_the_api() {
        let mut migration = job();
        migration.component = JobComponent::Migration;
        migration.colocate_with_api = false;
        let built = build(&migration);
        assert_eq!(built.metadata.labels.unwrap()[labels::NAME], "ogf-api");
        assert!(
            built
                .spec
                .unwrap()
                .template
                .spec
                .unwrap()
                .affinity
                .is_none()
        );
    }
}
