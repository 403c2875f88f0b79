//! `kubectl ogf rollout ...` against the API server.

use std::time::Duration;

use kube::ResourceExt;
use ogf_crds::{Marketplace, Rollout};
use serde_json::json;

use super::harness::{Env, plugin_binary, run};
use super::objects::{created_name, marketplace, ready_status, rollout, rollout_status};

#[tokio::test]
async fn rollout_start_promote_abort_retry_and_undo() {
    let Some(env) = Env::new("rollout").await else {
        return;
    };
    env.create::<Marketplace>(marketplace("shop", "img:1"))
        .await;
    env.set_status::<Marketplace>("shop", ready_status("img:1"))
        .await;

    // start: a generated name from the tag, auto-promotion by default.
    let out = env
        .plugin(&[
            "rollout",
            "start",
            "shop",
            "--image",
            "ghcr.io/ogf-dev/ogf-api:1.5.0",
        ])
        .await
        .expect(0);
    let name = created_name(&out.stdout, "rollout");
    assert!(name.starts_with("shop-1-5-0-"), "{name}");
    let created: Rollout = env.get(&name).await;
    assert_eq!(created.spec.marketplace_ref.name, "shop");
    assert_eq!(created.spec.image, "ghcr.io/ogf-dev/ogf-api:1.5.0");
    assert!(created.spec.strategy.blue_green.auto_promote);

    // start with a name and manual promotion; promote and abort patch the spec.
    let out = env
        .plugin(&[
            "rollout",
            "start",
            "shop",
            "--image",
            "img:2",
            "--name",
            "manual",
            "--no-auto-promote",
        ])
        .await
        .expect(0);
    assert!(
        out.stdout
            .starts_with("rollout.ogf.dev/manual created (shop → img:2; promote with:"),
        "{}",
        out.stdout
    );
    assert!(
        !env.get::<Rollout>("manual")
            .await
            .spec
            .strategy
            .blue_green
            .auto_promote
    );
    env.plugin(&["rollout", "promote", "manual"])
        .await
        .expect(0);
    assert!(env.get::<Rollout>("manual").await.spec.promote);
    let out = env.plugin(&["rollout", "abort", "manual"]).await.expect(0);
    assert!(
        out.stdout.starts_with("rollout.ogf.dev/manual aborted"),
        "{}",
        out.stdout
    );
    assert!(env.get::<Rollout>("manual").await.spec.abort);

    // retry: refused before the Rollout finished; afterwards clears abort and annotates.
    let refused = env.plugin(&["rollout", "retry", "manual"]).await.expect(1);
    assert!(
        refused
            .stderr
            .contains("only Aborted, RolledBack or Failed"),
        "{}",
        refused.stderr
    );
    env.set_status::<Rollout>(
        "manual",
        rollout_status("Aborted", &["Pending", "Aborted"], "img:1"),
    )
    .await;
    env.plugin(&["rollout", "retry", "manual"]).await.expect(0);
    let retried: Rollout = env.get("manual").await;
    assert!(!retried.spec.abort && !retried.spec.promote);
    let token = retried
        .annotations()
        .get("ogf.dev/retry")
        .expect("retry annotation");
    assert!(
        token.parse::<k8s_openapi::jiff::Timestamp>().is_ok(),
        "{token}"
    );

    // promote or abort a finished Rollout: refused.
    env.set_status::<Rollout>(
        &name,
        rollout_status("Succeeded", &["Pending", "Succeeded"], "img:0"),
    )
    .await;
    let refused = env.plugin(&["rollout", "abort", &name]).await.expect(1);
    assert!(
        refused.stderr.contains("kubectl ogf rollout undo shop"),
        "{}",
        refused.stderr
    );

    // undo: refused while a Rollout is in progress (manual is Pending again after the retry).
    env.set_status::<Rollout>("manual", rollout_status("Pending", &["Pending"], "img:1"))
        .await;
    let refused = env.plugin(&["rollout", "undo", "shop"]).await.expect(1);
    assert!(
        refused
            .stderr
            .contains("\"manual\" of marketplace \"shop\" is in progress"),
        "{}",
        refused.stderr
    );
    env.set_status::<Rollout>(
        "manual",
        rollout_status("RolledBack", &["Pending", "RolledBack"], "img:1"),
    )
    .await;
    let out = env.plugin(&["rollout", "undo", "shop"]).await.expect(0);
    assert!(
        out.stdout.contains(&format!(
            "shop back to img:0 (the image before rollout {name})"
        )),
        "{}",
        out.stdout
    );
    let undo: Rollout = env.get(&created_name(&out.stdout, "rollout")).await;
    assert_eq!(undo.spec.image, "img:0");

    // Not found and usage errors.
    let out = env
        .plugin(&["rollout", "start", "nope", "--image", "img:2"])
        .await
        .expect(3);
    assert!(
        out.stderr.contains("Marketplace \"nope\" not found"),
        "{}",
        out.stderr
    );
    env.plugin(&["rollout", "promote", "nope"]).await.expect(3);
    env.plugin(&["rollout", "start", "shop"]).await.expect(2);
}

#[tokio::test]
async fn rollout_undo_without_history_is_refused() {
    let Some(env) = Env::new("undo").await else {
        return;
    };
    env.create::<Marketplace>(marketplace("shop", "img:1"))
        .await;
    let out = env.plugin(&["rollout", "undo", "shop"]).await.expect(1);
    assert!(
        out.stderr.contains("has no Succeeded Rollout"),
        "{}",
        out.stderr
    );
    env.plugin(&["rollout", "undo", "nope"]).await.expect(3);
}

#[tokio::test]
async fn rollout_status_watches_until_the_rollout_ends() {
    let Some(env) = Env::new("watch").await else {
        return;
    };
    env.create::<Rollout>(rollout("good", "shop", "img:2"))
        .await;
    env.create::<Rollout>(rollout("bad", "shop", "img:3")).await;
    env.create::<Rollout>(rollout("stuck", "shop", "img:4"))
        .await;

    let once = env.plugin(&["rollout", "status", "good"]).await.expect(0);
    assert!(
        once.stdout.contains("Phase:          Pending"),
        "{}",
        once.stdout
    );

    // The watch starts on a running Rollout and ends when it succeeds.
    env.set_status::<Rollout>(
        "good",
        rollout_status("Deploying", &["Pending", "Deploying"], "img:1"),
    )
    .await;
    let watch = {
        let env_args = ["rollout", "status", "good", "--watch", "--timeout", "60s"];
        let mut command = tokio::process::Command::new(plugin_binary());
        command
            .args(env_args)
            .args(["--kubeconfig", &env.kubeconfig, "-n", &env.ns]);
        tokio::spawn(run(command, Duration::from_secs(90)))
    };
    env.set_status::<Rollout>(
        "good",
        rollout_status(
            "Succeeded",
            &["Pending", "Deploying", "Verifying", "Succeeded"],
            "img:1",
        ),
    )
    .await;
    let out = watch.await.expect("watch task").expect(0);
    for phase in ["Pending", "Deploying", "Verifying", "Succeeded"] {
        assert!(
            out.stdout
                .contains(&format!("  {phase:<18} entered {phase}")),
            "{phase} in:\n{}",
            out.stdout
        );
    }
    assert!(
        out.stdout
            .ends_with("rollout \"good\" succeeded: shop serves img:2\n"),
        "{}",
        out.stdout
    );

    // An unsuccessful end exits 1 with the reason.
    let mut status = rollout_status("RolledBack", &["Pending", "RolledBack"], "img:1");
    status["reason"] = json!("CheckFailed");
    env.set_status::<Rollout>("bad", status).await;
    let out = env
        .plugin(&["rollout", "status", "bad", "--watch"])
        .await
        .expect(1);
    assert!(
        out.stderr
            .contains("rollout \"bad\" ended RolledBack (CheckFailed: now RolledBack)"),
        "{}",
        out.stderr
    );

    // A Rollout that does not finish in time: exit 1 after the timeout.
    let out = env
        .plugin(&["rollout", "status", "stuck", "-w", "--timeout", "2s"])
        .await
        .expect(1);
    assert!(
        out.stderr
            .contains("timed out after 2s waiting for rollout \"stuck\" (phase Pending)"),
        "{}",
        out.stderr
    );
    env.plugin(&["rollout", "status", "nope", "--watch"])
        .await
        .expect(3);
}
