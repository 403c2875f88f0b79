//! The steps a Rollout takes before and around the preview, against the real control plane:
//! migration Jobs run for real (the Job runner executes their pods with the local `ogf-api`,
//! kwok runs no containers) and waited for to completion; a pre-rollout Backup made by the
//! real Backup controller and engine into MinIO; `Failed` for what cannot run; a paused
//! Marketplace; the embedded store's stop-then-start waiting for the old pod to be gone; and
//! an operator killed in every phase that can be held deterministically.

#[allow(dead_code)] // shared with operator_rollout_{hpa,prometheus}.rs, which use other parts
#[path = "operator_rollout_steps/fixture.rs"]
mod fixture;

use std::sync::Arc;
use std::sync::atomic::{AtomicU16, Ordering};

use fixture::{Fixture, NEW, OLD, WAIT, patient_check, phases, serve};
use k8s_openapi::api::batch::v1::Job;
use kube::Api;
use serde_json::json;

#[tokio::test]
async fn migration_runs_the_new_image_to_completion_before_deploying() {
    if ogf_e2e::env::mongo().is_none() {
        return;
    }
    let Some(f) = Fixture::new("ro-migrate", false).await else {
        return;
    };
    f.create_rollout(
        "to-1-1",
        json!({"migration": {"args": ["migrate", "--result-file", "/dev/termination-log"], "deadlineSeconds": 60,
               "env": [{"name": "MIGRATION_MODE", "value": "expand"}]},
               "strategy": {"blueGreen": {"scaleDownDelaySeconds": 1}}}),
    )
    .await;
    let done = f.wait_phase("to-1-1", "Succeeded").await;
    assert_eq!(
        phases(&done)[..3],
        ["Migrating", "Deploying", "Verifying"],
        "{done}"
    );
    let runs = f.runner.runs();
    assert_eq!(runs.len(), 1, "{runs:#?}");
    assert_eq!(runs[0].exit_code, 0, "{runs:#?}");
    assert_eq!(
        runs[0].spec_args,
        ["migrate", "--result-file", "/dev/termination-log"]
    );
    // `ogf-api migrate` really connected to the Marketplace's MongoDB through the mounted URI file.
    let result: serde_json::Value = serde_json::from_str(&runs[0].message).expect("result line");
    assert_eq!(result["ok"], true, "{result}");
    assert_eq!(result["store"], "mongodb", "{result}");
    let job_name = done["status"]["migrationJob"].as_str().expect("job name");
    let job = Api::<Job>::namespaced(f.client.clone(), f.ns.name())
        .get(job_name)
        .await
        .expect("migration job");
    let container = &job
        .spec
        .expect("spec")
        .template
        .spec
        .expect("pod")
        .containers[0];
    assert_eq!(container.image.as_deref(), Some(NEW), "runs the NEW image");
    let env = container.env.clone().unwrap_or_default();
    assert!(env.iter().all(|e| e.value_from.is_none()), "{env:?}");
    assert!(env.iter().any(|e| e.name == "OGF_MONGODB_URI_FILE"
        && e.value.as_deref() == Some("/var/run/ogf/mongodb/uri")));
    f.wait_selector("green").await;
}

/// The migration fails for real (an unknown subcommand of `ogf-api`), after an operator
/// restart while `Migrating`: the Rollout is `Failed` with the command's words, the preview
/// was never deployed and traffic never moved.
#[tokio::test]
async fn failing_migration_fails_the_rollout_without_touching_traffic() {
    let Some(mut f) = Fixture::new("ro-migrate-bad", false).await else {
        return;
    };
    f.runner.set_paused(true);
    f.create_rollout(
        "bad",
        json!({"migration": {"args": ["no-such-migration"], "deadlineSeconds": 60}}),
    )
    .await;
    f.wait_phase("bad", "Migrating").await;
    f.restart_operator().await;
    f.runner.set_paused(false);
    let failed = f.wait_phase("bad", "Failed").await;
    let status = &failed["status"];
    assert_eq!(status["reason"], "MigrationFailed", "{status}");
    let message = status["message"].as_str().unwrap_or_default();
    assert!(message.contains("no-such-migration"), "{message}");
    f.wait_condition("bad", "Degraded", "MigrationFailed").await;
    assert_eq!(phases(&failed), ["Migrating", "Failed"]);
    assert_eq!(f.selector().await, "blue");
    assert_eq!(
        f.replicas("shop-green").await.unwrap_or(0),
        0,
        "never deployed"
    );
    let runs = f.runner.runs();
    assert_eq!(
        runs.len(),
        1,
        "one Job pod, not one per operator: {runs:#?}"
    );
    assert_ne!(runs[0].exit_code, 0);
    let mkt = f.marketplaces().get("shop").await.expect("marketplace");
    assert_eq!(mkt.status.and_then(|s| s.image).as_deref(), Some(OLD));
}

/// A pre-rollout backup by the real Backup controller (its Job run by the runner with the
/// real engine, into MinIO): a template whose credentials are wrong fails the Rollout with
/// nothing changed; a missing template too; a working one is awaited, then the Rollout goes on.
#[tokio::test]
async fn pre_rollout_backup_is_awaited_and_a_failed_one_fails_the_rollout() {
    let Some(f) = Fixture::new("ro-backup", true).await else {
        return;
    };
    if !f.backup_template("broken", false).await || !f.backup_template("nightly", true).await {
        return;
    }
    f.create_rollout(
        "missing",
        json!({"preRolloutBackup": {"backupTemplateRef": {"name": "nope"}}}),
    )
    .await;
    let failed = f.wait_phase("missing", "Failed").await;
    assert_eq!(failed["status"]["reason"], "BackupTemplateNotFound");

    f.create_rollout(
        "broken",
        json!({"preRolloutBackup": {"backupTemplateRef": {"name": "broken"}}}),
    )
    .await;
    let failed = f.wait_phase("broken", "Failed").await;
    assert_eq!(failed["status"]["reason"], "BackupFailed", "{failed}");
    assert_eq!(phases(&failed), ["BackingUp", "Failed"]);
    assert_eq!(f.selector().await, "blue");
    assert_eq!(f.replicas("shop-blue").await, Some(1), "nothing stopped");

    f.create_rollout(
        "good",
        json!({"preRolloutBackup": {"backupTemplateRef": {"name": "nightly"}},
               "strategy": {"blueGreen": {"scaleDownDelaySeconds": 1}}}),
    )
    .await;
    let done = f.wait_phase("good", "Succeeded").await;
    assert_eq!(phases(&done)[..2], ["BackingUp", "Deploying"], "{done}");
    let backup = f.backups().get("good-pre").await.expect("one-shot backup");
    assert_eq!(backup.spec.schedule, None);
    let status = backup.status.expect("backup status");
    assert_eq!(status.artifacts.len(), 1, "{status:?}");
    assert!(status.artifacts[0].location.starts_with("s3://"));
    let owner = &backup.metadata.owner_references.expect("owner")[0];
    assert_eq!(
        (owner.kind.as_str(), owner.name.as_str()),
        ("Rollout", "good")
    );
    f.wait_selector("green").await;
}

#[tokio::test]
async fn a_paused_marketplace_holds_the_rollout_until_unpaused() {
    let Some(f) = Fixture::new("ro-paused", false).await else {
        return;
    };
    let status = Arc::new(AtomicU16::new(500));
    let url = serve(status.clone()).await;
    f.create_rollout(
        "held",
        json!({"strategy": {"blueGreen": {"scaleDownDelaySeconds": 1,
               "prePromotionChecks": patient_check(&url)}}}),
    )
    .await;
    f.wait_phase("held", "Verifying").await;
    f.patch_marketplace(json!({"spec": {"paused": true}})).await;
    f.wait_condition("held", "Waiting", "MarketplacePaused")
        .await;
    status.store(200, Ordering::SeqCst);
    // Paused: the passing check is not even probed, nothing moves.
    let held = f.wait_phase("held", "Verifying").await;
    assert!(held["status"]["pausedAt"].is_string(), "{held}");
    assert_eq!(f.selector().await, "blue");
    f.patch_marketplace(json!({"spec": {"paused": false}}))
        .await;
    let done = f.wait_phase("held", "Succeeded").await;
    assert!(done["status"]["pausedAt"].is_null());
    let waiting = done["status"]["conditions"]
        .as_array()
        .is_some_and(|cs| cs.iter().any(|c| c["type"] == "Waiting"));
    assert!(!waiting, "{done}");
    f.wait_selector("green").await;
}

/// The embedded store's single volume: the new color starts only when the old pod is fully
/// gone, not merely asked to stop (a finalizer keeps it terminating here).
#[tokio::test]
async fn embedded_stop_then_start_waits_for_the_old_pod_to_be_gone() {
    let Some(f) = Fixture::new("ro-stopstart", true).await else {
        return;
    };
    assert_eq!(f.hold_pods("blue", true).await, 1);
    f.create_rollout(
        "move",
        json!({"strategy": {"blueGreen": {"scaleDownDelaySeconds": 1}}}),
    )
    .await;
    f.wait_phase("move", "Deploying").await;
    f.wait_replicas("shop-blue", 0).await;
    f.wait_terminating("blue").await;
    // Still there: a reconcile triggered now must still not start green.
    f.patch_rollout("move", json!({"metadata": {"annotations": {"poke": "1"}}}))
        .await;
    f.wait_phase("move", "Deploying").await;
    assert_eq!(
        f.replicas("shop-green").await.unwrap_or(0),
        0,
        "started too early"
    );
    assert_eq!(f.pods_of("green").await.len(), 0);
    f.hold_pods("blue", false).await;
    let done = f.wait_phase("move", "Succeeded").await;
    assert!(done["status"]["stopThenStart"].as_bool().unwrap_or(false));
    f.wait_selector("green").await;
    f.wait_replicas("shop-green", 1).await;
}

/// One Rollout through every phase of a successful move (BackingUp, Migrating, Deploying,
/// Verifying, AwaitingPromotion, Promoting, PostVerifying), with the operator killed and
/// restarted in each: it ends Succeeded on green, with every phase recorded once, one backup
/// and one migration run, and the active Service switched exactly once.
#[tokio::test]
async fn an_operator_killed_in_every_phase_resumes_to_the_right_end() {
    let Some(mut f) = Fixture::new("ro-restart-all", true).await else {
        return;
    };
    if !f.backup_template("nightly", true).await {
        return;
    }
    let pre = Arc::new(AtomicU16::new(500));
    let post = Arc::new(AtomicU16::new(500));
    let (pre_url, post_url) = (serve(pre.clone()).await, serve(post.clone()).await);
    f.hold_pods("blue", true).await;
    let history = f.selector_history();
    assert_eq!(history.started().await, "blue");
    f.runner.set_paused(true);
    f.create_rollout(
        "all",
        json!({"preRolloutBackup": {"backupTemplateRef": {"name": "nightly"}},
               "migration": {"args": ["--version"], "deadlineSeconds": 120},
               "strategy": {"blueGreen": {"autoPromote": false, "scaleDownDelaySeconds": 1,
                   "prePromotionChecks": patient_check(&pre_url),
                   "postPromotionChecks": patient_check(&post_url)}}}),
    )
    .await;

    f.wait_phase("all", "BackingUp").await;
    f.restart_operator().await;
    f.runner.set_paused(false);
    f.runner.wait_for_runs(1, WAIT).await;
    // Hold the migration Job's pod until the operator has been restarted in Migrating.
    f.runner.set_paused(true);
    f.wait_phase("all", "Migrating").await;
    f.restart_operator().await;
    f.runner.set_paused(false);

    f.wait_phase("all", "Deploying").await;
    f.wait_terminating("blue").await;
    f.restart_operator().await;
    f.wait_phase("all", "Deploying").await;
    assert_eq!(f.replicas("shop-green").await.unwrap_or(0), 0);
    f.hold_pods("blue", false).await;

    f.wait_phase("all", "Verifying").await;
    f.restart_operator().await;
    pre.store(200, Ordering::SeqCst);

    f.wait_phase("all", "AwaitingPromotion").await;
    f.restart_operator().await;
    // Promoting is held by the new color ceasing to be Available just before the promotion
    // (its pod's readiness probe "fails"): the switch waits for it, across a restart.
    f.set_pods_ready("green", false).await;
    f.wait_ready_replicas("shop-green", 0).await;
    f.patch_rollout("all", json!({"spec": {"promote": true}}))
        .await;
    f.wait_message("all", "Available before switching").await;
    f.restart_operator().await;
    assert_eq!(
        f.selector().await,
        "blue",
        "switched to an unavailable color"
    );
    f.set_pods_ready("green", true).await;

    f.wait_phase("all", "PostVerifying").await;
    f.restart_operator().await;
    post.store(200, Ordering::SeqCst);

    let done = f.wait_phase("all", "Succeeded").await;
    assert_eq!(
        phases(&done),
        [
            "BackingUp",
            "Migrating",
            "Deploying",
            "Verifying",
            "AwaitingPromotion",
            "Promoting",
            "PostVerifying",
            "Succeeded"
        ],
        "a restarted operator started over or skipped a phase"
    );
    assert_eq!(done["status"]["activeColor"], "green");
    f.wait_selector("green").await;
    f.wait_replicas("shop-blue", 0).await;
    assert_eq!(history.seen(), ["blue", "green"], "one switch, never back");
    let runs = f.runner.runs();
    assert_eq!(runs.len(), 2, "one backup and one migration: {runs:#?}");
    assert!(runs.iter().all(|r| r.exit_code == 0), "{runs:#?}");
}

/// An operator killed after a rollback, while the new color is kept up for
/// `abortScaleDownDelaySeconds`: the fresh one scales it down after the delay, once, and
/// traffic never left the old color.
#[tokio::test]
async fn an_operator_killed_after_a_rollback_still_scales_the_new_color_down() {
    let Some(mut f) = Fixture::new("ro-restart-rb", false).await else {
        return;
    };
    let history = f.selector_history();
    assert_eq!(history.started().await, "blue");
    let url = serve(Arc::new(AtomicU16::new(500))).await;
    f.create_rollout(
        "fails",
        json!({"strategy": {"blueGreen": {"abortScaleDownDelaySeconds": 8,
            "prePromotionChecks": [{"name": "gate", "http": {"url": url, "intervalSeconds": 1,
                "failureThreshold": 1}}]}}}),
    )
    .await;
    let rolled_back = f.wait_phase("fails", "RolledBack").await;
    assert!(rolled_back["status"]["scaledDown"] != true, "{rolled_back}");
    assert_eq!(
        f.replicas("shop-green").await,
        Some(2),
        "kept up for the delay"
    );
    f.restart_operator().await;
    f.wait_replicas("shop-green", 0).await;
    let cond = ogf_e2e::json_condition::<ogf_crds::Rollout>(|r| r["status"]["scaledDown"] == true);
    ogf_e2e::wait_for(f.rollouts(), "fails", WAIT, cond)
        .await
        .expect("scaledDown recorded");
    let done = f.wait_phase("fails", "RolledBack").await;
    assert_eq!(phases(&done), ["Deploying", "Verifying", "RolledBack"]);
    assert_eq!(f.replicas("shop-blue").await, Some(2));
    assert_eq!(history.seen(), ["blue"], "traffic never moved");
}

/// A pre-rollout Backup that cannot run (its destination claim does not exist, so the real
/// Backup controller reports it `Degraded`) fails the Rollout after the grace period, with a
/// reason, a message and a Warning Event, instead of waiting for ever; nothing was changed.
#[tokio::test]
async fn a_degraded_pre_rollout_backup_fails_the_rollout() {
    let Some(f) = Fixture::new("ro-backup-degraded", false).await else {
        return;
    };
    f.backup_template_to_missing_claim("nightly", "no-such-claim")
        .await;
    f.create_rollout(
        "stuck",
        json!({"preRolloutBackup": {"backupTemplateRef": {"name": "nightly"}}}),
    )
    .await;
    let failed = f.wait_phase("stuck", "Failed").await;
    let status = &failed["status"];
    assert_eq!(status["reason"], "BackupFailed", "{status}");
    let message = status["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("is degraded: ClaimNotFound") && message.contains("nothing was changed"),
        "{message}"
    );
    assert_eq!(phases(&failed), ["BackingUp", "Failed"]);
    f.wait_condition("stuck", "Degraded", "BackupFailed").await;
    let event = f.wait_warning("stuck", "Failed").await;
    assert!(event.contains("ClaimNotFound"), "{event}");
    assert_eq!(f.selector().await, "blue");
    assert_eq!(f.replicas("shop-green").await, None, "never deployed");
    assert_eq!(f.replicas("shop-blue").await, Some(2), "nothing stopped");
}
