use super::*;
use crate::build::labels;
use crate::build::test_support::{embedded, marketplace};
use k8s_openapi::api::core::v1::PodSpec;
use ogf_crds::RestoreSpec;
use serde_json::json;

fn restore(spec: serde_json::Value) -> Restore {
    let spec: RestoreSpec = serde_json::from_value(spec).expect("restore spec");
    let mut restore = Restore::new("monday", spec);
    restore.metadata.namespace = Some("shop".into());
    restore.metadata.uid = Some("uid-restore".into());
    restore
}

fn in_place() -> Restore {
    restore(json!({
        "marketplaceRef": {"name": "demo"},
        "source": {"backupRef": {"name": "nightly"}},
        "decryptionKeySecretRef": {"name": "age", "key": "identity"},
        "activeDeadlineSeconds": 120
    }))
}

fn s3() -> Destination {
    serde_json::from_value(json!({"s3": {
        "endpoint": "http://minio:9000", "bucket": "backups", "prefix": "prod/demo",
        "region": "eu-1", "forcePathStyle": true,
        "credentialsSecretRef": {"name": "s3"},
        "caSecretRef": {"name": "minio-ca", "key": "ca.crt"}
    }}))
    .expect("destination")
}

fn volume() -> Destination {
    serde_json::from_value(json!({"volume": {"claimName": "backups", "path": "demo"}}))
        .expect("destination")
}

fn built(mkt: &Marketplace, restore: &Restore, dest: &Destination, artifact: Option<&str>) -> Job {
    let labels = BTreeMap::from([("ogf.dev/kwok-manual".to_string(), "true".to_string())]);
    build(
        mkt,
        &RestoreJobParams {
            restore,
            destination: dest,
            artifact,
            pod_labels: &labels,
        },
    )
    .expect("job")
}

fn pod(job: &Job) -> PodSpec {
    job.spec.clone().unwrap().template.spec.unwrap()
}

fn args(job: &Job) -> Vec<String> {
    pod(job).containers[0].args.clone().unwrap()
}

fn flag<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(String::as_str)
}

#[test]
fn embedded_restore_from_s3_follows_the_contract() {
    let job = built(
        &embedded(),
        &in_place(),
        &s3(),
        Some("20261123T020000Z-1a2b3c"),
    );
    let args = args(&job);
    assert_eq!(args[0], "restore");
    assert_eq!(flag(&args, "--store"), Some("embedded"));
    assert_eq!(flag(&args, "--data-dir"), Some("/var/lib/ogf"));
    assert_eq!(flag(&args, "--destination"), Some("s3://backups/prod/demo"));
    assert_eq!(flag(&args, "--s3-endpoint"), Some("http://minio:9000"));
    assert_eq!(flag(&args, "--s3-region"), Some("eu-1"));
    assert!(args.iter().any(|a| a == "--s3-force-path-style"));
    assert_eq!(
        flag(&args, "--s3-credentials-dir"),
        Some(S3_CREDENTIALS_DIR)
    );
    assert_eq!(flag(&args, "--s3-ca-file"), Some(S3_CA_FILE));
    assert_eq!(flag(&args, "--artifact"), Some("20261123T020000Z-1a2b3c"));
    assert_eq!(flag(&args, "--identity-file"), Some(IDENTITY_FILE));
    assert_eq!(flag(&args, "--result-file"), Some("/dev/termination-log"));

    let pod = pod(&job);
    let data = pod
        .volumes
        .as_ref()
        .unwrap()
        .iter()
        .find(|v| v.name == "data")
        .unwrap();
    let claim = data.persistent_volume_claim.as_ref().unwrap();
    assert_eq!(claim.claim_name, "demo-data");
    assert_eq!(
        claim.read_only,
        Some(false),
        "the API is stopped: read-write"
    );
    assert!(pod.affinity.is_none(), "no API pods to colocate with");
    let identity = pod
        .volumes
        .as_ref()
        .unwrap()
        .iter()
        .find(|v| v.name == "identity")
        .unwrap()
        .secret
        .clone()
        .unwrap();
    assert_eq!(identity.secret_name.as_deref(), Some("age"));
    let item = &identity.items.unwrap()[0];
    assert_eq!(
        (item.key.as_str(), item.path.as_str()),
        ("identity", "identity")
    );
    assert!(
        pod.containers[0].env.is_none(),
        "secrets are files, never env"
    );
}

#[test]
fn mongodb_restore_mounts_the_uri_and_a_read_only_volume_destination() {
    let job = built(&marketplace(), &in_place(), &volume(), None);
    let args = args(&job);
    assert_eq!(flag(&args, "--store"), Some("mongodb"));
    assert_eq!(flag(&args, "--mongodb-uri-file"), Some(MONGODB_URI_FILE));
    assert_eq!(flag(&args, "--mongodb-database"), Some("ogf"));
    assert_eq!(
        flag(&args, "--destination"),
        Some("file:///var/run/ogf/destination/demo")
    );
    assert_eq!(flag(&args, "--artifact"), Some("latest"));
    assert!(!args.iter().any(|a| a.starts_with("--s3")));
    let pod = pod(&job);
    let mount = pod.containers[0]
        .volume_mounts
        .as_ref()
        .unwrap()
        .iter()
        .find(|m| m.name == "destination")
        .unwrap();
    assert_eq!(mount.read_only, Some(true));
    assert_eq!(mount.mount_path, DESTINATION_MOUNT_PATH);
    let uri = pod
        .volumes
        .as_ref()
        .unwrap()
        .iter()
        .find(|v| v.name == "mongodb")
        .unwrap()
        .secret
        .clone()
        .unwrap();
    assert_eq!(uri.secret_name.as_deref(), Some("mongo"));
}

#[test]
fn job_is_labelled_owned_and_bounded() {
    let job = built(&embedded(), &in_place(), &s3(), None);
    assert_eq!(job.metadata.name.as_deref(), Some("monday-restore"));
    let meta_labels = job.metadata.labels.clone().unwrap();
    assert_eq!(meta_labels[labels::NAME], "ogf-backup");
    assert_eq!(meta_labels[labels::COMPONENT], "restore");
    assert_eq!(meta_labels[labels::INSTANCE], "demo");
    assert_eq!(meta_labels[RESTORE_LABEL], "monday");
    assert_eq!(meta_labels["ogf.dev/kwok-manual"], "true");
    let owner = &job.metadata.owner_references.clone().unwrap()[0];
    assert_eq!(
        (owner.kind.as_str(), owner.uid.as_str()),
        ("Restore", "uid-restore")
    );
    let spec = job.spec.unwrap();
    assert_eq!(spec.active_deadline_seconds, Some(120));
    assert_eq!(spec.backoff_limit, Some(0));
}

#[test]
fn long_names_are_shortened_deterministically() {
    let long = "a".repeat(80);
    let name = job_name(&long);
    assert!(name.len() <= 63, "{name}");
    assert_eq!(name, job_name(&long));
    assert!(name.ends_with("-restore"));
    assert_eq!(label_value(&long), name);
    assert_eq!(label_value("monday"), "monday");
}

#[test]
fn a_restore_without_uid_is_refused() {
    let mut restore = in_place();
    restore.metadata.uid = None;
    let labels = BTreeMap::new();
    let params = RestoreJobParams {
        restore: &restore,
        destination: &s3(),
        artifact: None,
        pod_labels: &labels,
    };
    assert_eq!(
        build(&embedded(), &params),
        Err(RestoreJobError::MissingUid)
    );
}
