//! End-to-end tests of `kubectl-ogf`: the real binary against the test environment's API
//! server (or `OGF_E2E_KUBECONFIG`), in a fresh namespace with the CRDs installed. No operator
//! runs: the tests write the statuses the operator would, and check what the plugin prints,
//! how it exits, and the objects it creates or patches.

#[path = "plugin/backup.rs"]
mod backup;
#[path = "plugin/harness.rs"]
mod harness;
#[path = "plugin/objects.rs"]
mod objects;
#[path = "plugin/rollout.rs"]
mod rollout;

use std::time::Duration;

use harness::{Env, missing, plugin_binary, run};
use objects::{backup, backup_status, marketplace, ready_status, rollout, rollout_status};
use ogf_crds::{Backup, Marketplace, Restore, Rollout};
use serde_json::json;

#[tokio::test]
async fn status_shows_readiness_rollout_backups_and_restore() {
    let Some(env) = Env::new("status").await else {
        return;
    };
    env.create::<Marketplace>(marketplace("shop", "img:2"))
        .await;
    env.set_status::<Marketplace>("shop", ready_status("img:1"))
        .await;
    env.create::<Rollout>(rollout("shop-2", "shop", "img:2"))
        .await;
    env.set_status::<Rollout>(
        "shop-2",
        rollout_status("AwaitingPromotion", &["Pending", "Deploying"], "img:1"),
    )
    .await;
    env.create::<Backup>(backup("nightly", "shop")).await;
    env.set_status::<Backup>("nightly", backup_status()).await;
    env.create::<Restore>(json!({
        "apiVersion": "ogf.dev/v1alpha1", "kind": "Restore", "metadata": {"name": "back"},
        "spec": {"marketplaceRef": {"name": "shop"}, "source": {"backupRef": {"name": "nightly"}},
                 "decryptionKeySecretRef": {"name": "k", "key": "identity"}},
    }))
    .await;
    env.set_status::<Restore>(
        "back",
        json!({"phase": "Running", "artifactId": "nightly-20260110t020000z"}),
    )
    .await;

    let out = env.plugin(&["status", "shop"]).await.expect(0);
    let text = &out.stdout;
    for line in [
        "Ready:        True (AllReplicasReady): 1 of 1 replicas ready",
        "Active color: green",
        "Image:        img:1 (spec: img:2)",
        "Replicas:     1/1 ready",
        "Endpoint:     http://shop.example.svc:8080",
        "Rollout:      shop-2 AwaitingPromotion → img:2 (created",
        "Restore:      back Running (artifact nightly-20260110t020000z",
    ] {
        assert!(text.contains(line), "{line:?} missing in:\n{text}");
    }
    assert!(
        text.lines()
            .any(|l| l.starts_with("  nightly   0 2 * * *   60m ago")
                && l.contains("nightly-20260110t020000z")
                && l.ends_with("12.3 MiB   yes")),
        "backup row in:\n{text}"
    );

    let json = env
        .plugin(&["status", "shop", "-o", "json"])
        .await
        .expect(0)
        .json();
    assert_eq!(json["activeColor"], "green");
    assert_eq!(json["rollout"]["name"], "shop-2");
    assert_eq!(json["backups"][0]["newestArtifactSizeBytes"], 12_897_484);
    assert_eq!(json["restore"]["phase"], "Running");

    let missing = env.plugin(&["status", "nope"]).await.expect(3);
    assert!(
        missing
            .stderr
            .contains("Marketplace \"nope\" not found in namespace"),
        "{}",
        missing.stderr
    );
}
#[tokio::test]
async fn kubectl_finds_the_plugin_on_path() {
    let Some(env) = Env::new("kubectl").await else {
        return;
    };
    let Some(bin) = std::env::var("OGF_TESTENV_BIN")
        .ok()
        .filter(|s| !s.is_empty())
    else {
        missing::<()>("kubectl", "OGF_TESTENV_BIN");
        return;
    };
    env.create::<Marketplace>(marketplace("shop", "img:1"))
        .await;
    env.set_status::<Marketplace>("shop", ready_status("img:1"))
        .await;
    // A directory holding only the plugin: Cargo's `kubectl-ogf.d` depfile beside the binary
    // would make `kubectl plugin list` warn (and exit 1).
    let plugin_dir = tempfile::tempdir().expect("temporary directory");
    std::os::unix::fs::symlink(plugin_binary(), plugin_dir.path().join("kubectl-ogf"))
        .expect("link the plugin");
    let path =
        std::env::join_paths([plugin_dir.path().to_path_buf(), bin.clone().into()]).expect("PATH");

    let mut list = tokio::process::Command::new(format!("{bin}/kubectl"));
    list.args(["plugin", "list"]).env("PATH", &path);
    let out = run(list, Duration::from_secs(30)).await.expect(0);
    assert!(out.stdout.contains("kubectl-ogf"), "{}", out.stdout);

    let mut status = tokio::process::Command::new(format!("{bin}/kubectl"));
    status
        .args(["ogf", "status", "shop", "-n", &env.ns])
        .env("PATH", &path)
        .env("KUBECONFIG", &env.kubeconfig);
    let out = run(status, Duration::from_secs(30)).await.expect(0);
    assert!(
        out.stdout.contains("Ready:        True (AllReplicasReady)"),
        "{}",
        out.stdout
    );

    let mut missing = tokio::process::Command::new(format!("{bin}/kubectl"));
    missing
        .args(["ogf", "status", "nope", "-n", &env.ns])
        .env("PATH", &path)
        .env("KUBECONFIG", &env.kubeconfig);
    run(missing, Duration::from_secs(30)).await.expect(3);
}
