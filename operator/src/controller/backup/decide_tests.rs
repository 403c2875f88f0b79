use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use ogf_crds::backup::Artifact;
use ogf_crds::{BackupSpec, BackupStatus};
use serde_json::json;

use super::*;
use crate::controller::backup::outcome::{EngineResult, Outcome};

pub(crate) fn at(text: &str) -> Timestamp {
    text.parse().expect("timestamp")
}

pub(crate) fn backup(extra: serde_json::Value) -> Backup {
    let mut spec = json!({
        "marketplaceRef": {"name": "demo"},
        "destination": {"s3": {"bucket": "backups", "credentialsSecretRef": {"name": "s3"}}},
        "encryption": {"recipients": ["age1aaa"]}
    });
    if let (Some(base), Some(extra)) = (spec.as_object_mut(), extra.as_object()) {
        base.extend(extra.clone());
    }
    let spec: BackupSpec = serde_json::from_value(spec).expect("spec");
    let mut backup = Backup::new("nightly", spec);
    backup.metadata.namespace = Some("shop".into());
    backup.metadata.uid = Some("uid".into());
    backup.metadata.generation = Some(1);
    backup.metadata.creation_timestamp = Some(Time(at("2026-11-23T00:30:00Z")));
    backup
}

pub(crate) fn job(
    name: &str,
    component: JobComponent,
    outcome: Option<Outcome>,
    recorded: bool,
) -> JobView {
    JobView {
        name: name.into(),
        component,
        artifact: name
            .strip_suffix("-verify")
            .or_else(|| name.strip_suffix("-prune"))
            .map(str::to_string),
        scheduled: None,
        created: Some(at("2026-11-23T02:00:00Z")),
        finished: None,
        outcome,
        recorded,
        deleting: false,
    }
}

pub(crate) fn ok() -> Option<Outcome> {
    Some(Outcome::Succeeded(Box::new(EngineResult {
        ok: true,
        ..EngineResult::default()
    })))
}

pub(crate) fn failed(reason: &str) -> Option<Outcome> {
    Some(Outcome::Failed {
        reason: reason.into(),
        message: "boom".into(),
    })
}

fn obs(now: &str, jobs: Vec<JobView>) -> Observations {
    Observations {
        now: Some(at(now)),
        jobs,
        ..Observations::default()
    }
}

fn with_status(mut backup: Backup, status: BackupStatus) -> Backup {
    backup.status = Some(status);
    backup
}

fn start_at(text: &str) -> Decision {
    Decision::Start(BackupTask::Backup {
        scheduled: at(text),
    })
}

#[test]
fn one_shot_starts_once_now() {
    let b = backup(json!({}));
    assert_eq!(
        decide(&b, &obs("2026-11-23T10:00:00Z", vec![])),
        start_at("2026-11-23T10:00:00Z")
    );
    let running = vec![job(
        "nightly-20261123t100000",
        JobComponent::Backup,
        None,
        false,
    )];
    assert_eq!(
        decide(&b, &obs("2026-11-23T10:00:05Z", running)),
        Decision::Hold(Hold::Running("nightly-20261123t100000".into()))
    );
    let done = vec![job(
        "nightly-20261123t100000",
        JobComponent::Backup,
        ok(),
        true,
    )];
    assert_eq!(
        decide(&b, &obs("2026-11-23T10:01:00Z", done)),
        Decision::Hold(Hold::Done)
    );
    // Its Job deleted by history cleanup: status still says it ran.
    let ran = with_status(
        b,
        BackupStatus {
            last_schedule_time: Some(Time(at("2026-11-23T10:00:00Z"))),
            ..BackupStatus::default()
        },
    );
    assert_eq!(
        decide(&ran, &obs("2026-11-24T10:00:00Z", vec![])),
        Decision::Hold(Hold::Done)
    );
}

#[test]
fn run_now_starts_one_backup_per_new_annotation_value() {
    let mut b = with_status(
        backup(json!({"schedule": "0 2 * * *"})),
        BackupStatus {
            last_schedule_time: Some(Time(at("2026-11-23T02:00:00Z"))),
            ..BackupStatus::default()
        },
    );
    let now = "2026-11-23T10:00:00Z";
    assert_eq!(
        decide(&b, &obs(now, vec![])),
        Decision::Hold(Hold::Scheduled(Some(at("2026-11-24T02:00:00Z"))))
    );
    b.metadata.annotations = Some(
        [(
            RUN_NOW_ANNOTATION.to_string(),
            "2026-11-23T09:59:00Z".to_string(),
        )]
        .into(),
    );
    assert_eq!(decide(&b, &obs(now, vec![])), start_at(now));
    assert_eq!(
        run_now_request(&b, b.status.as_ref().unwrap()).as_deref(),
        Some("2026-11-23T09:59:00Z")
    );
    // Acted on: the same value starts nothing more; the schedule goes on.
    if let Some(status) = b.status.as_mut() {
        status.last_run_now = Some("2026-11-23T09:59:00Z".into());
    }
    assert_eq!(
        decide(&b, &obs(now, vec![])),
        Decision::Hold(Hold::Scheduled(Some(at("2026-11-24T02:00:00Z"))))
    );
}

#[test]
fn run_now_reruns_a_one_shot_backup_but_waits_for_a_running_job() {
    let mut b = with_status(
        backup(json!({})),
        BackupStatus {
            last_schedule_time: Some(Time(at("2026-11-23T10:00:00Z"))),
            ..BackupStatus::default()
        },
    );
    b.metadata.annotations = Some([(RUN_NOW_ANNOTATION.to_string(), "x1".to_string())].into());
    assert_eq!(
        decide(&b, &obs("2026-11-24T08:00:00Z", vec![])),
        start_at("2026-11-24T08:00:00Z")
    );
    let running = vec![job(
        "nightly-20261124t080000",
        JobComponent::Backup,
        None,
        false,
    )];
    assert_eq!(
        decide(&b, &obs("2026-11-24T08:00:01Z", running)),
        Decision::Hold(Hold::Running("nightly-20261124t080000".into()))
    );
}

#[test]
fn schedule_starts_when_due_and_waits_otherwise() {
    let b = backup(json!({"schedule": "0 2 * * *"}));
    // Created 00:30, now 01:00: next at 02:00.
    assert_eq!(
        decide(&b, &obs("2026-11-23T01:00:00Z", vec![])),
        Decision::Hold(Hold::Scheduled(Some(at("2026-11-23T02:00:00Z"))))
    );
    assert_eq!(
        decide(&b, &obs("2026-11-23T02:00:01Z", vec![])),
        start_at("2026-11-23T02:00:00Z")
    );
}

#[test]
fn missed_schedules_run_once_not_a_burst() {
    let b = with_status(
        backup(json!({"schedule": "0 * * * *"})),
        BackupStatus {
            last_schedule_time: Some(Time(at("2026-11-23T02:00:00Z"))),
            ..BackupStatus::default()
        },
    );
    // Down from 02:30 to 07:10: one run, for 07:00.
    assert_eq!(
        decide(&b, &obs("2026-11-23T07:10:00Z", vec![])),
        start_at("2026-11-23T07:00:00Z")
    );
}

#[test]
fn the_last_schedule_time_is_rebuilt_from_the_jobs() {
    // Status lost the start (written before a crash), the Job has it.
    let b = backup(json!({"schedule": "0 * * * *"}));
    let mut j = job(
        "nightly-20261123t070000",
        JobComponent::Backup,
        failed("StoreError"),
        true,
    );
    j.scheduled = Some(at("2026-11-23T07:00:00Z"));
    assert_eq!(
        decide(&b, &obs("2026-11-23T07:10:00Z", vec![j])),
        Decision::Hold(Hold::Scheduled(Some(at("2026-11-23T08:00:00Z"))))
    );
}

#[test]
fn suspend_starts_nothing() {
    let b = backup(json!({"schedule": "0 * * * *", "suspend": true}));
    assert_eq!(
        decide(&b, &obs("2026-11-23T07:10:00Z", vec![])),
        Decision::Hold(Hold::Suspended)
    );
}

#[test]
fn finished_jobs_are_recorded_first_oldest_first() {
    let b = backup(json!({"schedule": "0 * * * *", "suspend": true}));
    let mut older = job(
        "nightly-20261123t010000",
        JobComponent::Backup,
        failed("StoreError"),
        false,
    );
    older.created = Some(at("2026-11-23T01:00:00Z"));
    let newer = job("nightly-20261123t020000", JobComponent::Backup, ok(), false);
    let decision = decide(&b, &obs("2026-11-23T07:10:00Z", vec![newer, older.clone()]));
    assert_eq!(decision, Decision::Record(Box::new(older)));
}

#[test]
fn a_vanished_active_job_is_a_failure() {
    let b = with_status(
        backup(json!({})),
        BackupStatus {
            active_job: Some("nightly-20261123t020000".into()),
            ..BackupStatus::default()
        },
    );
    assert_eq!(
        decide(&b, &obs("2026-11-23T02:05:00Z", vec![])),
        Decision::Vanished("nightly-20261123t020000".into())
    );
    let mut deleting = job("nightly-20261123t020000", JobComponent::Backup, None, false);
    deleting.deleting = true;
    assert_eq!(
        decide(&b, &obs("2026-11-23T02:05:00Z", vec![deleting])),
        Decision::Vanished("nightly-20261123t020000".into())
    );
}

#[test]
fn another_job_of_the_marketplace_makes_it_wait() {
    let b = backup(json!({}));
    let mut o = obs("2026-11-23T02:00:00Z", vec![]);
    o.busy = Some("weekly-20261123t020000".into());
    assert_eq!(
        decide(&b, &o),
        Decision::Hold(Hold::Busy("weekly-20261123t020000".into()))
    );
}

#[test]
fn a_restore_in_progress_holds_everything_but_recording() {
    let b = backup(json!({"schedule": "0 * * * *"}));
    let mut o = obs("2026-11-23T07:10:00Z", vec![]);
    o.restore = Some("rescue".into());
    assert_eq!(
        decide(&b, &o),
        Decision::Hold(Hold::Restore("rescue".into()))
    );
    let finished = job("nightly-20261123t070000", JobComponent::Backup, ok(), false);
    o.jobs = vec![finished.clone()];
    assert_eq!(decide(&b, &o), Decision::Record(Box::new(finished)));
}

#[test]
fn problems_hold_with_their_reason() {
    let bad = backup(json!({"schedule": "every night"}));
    match decide(&bad, &obs("2026-11-23T07:10:00Z", vec![])) {
        Decision::Hold(Hold::Problem(p)) => assert_eq!(p.reason, "InvalidSchedule"),
        other => panic!("{other:?}"),
    }
    let no_identity = backup(json!({"verify": "always"}));
    match decide(&no_identity, &obs("2026-11-23T07:10:00Z", vec![])) {
        Decision::Hold(Hold::Problem(p)) => assert_eq!(p.reason, "VerifyIdentityMissing"),
        other => panic!("{other:?}"),
    }
    let mut o = obs("2026-11-23T07:10:00Z", vec![]);
    o.problem = Some(Problem {
        reason: "SecretNotFound".into(),
        message: "Secret s3 not found".into(),
    });
    match decide(&backup(json!({})), &o) {
        Decision::Hold(Hold::Problem(p)) => assert_eq!(p.reason, "SecretNotFound"),
        other => panic!("{other:?}"),
    }
}

fn verified_backup(verify: serde_json::Value, successes: i64, retention: bool) -> Backup {
    let mut extra =
        json!({"verify": verify, "verifyIdentitySecretRef": {"name": "k", "key": "identity"}});
    if retention {
        extra["retention"] = json!({"keepLast": 3});
    }
    with_status(
        backup(extra),
        BackupStatus {
            successful_backups: successes,
            last_schedule_time: Some(Time(at("2026-11-23T02:00:00Z"))),
            artifacts: vec![Artifact {
                id: "nightly-20261123t020000".into(),
                time: Time(at("2026-11-23T02:01:00Z")),
                location: "s3://backups/nightly-20261123t020000.ogfbak".into(),
                size_bytes: 1,
                sha256: "00".into(),
                counts: Default::default(),
                duration_seconds: 1.0,
                verified: None,
            }],
            ..BackupStatus::default()
        },
    )
}

#[test]
fn verify_follows_the_policy() {
    let done = || {
        vec![job(
            "nightly-20261123t020000",
            JobComponent::Backup,
            ok(),
            true,
        )]
    };
    let verify = Decision::Start(BackupTask::Verify {
        artifact: "nightly-20261123t020000".into(),
    });
    let now = "2026-11-23T02:05:00Z";
    assert_eq!(
        decide(
            &verified_backup(json!("always"), 1, false),
            &obs(now, done())
        ),
        verify
    );
    assert_eq!(
        decide(&verified_backup(json!(3), 3, false), &obs(now, done())),
        verify
    );
    assert_eq!(
        decide(&verified_backup(json!(3), 4, false), &obs(now, done())),
        Decision::Hold(Hold::Done)
    );
    assert_eq!(
        decide(&verified_backup(json!("3"), 6, false), &obs(now, done())),
        verify
    );
    // Already verified (its Job recorded, or the backup ran with --verify): no second one.
    let mut jobs = done();
    jobs.push(job(
        "nightly-20261123t020000-verify",
        JobComponent::Verify,
        ok(),
        true,
    ));
    assert_eq!(
        decide(&verified_backup(json!("always"), 1, false), &obs(now, jobs)),
        Decision::Hold(Hold::Done)
    );
    // A failed backup is not verified.
    let failed_jobs = vec![job(
        "nightly-20261123t020000",
        JobComponent::Backup,
        failed("StoreError"),
        true,
    )];
    assert_eq!(
        decide(
            &verified_backup(json!("always"), 1, false),
            &obs(now, failed_jobs)
        ),
        Decision::Hold(Hold::Done)
    );
    assert!(!verify_selected(Some(VerifyPolicy::Never), 5));
    assert!(!verify_selected(Some(VerifyPolicy::Every(2)), 0));
}

#[test]
fn prune_runs_after_a_success_when_retention_is_set() {
    let now = "2026-11-23T02:05:00Z";
    let prune = Decision::Start(BackupTask::Prune {
        artifact: "nightly-20261123t020000".into(),
    });
    let b = verified_backup(json!("never"), 1, true);
    let jobs = vec![job(
        "nightly-20261123t020000",
        JobComponent::Backup,
        ok(),
        true,
    )];
    assert_eq!(decide(&b, &obs(now, jobs.clone())), prune);
    // Verification first, then pruning.
    let both = verified_backup(json!("always"), 1, true);
    assert!(matches!(
        decide(&both, &obs(now, jobs.clone())),
        Decision::Start(BackupTask::Verify { .. })
    ));
    let mut after_verify = jobs.clone();
    after_verify.push(job(
        "nightly-20261123t020000-verify",
        JobComponent::Verify,
        ok(),
        true,
    ));
    assert_eq!(decide(&both, &obs(now, after_verify.clone())), prune);
    after_verify.push(job(
        "nightly-20261123t020000-prune",
        JobComponent::Prune,
        ok(),
        true,
    ));
    assert_eq!(
        decide(&both, &obs(now, after_verify)),
        Decision::Hold(Hold::Done)
    );
    // Not while suspended, and not for an unrecorded success.
    let mut suspended = b.clone();
    suspended.spec.suspend = true;
    assert_eq!(
        decide(&suspended, &obs(now, jobs)),
        Decision::Hold(Hold::Suspended)
    );
}
