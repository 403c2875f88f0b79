use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use ogf_crds::RolloutStatus;
use ogf_crds::rollout::Step;

use super::*;

pub(crate) fn rollout(name: &str, marketplace: &str, phase: Phase) -> Rollout {
    let mut r = new_rollout(marketplace, "img:2", Some(name), "", true);
    r.status = Some(RolloutStatus {
        phase,
        ..RolloutStatus::default()
    });
    r
}

fn succeeded(name: &str, marketplace: &str, stable: &str, at: &str) -> Rollout {
    let mut r = rollout(name, marketplace, Phase::Succeeded);
    let status = r.status.as_mut().unwrap();
    status.stable_image = Some(stable.into());
    status.steps = vec![Step {
        phase: Phase::Succeeded,
        at: Time(at.parse().unwrap()),
        message: String::new(),
    }];
    r
}

#[test]
fn names_come_from_the_image_tag() {
    assert_eq!(
        name_prefix("shop", "ghcr.io/ogf-dev/ogf-api:1.5.0"),
        "shop-1-5-0-"
    );
    assert_eq!(
        name_prefix("shop", "localhost:5000/ogf-api"),
        "shop-latest-"
    );
    assert_eq!(
        name_prefix("shop", "ogf-api@sha256:0123456789abcdef0123"),
        "shop-0123456789ab-"
    );
    assert_eq!(name_prefix("Shop", "x:V1_2--RC"), "shop-v1-2-rc-");
    let long = name_prefix(&"m".repeat(60), "x:1");
    assert!(
        long.len() <= MAX_PREFIX_LEN && long.ends_with('-'),
        "{long}"
    );
}

#[test]
fn new_rollouts_target_the_marketplace() {
    let r = new_rollout("shop", "img:2", None, "shop-2-", false);
    assert_eq!(r.metadata.name, None);
    assert_eq!(r.metadata.generate_name.as_deref(), Some("shop-2-"));
    assert_eq!(r.spec.marketplace_ref.name, "shop");
    assert_eq!(r.spec.image, "img:2");
    assert!(!r.spec.strategy.blue_green.auto_promote);
    assert!(!r.spec.promote && !r.spec.abort);
    let named = new_rollout("shop", "img:2", Some("mine"), "shop-2-", true);
    assert_eq!(named.metadata.name.as_deref(), Some("mine"));
    assert_eq!(named.metadata.generate_name, None);
    assert!(named.spec.strategy.blue_green.auto_promote);
    // The object is what the CRD expects.
    let value = serde_json::to_value(&named).unwrap();
    assert_eq!(value["apiVersion"], "ogf.dev/v1alpha1");
    assert_eq!(value["kind"], "Rollout");
    assert_eq!(value["spec"]["marketplaceRef"]["name"], "shop");
}

#[test]
fn promote_and_abort_only_unfinished_rollouts() {
    let running = rollout("r", "shop", Phase::AwaitingPromotion);
    assert_eq!(
        promote_patch(&running).unwrap(),
        json!({"spec": {"promote": true}})
    );
    assert_eq!(
        abort_patch(&running).unwrap(),
        json!({"spec": {"abort": true}})
    );
    let mut no_status = running.clone();
    no_status.status = None;
    assert!(promote_patch(&no_status).is_ok());

    let done = rollout("r", "shop", Phase::Succeeded);
    let err = promote_patch(&done).unwrap_err();
    assert!(
        err.to_string().contains("already finished (Succeeded)"),
        "{err}"
    );
    let err = abort_patch(&done).unwrap_err();
    assert!(
        err.to_string().contains("kubectl ogf rollout undo shop"),
        "{err}"
    );
    assert_eq!(err.exit_code(), 1);

    let mut aborting = running;
    aborting.spec.abort = true;
    assert!(promote_patch(&aborting).is_err());
}

#[test]
fn retry_only_unsuccessful_rollouts_and_clears_abort() {
    for phase in [Phase::Aborted, Phase::RolledBack, Phase::Failed] {
        let patch = retry_patch(&rollout("r", "shop", phase), "2026-01-01T00:00:00Z").unwrap();
        assert_eq!(
            patch,
            json!({
                "metadata": {"annotations": {"ogf.dev/retry": "2026-01-01T00:00:00Z"}},
                "spec": {"abort": false, "promote": false},
            })
        );
    }
    for phase in [Phase::Pending, Phase::Verifying, Phase::Succeeded] {
        let err = retry_patch(&rollout("r", "shop", phase), "t").unwrap_err();
        assert!(err.to_string().contains("can be retried"), "{err}");
    }
}

#[test]
fn undo_goes_back_to_the_newest_stable_image() {
    let rollouts = vec![
        succeeded("old", "shop", "img:0", "2026-01-01T00:00:00Z"),
        succeeded("new", "shop", "img:1", "2026-01-02T00:00:00Z"),
        succeeded("other", "other-shop", "img:9", "2026-01-03T00:00:00Z"),
        rollout("failed", "shop", Phase::RolledBack),
    ];
    assert_eq!(
        plan_undo("shop", Some("img:2"), &rollouts).unwrap(),
        UndoPlan {
            from_rollout: "new".into(),
            image: "img:1".into()
        }
    );
    let err = plan_undo("shop", Some("img:1"), &rollouts).unwrap_err();
    assert!(err.to_string().contains("already runs img:1"), "{err}");
}

#[test]
fn undo_is_refused_without_history_or_during_a_rollout() {
    let err = plan_undo("shop", None, &[rollout("f", "shop", Phase::Aborted)]).unwrap_err();
    assert!(
        err.to_string().contains("has no Succeeded Rollout"),
        "{err}"
    );

    let mut no_stable = succeeded("s", "shop", "", "2026-01-01T00:00:00Z");
    no_stable.status.as_mut().unwrap().stable_image = None;
    let err = plan_undo("shop", None, &[no_stable]).unwrap_err();
    assert!(err.to_string().contains("status.stableImage"), "{err}");

    let rollouts = vec![
        succeeded("s", "shop", "img:1", "2026-01-01T00:00:00Z"),
        rollout("busy", "shop", Phase::Deploying),
    ];
    let err = plan_undo("shop", None, &rollouts).unwrap_err();
    assert!(err.to_string().contains("\"busy\""), "{err}");
    assert!(err.to_string().contains("rollout abort busy"), "{err}");
}
