use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;
use ogf_crds::rollout::Phase;
use ogf_crds::{Color, Rollout, RolloutStatus};
use serde_json::json;

use super::super::phase::{
    Decision, FailReason, MarketplaceView, Observations, StepState, WaitReason, Work, decide,
};

fn rollout(spec: serde_json::Value, status: RolloutStatus) -> Rollout {
    let mut base = json!({"marketplaceRef": {"name": "shop"}, "image": "api:2"});
    if let (Some(base), Some(extra)) = (base.as_object_mut(), spec.as_object()) {
        base.extend(extra.clone());
    }
    let mut rollout = Rollout::new("ro", serde_json::from_value(base).unwrap());
    rollout.status = Some(status);
    rollout
}

fn in_phase(phase: Phase) -> RolloutStatus {
    RolloutStatus {
        phase,
        target_color: Some(Color::Green),
        target_image: Some("api:2".into()),
        backup_name: Some("ro-pre".into()),
        migration_job: Some("ro-migrate".into()),
        ..RolloutStatus::default()
    }
}

fn obs() -> Observations {
    Observations {
        now: Timestamp::from_second(100).unwrap(),
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

fn both() -> serde_json::Value {
    json!({"preRolloutBackup": {"backupTemplateRef": {"name": "nightly"}},
           "migration": {"args": ["--version"]}})
}

fn entered(decision: Decision) -> Phase {
    match decision {
        Decision::Enter { phase, .. } => phase,
        other => panic!("expected a phase change, got {other:?}"),
    }
}

fn failed(decision: Decision) -> FailReason {
    match decision {
        Decision::Fail { reason, .. } => reason,
        other => panic!("expected Failed, got {other:?}"),
    }
}

#[test]
fn pending_starts_with_the_backup_then_the_migration_then_deploying() {
    let ro = rollout(both(), RolloutStatus::default());
    assert_eq!(entered(decide(&ro, &obs())), Phase::BackingUp);
    let ro = rollout(
        json!({"migration": {"args": ["x"]}}),
        RolloutStatus::default(),
    );
    assert_eq!(entered(decide(&ro, &obs())), Phase::Migrating);
    let ro = rollout(json!({}), RolloutStatus::default());
    assert_eq!(entered(decide(&ro, &obs())), Phase::Deploying);
}

#[test]
fn backing_up_creates_waits_then_moves_on_or_fails() {
    let ro = rollout(both(), in_phase(Phase::BackingUp));
    let with = |backup| Observations { backup, ..obs() };
    assert_eq!(
        decide(&ro, &with(StepState::NotStarted)),
        Decision::Act(Work::CreateBackup)
    );
    assert!(matches!(
        decide(&ro, &with(StepState::Running("Degraded: no Secret".into()))),
        Decision::Wait { after: None, ref message, .. } if message.contains("no Secret")
    ));
    assert_eq!(
        entered(decide(&ro, &with(StepState::Succeeded))),
        Phase::Migrating
    );
    let no_migration = rollout(
        json!({"preRolloutBackup": {"backupTemplateRef": {"name": "nightly"}}}),
        in_phase(Phase::BackingUp),
    );
    assert_eq!(
        entered(decide(&no_migration, &with(StepState::Succeeded))),
        Phase::Deploying
    );
    assert_eq!(
        failed(decide(&ro, &with(StepState::Failed("S3 down".into())))),
        FailReason::BackupFailed
    );
    assert_eq!(
        failed(decide(&ro, &with(StepState::TemplateMissing))),
        FailReason::BackupTemplateNotFound
    );
}

#[test]
fn a_degraded_backup_fails_the_rollout_after_a_grace_period() {
    let ro = rollout(both(), in_phase(Phase::BackingUp));
    let since = |second| Timestamp::from_second(second).unwrap();
    let with = |at| Observations {
        backup: StepState::Degraded("SecretNotFound: no s3".into(), since(at)),
        ..obs()
    };
    // obs() is at second 100: degraded since 95, 5 s of the grace are left.
    assert!(matches!(
        decide(&ro, &with(95)),
        Decision::Wait { after: Some(after), ref message, .. }
            if after.as_secs() == 5 && message.contains("SecretNotFound")
    ));
    match decide(&ro, &with(100 - super::BACKUP_DEGRADED_GRACE_SECONDS)) {
        Decision::Fail { reason, message } => {
            assert_eq!(reason, FailReason::BackupFailed);
            assert!(message.contains("degraded: SecretNotFound"), "{message}");
        }
        other => panic!("expected Failed, got {other:?}"),
    }
}

#[test]
fn migrating_waits_for_completion_not_the_start() {
    let ro = rollout(both(), in_phase(Phase::Migrating));
    let with = |migration| Observations { migration, ..obs() };
    assert_eq!(
        decide(&ro, &with(StepState::NotStarted)),
        Decision::Act(Work::StartMigration)
    );
    assert!(matches!(
        decide(
            &ro,
            &with(StepState::Running("running (1 active pod(s))".into()))
        ),
        Decision::Wait { after: None, .. }
    ));
    assert_eq!(
        entered(decide(&ro, &with(StepState::Succeeded))),
        Phase::Deploying
    );
    match decide(&ro, &with(StepState::Failed("DeadlineExceeded: ".into()))) {
        Decision::Fail { reason, message } => {
            assert_eq!(reason, FailReason::MigrationFailed);
            assert!(message.contains("ro-migrate") && message.contains("DeadlineExceeded"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_missing_marketplace_fails_a_running_rollout() {
    for phase in [Phase::Pending, Phase::Migrating, Phase::Verifying] {
        let ro = rollout(json!({}), in_phase(phase));
        let missing = Observations {
            marketplace: None,
            ..obs()
        };
        assert_eq!(
            failed(decide(&ro, &missing)),
            FailReason::MarketplaceNotFound
        );
    }
}

#[test]
fn a_paused_marketplace_holds_every_phase_and_resumes() {
    let mut paused = obs();
    if let Some(m) = paused.marketplace.as_mut() {
        m.paused = true;
    }
    for phase in [
        Phase::Pending,
        Phase::BackingUp,
        Phase::Deploying,
        Phase::AwaitingPromotion,
        Phase::PostVerifying,
    ] {
        let ro = rollout(json!({}), in_phase(phase));
        assert!(
            matches!(
                decide(&ro, &paused),
                Decision::Wait {
                    reason: Some(WaitReason::MarketplacePaused),
                    after: None,
                    ..
                }
            ),
            "{phase}"
        );
    }
    // Abort is still recorded (a status write only); its cleanup waits for the unpause.
    let aborting = rollout(json!({"abort": true}), in_phase(Phase::Verifying));
    assert_eq!(entered(decide(&aborting, &paused)), Phase::Aborted);
    let cleanup = rollout(json!({"abort": true}), in_phase(Phase::Aborted));
    assert!(matches!(
        decide(&cleanup, &paused),
        Decision::Wait {
            reason: Some(WaitReason::MarketplacePaused),
            ..
        }
    ));
    let mut was_paused = in_phase(Phase::Verifying);
    was_paused.paused_at = Some(Time(Timestamp::from_second(40).unwrap()));
    assert_eq!(
        decide(&rollout(json!({}), was_paused), &obs()),
        Decision::Resume
    );
}

#[test]
fn resume_moves_the_deadline_by_the_pause() {
    let mut status = in_phase(Phase::Verifying);
    status.paused_at = Some(Time(Timestamp::from_second(40).unwrap()));
    status.deadline_at = Some(Time(Timestamp::from_second(60).unwrap()));
    super::super::transition::resume(&mut status, Timestamp::from_second(100).unwrap());
    assert_eq!(status.paused_at, None);
    assert_eq!(status.deadline_at.map(|t| t.0.as_second()), Some(120));
}
