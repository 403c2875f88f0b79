use k8s_openapi::api::apps::v1::{DeploymentCondition, DeploymentSpec, DeploymentStatus};
use k8s_openapi::api::core::v1::{Container, PodSpec, PodTemplateSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::jiff::Timestamp;
use ogf_crds::condition::{find, is_true};

use super::*;

fn at(seconds: i64) -> Time {
    Time(Timestamp::from_second(seconds).unwrap())
}

fn deployment(desired: i32, ready: i32, updated: i32) -> Deployment {
    Deployment {
        metadata: ObjectMeta {
            generation: Some(2),
            ..ObjectMeta::default()
        },
        spec: DeploymentSpec {
            replicas: Some(desired),
            template: PodTemplateSpec {
                spec: Some(PodSpec {
                    containers: vec![Container {
                        name: "api".into(),
                        image: Some("ogf-api:3".into()),
                        ..Container::default()
                    }],
                    ..PodSpec::default()
                }),
                ..PodTemplateSpec::default()
            },
            ..DeploymentSpec::default()
        },
        status: Some(DeploymentStatus {
            observed_generation: Some(2),
            replicas: Some(desired.max(updated)),
            ready_replicas: Some(ready),
            available_replicas: Some(ready),
            updated_replicas: Some(updated),
            ..DeploymentStatus::default()
        }),
    }
}

fn observed<'a>(deployment: Option<&'a Deployment>, problem: Option<&'a Problem>) -> Observed<'a> {
    Observed {
        generation: Some(5),
        paused: false,
        active_color: Color::Blue,
        deployment,
        problem,
        endpoint: "http://demo.shop.svc:8080",
        notes: &[],
    }
}

fn status_of(conditions: &[Condition], kind: ConditionType) -> (String, String) {
    let c = find(conditions, kind).unwrap();
    (c.status.clone(), c.reason.clone())
}

#[test]
fn ready_when_all_replicas_are_ready() {
    let d = deployment(2, 2, 2);
    let status = compute(None, &observed(Some(&d), None), &at(10));
    assert!(is_true(&status.conditions, ConditionType::Ready));
    assert_eq!(
        status_of(&status.conditions, ConditionType::Progressing),
        ("False".into(), "RolloutComplete".into())
    );
    assert_eq!(
        status_of(&status.conditions, ConditionType::Degraded),
        ("False".into(), "AsExpected".into())
    );
    assert_eq!((status.replicas, status.ready_replicas), (Some(2), Some(2)));
    assert_eq!(status.image.as_deref(), Some("ogf-api:3"));
    assert_eq!(status.observed_generation, Some(5));
    assert_eq!(status.active_color, Some(Color::Blue));
    assert_eq!(
        status.endpoint.as_deref(),
        Some("http://demo.shop.svc:8080")
    );
    assert!(
        status
            .conditions
            .iter()
            .all(|c| c.observed_generation == Some(5))
    );
}

#[test]
fn rolling_out_until_updated_and_ready() {
    let d = deployment(3, 1, 2);
    let status = compute(None, &observed(Some(&d), None), &at(10));
    assert_eq!(
        status_of(&status.conditions, ConditionType::Ready),
        ("False".into(), "ReplicasNotReady".into())
    );
    assert_eq!(
        status_of(&status.conditions, ConditionType::Progressing),
        ("True".into(), "RollingOut".into())
    );
    assert_eq!(
        find(&status.conditions, ConditionType::Ready)
            .unwrap()
            .message,
        "1 of 3 replicas ready"
    );
}

#[test]
fn missing_deployment_is_being_created() {
    let status = compute(None, &observed(None, None), &at(10));
    assert_eq!(
        status_of(&status.conditions, ConditionType::Ready),
        ("False".into(), "DeploymentMissing".into())
    );
    assert_eq!(
        status_of(&status.conditions, ConditionType::Progressing),
        ("True".into(), "Creating".into())
    );
    assert_eq!(status.replicas, None);
}

#[test]
fn problems_degrade_with_their_reason() {
    let d = deployment(2, 2, 2);
    let problem = Problem {
        reason: "SecretNotFound".into(),
        message: "Secret mongo not found".into(),
    };
    let status = compute(None, &observed(Some(&d), Some(&problem)), &at(10));
    assert_eq!(
        status_of(&status.conditions, ConditionType::Degraded),
        ("True".into(), "SecretNotFound".into())
    );
    assert_eq!(
        status_of(&status.conditions, ConditionType::Ready),
        ("False".into(), "SecretNotFound".into())
    );
    assert_eq!(
        find(&status.conditions, ConditionType::Degraded)
            .unwrap()
            .message,
        "Secret mongo not found"
    );
}

#[test]
fn progress_deadline_degrades() {
    let mut d = deployment(2, 0, 2);
    if let Some(status) = d.status.as_mut() {
        status.conditions = Some(vec![DeploymentCondition {
            type_: Some("Progressing".into()),
            status: Some("False".into()),
            reason: Some("ProgressDeadlineExceeded".into()),
            ..DeploymentCondition::default()
        }]);
    }
    let status = compute(None, &observed(Some(&d), None), &at(10));
    assert_eq!(
        status_of(&status.conditions, ConditionType::Degraded),
        ("True".into(), "ProgressDeadlineExceeded".into())
    );
    assert_eq!(
        status_of(&status.conditions, ConditionType::Progressing).1,
        "ProgressDeadlineExceeded"
    );
}

#[test]
fn paused_says_so() {
    let d = deployment(2, 2, 2);
    let mut seen = observed(Some(&d), None);
    seen.paused = true;
    let status = compute(None, &seen, &at(10));
    assert_eq!(
        status_of(&status.conditions, ConditionType::Progressing),
        ("False".into(), "Paused".into())
    );
    assert!(is_true(&status.conditions, ConditionType::Ready));
}

#[test]
fn scaled_to_zero_is_ready() {
    let d = deployment(0, 0, 0);
    let status = compute(None, &observed(Some(&d), None), &at(10));
    assert_eq!(
        status_of(&status.conditions, ConditionType::Ready),
        ("True".into(), "ScaledToZero".into())
    );
}

#[test]
fn transition_time_kept_while_status_unchanged() {
    let d = deployment(2, 2, 2);
    let first = compute(None, &observed(Some(&d), None), &at(10));
    let second = compute(Some(&first), &observed(Some(&d), None), &at(20));
    assert_eq!(
        second, first,
        "a no-op reconcile computes an identical status"
    );

    let degraded = deployment(2, 1, 2);
    let third = compute(Some(&second), &observed(Some(&degraded), None), &at(30));
    assert_eq!(
        find(&third.conditions, ConditionType::Ready)
            .unwrap()
            .last_transition_time,
        at(30)
    );
    assert_eq!(
        find(&third.conditions, ConditionType::Degraded)
            .unwrap()
            .last_transition_time,
        at(10)
    );
}

#[test]
fn set_condition_replaces_by_type() {
    let mut conditions = Vec::new();
    set_condition(
        &mut conditions,
        condition(
            ConditionType::Ready,
            ConditionStatus::False,
            "A",
            "a",
            Some(1),
            &at(1),
        ),
    );
    set_condition(
        &mut conditions,
        condition(
            ConditionType::Ready,
            ConditionStatus::False,
            "B",
            "b",
            Some(2),
            &at(2),
        ),
    );
    assert_eq!(conditions.len(), 1);
    assert_eq!(conditions[0].reason, "B");
    assert_eq!(conditions[0].observed_generation, Some(2));
    assert_eq!(conditions[0].last_transition_time, at(1));
    set_condition(
        &mut conditions,
        condition(
            ConditionType::Ready,
            ConditionStatus::True,
            "C",
            "c",
            Some(3),
            &at(3),
        ),
    );
    assert_eq!(conditions[0].last_transition_time, at(3));
}

#[test]
fn notes_are_appended_to_the_ready_message() {
    let notes = vec![
        "ServiceMonitor skipped: the monitoring.coreos.com/v1 API is not installed".to_string(),
    ];
    let deployment = deployment(2, 2, 2);
    let mut observed = observed(Some(&deployment), None);
    observed.notes = &notes;
    let status = compute(None, &observed, &at(10));
    let ready = find(&status.conditions, ConditionType::Ready).unwrap();
    assert!(
        ready.message.ends_with(
            "; ServiceMonitor skipped: the monitoring.coreos.com/v1 API is not installed"
        ),
        "{}",
        ready.message
    );
}
