//! How a Restore's status changes with each decision, and the conditions of each phase. Pure.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;
use ogf_crds::backup::Destination;
use ogf_crds::{ConditionStatus, ConditionType, RestorePhase, RestoreStatus};

use super::result::EngineResult;
use crate::status::{condition, set_condition};

/// A human-readable location of `destination`: `s3://bucket/prefix` or `volume://claim/path`.
pub fn location(destination: &Destination) -> Option<String> {
    if let Some(volume) = &destination.volume {
        let path = volume.path.trim_matches('/');
        return Some(format!("volume://{}/{path}", volume.claim_name));
    }
    destination.url("")
}

/// Enters `Running` with the Job `job_name` of `marketplace` reading from `destination`.
pub fn start(
    status: &mut RestoreStatus,
    marketplace: &str,
    destination: &Destination,
    artifact: Option<&str>,
    job_name: &str,
    now: Timestamp,
) {
    status.phase = RestorePhase::Running;
    status.marketplace = Some(marketplace.to_string());
    status.location = location(destination);
    status.artifact_id = artifact.map(str::to_string);
    status.job_name = Some(job_name.to_string());
    if status.start_time.is_none() {
        status.start_time = Some(Time(now));
    }
    status.message = Some(format!(
        "restoring {} into Marketplace {marketplace}: Job {job_name}; the API is stopped",
        artifact.unwrap_or("the newest artifact")
    ));
}

/// Enters `Verifying` with what the engine reported.
pub fn verify(status: &mut RestoreStatus, result: &EngineResult) {
    status.phase = RestorePhase::Verifying;
    status.restored_counts = result.counts.clone();
    status.checksum_verified = result.checksum_verified;
    if let Some(id) = &result.id {
        status.artifact_id = Some(id.clone());
    }
    if let Some(location) = result.location.as_ref().filter(|l| l.starts_with("s3://")) {
        status.location = Some(location.clone());
    }
    status.message = Some("the Job finished; checking its result".into());
}

/// Enters `phase` with `message`; a terminal phase records the completion time.
pub fn enter(status: &mut RestoreStatus, phase: RestorePhase, message: &str, now: Timestamp) {
    status.phase = phase;
    status.message = Some(message.to_string());
    if phase.is_terminal() && status.completion_time.is_none() {
        status.completion_time = Some(Time(now));
    }
}

/// Sets Ready, Progressing and Degraded from the phase. `reason` is the failure reason of a
/// `Failed` Restore, or the problem a waiting one reports as Degraded.
pub fn set_conditions(
    status: &mut RestoreStatus,
    generation: Option<i64>,
    reason: Option<&str>,
    now: Timestamp,
) {
    let now = Time(now);
    let phase = status.phase;
    let message = status.message.clone().unwrap_or_default();
    let make = |kind, value: bool, why: &str| {
        condition(
            kind,
            ConditionStatus::from_bool(value),
            why,
            message.clone(),
            generation,
            &now,
        )
    };
    let failed = phase == RestorePhase::Failed;
    let ready_reason = if failed {
        reason.unwrap_or("Failed")
    } else {
        phase.as_str()
    };
    let conditions = &mut status.conditions;
    set_condition(
        conditions,
        make(
            ConditionType::Ready,
            phase == RestorePhase::Succeeded,
            ready_reason,
        ),
    );
    set_condition(
        conditions,
        make(
            ConditionType::Progressing,
            !phase.is_terminal(),
            phase.as_str(),
        ),
    );
    let degraded = reason.filter(|_| phase != RestorePhase::Succeeded);
    set_condition(
        conditions,
        make(
            ConditionType::Degraded,
            degraded.is_some(),
            degraded.unwrap_or("AsExpected"),
        ),
    );
    status.observed_generation = generation;
}

/// Seconds from `start` to `end` of the Restore, when both are known.
pub fn duration(status: &RestoreStatus) -> Option<std::time::Duration> {
    let (Some(start), Some(end)) = (&status.start_time, &status.completion_time) else {
        return None;
    };
    let millis = end.0.as_millisecond() - start.0.as_millisecond();
    Some(std::time::Duration::from_millis(
        millis.max(0).unsigned_abs(),
    ))
}
