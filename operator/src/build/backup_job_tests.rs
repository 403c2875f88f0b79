use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{PodSpec, Volume};
use ogf_crds::{Backup, BackupSpec};
use serde_json::json;

use super::*;
use crate::build::job::BACKUP_APP_NAME;
use crate::build::labels;
use crate::build::test_support::{embedded, marketplace};

fn backup(spec: serde_json::Value) -> Backup {
    let spec: BackupSpec = serde_json::from_value(spec).expect("test spec parses");
    let mut backup = Backup::new("nightly", spec);
    backup.metadata.namespace = Some("shop".into());
    backup.metadata.uid = Some("uid-backup".into());
    backup
}

fn s3_backup() -> Backup {
    backup(json!({
        "marketplaceRef": {"name": "demo"},
        "schedule": "0 2 * * *",
        "destination": {"s3": {
            "endpoint": "http://minio:9000", "bucket": "backups", "prefix": "prod/demo",
            "region": "eu-west-1", "forcePathStyle": true,
            "credentialsSecretRef": {"name": "s3-creds"},
            "caSecretRef": {"name": "s3-ca", "key": "ca.pem"}
        }},
        "encryption": {"recipients": ["age1aaa", "age1bbb"],
                       "recipientsSecretRef": {"name": "escrow", "key": "keys"}},
        "compression": {"level": 9},
        "retention": {"keepLast": 7, "keepWeekly": 4, "maxAge": "90d"},
        "verify": 3,
        "verifyIdentitySecretRef": {"name": "verify-key", "key": "identity"},
        "activeDeadlineSeconds": 900,
        "backoffLimit": 2
    }))
}

fn volume_backup() -> Backup {
    backup(json!({
        "marketplaceRef": {"name": "demo"},
        "destination": {"volume": {"claimName": "backup-vol", "path": "ogf/demo"}},
        "encryption": {"recipients": ["age1aaa"]}
    }))
}

fn at(text: &str) -> Timestamp {
    text.parse().expect("timestamp")
}

fn backup_task() -> BackupTask {
    BackupTask::Backup {
        scheduled: at("2026-11-23T02:00:00Z"),
    }
}

fn args(job: &Job) -> Vec<String> {
    pod(job).containers[0].args.clone().unwrap_or_default()
}

fn pod(job: &Job) -> PodSpec {
    job.spec.clone().unwrap().template.spec.unwrap()
}

fn volume<'a>(pod: &'a PodSpec, name: &str) -> Option<&'a Volume> {
    pod.volumes.as_ref()?.iter().find(|v| v.name == name)
}

fn mount_path(pod: &PodSpec, name: &str) -> Option<String> {
    pod.containers[0]
        .volume_mounts
        .as_ref()?
        .iter()
        .find(|m| m.name == name)
        .map(|m| m.mount_path.clone())
}

fn strs(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[test]
fn job_names_are_dns_labels_and_artifact_ids() {
    assert_eq!(backup_task().job_name("nightly"), "nightly-20261123t020000");
    assert_eq!(
        BackupTask::Verify {
            artifact: "nightly-20261123t020000".into()
        }
        .job_name("nightly"),
        "nightly-20261123t020000-verify"
    );
    let long = "a-very-long-backup-name-that-goes-on-and-on-and-on-forever";
    let name = backup_task().job_name(long);
    assert!(name.len() <= 63 - 7, "{name}");
    assert_ne!(name, backup_task().job_name(&format!("{long}x")));
    let verify = BackupTask::Verify { artifact: name }.job_name(long);
    assert!(verify.len() <= 63, "{verify}");
    assert!(
        verify
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    );
    assert_eq!(short_name("Nightly"), "nightly");
}

#[test]
fn backup_job_args_follow_the_contract() {
    let job = build(
        &s3_backup(),
        &marketplace(),
        &backup_task(),
        &BTreeMap::new(),
    )
    .unwrap();
    assert_eq!(
        args(&job),
        strs(&[
            "backup",
            "--store",
            "mongodb",
            "--mongodb-uri-file",
            MONGODB_URI_FILE,
            "--mongodb-database",
            "ogf",
            "--destination",
            "s3://backups/prod/demo",
            "--s3-endpoint",
            "http://minio:9000",
            "--s3-region",
            "eu-west-1",
            "--s3-force-path-style",
            "--s3-ca-file",
            S3_CA_FILE,
            "--s3-credentials-dir",
            S3_CREDENTIALS_DIR,
            "--recipient",
            "age1aaa",
            "--recipient",
            "age1bbb",
            "--recipients-file",
            RECIPIENTS_FILE,
            "--compression-level",
            "9",
            "--id",
            "nightly-20261123t020000",
            "--result-file",
            "/dev/termination-log",
        ])
    );
}

#[test]
fn backup_job_mounts_every_secret_as_a_file_and_never_an_identity() {
    let job = build(
        &s3_backup(),
        &marketplace(),
        &backup_task(),
        &BTreeMap::new(),
    )
    .unwrap();
    let pod = pod(&job);
    for (name, secret, dir) in [
        ("mongodb-uri", "mongo", "/var/run/ogf/mongodb"),
        ("s3-credentials", "s3-creds", S3_CREDENTIALS_DIR),
        ("s3-ca", "s3-ca", "/var/run/ogf/s3-ca"),
        ("recipients", "escrow", "/var/run/ogf/recipients"),
    ] {
        let source = volume(&pod, name).and_then(|v| v.secret.as_ref()).unwrap();
        assert_eq!(source.secret_name.as_deref(), Some(secret), "{name}");
        assert_eq!(mount_path(&pod, name).as_deref(), Some(dir), "{name}");
    }
    let creds = volume(&pod, "s3-credentials")
        .unwrap()
        .secret
        .clone()
        .unwrap();
    let keys: Vec<_> = creds.items.unwrap().into_iter().map(|i| i.key).collect();
    assert_eq!(keys, vec!["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]);
    let ca = volume(&pod, "s3-ca").unwrap().secret.clone().unwrap();
    assert_eq!(ca.items.unwrap()[0].path, "ca.crt");
    assert!(
        volume(&pod, "identity").is_none(),
        "a backup never holds a key"
    );
    assert!(!args(&job).iter().any(|a| a.contains("identity")));
    assert!(pod.containers[0].env.is_none());
    assert!(pod.affinity.is_none(), "mongodb: no colocation");
}

#[test]
fn backup_job_is_labelled_annotated_owned_and_bounded() {
    let pod_labels = BTreeMap::from([("ogf.dev/kwok-manual".to_string(), "true".to_string())]);
    let job = build(&s3_backup(), &marketplace(), &backup_task(), &pod_labels).unwrap();
    let meta = &job.metadata;
    assert_eq!(meta.name.as_deref(), Some("nightly-20261123t020000"));
    let labels = meta.labels.clone().unwrap();
    assert_eq!(labels[labels::NAME], BACKUP_APP_NAME);
    assert_eq!(labels[labels::INSTANCE], "demo");
    assert_eq!(labels[labels::COMPONENT], "backup");
    assert_eq!(labels[BACKUP_LABEL], "nightly");
    assert_eq!(labels["ogf.dev/kwok-manual"], "true");
    assert_eq!(
        meta.annotations.clone().unwrap()[SCHEDULED_AT],
        "2026-11-23T02:00:00Z"
    );
    let owner = &meta.owner_references.clone().unwrap()[0];
    assert_eq!(
        (owner.kind.as_str(), owner.uid.as_str()),
        ("Backup", "uid-backup")
    );
    let spec = job.spec.clone().unwrap();
    assert_eq!(spec.active_deadline_seconds, Some(900));
    assert_eq!(spec.backoff_limit, Some(2));
    let template_labels = spec.template.metadata.unwrap().labels.unwrap();
    assert_eq!(template_labels["ogf.dev/kwok-manual"], "true");
    assert_eq!(
        pod(&job).containers[0].image.as_deref(),
        Some("ghcr.io/ogf-dev/ogf-api:1.0.0")
    );
}

#[test]
fn embedded_backup_mounts_the_data_claim_and_runs_beside_the_api() {
    let job = build(
        &volume_backup(),
        &embedded(),
        &backup_task(),
        &BTreeMap::new(),
    )
    .unwrap();
    let pod = pod(&job);
    assert_eq!(
        args(&job),
        strs(&[
            "backup",
            "--store",
            "embedded",
            "--data-dir",
            "/var/lib/ogf",
            "--destination",
            "file:///var/run/ogf/destination/ogf/demo",
            "--recipient",
            "age1aaa",
            "--compression-level",
            "1",
            "--id",
            "nightly-20261123t020000",
            "--result-file",
            "/dev/termination-log",
        ])
    );
    let data = volume(&pod, "data")
        .unwrap()
        .persistent_volume_claim
        .clone()
        .unwrap();
    assert_eq!(data.claim_name, "demo-data");
    assert_eq!(mount_path(&pod, "data").as_deref(), Some("/var/lib/ogf"));
    let dest = volume(&pod, "destination")
        .unwrap()
        .persistent_volume_claim
        .clone()
        .unwrap();
    assert_eq!(dest.claim_name, "backup-vol");
    assert_eq!(
        mount_path(&pod, "destination").as_deref(),
        Some(DESTINATION_MOUNT_PATH)
    );
    assert!(pod.affinity.unwrap().pod_affinity.is_some());
}

#[test]
fn image_follows_the_marketplace_status() {
    let mut market = marketplace();
    market.status = Some(ogf_crds::MarketplaceStatus {
        image: Some("ghcr.io/ogf-dev/ogf-api:1.1.0".into()),
        ..Default::default()
    });
    let job = build(&s3_backup(), &market, &backup_task(), &BTreeMap::new()).unwrap();
    assert_eq!(
        pod(&job).containers[0].image.as_deref(),
        Some("ghcr.io/ogf-dev/ogf-api:1.1.0")
    );
}

#[test]
fn verify_job_mounts_the_identity_and_not_the_live_data() {
    let task = BackupTask::Verify {
        artifact: "nightly-20261123t020000".into(),
    };
    let job = build(&s3_backup(), &marketplace(), &task, &BTreeMap::new()).unwrap();
    let a = args(&job);
    assert_eq!(a[..2], strs(&["backup", "verify"]));
    assert!(
        a.windows(2)
            .any(|w| w == ["--artifact", "nightly-20261123t020000"])
    );
    assert!(
        a.windows(2)
            .any(|w| w == ["--identity-file", IDENTITY_FILE])
    );
    assert!(
        a.windows(2)
            .any(|w| w == ["--mongodb-uri-file", MONGODB_URI_FILE])
    );
    assert!(!a.iter().any(|x| x.starts_with("--recipient")));
    let pod = pod(&job);
    let identity = volume(&pod, "identity").unwrap().secret.clone().unwrap();
    assert_eq!(identity.secret_name.as_deref(), Some("verify-key"));
    assert_eq!(identity.items.unwrap()[0].key, "identity");
    let labels = job.metadata.labels.unwrap();
    assert_eq!(labels[labels::COMPONENT], "verify");
    assert_eq!(labels[ARTIFACT_LABEL], "nightly-20261123t020000");

    let embedded_job = build(
        &volume_backup_verified(),
        &embedded(),
        &task,
        &BTreeMap::new(),
    )
    .unwrap();
    let embedded_pod = embedded_job.spec.unwrap().template.spec.unwrap();
    assert!(
        volume(&embedded_pod, "data").is_none(),
        "scratch restore only"
    );
    assert!(embedded_pod.affinity.is_none());
}

fn volume_backup_verified() -> Backup {
    let mut b = volume_backup();
    b.spec.verify =
        k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::String("always".into());
    b.spec.verify_identity_secret_ref = Some(ogf_crds::marketplace::SecretKeyRef {
        name: "k".into(),
        key: "identity".into(),
    });
    b
}

#[test]
fn verify_without_identity_is_an_error() {
    let task = BackupTask::Verify {
        artifact: "x".into(),
    };
    assert_eq!(
        build(&volume_backup(), &embedded(), &task, &BTreeMap::new()),
        Err(BackupJobError::NoVerifyIdentity)
    );
}

#[test]
fn prune_job_translates_retention() {
    let task = BackupTask::Prune {
        artifact: "nightly-20261123t020000".into(),
    };
    let job = build(&s3_backup(), &marketplace(), &task, &BTreeMap::new()).unwrap();
    let a = args(&job);
    assert_eq!(a[..2], strs(&["backup", "prune"]));
    assert!(
        !a.iter().any(|x| x == "--store"),
        "prune touches no database"
    );
    let tail: Vec<_> = a
        .iter()
        .skip_while(|x| *x != "--keep-last")
        .cloned()
        .collect();
    assert_eq!(
        tail,
        strs(&[
            "--keep-last",
            "7",
            "--keep-weekly",
            "4",
            "--max-age",
            "90d",
            "--result-file",
            "/dev/termination-log"
        ])
    );
    let pod = pod(&job);
    assert!(volume(&pod, "mongodb-uri").is_none());
    assert!(volume(&pod, "s3-credentials").is_some());
    assert_eq!(job.metadata.labels.unwrap()[labels::COMPONENT], "prune");
    assert!(prune_flags(None).is_empty());
}
