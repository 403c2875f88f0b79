use std::collections::BTreeMap;

use super::*;
use crate::controller::backup::outcome::EngineResult;

fn at(text: &str) -> Timestamp {
    text.parse().expect("timestamp")
}

fn backup_job(name: &str, outcome: Outcome) -> JobView {
    JobView {
        name: name.into(),
        component: JobComponent::Backup,
        artifact: None,
        scheduled: None,
        created: Some(at("2026-11-23T02:00:00Z")),
        finished: Some(at("2026-11-23T02:00:10Z")),
        outcome: Some(outcome),
        recorded: false,
        deleting: false,
    }
}

fn success(id: &str) -> Outcome {
    Outcome::Succeeded(Box::new(EngineResult {
        ok: true,
        id: Some(id.into()),
        location: Some(format!("s3://b/{id}.ogfbak")),
        size_bytes: Some(2048),
        sha256: Some("ab".into()),
        counts: BTreeMap::from([("listings".to_string(), 10)]),
        duration_seconds: Some(2.5),
        finished_at: Some("2026-11-23T02:00:09Z".into()),
        ..EngineResult::default()
    }))
}

fn last(status: &BackupStatus) -> &Condition {
    status
        .conditions
        .iter()
        .find(|c| c.type_ == LAST_BACKUP_SUCCEEDED)
        .expect("condition")
}

#[test]
fn success_adds_the_artifact_newest_first_and_bounded() {
    let mut status = BackupStatus {
        active_job: Some("n-1".into()),
        ..BackupStatus::default()
    };
    let now = at("2026-11-23T02:00:11Z");
    for i in 0..(MAX_ARTIFACTS + 3) {
        let id = format!("n-{i}");
        let recorded = apply(&mut status, &backup_job(&id, success(&id)), now);
        assert_eq!(recorded.reason, "BackupSucceeded");
    }
    assert_eq!(status.artifacts.len(), MAX_ARTIFACTS);
    assert_eq!(status.artifacts[0].id, format!("n-{}", MAX_ARTIFACTS + 2));
    assert_eq!(status.artifacts[0].size_bytes, 2048);
    assert_eq!(status.artifacts[0].counts["listings"], 10);
    assert_eq!(status.successful_backups, (MAX_ARTIFACTS + 3) as i64);
    assert_eq!(status.active_job, None);
    assert_eq!(
        status.last_successful_time,
        Some(Time(at("2026-11-23T02:00:09Z")))
    );
    assert_eq!(last(&status).status, "True");
    // Recording the same artifact again changes nothing.
    let again = format!("n-{}", MAX_ARTIFACTS + 2);
    apply(&mut status, &backup_job(&again, success(&again)), now);
    assert_eq!(status.successful_backups, (MAX_ARTIFACTS + 3) as i64);
}

#[test]
fn failure_sets_the_reason_and_the_metric() {
    let mut status = BackupStatus::default();
    let job = backup_job(
        "n-1",
        Outcome::Failed {
            reason: "DestinationError".into(),
            message: "bucket missing".into(),
        },
    );
    let recorded = apply(&mut status, &job, at("2026-11-23T02:00:11Z"));
    assert!(recorded.warning);
    assert_eq!(recorded.reason, "BackupFailed");
    let metric = recorded.metric.unwrap();
    assert!(!metric.succeeded);
    assert_eq!(metric.duration, Some(10.0));
    assert_eq!(last(&status).status, "False");
    assert_eq!(last(&status).reason, "DestinationError");
    assert!(last(&status).message.contains("bucket missing"));
    assert_eq!(
        status.last_failure_time,
        Some(Time(at("2026-11-23T02:00:10Z")))
    );
}

#[test]
fn vanished_jobs_are_failures_of_their_kind() {
    let now = at("2026-11-23T03:00:00Z");
    let gone = vanished("n-1", now);
    assert_eq!(gone.component, JobComponent::Backup);
    let mut status = BackupStatus {
        active_job: Some("n-1".into()),
        ..BackupStatus::default()
    };
    apply(&mut status, &gone, now);
    assert_eq!(last(&status).reason, "JobDeleted");
    assert_eq!(status.active_job, None);
    let progressing = status.conditions.iter().find(|c| c.type_ == "Progressing");
    assert_eq!(progressing.map(|c| c.reason.as_str()), Some("JobFinished"));
    let verify = vanished("n-1-verify", now);
    assert_eq!(verify.component, JobComponent::Verify);
    assert_eq!(verify.artifact.as_deref(), Some("n-1"));
}

#[test]
fn verify_marks_the_artifact_and_prune_forgets_deleted_ones() {
    let mut status = BackupStatus::default();
    let now = at("2026-11-23T03:00:00Z");
    for id in ["n-1", "n-2"] {
        apply(&mut status, &backup_job(id, success(id)), now);
    }
    let mut verify = backup_job("n-2-verify", success("n-2"));
    verify.component = JobComponent::Verify;
    verify.artifact = Some("n-2".into());
    assert_eq!(apply(&mut status, &verify, now).reason, "VerifySucceeded");
    assert_eq!(status.artifacts[0].verified, Some(true));
    verify.outcome = Some(Outcome::Failed {
        reason: "IntegrityError".into(),
        message: "sha256 differs".into(),
    });
    let failed = apply(&mut status, &verify, now);
    assert_eq!((failed.reason, failed.warning), ("VerifyFailed", true));
    assert_eq!(status.artifacts[0].verified, Some(false));

    let mut prune = backup_job(
        "n-2-prune",
        Outcome::Succeeded(Box::new(EngineResult {
            ok: true,
            kept: vec!["n-2".into()],
            deleted: vec!["n-1".into()],
            ..EngineResult::default()
        })),
    );
    prune.component = JobComponent::Prune;
    let pruned = apply(&mut status, &prune, now);
    assert_eq!(pruned.reason, "Pruned");
    assert!(pruned.note.contains("n-1"));
    assert_eq!(status.artifacts.len(), 1);
    assert_eq!(status.artifacts[0].id, "n-2");
}
