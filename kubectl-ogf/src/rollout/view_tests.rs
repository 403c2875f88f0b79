use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use ogf_crds::rollout::{CheckResult, Step};
use ogf_crds::{Color, RolloutStatus};

use super::*;
use crate::rollout::build::new_rollout;

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn step(phase: Phase, at: &str, message: &str) -> Step {
    Step {
        phase,
        at: Time(ts(at)),
        message: message.into(),
    }
}

fn awaiting() -> Rollout {
    let mut r = new_rollout("shop", "img:2", Some("shop-2"), "", false);
    r.status = Some(RolloutStatus {
        phase: Phase::AwaitingPromotion,
        phase_started_at: Some(Time(ts("2026-01-10T11:58:00Z"))),
        active_color: Some(Color::Blue),
        preview_color: Some(Color::Green),
        stable_image: Some("img:1".into()),
        target_image: Some("img:2".into()),
        message: Some("waiting for spec.promote".into()),
        steps: vec![
            step(Phase::Pending, "2026-01-10T11:50:00Z", ""),
            step(Phase::Deploying, "2026-01-10T11:51:00Z", "preview green"),
            step(
                Phase::AwaitingPromotion,
                "2026-01-10T11:58:00Z",
                "checks passed",
            ),
        ],
        checks: vec![CheckResult {
            name: "readyz".into(),
            stage: ogf_crds::rollout::CheckStage::Pre,
            successes: 3,
            failures: 0,
            last_probe_at: None,
            last_value: Some("200".into()),
            last_error: None,
        }],
        ..RolloutStatus::default()
    });
    r
}

#[test]
fn status_shows_phase_colors_history_and_checks() {
    let text = render(&awaiting(), &ts("2026-01-10T12:00:00Z"));
    assert!(text.contains("Rollout:        shop-2\n"), "{text}");
    assert!(
        text.contains("Phase:          AwaitingPromotion (since 2m)\n"),
        "{text}"
    );
    assert!(text.contains("Stable image:   img:1\n"), "{text}");
    assert!(text.contains("Active color:   blue\n"), "{text}");
    assert!(text.contains("Promotion:      manual\n"), "{text}");
    assert!(
        text.contains("Message:        waiting for spec.promote\n"),
        "{text}"
    );
    assert!(
        text.contains("  Deploying           2026-01-10T11:51:00Z   9m    preview green\n"),
        "{text}"
    );
    assert!(
        text.contains("  readyz   pre     3           0          200          -\n"),
        "{text}"
    );
}

#[test]
fn a_rollout_without_status_is_pending() {
    let r = new_rollout("shop", "img:2", Some("fresh"), "", true);
    let text = render(&r, &ts("2026-01-10T12:00:00Z"));
    assert!(
        text.contains("Phase:          Pending (since -)\n"),
        "{text}"
    );
    assert!(!text.contains("Steps:"), "{text}");
    assert!(outcome(&r).is_none());
}

#[test]
fn watch_prints_only_new_steps() {
    let steps = awaiting().status.unwrap().steps;
    assert_eq!(steps_after(&steps, None).len(), 3);
    assert_eq!(steps_after(&steps, Some(&steps[0])), &steps[1..]);
    assert!(steps_after(&steps, Some(&steps[2])).is_empty());
    let gone = step(Phase::Pending, "2020-01-01T00:00:00Z", "");
    assert_eq!(steps_after(&steps, Some(&gone)).len(), 3);
    assert_eq!(
        step_line(&steps[1]),
        "2026-01-10T11:51:00Z  Deploying          preview green"
    );
}

#[test]
fn outcomes_decide_the_exit_code() {
    let mut r = awaiting();
    assert!(outcome(&r).is_none());
    r.status.as_mut().unwrap().phase = Phase::Succeeded;
    assert_eq!(
        outcome(&r).unwrap().unwrap(),
        "rollout \"shop-2\" succeeded: shop serves img:2"
    );
    let status = r.status.as_mut().unwrap();
    status.phase = Phase::RolledBack;
    status.reason = Some("CheckFailed".into());
    status.message = Some("readyz failed 3 times".into());
    let err = outcome(&r).unwrap().unwrap_err();
    assert_eq!(err.exit_code(), 1);
    assert_eq!(
        err.to_string(),
        "rollout \"shop-2\" ended RolledBack (CheckFailed: readyz failed 3 times)"
    );
}
