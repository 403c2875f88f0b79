//! Pure decisions of the rollout commands: the Rollouts to create, the patches to send, and
//! whether an operation makes sense in a Rollout's current phase.

use kube::ResourceExt;
use kube::api::ObjectMeta;
use ogf_crds::rollout::{BlueGreen, MarketplaceRef, RETRY_ANNOTATION, Strategy};
use ogf_crds::{Phase, Rollout, RolloutSpec};
use serde_json::{Value, json};

use crate::error::{Error, Result};

/// Longest `generateName` prefix: the API server appends 5 characters, and the Rollout's name
/// prefixes the names of the Jobs and Backups it creates.
const MAX_PREFIX_LEN: usize = 40;

/// The phase of a Rollout; `Pending` before the operator has written a status.
pub fn phase(rollout: &Rollout) -> Phase {
    rollout.status.as_ref().map(|s| s.phase).unwrap_or_default()
}

/// The `generateName` prefix of a Rollout to `image`: `<marketplace>-<tag>-`, e.g.
/// `shop-1-5-0-` for `ghcr.io/ogf-dev/ogf-api:1.5.0`.
pub fn name_prefix(marketplace: &str, image: &str) -> String {
    let tag = image_tag(image);
    dns_prefix(&format!("{marketplace}-{tag}"))
}

/// The tag of an image reference (`1.5.0`), the digest's first hex digits, or `latest`.
fn image_tag(image: &str) -> String {
    if let Some((_, digest)) = image.split_once('@') {
        let hex = digest.split_once(':').map_or(digest, |(_, hex)| hex);
        return hex.chars().take(12).collect();
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    match last.split_once(':') {
        Some((_, tag)) if !tag.is_empty() => tag.to_string(),
        _ => "latest".into(),
    }
}

/// `base` as a DNS-label prefix ending in `-`: lower case, other characters as `-`, no
/// repeated dashes, at most [`MAX_PREFIX_LEN`] characters.
pub fn dns_prefix(base: &str) -> String {
    let mut out = String::new();
    for c in base.chars() {
        let c = c.to_ascii_lowercase();
        let c = if c.is_ascii_alphanumeric() { c } else { '-' };
        if !(c == '-' && (out.is_empty() || out.ends_with('-'))) {
            out.push(c);
        }
    }
    out.truncate(MAX_PREFIX_LEN - 1);
    let mut out = out.trim_end_matches('-').to_string();
    out.push('-');
    out
}

/// A new Rollout of `marketplace` to `image`: named `name`, or generated from
/// [`name_prefix`] (`generate_prefix`) by the API server.
pub fn new_rollout(
    marketplace: &str,
    image: &str,
    name: Option<&str>,
    generate_prefix: &str,
    auto_promote: bool,
) -> Rollout {
    Rollout {
        metadata: ObjectMeta {
            name: name.map(str::to_string),
            generate_name: name.is_none().then(|| generate_prefix.to_string()),
            labels: Some(
                [(
                    "app.kubernetes.io/instance".to_string(),
                    marketplace.to_string(),
                )]
                .into(),
            ),
            ..ObjectMeta::default()
        },
        spec: RolloutSpec {
            marketplace_ref: MarketplaceRef {
                name: marketplace.into(),
            },
            image: image.into(),
            config: None,
            resources: None,
            strategy: Strategy {
                blue_green: BlueGreen {
                    auto_promote,
                    ..BlueGreen::default()
                },
            },
            progress_deadline_seconds: 600,
            pre_rollout_backup: None,
            migration: None,
            promote: false,
            abort: false,
        },
        status: None,
    }
}

/// The merge patch that promotes a Rollout, after checking that it still can be promoted.
pub fn promote_patch(rollout: &Rollout) -> Result<Value> {
    let name = rollout.name_any();
    let phase = phase(rollout);
    if phase.is_terminal() {
        return Err(Error::Refused(format!(
            "rollout \"{name}\" has already finished ({phase}): nothing to promote"
        )));
    }
    if rollout.spec.abort {
        return Err(Error::Refused(format!(
            "rollout \"{name}\" is being aborted: retry it first (kubectl ogf rollout retry {name})"
        )));
    }
    Ok(json!({"spec": {"promote": true}}))
}

/// The merge patch that aborts a Rollout, after checking that it has not finished.
pub fn abort_patch(rollout: &Rollout) -> Result<Value> {
    let name = rollout.name_any();
    let phase = phase(rollout);
    if phase.is_terminal() {
        let hint = if phase == Phase::Succeeded {
            format!(
                "; to go back, run kubectl ogf rollout undo {}",
                rollout.spec.marketplace_ref.name
            )
        } else {
            String::new()
        };
        return Err(Error::Refused(format!(
            "rollout \"{name}\" has already finished ({phase}): nothing to abort{hint}"
        )));
    }
    Ok(json!({"spec": {"abort": true}}))
}

/// The merge patch that retries a finished, unsuccessful Rollout: a new `ogf.dev/retry` value
/// (`token`, e.g. the current time) and `spec.abort` back to false, which would otherwise abort
/// the retry at once.
pub fn retry_patch(rollout: &Rollout, token: &str) -> Result<Value> {
    let name = rollout.name_any();
    let phase = phase(rollout);
    if !matches!(phase, Phase::Aborted | Phase::RolledBack | Phase::Failed) {
        return Err(Error::Refused(format!(
            "rollout \"{name}\" is {phase}: only Aborted, RolledBack or Failed Rollouts can be retried"
        )));
    }
    Ok(json!({
        "metadata": {"annotations": {RETRY_ANNOTATION: token}},
        "spec": {"abort": false, "promote": false},
    }))
}

/// What `rollout undo` rolls back to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UndoPlan {
    /// The newest succeeded Rollout, whose `status.stableImage` is restored.
    pub from_rollout: String,
    /// The image to roll back to.
    pub image: String,
}

/// The image `rollout undo` goes back to: the `status.stableImage` of the newest Succeeded
/// Rollout of `marketplace`. Refused while a Rollout of it is in progress, when none has
/// succeeded, or when the Marketplace already runs that image (`current_image`).
pub fn plan_undo(
    marketplace: &str,
    current_image: Option<&str>,
    rollouts: &[Rollout],
) -> Result<UndoPlan> {
    let mine: Vec<&Rollout> = rollouts
        .iter()
        .filter(|r| r.spec.marketplace_ref.name == marketplace)
        .collect();
    if let Some(running) = mine.iter().find(|r| !phase(r).is_terminal()) {
        let name = running.name_any();
        return Err(Error::Refused(format!(
            "rollout \"{name}\" of marketplace \"{marketplace}\" is in progress ({}): abort it instead (kubectl ogf rollout abort {name})",
            phase(running)
        )));
    }
    let newest = mine
        .iter()
        .filter(|r| phase(r) == Phase::Succeeded)
        .max_by_key(|r| finished_at(r))
        .ok_or_else(|| {
            Error::Refused(format!(
                "marketplace \"{marketplace}\" has no Succeeded Rollout: there is no previous image to go back to"
            ))
        })?;
    let from_rollout = newest.name_any();
    let image = newest
        .status
        .as_ref()
        .and_then(|s| s.stable_image.clone())
        .filter(|i| !i.is_empty())
        .ok_or_else(|| {
            Error::Refused(format!(
                "rollout \"{from_rollout}\" recorded no previous image (status.stableImage): nothing to go back to"
            ))
        })?;
    if current_image == Some(image.as_str()) {
        return Err(Error::Refused(format!(
            "marketplace \"{marketplace}\" already runs {image}, the image before rollout \"{from_rollout}\""
        )));
    }
    Ok(UndoPlan {
        from_rollout,
        image,
    })
}

/// When a Rollout finished, for ordering: the newest history step, else the phase's start,
/// else its creation (seconds since the epoch).
fn finished_at(rollout: &Rollout) -> i64 {
    let status = rollout.status.as_ref();
    status
        .and_then(|s| s.steps.last().map(|step| &step.at))
        .or_else(|| status.and_then(|s| s.phase_started_at.as_ref()))
        .or(rollout.metadata.creation_timestamp.as_ref())
        .map_or(i64::MIN, |t| t.0.as_second())
}

#[cfg(test)]
#[path = "build_tests.rs"]
mod tests;
