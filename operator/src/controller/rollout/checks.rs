//! Check bookkeeping without I/O: which checks are due, how a probe result counts, and the
//! verdict of a stage.

use std::time::Duration;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;
use ogf_crds::RolloutStatus;
use ogf_crds::rollout::{Check, CheckResult, CheckStage};

/// Where the checks of one stage stand.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Every check reached its success threshold (or there are none).
    Passed,
    /// This check reached its failure threshold.
    Failed(String),
    /// At least one undecided check is due for a probe now.
    Due,
    /// The next probe is due in this long.
    NextIn(Duration),
}

/// The result of one probe.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProbeOutcome {
    /// Whether the probe passed.
    pub success: bool,
    /// The value seen (status code, query result).
    pub value: Option<String>,
    /// Why it failed.
    pub error: Option<String>,
}

fn result_of<'a>(
    status: &'a RolloutStatus,
    stage: CheckStage,
    name: &str,
) -> Option<&'a CheckResult> {
    status
        .checks
        .iter()
        .find(|r| r.stage == stage && r.name == name)
}

/// When `check` is next due, `None` when it is decided.
fn next_due(check: &Check, result: Option<&CheckResult>) -> Option<Option<Timestamp>> {
    let timing = check.timing();
    match result {
        None => Some(None),
        Some(r) if r.failures >= timing.failure_threshold => None,
        Some(r) if r.successes >= timing.success_threshold => None,
        Some(r) => Some(r.last_probe_at.as_ref().map(|t| {
            Timestamp::from_second(t.0.as_second() + timing.interval_seconds).unwrap_or(t.0)
        })),
    }
}

/// The verdict of the `stage` checks given their results in `status`.
pub fn verdict(
    checks: &[Check],
    stage: CheckStage,
    status: &RolloutStatus,
    now: Timestamp,
) -> Verdict {
    let mut soonest: Option<Timestamp> = None;
    let mut undecided = false;
    for check in checks {
        let result = result_of(status, stage, &check.name);
        if result.is_some_and(|r| r.failures >= check.timing().failure_threshold) {
            return Verdict::Failed(check.name.clone());
        }
        match next_due(check, result) {
            None => {}
            Some(None) => return Verdict::Due,
            Some(Some(at)) => {
                undecided = true;
                soonest = Some(soonest.map_or(at, |s| s.min(at)));
            }
        }
    }
    match soonest {
        _ if !undecided => Verdict::Passed,
        Some(at) if at <= now => Verdict::Due,
        Some(at) => Verdict::NextIn(Duration::from_secs(
            (at.as_second() - now.as_second()).max(1).unsigned_abs(),
        )),
        None => Verdict::Passed,
    }
}

/// The checks of `stage` due for a probe at `now`.
pub fn due<'a>(
    checks: &'a [Check],
    stage: CheckStage,
    status: &RolloutStatus,
    now: Timestamp,
) -> Vec<&'a Check> {
    checks
        .iter()
        .filter(
            |check| match next_due(check, result_of(status, stage, &check.name)) {
                Some(None) => true,
                Some(Some(at)) => at <= now,
                None => false,
            },
        )
        .collect()
}

/// Counts `outcome` of `check` into `status`: successes are consecutive, failures add up.
pub fn record(
    status: &mut RolloutStatus,
    stage: CheckStage,
    name: &str,
    outcome: ProbeOutcome,
    now: &Time,
) {
    let index = match status
        .checks
        .iter()
        .position(|r| r.stage == stage && r.name == name)
    {
        Some(index) => index,
        None => {
            status.checks.push(CheckResult {
                name: name.to_string(),
                stage,
                successes: 0,
                failures: 0,
                last_probe_at: None,
                last_value: None,
                last_error: None,
            });
            status.checks.len() - 1
        }
    };
    let result = &mut status.checks[index];
    if outcome.success {
        result.successes = result.successes.saturating_add(1);
    } else {
        result.successes = 0;
        result.failures = result.failures.saturating_add(1);
    }
    result.last_probe_at = Some(now.clone());
    result.last_value = outcome.value;
    result.last_error = outcome.error.map(|e| e.chars().take(300).collect());
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(name: &str, failures: i32) -> Check {
        serde_json::from_value(json!({"name": name, "http": {"url": "http://x", "failureThreshold": failures, "intervalSeconds": 5}}))
            .unwrap()
    }

    fn at(second: i64) -> Timestamp {
        Timestamp::from_second(second).unwrap()
    }

    fn outcome(success: bool) -> ProbeOutcome {
        ProbeOutcome {
            success,
            value: Some("200".into()),
            error: None,
        }
    }

    #[test]
    fn no_checks_pass_at_once() {
        assert_eq!(
            verdict(&[], CheckStage::Pre, &RolloutStatus::default(), at(0)),
            Verdict::Passed
        );
    }

    #[test]
    fn a_check_is_due_until_probed_then_waits_its_interval() {
        let checks = vec![check("a", 2)];
        let mut status = RolloutStatus::default();
        assert_eq!(
            verdict(&checks, CheckStage::Pre, &status, at(100)),
            Verdict::Due
        );
        record(
            &mut status,
            CheckStage::Pre,
            "a",
            outcome(false),
            &Time(at(100)),
        );
        assert_eq!(
            verdict(&checks, CheckStage::Pre, &status, at(102)),
            Verdict::NextIn(Duration::from_secs(3))
        );
        assert!(due(&checks, CheckStage::Pre, &status, at(102)).is_empty());
        assert_eq!(due(&checks, CheckStage::Pre, &status, at(105)).len(), 1);
        record(
            &mut status,
            CheckStage::Pre,
            "a",
            outcome(false),
            &Time(at(105)),
        );
        assert_eq!(
            verdict(&checks, CheckStage::Pre, &status, at(105)),
            Verdict::Failed("a".into())
        );
    }

    #[test]
    fn success_threshold_passes_and_stages_are_separate() {
        let checks = vec![check("a", 3)];
        let mut status = RolloutStatus::default();
        record(
            &mut status,
            CheckStage::Pre,
            "a",
            outcome(true),
            &Time(at(1)),
        );
        assert_eq!(
            verdict(&checks, CheckStage::Pre, &status, at(1)),
            Verdict::Passed
        );
        assert_eq!(
            verdict(&checks, CheckStage::Post, &status, at(1)),
            Verdict::Due
        );
    }
}
