//! `kubectl ogf restore <backup>`: creates a Restore of one of the Backup's artifacts, in place
//! into the Backup's Marketplace or (`--into`) bootstrapping a new Marketplace.

use kube::ResourceExt;
use kube::api::{ObjectMeta, PostParams};
use ogf_crds::backup::LocalObjectRef;
use ogf_crds::marketplace::SecretKeyRef;
use ogf_crds::restore::{RestoreSource, RestoreTarget};
use ogf_crds::rollout::MarketplaceRef;
use ogf_crds::{Backup, Restore, RestoreSpec};

use crate::cli::{Output, RestoreArgs, SecretKeyArg};
use crate::cluster::Cluster;
use crate::error::{Error, Result};
use crate::format::print_json;
use crate::rollout::FIELD_MANAGER;
use crate::rollout::build::dns_prefix;

/// Seconds the restore Job may run (the CRD's default).
const DEFAULT_DEADLINE_SECONDS: i64 = 3600;

/// Runs `restore`.
pub async fn run(cluster: &Cluster, output: Output, args: RestoreArgs) -> Result<()> {
    let backup = cluster.get::<Backup>(&args.backup).await?;
    let request = RestoreRequest {
        artifact: args.artifact.as_deref(),
        into: args.into.as_deref(),
        key: &args.key_secret,
        name: args.name.as_deref(),
    };
    let plan = plan_restore(&backup, &request)?;
    let restores = cluster.list::<Restore>().await?;
    if let Some(busy) = in_progress(&restores, &plan.marketplace) {
        return Err(Error::Refused(format!(
            "restore \"{}\" of marketplace \"{}\" is still in progress ({}); wait for it to finish",
            busy.name_any(),
            plan.marketplace,
            busy.status.clone().unwrap_or_default().phase
        )));
    }
    if let Some(warning) = &plan.warning {
        eprintln!("warning: {warning}");
    }
    let params = PostParams {
        field_manager: Some(FIELD_MANAGER.into()),
        ..PostParams::default()
    };
    let created = cluster
        .api::<Restore>()
        .create(&params, &plan.restore)
        .await
        .map_err(Error::kube(format!(
            "create a Restore of marketplace \"{}\"",
            plan.marketplace
        )))?;
    match output {
        Output::Json => print_json(&created),
        Output::Text => {
            println!(
                "restore.ogf.dev/{} created ({})",
                created.name_any(),
                plan.description
            );
            Ok(())
        }
    }
}

/// The options of a restore.
#[derive(Debug, Clone, Copy)]
pub struct RestoreRequest<'a> {
    /// The artifact id; the newest when absent.
    pub artifact: Option<&'a str>,
    /// A new Marketplace to bootstrap; in place when absent.
    pub into: Option<&'a str>,
    /// The Secret key holding the age identity.
    pub key: &'a SecretKeyArg,
    /// The Restore's name; generated when absent.
    pub name: Option<&'a str>,
}

/// A Restore ready to create, and what to tell the user.
#[derive(Debug, Clone, PartialEq)]
pub struct RestorePlan {
    /// The object to create.
    pub restore: Restore,
    /// The Marketplace whose store is replaced.
    pub marketplace: String,
    /// One line for the user: what goes where.
    pub description: String,
    /// A caution that does not stop the restore (an artifact id not in the Backup's history).
    pub warning: Option<String>,
}

/// The Restore for `backup` and `request`. Refused when no artifact is named and the Backup
/// has none yet (the operator would fail the Restore for the same reason).
pub fn plan_restore(backup: &Backup, request: &RestoreRequest<'_>) -> Result<RestorePlan> {
    let backup_name = backup.name_any();
    let artifacts = backup
        .status
        .as_ref()
        .map(|s| s.artifacts.as_slice())
        .unwrap_or(&[]);
    let (artifact_text, warning) = match request.artifact {
        Some(id) if artifacts.iter().any(|a| a.id == id) => (format!("artifact {id}"), None),
        Some(id) => (
            format!("artifact {id}"),
            Some(format!(
                "artifact {id} is not in the history of backup \"{backup_name}\" (kubectl ogf backup list {backup_name}); the restore looks for it in the backup's destination"
            )),
        ),
        None => match artifacts.first() {
            Some(newest) => (format!("newest artifact {}", newest.id), None),
            None => {
                return Err(Error::Refused(format!(
                    "backup \"{backup_name}\" has no artifacts yet: nothing to restore (name one with --artifact ID)"
                )));
            }
        },
    };
    let (marketplace, marketplace_ref, target) = match request.into {
        Some(name) => (
            name.to_string(),
            None,
            Some(RestoreTarget { name: name.into() }),
        ),
        None => {
            let name = backup.spec.marketplace_ref.name.clone();
            (name.clone(), Some(MarketplaceRef { name }), None)
        }
    };
    let description = match request.into {
        Some(_) => format!(
            "{artifact_text} of backup {backup_name} into the new marketplace {marketplace}, which starts serving once the data is in"
        ),
        None => format!(
            "{artifact_text} of backup {backup_name} in place into marketplace {marketplace}; its API is stopped until the restore finishes"
        ),
    };
    let restore = Restore {
        metadata: ObjectMeta {
            name: request.name.map(str::to_string),
            generate_name: request
                .name
                .is_none()
                .then(|| dns_prefix(&format!("{marketplace}-restore"))),
            labels: Some(
                [(
                    "app.kubernetes.io/instance".to_string(),
                    marketplace.clone(),
                )]
                .into(),
            ),
            ..ObjectMeta::default()
        },
        spec: RestoreSpec {
            marketplace_ref,
            target,
            source: RestoreSource {
                backup_ref: Some(LocalObjectRef { name: backup_name }),
                location: None,
                artifact_id: request.artifact.map(str::to_string),
            },
            decryption_key_secret_ref: SecretKeyRef {
                name: request.key.name.clone(),
                key: request.key.key.clone(),
            },
            active_deadline_seconds: DEFAULT_DEADLINE_SECONDS,
        },
        status: None,
    };
    Ok(RestorePlan {
        restore,
        marketplace,
        description,
        warning,
    })
}

/// A Restore of `marketplace` that has not finished (no status yet counts as Pending).
pub fn in_progress<'a>(restores: &'a [Restore], marketplace: &str) -> Option<&'a Restore> {
    restores.iter().find(|r| {
        r.spec.marketplace_name() == Some(marketplace)
            && !r.status.as_ref().is_some_and(|s| s.phase.is_terminal())
    })
}

#[cfg(test)]
#[path = "restore_tests.rs"]
mod tests;
