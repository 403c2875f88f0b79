use k8s_openapi::api::batch::v1::{Job, JobCondition, JobStatus};
use ogf_crds::rollout::Phase;
use ogf_crds::{Backup, Rollout, RolloutStatus};
use serde_json::json;

use super::*;
use crate::controller::rollout::transition;

fn backup_with(conditions: serde_json::Value) -> Backup {
    serde_json::from_value(json!({
        "apiVersion": "ogf.dev/v1alpha1", "kind": "Backup", "metadata": {"name": "ro-pre"},
        "spec": {"marketplaceRef": {"name": "shop"}, "destination": {"volume": {"claimName": "b"}},
                 "encryption": {"recipients": ["age1x"]}},
        "status": {"conditions": conditions}
    }))
    .unwrap()
}

fn condition(kind: &str, status: &str, reason: &str) -> serde_json::Value {
    json!({"type": kind, "status": status, "reason": reason, "message": "m",
           "lastTransitionTime": "2026-01-01T00:00:00Z"})
}

#[test]
fn the_backup_outcome_is_its_last_backup_condition() {
    assert_eq!(
        backup_outcome(&backup_with(json!([condition(
            LAST_BACKUP_SUCCEEDED,
            "True",
            "Succeeded"
        )]))),
        StepState::Succeeded
    );
    assert!(matches!(
        backup_outcome(&backup_with(json!([condition(LAST_BACKUP_SUCCEEDED, "False", "JobFailed")]))),
        StepState::Failed(m) if m.starts_with("JobFailed")
    ));
    assert!(matches!(
        backup_outcome(&backup_with(json!([condition("Degraded", "True", "SecretNotFound")]))),
        StepState::Degraded(m, since) if m.contains("SecretNotFound")
            && since.as_second() == 1_767_225_600
    ));
    assert!(matches!(
        backup_outcome(&backup_with(json!([]))),
        StepState::Running(_)
    ));
}

#[test]
fn the_one_shot_backup_copies_the_template_without_schedule() {
    let mut rollout: Rollout = serde_json::from_value(json!({
        "apiVersion": "ogf.dev/v1alpha1", "kind": "Rollout",
        "metadata": {"name": "ro", "namespace": "prod", "uid": "r-1"},
        "spec": {"marketplaceRef": {"name": "shop"}, "image": "api:2",
                 "preRolloutBackup": {"backupTemplateRef": {"name": "nightly"}}}
    }))
    .unwrap();
    rollout.metadata.uid = Some("r-1".into());
    let mut template = backup_with(json!([])).spec;
    template.schedule = Some("@daily".into());
    template.suspend = true;
    let backup = one_shot(&rollout, &template, "ro-pre");
    assert_eq!(backup.spec.schedule, None);
    assert!(!backup.spec.suspend);
    assert_eq!(backup.spec.destination, template.destination);
    assert_eq!(backup.metadata.namespace.as_deref(), Some("prod"));
    let owner = &backup.metadata.owner_references.unwrap()[0];
    assert_eq!(
        (owner.kind.as_str(), owner.controller),
        ("Rollout", Some(true))
    );
    assert_eq!(backup.metadata.labels.unwrap()[ROLLOUT_LABEL], "ro");
}

#[test]
fn the_job_outcome_waits_for_completion() {
    let job = |conditions: Vec<JobCondition>, active| Job {
        status: Some(JobStatus {
            conditions: Some(conditions),
            active: Some(active),
            ..JobStatus::default()
        }),
        ..Job::default()
    };
    let cond = |kind: &str, reason: &str| JobCondition {
        type_: kind.into(),
        status: "True".into(),
        reason: Some(reason.into()),
        ..JobCondition::default()
    };
    assert!(matches!(
        job_outcome(&job(vec![], 1)),
        StepState::Running(_)
    ));
    assert_eq!(
        job_outcome(&job(vec![cond("Complete", "")], 0)),
        StepState::Succeeded
    );
    assert!(matches!(
        job_outcome(&job(vec![cond("Failed", "DeadlineExceeded")], 0)),
        StepState::Failed(m) if m.starts_with("DeadlineExceeded")
    ));
}

#[test]
fn leaving_pending_records_the_start_and_names_the_step_objects() {
    let mut rollout: Rollout = serde_json::from_value(json!({
        "apiVersion": "ogf.dev/v1alpha1", "kind": "Rollout", "metadata": {"name": "ro"},
        "spec": {"marketplaceRef": {"name": "shop"}, "image": "api:2",
                 "migration": {"args": ["x"]}}
    }))
    .unwrap();
    let view = super::super::phase::MarketplaceView {
        active_color: ogf_crds::Color::Blue,
        image: "api:1".into(),
        replicas: 3,
        embedded: false,
        autoscaled: false,
        paused: false,
    };
    let now = k8s_openapi::jiff::Timestamp::from_second(10).unwrap();
    let mut status = RolloutStatus {
        last_retry: Some("7".into()),
        ..RolloutStatus::default()
    };
    rollout.status = Some(status.clone());
    transition::enter(
        &mut status,
        &rollout,
        Phase::Migrating,
        "m",
        Some(&view),
        now,
    );
    assert_eq!(status.target_color, Some(ogf_crds::Color::Green));
    assert_eq!(status.stable_image.as_deref(), Some("api:1"));
    assert_eq!(status.preview_replicas, Some(3));
    assert_eq!(
        status.migration_job.as_deref(),
        Some(migration_job::job_name("ro", Some("7")).as_str())
    );
    assert!(
        status.deadline_at.is_none(),
        "the deadline starts with Deploying"
    );
    // A failure before Deploying has nothing to scale down.
    transition::enter(&mut status, &rollout, Phase::Failed, "f", Some(&view), now);
    assert!(status.scaled_down);
}
