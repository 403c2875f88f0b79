use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use serde_json::json;

use super::*;

fn at(second: i64) -> Timestamp {
    Timestamp::from_second(second).unwrap()
}

fn rollout(spec: serde_json::Value, status: RolloutStatus) -> Rollout {
    let mut base = json!({"marketplaceRef": {"name": "shop"}, "image": "api:2"});
    if let (Some(base), Some(extra)) = (base.as_object_mut(), spec.as_object()) {
        base.extend(extra.clone());
    }
    let mut rollout = Rollout::new("ro", serde_json::from_value(base).unwrap());
    rollout.status = Some(status);
    rollout
}

fn status(phase: Phase, started: i64) -> RolloutStatus {
    RolloutStatus {
        phase,
        phase_started_at: Some(Time(at(started))),
        target_color: Some(Color::Green),
        target_image: Some("api:2".into()),
        stable_image: Some("api:1".into()),
        deadline_at: Some(Time(at(1000))),
        ..RolloutStatus::default()
    }
}

fn obs(now: i64) -> Observations {
    Observations {
        now: at(now),
        marketplace: Some(MarketplaceView {
            active_color: Color::Blue,
            image: "api:1".into(),
            replicas: 2,
            embedded: false,
            autoscaled: false,
            paused: false,
        }),
        blocked_by: None,
        restore_hold: None,
        target_available: false,
        service_color: Some(Color::Blue),
        backup: StepState::NotStarted,
        migration: StepState::NotStarted,
        old_pods: 0,
        target_replicas: None,
        override_problem: None,
        check_target_problem: None,
    }
}

fn entered(decision: Decision) -> Phase {
    match decision {
        Decision::Enter { phase, .. } => phase,
        other => panic!("expected a phase change, got {other:?}"),
    }
}

#[test]
fn pending_starts_deploying_unless_blocked_or_missing() {
    let ro = rollout(json!({}), RolloutStatus::default());
    assert_eq!(entered(decide(&ro, &obs(0))), Phase::Deploying);
    let blocked = Observations {
        blocked_by: Some("older".into()),
        ..obs(0)
    };
    assert!(matches!(
        decide(&ro, &blocked),
        Decision::Wait {
            reason: Some(WaitReason::AnotherRolloutInProgress),
            ..
        }
    ));
    let held = Observations {
        restore_hold: Some("monday".into()),
        ..obs(0)
    };
    assert!(matches!(
        decide(&ro, &held),
        Decision::Wait { ref message, reason: None, .. } if message.contains("Restore monday")
    ));
    let missing = Observations {
        marketplace: None,
        ..obs(0)
    };
    assert!(matches!(
        decide(&ro, &missing),
        Decision::Fail {
            reason: FailReason::MarketplaceNotFound,
            ..
        }
    ));
}

#[test]
fn deploying_applies_until_available_then_verifies_or_rolls_back_at_the_deadline() {
    let ro = rollout(json!({}), status(Phase::Deploying, 0));
    assert_eq!(decide(&ro, &obs(10)), Decision::Act(Work::Deploy));
    let ready = Observations {
        target_available: true,
        ..obs(10)
    };
    assert_eq!(entered(decide(&ro, &ready)), Phase::Verifying);
    assert_eq!(entered(decide(&ro, &obs(1000))), Phase::RolledBack);
}

#[test]
fn verifying_probes_then_passes_or_rolls_back() {
    let checks = json!({"strategy": {"blueGreen": {"prePromotionChecks": [
        {"name": "http", "http": {"url": "http://x", "failureThreshold": 1}}]}}});
    let ready = Observations {
        target_available: true,
        ..obs(10)
    };
    let ro = rollout(checks.clone(), status(Phase::Verifying, 0));
    assert_eq!(
        decide(&ro, &ready),
        Decision::Act(Work::Probe(CheckStage::Pre))
    );

    let mut failed = status(Phase::Verifying, 0);
    checks::record(
        &mut failed,
        CheckStage::Pre,
        "http",
        checks::ProbeOutcome {
            success: false,
            value: None,
            error: None,
        },
        &Time(at(5)),
    );
    assert_eq!(
        entered(decide(&rollout(checks.clone(), failed), &ready)),
        Phase::RolledBack
    );

    let mut passed = status(Phase::Verifying, 0);
    checks::record(
        &mut passed,
        CheckStage::Pre,
        "http",
        checks::ProbeOutcome {
            success: true,
            value: None,
            error: None,
        },
        &Time(at(5)),
    );
    assert_eq!(
        entered(decide(&rollout(checks, passed), &ready)),
        Phase::AwaitingPromotion
    );
}

#[test]
fn promotion_is_automatic_after_the_delay_or_manual() {
    let auto = rollout(
        json!({"strategy": {"blueGreen": {"autoPromoteAfterSeconds": 30}}}),
        status(Phase::AwaitingPromotion, 0),
    );
    assert!(
        matches!(decide(&auto, &obs(10)), Decision::Wait { after: Some(d), .. } if d.as_secs() == 20)
    );
    assert_eq!(entered(decide(&auto, &obs(30))), Phase::Promoting);

    let manual = rollout(
        json!({"strategy": {"blueGreen": {"autoPromote": false}}}),
        status(Phase::AwaitingPromotion, 0),
    );
    assert!(matches!(
        decide(&manual, &obs(9999)),
        Decision::Wait { after: None, .. }
    ));
    let promoted = rollout(
        json!({"promote": true, "strategy": {"blueGreen": {"autoPromote": false}}}),
        status(Phase::AwaitingPromotion, 0),
    );
    assert_eq!(entered(decide(&promoted, &obs(1))), Phase::Promoting);
}

#[test]
fn promoting_never_switches_to_an_unavailable_color() {
    let ro = rollout(json!({}), status(Phase::Promoting, 0));
    assert!(matches!(decide(&ro, &obs(1)), Decision::Wait { .. }));
    let ready = Observations {
        target_available: true,
        ..obs(1)
    };
    assert_eq!(decide(&ro, &ready), Decision::Act(Work::SwitchToTarget));
    let mut switched = ready.clone();
    switched.service_color = Some(Color::Green);
    if let Some(m) = switched.marketplace.as_mut() {
        m.active_color = Color::Green;
    }
    assert_eq!(entered(decide(&ro, &switched)), Phase::PostVerifying);
}

#[test]
fn post_verifying_finishes_after_the_scale_down_delay() {
    let mut s = status(Phase::PostVerifying, 0);
    s.switched_at = Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime(
        at(0),
    ));
    let ro = rollout(
        json!({"strategy": {"blueGreen": {"scaleDownDelaySeconds": 5}}}),
        s,
    );
    assert!(matches!(
        decide(&ro, &obs(2)),
        Decision::Wait { after: Some(_), .. }
    ));
    assert_eq!(decide(&ro, &obs(5)), Decision::Act(Work::Finish));
}

#[test]
fn abort_and_cleanup_switch_back_then_scale_down() {
    let aborting = rollout(json!({"abort": true}), status(Phase::AwaitingPromotion, 0));
    assert_eq!(entered(decide(&aborting, &obs(1))), Phase::Aborted);

    let ro = rollout(
        json!({"abort": true, "strategy": {"blueGreen": {"abortScaleDownDelaySeconds": 3}}}),
        status(Phase::Aborted, 0),
    );
    let mut promoted = obs(1);
    promoted.service_color = Some(Color::Green);
    if let Some(m) = promoted.marketplace.as_mut() {
        m.active_color = Color::Green;
    }
    assert_eq!(decide(&ro, &promoted), Decision::Act(Work::SwitchBack));
    assert!(matches!(
        decide(&ro, &obs(1)),
        Decision::Wait { after: Some(_), .. }
    ));
    assert_eq!(decide(&ro, &obs(3)), Decision::Act(Work::ScaleDownTarget));
    let mut done = status(Phase::Aborted, 0);
    done.scaled_down = true;
    let done = rollout(json!({}), done);
    assert!(!in_progress(&done));
    assert!(
        decide(&done, &promoted) == Decision::Done,
        "a finished Rollout must not switch back what a later Rollout promoted"
    );
    assert!(in_progress(&ro));
}

#[test]
fn retry_restarts_a_rolled_back_rollout_once_per_value() {
    let mut ro = rollout(json!({}), status(Phase::RolledBack, 0));
    ro.metadata.annotations = Some([(RETRY_ANNOTATION.to_string(), "1".to_string())].into());
    assert_eq!(decide(&ro, &obs(1)), Decision::Retry("1".into()));
    if let Some(s) = ro.status.as_mut() {
        s.last_retry = Some("1".into());
    }
    assert!(!matches!(decide(&ro, &obs(1)), Decision::Retry(_)));
}

#[test]
fn the_older_pending_rollout_goes_first() {
    let mut older = rollout(json!({}), RolloutStatus::default());
    older.metadata.name = Some("a".into());
    older.metadata.creation_timestamp = Some(Time(at(1)));
    let mut newer = rollout(json!({}), RolloutStatus::default());
    newer.metadata.name = Some("b".into());
    newer.metadata.creation_timestamp = Some(Time(at(2)));
    assert_eq!(blocked_by(&newer, [&older, &newer]), Some("a".into()));
    assert_eq!(blocked_by(&older, [&older, &newer]), None);
    let running = rollout(json!({}), status(Phase::Verifying, 0));
    assert_eq!(blocked_by(&older, [&running]), Some("ro".into()));
}

#[test]
fn stop_then_start_waits_for_the_old_pods_to_be_gone() {
    let mut s = status(Phase::Deploying, 0);
    s.stop_then_start = true;
    let ro = rollout(json!({}), s);
    let lingering = Observations {
        old_pods: 1,
        ..obs(10)
    };
    assert_eq!(decide(&ro, &lingering), Decision::Act(Work::StopOld));
    assert_eq!(decide(&ro, &obs(10)), Decision::Act(Work::Deploy));
}

/// Observations of an autoscaled Marketplace whose HPA decided `decided` for the active color,
/// with the target color's Deployment at `target`.
fn autoscaled(now: i64, decided: i32, target: Option<i32>) -> Observations {
    let mut o = obs(now);
    if let Some(m) = o.marketplace.as_mut() {
        m.autoscaled = true;
        m.replicas = decided;
    }
    o.target_replicas = target;
    o.target_available = true;
    o
}

fn sized(phase: Phase, preview: i32) -> RolloutStatus {
    RolloutStatus {
        preview_replicas: Some(preview),
        ..status(phase, 0)
    }
}

#[test]
fn the_preview_follows_the_hpa_until_the_switch() {
    for phase in [
        Phase::Deploying,
        Phase::Verifying,
        Phase::AwaitingPromotion,
        Phase::Promoting,
    ] {
        let ro = rollout(json!({}), sized(phase, 4));
        assert_eq!(
            decide(&ro, &autoscaled(10, 6, Some(4))),
            Decision::Act(Work::Resize(6)),
            "{phase}"
        );
        assert_eq!(
            decide(&ro, &autoscaled(10, 3, Some(4))),
            Decision::Act(Work::Resize(3)),
            "{phase}: down as well"
        );
        let in_step = decide(&ro, &autoscaled(10, 4, Some(4)));
        assert!(
            !matches!(in_step, Decision::Act(Work::Resize(_))),
            "{phase}: {in_step:?}"
        );
    }
    // Recorded but not applied yet (an operator restarted in between): applied again.
    let ro = rollout(json!({}), sized(Phase::Verifying, 6));
    assert_eq!(
        decide(&ro, &autoscaled(10, 6, Some(4))),
        Decision::Act(Work::Resize(6))
    );
}

#[test]
fn the_preview_does_not_follow_without_an_hpa_after_the_switch_or_when_sized() {
    let ro = rollout(json!({}), sized(Phase::Verifying, 4));
    let mut plain = autoscaled(10, 6, Some(4));
    if let Some(m) = plain.marketplace.as_mut() {
        m.autoscaled = false;
    }
    assert!(!matches!(
        decide(&ro, &plain),
        Decision::Act(Work::Resize(_))
    ));

    let fixed = rollout(
        json!({"strategy": {"blueGreen": {"previewReplicas": 4}}}),
        sized(Phase::Verifying, 4),
    );
    assert!(!matches!(
        decide(&fixed, &autoscaled(10, 6, Some(4))),
        Decision::Act(Work::Resize(_))
    ));

    // After the switch the HPA owns the new active color's count.
    let post = rollout(json!({}), sized(Phase::PostVerifying, 4));
    let mut switched = autoscaled(10, 6, Some(4));
    if let Some(m) = switched.marketplace.as_mut() {
        m.active_color = Color::Green;
    }
    assert!(!matches!(
        decide(&post, &switched),
        Decision::Act(Work::Resize(_))
    ));
    let promoting = rollout(json!({}), sized(Phase::Promoting, 4));
    assert!(!matches!(
        decide(&promoting, &switched),
        Decision::Act(Work::Resize(_))
    ));

    // A passed deadline rolls back rather than resizing.
    let late = rollout(json!({}), sized(Phase::Verifying, 4));
    assert_eq!(
        entered(decide(&late, &autoscaled(1000, 6, Some(4)))),
        Phase::RolledBack
    );
}

#[test]
fn an_override_the_api_server_refuses_fails_before_anything_changes() {
    let ro = rollout(
        json!({"resources": {"limits": {"foo": "1"}}}),
        RolloutStatus::default(),
    );
    let refused = Observations {
        override_problem: Some(
            "spec.template.spec.containers[0].resources.limits[foo]: Invalid value".into(),
        ),
        ..obs(0)
    };
    match decide(&ro, &refused) {
        Decision::Fail { reason, message } => {
            assert_eq!(reason, FailReason::InvalidConfigOverride);
            assert_eq!(reason.as_str(), "InvalidConfigOverride");
            assert!(message.contains("limits[foo]"), "{message}");
            assert!(message.contains("nothing was changed"), "{message}");
        }
        other => panic!("expected Failed, got {other:?}"),
    }
    assert_eq!(entered(decide(&ro, &obs(0))), Phase::Deploying);
}

#[test]
fn a_check_target_off_the_allow_list_fails_before_anything_changes() {
    let spec = json!({"strategy": {"blueGreen": {
        "prePromotionChecks": [
            {"name": "ok", "http": {"url": "http://shop-preview.shop.svc:8080/readyz"}},
            {"name": "meta", "http": {"url": "http://169.254.169.254/latest/meta-data/"}}],
        "postPromotionChecks": [
            {"name": "prom", "prometheus": {"address": "http://127.0.0.1:9090",
             "query": "up", "successCondition": "result > 0"}}]}},
        "preRolloutBackup": {"backupTemplateRef": {"name": "nightly"}}});
    let ro = rollout(spec, RolloutStatus::default());
    let targets = crate::targets::CheckTargets::default();
    let problem = super::super::observe::check_target_problem(&ro.spec, &targets)
        .expect("two refused targets");
    assert!(
        problem.contains("\"meta\"") && problem.contains("\"prom\""),
        "{problem}"
    );
    assert!(!problem.contains("\"ok\""), "{problem}");
    let refused = Observations {
        check_target_problem: Some(problem),
        ..obs(0)
    };
    match decide(&ro, &refused) {
        Decision::Fail { reason, message } => {
            assert_eq!(reason.as_str(), "CheckTargetNotAllowed");
            assert!(message.contains("link-local"), "{message}");
            assert!(message.contains("loopback"), "{message}");
        }
        other => panic!("expected Failed before the backup, got {other:?}"),
    }
    // Once Failed (nothing was deployed), later reconciles leave the status as it ended.
    let failed = RolloutStatus {
        target_color: None,
        ..status(Phase::Failed, 0)
    };
    let failed = rollout(json!({}), failed);
    assert_eq!(decide(&failed, &refused), Decision::Done);
    let allowed = crate::targets::CheckTargets::parse(["*.svc", "169.254.169.254", "127.0.0.1"])
        .expect("targets");
    assert_eq!(
        super::super::observe::check_target_problem(&ro.spec, &allowed),
        None
    );
}
