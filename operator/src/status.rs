//! Conditions and status of a Marketplace, computed from what the reconciler observed.

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use ogf_crds::{Color, Condition, ConditionStatus, ConditionType, MarketplaceStatus};

/// A spec or environment problem the reconciler found (missing Secret, invalid reference, ...).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// CamelCase reason, e.g. `SecretNotFound`.
    pub reason: String,
    /// What is wrong and how to fix it.
    pub message: String,
}

/// What the reconciler saw, the input of [`compute`].
#[derive(Clone, Copy, Debug)]
pub struct Observed<'a> {
    /// `metadata.generation` of the Marketplace.
    pub generation: Option<i64>,
    /// `spec.paused`.
    pub paused: bool,
    /// The active color.
    pub active_color: Color,
    /// The active color's Deployment as last read, if it exists.
    pub deployment: Option<&'a Deployment>,
    /// A problem that keeps the spec from being met.
    pub problem: Option<&'a Problem>,
    /// The URL clients use.
    pub endpoint: &'a str,
    /// Things asked for but left out (e.g. a ServiceMonitor without its API), appended to
    /// the Ready message so users see them.
    pub notes: &'a [String],
}

/// Replaces the condition of the same type, keeping `lastTransitionTime` when the status is unchanged.
pub fn set_condition(conditions: &mut Vec<Condition>, mut new: Condition) {
    match conditions.iter_mut().find(|c| c.type_ == new.type_) {
        Some(existing) => {
            if existing.status == new.status {
                new.last_transition_time = existing.last_transition_time.clone();
            }
            *existing = new;
        }
        None => conditions.push(new),
    }
}

/// A condition observed at `now` for `generation`.
pub fn condition(
    kind: ConditionType,
    status: ConditionStatus,
    reason: &str,
    message: impl Into<String>,
    generation: Option<i64>,
    now: &Time,
) -> Condition {
    Condition {
        type_: kind.as_str().into(),
        status: status.as_str().into(),
        reason: reason.into(),
        message: message.into(),
        last_transition_time: now.clone(),
        observed_generation: generation,
    }
}

/// The new status: `previous` conditions updated from `observed` at `now`.
pub fn compute(
    previous: Option<&MarketplaceStatus>,
    observed: &Observed<'_>,
    now: &Time,
) -> MarketplaceStatus {
    let mut conditions = previous.map(|p| p.conditions.clone()).unwrap_or_default();
    let rollout = observed.deployment.map(Rollout::of);
    let make = |kind, status, reason: &str, message: String| {
        condition(kind, status, reason, message, observed.generation, now)
    };

    let ready = match (observed.problem, &rollout) {
        (Some(problem), _) => make(
            ConditionType::Ready,
            ConditionStatus::False,
            &problem.reason,
            problem.message.clone(),
        ),
        (None, None) => make(
            ConditionType::Ready,
            ConditionStatus::False,
            "DeploymentMissing",
            "the active Deployment does not exist yet".into(),
        ),
        (None, Some(r)) if r.desired == 0 => make(
            ConditionType::Ready,
            ConditionStatus::True,
            "ScaledToZero",
            "replicas is 0".into(),
        ),
        (None, Some(r)) if r.ready >= r.desired => make(
            ConditionType::Ready,
            ConditionStatus::True,
            "AllReplicasReady",
            format!("{} of {} replicas ready", r.ready, r.desired),
        ),
        (None, Some(r)) => make(
            ConditionType::Ready,
            ConditionStatus::False,
            "ReplicasNotReady",
            format!("{} of {} replicas ready", r.ready, r.desired),
        ),
    };
    let progressing = match &rollout {
        _ if observed.paused => make(
            ConditionType::Progressing,
            ConditionStatus::False,
            "Paused",
            "spec.paused is true: the operator makes no changes".into(),
        ),
        None => make(
            ConditionType::Progressing,
            ConditionStatus::True,
            "Creating",
            "creating the owned objects".into(),
        ),
        Some(r) if r.deadline_exceeded => make(
            ConditionType::Progressing,
            ConditionStatus::False,
            "ProgressDeadlineExceeded",
            r.message.clone(),
        ),
        Some(r) if !r.complete => make(
            ConditionType::Progressing,
            ConditionStatus::True,
            "RollingOut",
            r.message.clone(),
        ),
        Some(_) => make(
            ConditionType::Progressing,
            ConditionStatus::False,
            "RolloutComplete",
            "the active color is up to date".into(),
        ),
    };
    let degraded = match (observed.problem, &rollout) {
        (Some(problem), _) => make(
            ConditionType::Degraded,
            ConditionStatus::True,
            &problem.reason,
            problem.message.clone(),
        ),
        (None, Some(r)) if r.deadline_exceeded => make(
            ConditionType::Degraded,
            ConditionStatus::True,
            "ProgressDeadlineExceeded",
            r.message.clone(),
        ),
        _ => make(
            ConditionType::Degraded,
            ConditionStatus::False,
            "AsExpected",
            String::new(),
        ),
    };
    let mut ready = ready;
    if !observed.notes.is_empty() {
        ready.message = [ready.message.as_str()]
            .into_iter()
            .chain(observed.notes.iter().map(String::as_str))
            .filter(|m| !m.is_empty())
            .collect::<Vec<_>>()
            .join("; ");
    }
    for new in [ready, progressing, degraded] {
        set_condition(&mut conditions, new);
    }

    MarketplaceStatus {
        observed_generation: observed.generation,
        conditions,
        replicas: rollout.as_ref().map(|r| r.replicas),
        ready_replicas: rollout.as_ref().map(|r| r.ready),
        endpoint: Some(observed.endpoint.to_string()),
        image: observed.deployment.and_then(image_of),
        active_color: Some(observed.active_color),
    }
}

/// The rollout state of a Deployment, read from its spec and status.
#[derive(Clone, Debug, PartialEq)]
struct Rollout {
    desired: i32,
    replicas: i32,
    ready: i32,
    complete: bool,
    deadline_exceeded: bool,
    message: String,
}

impl Rollout {
    fn of(deployment: &Deployment) -> Self {
        let desired = deployment.spec.replicas.unwrap_or(1);
        let status = deployment.status.clone().unwrap_or_default();
        let (replicas, ready) = (
            status.replicas.unwrap_or(0),
            status.ready_replicas.unwrap_or(0),
        );
        let updated = status.updated_replicas.unwrap_or(0);
        let available = status.available_replicas.unwrap_or(0);
        let observed = status.observed_generation >= deployment.metadata.generation;
        let deadline_exceeded = status.conditions.unwrap_or_default().iter().any(|c| {
            c.type_.as_deref() == Some("Progressing")
                && c.status.as_deref() == Some("False")
                && c.reason.as_deref() == Some("ProgressDeadlineExceeded")
        });
        let complete =
            observed && updated >= desired && replicas <= desired && available >= desired;
        let message = if deadline_exceeded {
            format!(
                "the Deployment made no progress within its deadline: {updated} of {desired} replicas updated"
            )
        } else {
            format!("{updated} of {desired} replicas updated, {available} available")
        };
        Self {
            desired,
            replicas,
            ready,
            complete,
            deadline_exceeded,
            message,
        }
    }
}

fn image_of(deployment: &Deployment) -> Option<String> {
    let pod = deployment.spec.template.spec.as_ref()?;
    pod.containers
        .iter()
        .find(|c| c.name == crate::build::pod::CONTAINER_NAME)?
        .image
        .clone()
}

#[cfg(test)]
#[path = "status_tests.rs"]
mod tests;
