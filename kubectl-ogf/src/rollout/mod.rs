//! `kubectl ogf rollout start|promote|abort|retry|undo|status`: thin API calls around the pure
//! decisions in [`build`] and the rendering in [`view`].

pub mod build;
pub mod view;

use std::pin::pin;
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::jiff::Timestamp;
use kube::ResourceExt;
use kube::api::{Patch, PatchParams, PostParams};
use kube::runtime::watcher;
use ogf_crds::rollout::Step;
use ogf_crds::{Marketplace, Rollout};
use serde_json::Value;

use crate::cli::{Output, RolloutCommand};
use crate::cluster::Cluster;
use crate::error::{Error, Result};
use crate::format::{print_json, rfc3339};

/// Field manager of every write the plugin makes.
pub const FIELD_MANAGER: &str = "kubectl-ogf";

/// Runs one `rollout` subcommand.
pub async fn run(cluster: &Cluster, output: Output, command: RolloutCommand) -> Result<()> {
    match command {
        RolloutCommand::Start {
            marketplace,
            image,
            name,
            no_auto_promote,
        } => {
            // The Marketplace must exist: a Rollout of a missing one would only wait.
            cluster.get::<Marketplace>(&marketplace).await?;
            let prefix = build::name_prefix(&marketplace, &image);
            let rollout = build::new_rollout(
                &marketplace,
                &image,
                name.as_deref(),
                &prefix,
                !no_auto_promote,
            );
            let created = create(cluster, &rollout).await?;
            let hint = if no_auto_promote {
                format!(
                    "; promote with: kubectl ogf rollout promote {}",
                    created.name_any()
                )
            } else {
                String::new()
            };
            report(
                output,
                &created,
                "created",
                &format!("{marketplace} → {image}{hint}"),
            )
        }
        RolloutCommand::Promote { rollout } => {
            patch(cluster, output, &rollout, build::promote_patch, "promoted").await
        }
        RolloutCommand::Abort { rollout } => {
            patch(cluster, output, &rollout, build::abort_patch, "aborted").await
        }
        RolloutCommand::Retry { rollout } => {
            let token = rfc3339(&Timestamp::now());
            let retry = move |r: &Rollout| build::retry_patch(r, &token);
            patch(cluster, output, &rollout, retry, "retried").await
        }
        RolloutCommand::Undo { marketplace, name } => {
            let mkt = cluster.get::<Marketplace>(&marketplace).await?;
            let current = mkt
                .status
                .as_ref()
                .and_then(|s| s.image.clone())
                .unwrap_or_else(|| mkt.spec.image.clone());
            let rollouts = cluster.list::<Rollout>().await?;
            let plan = build::plan_undo(&marketplace, Some(&current), &rollouts)?;
            let prefix = build::dns_prefix(&format!("{marketplace}-undo"));
            let rollout =
                build::new_rollout(&marketplace, &plan.image, name.as_deref(), &prefix, true);
            let created = create(cluster, &rollout).await?;
            let detail = format!(
                "{marketplace} back to {} (the image before rollout {})",
                plan.image, plan.from_rollout
            );
            report(output, &created, "created", &detail)
        }
        RolloutCommand::Status {
            rollout,
            watch,
            timeout,
        } => {
            let current = cluster.get::<Rollout>(&rollout).await?;
            if !watch {
                return match output {
                    Output::Json => print_json(&current),
                    Output::Text => {
                        print!("{}", view::render(&current, &Timestamp::now()));
                        Ok(())
                    }
                };
            }
            follow(cluster, output, current, timeout).await
        }
    }
}

/// Creates `rollout`, returning the object as stored (with its generated name).
async fn create(cluster: &Cluster, rollout: &Rollout) -> Result<Rollout> {
    let params = PostParams {
        field_manager: Some(FIELD_MANAGER.into()),
        ..PostParams::default()
    };
    let what = rollout
        .metadata
        .name
        .clone()
        .or_else(|| {
            rollout
                .metadata
                .generate_name
                .clone()
                .map(|p| format!("{p}*"))
        })
        .unwrap_or_default();
    cluster
        .api::<Rollout>()
        .create(&params, rollout)
        .await
        .map_err(Error::kube(format!("create Rollout \"{what}\"")))
}

/// Gets `name`, builds a merge patch from it (which may refuse), and sends it guarded by the
/// resourceVersion read, so that a Rollout changed in between is not patched blindly.
async fn patch(
    cluster: &Cluster,
    output: Output,
    name: &str,
    build: impl FnOnce(&Rollout) -> Result<Value>,
    verb: &str,
) -> Result<()> {
    let current = cluster.get::<Rollout>(name).await?;
    let mut body = build(&current)?;
    if let (Some(meta), Some(version)) = (
        body.as_object_mut().map(|o| {
            o.entry("metadata")
                .or_insert_with(|| Value::Object(Default::default()))
        }),
        current.resource_version(),
    ) {
        meta["resourceVersion"] = Value::String(version);
    }
    let params = PatchParams {
        field_manager: Some(FIELD_MANAGER.into()),
        ..PatchParams::default()
    };
    let patched = cluster
        .api::<Rollout>()
        .patch(name, &params, &Patch::Merge(&body))
        .await
        .map_err(Error::kube(format!("patch Rollout \"{name}\"")))?;
    let phase = build::phase(&patched);
    report(output, &patched, verb, &format!("phase {phase}"))
}

/// Prints `rollout.ogf.dev/<name> <verb> (<detail>)`, or the object as JSON.
fn report(output: Output, rollout: &Rollout, verb: &str, detail: &str) -> Result<()> {
    match output {
        Output::Json => print_json(rollout),
        Output::Text => {
            println!("rollout.ogf.dev/{} {verb} ({detail})", rollout.name_any());
            Ok(())
        }
    }
}

/// Follows a Rollout with a watch, printing each new history step, until it reaches a
/// terminal phase (exit 0 only for Succeeded) or `timeout` passes (exit 1).
async fn follow(
    cluster: &Cluster,
    output: Output,
    initial: Rollout,
    timeout: Duration,
) -> Result<()> {
    let name = initial.name_any();
    let mut last_printed: Option<Step> = None;
    let mut last_seen = initial;
    let text = output == Output::Text;
    let watch = async {
        let mut events = pin!(watcher::watch_object(cluster.api::<Rollout>(), &name));
        let mut warned = false;
        while let Some(event) = events.next().await {
            let rollout = match event {
                Ok(Some(rollout)) => rollout,
                Ok(None) => return Err(cluster.not_found("Rollout", &name)),
                Err(e) => {
                    // The watcher re-lists by itself on its next poll; say so once, pause briefly.
                    if !warned {
                        eprintln!(
                            "warning: watch of rollout \"{name}\" interrupted: {e}; retrying"
                        );
                        warned = true;
                    }
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            };
            let steps = rollout
                .status
                .as_ref()
                .map(|s| s.steps.as_slice())
                .unwrap_or(&[]);
            for step in view::steps_after(steps, last_printed.as_ref()) {
                if text {
                    println!("{}", view::step_line(step));
                }
            }
            if let Some(step) = steps.last() {
                last_printed = Some(step.clone());
            }
            let outcome = view::outcome(&rollout);
            last_seen = rollout;
            if let Some(outcome) = outcome {
                return outcome;
            }
        }
        Err(Error::Unsuccessful(format!(
            "the watch of rollout \"{name}\" ended"
        )))
    };
    let result = tokio::time::timeout(timeout, watch).await;
    let result = result.unwrap_or_else(|_| {
        Err(Error::Unsuccessful(format!(
            "timed out after {}s waiting for rollout \"{name}\" (phase {})",
            timeout.as_secs(),
            build::phase(&last_seen)
        )))
    });
    match (output, result) {
        (Output::Json, Ok(_)) => print_json(&last_seen),
        (Output::Text, Ok(line)) => {
            println!("{line}");
            Ok(())
        }
        (_, Err(e)) => Err(e),
    }
}
