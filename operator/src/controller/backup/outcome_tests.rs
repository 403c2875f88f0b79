use k8s_openapi::api::batch::v1::{Job, JobCondition, JobStatus};
use k8s_openapi::api::core::v1::{
    ContainerState, ContainerStateTerminated, ContainerStatus, Pod, PodStatus,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::*;

fn job(condition: Option<(&str, &str)>) -> Job {
    Job {
        metadata: ObjectMeta {
            name: Some("nightly-20261123t020000".into()),
            labels: Some(BTreeMap::from([(
                labels::COMPONENT.to_string(),
                "backup".to_string(),
            )])),
            annotations: Some(BTreeMap::from([(
                SCHEDULED_AT.to_string(),
                "2026-11-23T02:00:00Z".to_string(),
            )])),
            ..ObjectMeta::default()
        },
        spec: None,
        status: Some(JobStatus {
            conditions: condition.map(|(type_, reason)| {
                vec![JobCondition {
                    type_: type_.into(),
                    status: "True".into(),
                    reason: Some(reason.into()),
                    message: Some("Job was active longer than specified deadline".into()),
                    ..JobCondition::default()
                }]
            }),
            ..JobStatus::default()
        }),
    }
}

fn pod(message: Option<&str>, exit_code: i32) -> Pod {
    Pod {
        metadata: ObjectMeta {
            name: Some("nightly-20261123t020000-abcde".into()),
            ..ObjectMeta::default()
        },
        spec: None,
        status: Some(PodStatus {
            container_statuses: Some(vec![ContainerStatus {
                name: CONTAINER_NAME.into(),
                state: Some(ContainerState {
                    terminated: Some(ContainerStateTerminated {
                        exit_code,
                        message: message.map(str::to_string),
                        reason: Some(if exit_code == 0 { "Completed" } else { "Error" }.into()),
                        ..ContainerStateTerminated::default()
                    }),
                    ..ContainerState::default()
                }),
                ..ContainerStatus::default()
            }]),
            ..PodStatus::default()
        }),
    }
}

const SUCCESS: &str = r#"{"ok":true,"command":"backup","id":"nightly-20261123t020000","location":"s3://b/p/nightly-20261123t020000.ogfbak","sizeBytes":123,"sha256":"ab","counts":{"listings":10,"users":2},"durationSeconds":1.5,"verified":false,"startedAt":"2026-11-23T02:00:01Z","finishedAt":"2026-11-23T02:00:03Z"}"#;

#[test]
fn running_jobs_have_no_outcome() {
    let running = job(None);
    assert!(is_active(&running));
    let view = view(&running, &[]).unwrap();
    assert_eq!(view.outcome, None);
    assert_eq!(view.component, JobComponent::Backup);
    assert_eq!(
        view.scheduled,
        Some("2026-11-23T02:00:00Z".parse().unwrap())
    );
    assert!(!view.recorded);
}

#[test]
fn success_reads_the_result_line() {
    let outcome = outcome(&job(Some(("Complete", ""))), &[pod(Some(SUCCESS), 0)]).unwrap();
    let Outcome::Succeeded(result) = outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(result.size_bytes, Some(123));
    assert_eq!(result.counts["listings"], 10);
    assert_eq!(result.finished_at.as_deref(), Some("2026-11-23T02:00:03Z"));
}

#[test]
fn a_complete_job_without_result_is_a_failure() {
    let outcome = outcome(&job(Some(("Complete", ""))), &[]).unwrap();
    assert!(matches!(outcome, Outcome::Failed { reason, .. } if reason == "ResultMissing"));
}

#[test]
fn engine_failures_carry_their_reason() {
    let line = r#"{"ok":false,"command":"backup","reason":"DestinationError","message":"bucket nope does not exist"}"#;
    let outcome = outcome(
        &job(Some(("Failed", "BackoffLimitExceeded"))),
        &[pod(Some(line), 5)],
    )
    .unwrap();
    assert_eq!(
        outcome,
        Outcome::Failed {
            reason: "DestinationError".into(),
            message: "bucket nope does not exist".into()
        }
    );
}

#[test]
fn deadline_and_lost_pods_use_the_job_reason() {
    let deadline = outcome(&job(Some(("Failed", "DeadlineExceeded"))), &[]).unwrap();
    assert!(matches!(&deadline, Outcome::Failed { reason, .. } if reason == "DeadlineExceeded"));
    let lost = outcome(&job(Some(("Failed", "BackoffLimitExceeded"))), &[]).unwrap();
    let Outcome::Failed { reason, message } = lost else {
        panic!()
    };
    assert_eq!(reason, "BackoffLimitExceeded");
    assert!(message.contains("deleted or lost"), "{message}");
    let mut evicted = pod(None, 137);
    if let Some(status) = evicted.status.as_mut() {
        status.reason = Some("Evicted".into());
    }
    let Some(Outcome::Failed { message, .. }) =
        outcome(&job(Some(("Failed", "BackoffLimitExceeded"))), &[evicted])
    else {
        panic!()
    };
    assert!(message.contains("Evicted"), "{message}");
}

#[test]
fn recorded_and_artifact_come_from_metadata() {
    let mut verify = job(Some(("Complete", "")));
    let meta = &mut verify.metadata;
    meta.labels = Some(BTreeMap::from([
        (labels::COMPONENT.to_string(), "verify".to_string()),
        (
            ARTIFACT_LABEL.to_string(),
            "nightly-20261123t020000".to_string(),
        ),
    ]));
    meta.annotations = Some(BTreeMap::from([(
        RECORDED.to_string(),
        "succeeded".to_string(),
    )]));
    let view = view(&verify, &[]).unwrap();
    assert_eq!(view.component, JobComponent::Verify);
    assert_eq!(view.artifact.as_deref(), Some("nightly-20261123t020000"));
    assert!(view.recorded);
    assert!(
        matches!(view.outcome, Some(Outcome::Succeeded(_))),
        "from the annotation, without pods"
    );
    let mut other = job(None);
    other.metadata.labels = Some(BTreeMap::from([(
        labels::COMPONENT.to_string(),
        "restore".to_string(),
    )]));
    assert!(super::view(&other, &[]).is_none());
}
