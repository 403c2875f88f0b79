//! Which finished Jobs to delete: each kind (backup, verify, prune) keeps its newest
//! [`KEEP_SUCCEEDED`] succeeded and [`KEEP_FAILED`] failed Jobs, once recorded.

use super::outcome::{JobView, Outcome};
use crate::build::job::JobComponent;

/// Succeeded Jobs kept per kind.
pub const KEEP_SUCCEEDED: usize = 3;
/// Failed Jobs kept per kind.
pub const KEEP_FAILED: usize = 3;

/// Names of recorded, finished Jobs beyond the history.
pub fn expired(jobs: &[JobView]) -> Vec<String> {
    let mut result = Vec::new();
    for component in [
        JobComponent::Backup,
        JobComponent::Verify,
        JobComponent::Prune,
    ] {
        for succeeded in [true, false] {
            let mut group: Vec<&JobView> = jobs
                .iter()
                .filter(|j| j.component == component && j.recorded && !j.deleting)
                .filter(|j| match &j.outcome {
                    Some(Outcome::Succeeded(_)) => succeeded,
                    Some(Outcome::Failed { .. }) => !succeeded,
                    None => false,
                })
                .collect();
            group.sort_by(|a, b| {
                (b.scheduled.or(b.created), &b.name).cmp(&(a.scheduled.or(a.created), &a.name))
            });
            let keep = if succeeded {
                KEEP_SUCCEEDED
            } else {
                KEEP_FAILED
            };
            result.extend(group.into_iter().skip(keep).map(|j| j.name.clone()));
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::controller::backup::decide::tests::{failed, job, ok};

    #[test]
    fn keeps_three_succeeded_and_three_failed_per_kind() {
        let mut jobs = Vec::new();
        for i in 0..5 {
            let mut j = job(&format!("n-{i}"), JobComponent::Backup, ok(), true);
            j.created = Some(format!("2026-11-23T0{i}:00:00Z").parse().unwrap());
            jobs.push(j);
            jobs.push(job(
                &format!("f-{i}"),
                JobComponent::Backup,
                failed("StoreError"),
                true,
            ));
        }
        jobs.push(job("n-9-verify", JobComponent::Verify, ok(), true));
        jobs.push(job("x-unrecorded", JobComponent::Backup, ok(), false));
        jobs.push(job("x-running", JobComponent::Backup, None, false));
        let mut expired = expired(&jobs);
        expired.sort();
        assert_eq!(expired, vec!["f-0", "f-1", "n-0", "n-1"]);
    }
}
