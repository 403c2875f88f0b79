use super::*;
use crate::controller::restore::result::EngineResult;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use ogf_crds::RestoreSpec;
use serde_json::json;

const NOW: i64 = 1_800_000_000;

fn at(second: i64) -> Timestamp {
    Timestamp::from_second(second).unwrap()
}

fn restore(target: bool, phase: RestorePhase) -> Restore {
    let mut spec = json!({
        "source": {"backupRef": {"name": "nightly"}},
        "decryptionKeySecretRef": {"name": "age", "key": "identity"},
        "activeDeadlineSeconds": 300
    });
    if target {
        spec["target"] = json!({"name": "shop"});
    } else {
        spec["marketplaceRef"] = json!({"name": "shop"});
    }
    let spec: RestoreSpec = serde_json::from_value(spec).unwrap();
    let mut r = Restore::new("monday", spec);
    r.metadata.creation_timestamp = Some(Time(at(NOW - 10)));
    r.status = Some(RestoreStatus {
        phase,
        job_name: Some("monday-restore".into()),
        start_time: Some(Time(at(NOW - 60))),
        ..RestoreStatus::default()
    });
    r
}

fn resolved(expected: Option<BTreeMap<String, i64>>) -> SourceView {
    SourceView::Resolved {
        destination: Box::default(),
        artifact: Some("a-1".into()),
        expected_counts: expected,
    }
}

fn obs() -> Observations {
    Observations {
        now: at(NOW),
        marketplace: Some(MarketplaceView::default()),
        ahead: None,
        rollout_in_progress: false,
        busy_job: None,
        api_pods: 0,
        source: resolved(None),
        missing: None,
        job: JobView::Absent,
    }
}

fn counts() -> BTreeMap<String, i64> {
    BTreeMap::from([("listings".to_string(), 3), ("users".to_string(), 1)])
}

fn ok_result() -> EngineResult {
    EngineResult {
        ok: true,
        id: Some("a-1".into()),
        counts: counts(),
        checksum_verified: true,
        ..EngineResult::default()
    }
}

fn failed_result(reason: &str) -> EngineResult {
    EngineResult {
        ok: false,
        reason: Some(reason.into()),
        message: Some("no identity matched any of the recipients".into()),
        ..EngineResult::default()
    }
}

fn reason_of(decision: &Decision) -> &str {
    match decision {
        Decision::Fail { reason, .. } => reason,
        other => panic!("expected a failure, got {other:?}"),
    }
}

fn waits(decision: &Decision, needle: &str) {
    match decision {
        Decision::Wait { message, .. } => assert!(message.contains(needle), "{message}"),
        other => panic!("expected a wait for {needle:?}, got {other:?}"),
    }
}

#[test]
fn pending_starts_when_nothing_is_in_the_way() {
    assert_eq!(
        decide(&restore(false, RestorePhase::Pending), &obs()),
        Decision::Start
    );
}

#[test]
fn a_bootstrap_waits_for_its_marketplace_without_complaint() {
    let o = Observations {
        marketplace: None,
        ..obs()
    };
    let d = decide(&restore(true, RestorePhase::Pending), &o);
    waits(&d, "to be created");
    assert!(matches!(d, Decision::Wait { problem: None, .. }));
    let d = decide(&restore(false, RestorePhase::Pending), &o);
    assert!(matches!(d, Decision::Wait { problem: Some(ref p), .. } if p == "MarketplaceNotFound"));
}

#[test]
fn pending_waits_for_each_obstacle_in_turn() {
    let r = restore(false, RestorePhase::Pending);
    waits(
        &decide(
            &r,
            &Observations {
                ahead: Some("sunday".into()),
                ..obs()
            },
        ),
        "Restore sunday",
    );
    waits(
        &decide(
            &r,
            &Observations {
                rollout_in_progress: true,
                ..obs()
            },
        ),
        "Rollout",
    );
    waits(
        &decide(
            &r,
            &Observations {
                busy_job: Some("nightly-1".into()),
                ..obs()
            },
        ),
        "Job nightly-1",
    );
    let paused = Observations {
        marketplace: Some(MarketplaceView {
            paused: true,
            ready: true,
        }),
        ..obs()
    };
    waits(&decide(&r, &paused), "paused");
    waits(
        &decide(
            &r,
            &Observations {
                api_pods: 2,
                ..obs()
            },
        ),
        "2 pod(s) left",
    );
}

#[test]
fn missing_references_wait_as_degraded_then_fail_at_the_deadline() {
    let r = restore(false, RestorePhase::Pending);
    let missing = Observations {
        missing: Some(Missing {
            reason: "SecretNotFound".into(),
            message: "Secret age does not exist".into(),
        }),
        ..obs()
    };
    assert!(matches!(
        decide(&r, &missing),
        Decision::Wait { problem: Some(ref p), .. } if p == "SecretNotFound"
    ));
    let late = Observations {
        now: at(NOW + 400),
        ..missing
    };
    assert_eq!(reason_of(&decide(&r, &late)), "SecretNotFound");
    let no_backup = Observations {
        source: SourceView::BackupNotFound("nightly".into()),
        ..obs()
    };
    assert!(matches!(
        decide(&r, &no_backup),
        Decision::Wait { problem: Some(ref p), .. } if p == "BackupNotFound"
    ));
}

#[test]
fn a_backup_without_artifacts_fails_at_once() {
    let o = Observations {
        source: SourceView::NoArtifact("nightly".into()),
        ..obs()
    };
    let d = decide(&restore(false, RestorePhase::Pending), &o);
    assert_eq!(reason_of(&d), "NoArtifact");
}

#[test]
fn an_existing_job_is_adopted_after_a_restart() {
    let o = Observations {
        job: JobView::Active,
        api_pods: 1,
        ..obs()
    };
    assert_eq!(
        decide(&restore(false, RestorePhase::Pending), &o),
        Decision::Start
    );
}

#[test]
fn running_follows_the_job() {
    let r = restore(false, RestorePhase::Running);
    assert!(matches!(
        decide(
            &r,
            &Observations {
                job: JobView::Active,
                ..obs()
            }
        ),
        Decision::Wait { after: Some(_), .. }
    ));
    let done = Observations {
        job: JobView::Succeeded {
            result: Some(ok_result()),
            finished_at: Some(at(NOW)),
        },
        ..obs()
    };
    assert_eq!(decide(&r, &done), Decision::Verify(ok_result()));
    let silent = Observations {
        job: JobView::Succeeded {
            result: None,
            finished_at: None,
        },
        ..obs()
    };
    assert_eq!(reason_of(&decide(&r, &silent)), "InternalError");
}

#[test]
fn engine_failures_keep_their_reason_and_say_the_data_is_untouched() {
    let r = restore(false, RestorePhase::Running);
    for reason in [
        "IntegrityError",
        "DecryptionError",
        "DestinationError",
        "StoreError",
    ] {
        let o = Observations {
            job: JobView::Failed {
                job_reason: "BackoffLimitExceeded".into(),
                result: Some(failed_result(reason)),
            },
            ..obs()
        };
        let d = decide(&r, &o);
        assert_eq!(reason_of(&d), reason);
        let Decision::Fail {
            message, stop_job, ..
        } = d
        else {
            unreachable!()
        };
        assert!(message.contains("live data was not changed"), "{message}");
        assert!(!stop_job);
    }
}

#[test]
fn job_level_failures_have_their_own_reasons() {
    let r = restore(false, RestorePhase::Running);
    let deadline = Observations {
        job: JobView::Failed {
            job_reason: "DeadlineExceeded".into(),
            result: None,
        },
        ..obs()
    };
    assert_eq!(reason_of(&decide(&r, &deadline)), "DeadlineExceeded");
    let lost = Observations {
        job: JobView::Failed {
            job_reason: "BackoffLimitExceeded".into(),
            result: None,
        },
        ..obs()
    };
    assert_eq!(reason_of(&decide(&r, &lost)), "PodDeleted");
    assert_eq!(reason_of(&decide(&r, &obs())), "JobDeleted");
}

#[test]
fn the_operator_enforces_the_deadline_when_the_job_controller_does_not() {
    let r = restore(false, RestorePhase::Running);
    let late = Observations {
        now: at(NOW - 60 + 300 + DEADLINE_GRACE_SECONDS + 1),
        job: JobView::Active,
        ..obs()
    };
    match decide(&r, &late) {
        Decision::Fail {
            reason, stop_job, ..
        } => {
            assert_eq!(reason, "DeadlineExceeded");
            assert!(stop_job);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn verifying_compares_with_the_backup_record() {
    let mut r = restore(false, RestorePhase::Verifying);
    if let Some(s) = r.status.as_mut() {
        s.restored_counts = counts();
        s.checksum_verified = true;
    }
    assert_eq!(decide(&r, &obs()), Decision::Swap);
    let same = Observations {
        source: resolved(Some(counts())),
        ..obs()
    };
    assert_eq!(decide(&r, &same), Decision::Swap);
    let mut other = counts();
    other.insert("listings".into(), 4);
    let differ = Observations {
        source: resolved(Some(other)),
        ..obs()
    };
    assert_eq!(reason_of(&decide(&r, &differ)), "IntegrityError");
    if let Some(s) = r.status.as_mut() {
        s.checksum_verified = false;
    }
    assert_eq!(reason_of(&decide(&r, &obs())), "IntegrityError");
}

#[test]
fn swapping_waits_for_ready_within_a_bound() {
    let r = restore(false, RestorePhase::Swapping);
    let finished = JobView::Succeeded {
        result: Some(ok_result()),
        finished_at: Some(at(NOW - 5)),
    };
    let o = Observations {
        job: finished.clone(),
        ..obs()
    };
    assert!(matches!(
        decide(&r, &o),
        Decision::Wait { after: Some(_), .. }
    ));
    let ready = Observations {
        marketplace: Some(MarketplaceView {
            paused: false,
            ready: true,
        }),
        ..o.clone()
    };
    assert_eq!(decide(&r, &ready), Decision::Succeed);
    let late = Observations {
        now: at(NOW + SWAP_TIMEOUT_SECONDS),
        ..o
    };
    assert_eq!(reason_of(&decide(&r, &late)), "NotReady");
    let gone = Observations {
        marketplace: None,
        job: finished,
        ..obs()
    };
    assert_eq!(reason_of(&decide(&r, &gone)), "MarketplaceDeleted");
}

#[test]
fn a_finished_restore_does_nothing_more() {
    for phase in [RestorePhase::Succeeded, RestorePhase::Failed] {
        let o = Observations {
            job: JobView::Absent,
            marketplace: None,
            ..obs()
        };
        assert_eq!(decide(&restore(false, phase), &o), Decision::Done);
    }
}
