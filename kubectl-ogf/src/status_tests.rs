use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use ogf_crds::{Color, MarketplaceStatus, Phase, RolloutStatus};

use super::*;
use crate::fixtures::{artifact, backup, marketplace, restore, ts, with_artifacts};
use crate::rollout::build::new_rollout;

fn ready_shop() -> Marketplace {
    let mut m = marketplace("shop", "img:2");
    m.status = Some(MarketplaceStatus {
        conditions: vec![Condition {
            type_: "Ready".into(),
            status: "True".into(),
            reason: "AllReplicasReady".into(),
            message: "1 of 1 ready".into(),
            last_transition_time: Time(ts("2026-01-10T11:00:00Z")),
            observed_generation: Some(1),
        }],
        replicas: Some(1),
        ready_replicas: Some(1),
        endpoint: Some("http://shop.ogf.svc:8080".into()),
        image: Some("img:1".into()),
        active_color: Some(Color::Green),
        observed_generation: Some(1),
    });
    m
}

fn rollout_at(name: &str, marketplace: &str, created: &str, phase: Phase) -> Rollout {
    let mut r = new_rollout(marketplace, &format!("img:{name}"), Some(name), "", true);
    r.metadata.creation_timestamp = Some(Time(ts(created)));
    r.status = Some(RolloutStatus {
        phase,
        ..RolloutStatus::default()
    });
    r
}

#[test]
fn the_report_gathers_everything_about_one_marketplace() {
    let rollouts = vec![
        rollout_at("old", "shop", "2026-01-09T00:00:00Z", Phase::Succeeded),
        rollout_at(
            "new",
            "shop",
            "2026-01-10T11:55:00Z",
            Phase::AwaitingPromotion,
        ),
        rollout_at("else", "other", "2026-01-10T11:59:00Z", Phase::Pending),
    ];
    let backups = vec![
        with_artifacts(
            backup("nightly", "shop"),
            vec![artifact(
                "a2",
                "2026-01-10T02:00:00Z",
                12_897_484,
                Some(true),
            )],
        ),
        backup("other", "other"),
    ];
    let restores = vec![restore("r1", "shop", Some("Running"))];
    let report = StatusReport::build(&ready_shop(), &rollouts, &backups, &restores);
    assert_eq!(report.rollout.as_ref().unwrap().name, "new");
    assert_eq!(report.backups.len(), 1);
    assert_eq!(report.restore.as_ref().unwrap().phase, "Running");
    assert_eq!((report.ready_replicas, report.desired_replicas), (1, 1));

    let text = report.render(&ts("2026-01-10T12:00:00Z"));
    let expected = "\
Marketplace:  shop (namespace ogf)
Ready:        True (AllReplicasReady): 1 of 1 ready
Active color: green
Image:        img:1 (spec: img:2)
Replicas:     1/1 ready
Endpoint:     http://shop.ogf.svc:8080
Rollout:      new AwaitingPromotion → img:new (created 5m ago)
Restore:      r1 Running (artifact a1, started 5m ago)
Backups:
  NAME      SCHEDULE    LAST SUCCESS   LAST FAILURE   NEWEST ARTIFACT   AGE   SIZE       VERIFIED
  nightly   0 2 * * *   10h ago        -              a2                10h   12.3 MiB   yes
";
    assert_eq!(text, expected);

    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["activeColor"], "green");
    assert_eq!(json["rollout"]["phase"], "AwaitingPromotion");
    assert_eq!(json["backups"][0]["newestArtifact"], "a2");
    assert_eq!(json["ready"]["reason"], "AllReplicasReady");
}

#[test]
fn a_fresh_marketplace_shows_what_is_missing() {
    let mut m = marketplace("shop", "img:1");
    m.spec.paused = true;
    let report = StatusReport::build(&m, &[], &[backup("once", "shop")], &[]);
    let text = report.render(&ts("2026-01-10T12:00:00Z"));
    assert!(
        text.contains("Ready:        Unknown (no status yet)\n"),
        "{text}"
    );
    assert!(text.contains("Paused:       yes"), "{text}");
    assert!(text.contains("Image:        - (spec: img:1)\n"), "{text}");
    assert!(text.contains("Replicas:     0/1 ready\n"), "{text}");
    assert!(text.contains("Rollout:      none\n"), "{text}");
    assert!(text.contains("Restore:      none in progress\n"), "{text}");
    assert!(
        text.contains("  once   0 2 * * *   -              -              -"),
        "{text}"
    );

    let report = StatusReport::build(&m, &[], &[], &[]);
    assert!(
        report
            .render(&ts("2026-01-10T12:00:00Z"))
            .ends_with("Backups:      none\n")
    );
}

#[test]
fn degraded_is_shown_only_when_true() {
    let mut m = ready_shop();
    let conditions = &mut m.status.as_mut().unwrap().conditions;
    conditions.push(Condition {
        type_: "Degraded".into(),
        status: "True".into(),
        reason: "SecretNotFound".into(),
        message: "secret mongo not found".into(),
        last_transition_time: Time(ts("2026-01-10T11:00:00Z")),
        observed_generation: Some(1),
    });
    let report = StatusReport::build(&m, &[], &[], &[]);
    let text = report.render(&ts("2026-01-10T12:00:00Z"));
    assert!(
        text.contains("Degraded:     True (SecretNotFound): secret mongo not found\n"),
        "{text}"
    );
    m.status.as_mut().unwrap().conditions[1].status = "False".into();
    assert!(StatusReport::build(&m, &[], &[], &[]).degraded.is_none());
}
