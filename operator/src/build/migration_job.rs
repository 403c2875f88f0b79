//! The migration Job of a Rollout: the Rollout's `migration` command run with the NEW image,
//! built on [`super::job`], with the Marketplace's store connection wired like the API's
//! (the MongoDB URI as a read-only file, never as an env value).

use std::collections::BTreeMap;

use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::EnvVar;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use ogf_crds::Marketplace;
use ogf_crds::marketplace::DatabaseKind;
use ogf_crds::rollout::Migration;
use sha2::{Digest, Sha256};

use super::env::{DATA_DIR, DATA_MOUNT_PATH, LOG_FORMAT, MONGODB_DATABASE, STORE};
use super::job::{self, ApiJob, ClaimMount, JobComponent, SecretFiles};
use super::owner::Owner;
use crate::error::BuildError;

/// Label naming the Rollout a migration Job belongs to.
pub const ROLLOUT_LABEL: &str = "ogf.dev/rollout";
/// Env variable naming the file that holds the MongoDB URI.
pub const MONGODB_URI_FILE_ENV: &str = "OGF_MONGODB_URI_FILE";
/// Directory of the mounted MongoDB URI Secret.
pub const MONGODB_URI_DIR: &str = "/var/run/ogf/mongodb";
/// The MongoDB URI file (key `uri` of the mount).
pub const MONGODB_URI_FILE: &str = "/var/run/ogf/mongodb/uri";

/// Longest Rollout-name part of a Job name: `<base>-migrate-<6 hex>` fits in 63.
const MAX_BASE_LEN: usize = 63 - "-migrate".len() - 7;

/// Name of the migration Job of `rollout` for the attempt started by `retry` (the
/// `ogf.dev/retry` value acted on; `None` for the first attempt): every retry runs a new Job.
pub fn job_name(rollout: &str, retry: Option<&str>) -> String {
    let base = short(rollout, MAX_BASE_LEN);
    match retry {
        None => format!("{base}-migrate"),
        Some(value) => format!("{base}-migrate-{}", hex6(value)),
    }
}

/// Name of the one-shot pre-rollout Backup of `rollout` for the attempt started by `retry`:
/// `<rollout>-pre`, then `<rollout>-pre-<6 hex>` for each retry.
pub fn backup_name(rollout: &str, retry: Option<&str>) -> String {
    let base = short(rollout, 253 - "-pre".len() - 7);
    match retry {
        None => format!("{base}-pre"),
        Some(value) => format!("{base}-pre-{}", hex6(value)),
    }
}

fn hex6(value: &str) -> String {
    Sha256::digest(value.as_bytes())
        .iter()
        .take(3)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `name` lower-cased, or when longer than `max` its head and a 6-hex hash of the whole.
fn short(name: &str, max: usize) -> String {
    let name = name.to_ascii_lowercase();
    if name.len() <= max {
        return name;
    }
    let head: String = name.chars().take(max - 7).collect();
    format!("{}-{}", head.trim_end_matches(['-', '.']), hex6(&name))
}

/// What the migration Job is built from besides the Marketplace.
#[derive(Clone, Debug, PartialEq)]
pub struct MigrationParams<'a> {
    /// The Rollout's `spec.migration`.
    pub migration: &'a Migration,
    /// The Rollout's name (the [`ROLLOUT_LABEL`] value).
    pub rollout: &'a str,
    /// The Job's name ([`job_name`]).
    pub job_name: &'a str,
    /// The new image.
    pub image: &'a str,
    /// Controller owner reference to the Rollout.
    pub owner: OwnerReference,
    /// Extra labels on the Job and its pod (the operator's `--job-pod-label`).
    pub pod_labels: &'a BTreeMap<String, String>,
}

/// Builds the migration Job of `marketplace`.
pub fn build(marketplace: &Marketplace, params: &MigrationParams<'_>) -> Result<Job, BuildError> {
    let owner = Owner::of(marketplace)?;
    let database = marketplace
        .spec
        .database
        .kind()
        .ok_or(BuildError::DatabaseNotExactlyOne)?;
    let mut env = vec![plain(LOG_FORMAT, "json"), plain(STORE, database.as_str())];
    let mut secrets = Vec::new();
    let mut claims = Vec::new();
    match database {
        DatabaseKind::Embedded(_) => {
            env.push(plain(DATA_DIR, DATA_MOUNT_PATH));
            claims.push(ClaimMount {
                volume: "data".into(),
                claim_name: owner.pvc_name(),
                mount_path: DATA_MOUNT_PATH.into(),
                read_only: false,
            });
        }
        DatabaseKind::MongoDb(mongodb) => {
            env.push(plain(MONGODB_DATABASE, &mongodb.database));
            env.push(plain(MONGODB_URI_FILE_ENV, MONGODB_URI_FILE));
            secrets.push(SecretFiles {
                volume: "mongodb-uri".into(),
                secret_name: mongodb.uri_secret_ref.name.clone(),
                items: vec![(mongodb.uri_secret_ref.key.clone(), "uri".into())],
                mount_path: MONGODB_URI_DIR.into(),
            });
        }
    }
    // The user's plain values come last, except that they cannot replace the store wiring.
    for var in &params.migration.env {
        if !env.iter().any(|e| e.name == var.name) {
            env.push(plain(&var.name, &var.value));
        }
    }
    let mut extra_labels = params.pod_labels.clone();
    extra_labels.insert(ROLLOUT_LABEL.into(), short(params.rollout, 63));
    let api_job = ApiJob {
        name: params.job_name.to_string(),
        namespace: owner.namespace.clone(),
        instance: owner.name.clone(),
        component: JobComponent::Migration,
        owner: params.owner.clone(),
        image: params.image.to_string(),
        args: params.migration.args.clone(),
        secrets,
        // The embedded store's ReadWriteOnce volume is in use by the active color's pod.
        colocate_with_api: matches!(database, DatabaseKind::Embedded(_)),
        claims,
        active_deadline_seconds: params.migration.deadline_seconds,
        backoff_limit: params.migration.backoff_limit,
        extra_labels,
        image_pull_secrets: marketplace.spec.image_pull_secrets.clone(),
        node_selector: marketplace.spec.node_selector.clone(),
        tolerations: marketplace.spec.tolerations.clone(),
    };
    let mut built = job::build(&api_job);
    if let Some(container) = built
        .spec
        .as_mut()
        .and_then(|s| s.template.spec.as_mut())
        .and_then(|p| p.containers.first_mut())
    {
        container.env = Some(env);
        if !params.migration.command.is_empty() {
            container.command = Some(params.migration.command.clone());
        }
    }
    Ok(built)
}

fn plain(name: &str, value: &str) -> EnvVar {
    EnvVar {
        name: name.into(),
        value: Some(value.into()),
        ..EnvVar::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::build::labels;
    use serde_json::json;

    fn marketplace(database: serde_json::Value) -> Marketplace {
        let mut m: Marketplace = serde_json::from_value(json!({
            "apiVersion": "ogf.dev/v1alpha1", "kind": "Marketplace",
            "metadata": {"name": "shop", "namespace": "prod", "uid": "u-1"},
            "spec": {"image": "api:1", "database": database}
        }))
        .unwrap();
        m.metadata.uid = Some("u-1".into());
        m
    }

    fn migration(extra: serde_json::Value) -> Migration {
        let mut base = json!({"args": ["migrate", "--to", "latest"], "deadlineSeconds": 120});
        if let (Some(base), Some(extra)) = (base.as_object_mut(), extra.as_object()) {
            base.extend(extra.clone());
        }
        serde_json::from_value(base).unwrap()
    }

    fn owner() -> OwnerReference {
        OwnerReference {
            api_version: "ogf.dev/v1alpha1".into(),
            kind: "Rollout".into(),
            name: "to-2".into(),
            uid: "r-1".into(),
            controller: Some(true),
            block_owner_deletion: Some(true),
        }
    }

    fn built(database: serde_json::Value, migration: &Migration) -> Job {
        let pod_labels = BTreeMap::from([("ogf.dev/kwok-manual".to_string(), "true".into())]);
        build(
            &marketplace(database),
            &MigrationParams {
                migration,
                rollout: "to-2",
                job_name: "to-2-migrate",
                image: "api:2",
                owner: owner(),
                pod_labels: &pod_labels,
            },
        )
        .unwrap()
    }

    fn mongodb() -> serde_json::Value {
        json!({"mongodb": {"uriSecretRef": {"name": "mongo", "key": "connection"}, "database": "ogf"}})
    }

    #[test]
    fn runs_the_new_image_owned_by_the_rollout_with_the_deadline() {
        let job = built(mongodb(), &migration(json!({})));
        let labels = job.metadata.labels.clone().unwrap();
        assert_eq!(labels[labels::COMPONENT], "migration");
        assert_eq!(labels[labels::NAME], "ogf-api");
        assert_eq!(labels[ROLLOUT_LABEL], "to-2");
        assert_eq!(labels["ogf.dev/kwok-manual"], "true");
        assert_eq!(job.metadata.owner_references.unwrap()[0].kind, "Rollout");
        let spec = job.spec.unwrap();
        assert_eq!(spec.active_deadline_seconds, Some(120));
        assert_eq!(spec.backoff_limit, Some(0));
        let pod_labels = spec.template.metadata.unwrap().labels.unwrap();
        assert_eq!(pod_labels["ogf.dev/kwok-manual"], "true");
        let container = &spec.template.spec.unwrap().containers[0];
        assert_eq!(container.image.as_deref(), Some("api:2"));
        assert_eq!(
            container.args.as_deref(),
            Some(&["migrate".to_string(), "--to".into(), "latest".into()][..])
        );
        assert!(container.command.is_none());
    }

    #[test]
    fn the_mongodb_uri_is_a_file_and_no_env_value_is_secret() {
        let m = migration(json!({"env": [{"name": "MODE", "value": "expand"},
            {"name": "OGF_STORE", "value": "embedded"}]}));
        let job = built(mongodb(), &m);
        let pod = job.spec.unwrap().template.spec.unwrap();
        let container = &pod.containers[0];
        let env: BTreeMap<_, _> = container
            .env
            .clone()
            .unwrap()
            .into_iter()
            .map(|e| {
                assert!(e.value_from.is_none(), "{e:?}");
                (e.name, e.value.unwrap_or_default())
            })
            .collect();
        assert_eq!(env[STORE], "mongodb", "the user cannot re-point the store");
        assert_eq!(env[MONGODB_DATABASE], "ogf");
        assert_eq!(env[MONGODB_URI_FILE_ENV], MONGODB_URI_FILE);
        assert_eq!(env["MODE"], "expand");
        assert!(!env.values().any(|v| v.contains("mongodb://")));
        let volume = pod
            .volumes
            .unwrap()
            .into_iter()
            .find(|v| v.name == "mongodb-uri")
            .unwrap();
        let secret = volume.secret.unwrap();
        assert_eq!(secret.secret_name.as_deref(), Some("mongo"));
        let items = secret.items.unwrap();
        assert_eq!(
            (items[0].key.as_str(), items[0].path.as_str()),
            ("connection", "uri")
        );
        let mount = container
            .volume_mounts
            .clone()
            .unwrap()
            .into_iter()
            .find(|m| m.name == "mongodb-uri")
            .unwrap();
        assert_eq!(
            (mount.mount_path.as_str(), mount.read_only),
            (MONGODB_URI_DIR, Some(true))
        );
        assert!(pod.affinity.is_none());
    }

    #[test]
    fn the_embedded_store_mounts_its_claim_next_to_the_api() {
        let m = migration(json!({"command": ["ogf-api", "migrate"]}));
        let job = built(json!({"embedded": {"storageSize": "1Gi"}}), &m);
        let pod = job.spec.unwrap().template.spec.unwrap();
        let claim = pod
            .volumes
            .unwrap()
            .into_iter()
            .find_map(|v| v.persistent_volume_claim)
            .unwrap();
        assert_eq!(claim.claim_name, "shop-data");
        assert!(pod.affinity.unwrap().pod_affinity.is_some());
        let container = &pod.containers[0];
        assert_eq!(
            container.command.as_deref(),
            Some(&["ogf-api".to_string(), "migrate".into()][..])
        );
        let env = container.env.clone().unwrap();
        assert!(
            env.iter()
                .any(|e| e.name == DATA_DIR && e.value.as_deref() == Some(DATA_MOUNT_PATH))
        );
    }

    #[test]
    fn names_are_valid_and_new_for_every_retry() {
        assert_eq!(job_name("to-2", None), "to-2-migrate");
        assert_ne!(job_name("to-2", Some("1")), job_name("to-2", Some("2")));
        let long = "a".repeat(120);
        assert!(job_name(&long, Some("x")).len() <= 63);
        assert_ne!(job_name(&long, None), job_name(&"a".repeat(121), None));
        assert_eq!(backup_name("to-2", None), "to-2-pre");
        assert!(backup_name("to-2", Some("1")).starts_with("to-2-pre-"));
    }
}
