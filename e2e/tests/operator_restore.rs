//! Restores against the real control plane, MinIO and FerretDB: a real artifact made by the
//! engine, the data changed, then a `Restore` whose Job the runner executes with the real
//! `ogf-api restore` (kwok runs no containers). In place on the embedded store and on MongoDB,
//! into a Marketplace created after the Restore, with the wrong identity, and past the deadline.
//! Each checks the phase, the status, the data, and the API held at zero replicas while the
//! Job runs (observed with the runner paused) and back in service afterwards.

#[path = "operator_restore/fixture.rs"]
mod fixture;

use std::time::Duration;

use fixture::{ADDED, BACKED_UP, Fixture, WAIT};
use serde_json::{Value, json};

fn in_place() -> Value {
    json!({"marketplaceRef": {"name": "shop"}})
}

/// A Fixture with a Ready Marketplace `shop` whose store holds `BACKED_UP` listings in the
/// artifact and `BACKED_UP + ADDED` live; returns it, the artifact id and its counts.
async fn backed_up_and_changed(prefix: &str, embedded: bool) -> Option<(Fixture, String, Value)> {
    let f = Fixture::new(prefix, embedded).await?;
    f.store.fill(BACKED_UP, 1).await;
    let (identity, recipient) = f.keygen("identity");
    let (id, counts) = f.backup(&recipient);
    assert_eq!(counts["listings"], BACKED_UP);
    f.store.fill(ADDED, 2).await;
    assert_eq!(f.store.count().await, BACKED_UP + ADDED);
    f.common_secrets().await;
    f.secret("age", json!({"identity": identity})).await;
    f.create_marketplace().await;
    f.wait_ready("True", None).await;
    Some((f, id, counts))
}

/// Pauses the runner, applies the Restore and checks the hold while the Job waits (restarting
/// the operator there when `restart`); then lets the Job run and checks the outcome.
async fn restore_in_place(f: &mut Fixture, id: &str, counts: &Value, restart: bool) {
    f.runner.set_paused(true);
    f.create_restore("monday", in_place(), id, "age", 600).await;
    let running = f.wait_phase("monday", "Running", WAIT).await;
    assert_eq!(running["status"]["marketplace"], "shop");
    assert_eq!(running["status"]["jobName"], "monday-restore");
    f.wait_replicas(0).await;
    let held = f.wait_ready("False", Some("RestoreInProgress")).await;
    let ready = held["status"]["conditions"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["type"] == "Ready"))
        .cloned()
        .unwrap_or_default();
    assert!(
        ready["message"]
            .as_str()
            .unwrap_or_default()
            .contains("Restore monday"),
        "{ready}"
    );
    assert_eq!(f.replicas().await, Some(0), "held while Running");
    if restart {
        f.restart_operator().await;
    }

    f.runner.set_paused(false);
    let done = f.wait_phase("monday", "Succeeded", WAIT).await;
    let status = &done["status"];
    assert_eq!(status["restoredCounts"], *counts, "{status}");
    assert_eq!(status["checksumVerified"], true);
    assert_eq!(status["artifactId"], id);
    assert!(status["completionTime"].is_string() && status["startTime"].is_string());
    assert_eq!(
        f.store.count().await,
        BACKED_UP,
        "the data equals the backup"
    );
    f.wait_ready("True", None).await;
    f.wait_replicas(f.serving_replicas()).await;
    let runs = f.runner.runs();
    assert_eq!(runs.len(), 1, "{runs:#?}");
    assert_eq!(runs[0].exit_code, 0, "{runs:#?}");
    assert_eq!(runs[0].spec_args[0], "restore");
    assert_eq!(
        f.wait_restore_count("succeeded", 1).await,
        1,
        "ogf_restore_total"
    );
}

#[tokio::test]
async fn restores_an_embedded_marketplace_in_place() {
    let Some((mut f, id, counts)) = backed_up_and_changed("rst-emb", true).await else {
        return;
    };
    restore_in_place(&mut f, &id, &counts, false).await;
}

#[tokio::test]
async fn restores_a_mongodb_marketplace_in_place_across_an_operator_restart() {
    let Some((mut f, id, counts)) = backed_up_and_changed("rst-mongo", false).await else {
        return;
    };
    restore_in_place(&mut f, &id, &counts, true).await;
}

#[tokio::test]
async fn bootstraps_a_new_marketplace_that_stays_stopped_until_restored() {
    let Some(f) = Fixture::new("rst-new", true).await else {
        return;
    };
    // The artifact comes from another store (the "old cluster"); the new claim starts empty.
    let old = tempfile::tempdir().expect("dir");
    let source = fixture::Store::Embedded(old.path().to_path_buf());
    source.fill(BACKED_UP, 3).await;
    let (identity, recipient) = f.keygen("identity");
    let (id, counts) = f.backup_of(&source, &recipient);
    f.common_secrets().await;
    f.secret("age", json!({"identity": identity})).await;

    f.runner.set_paused(true);
    f.create_restore(
        "bootstrap",
        json!({"target": {"name": "shop"}}),
        &id,
        "age",
        600,
    )
    .await;
    let pending = f.wait_phase("bootstrap", "Pending", WAIT).await;
    assert!(
        pending["status"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("to be created"),
        "{pending}"
    );
    // Now the Marketplace: it must come up held, never serving (nor seeding) before the restore.
    f.create_marketplace().await;
    f.wait_phase("bootstrap", "Running", WAIT).await;
    // Created at zero replicas: the Restore went first, so the first apply already held it.
    f.wait_replicas(0).await;
    f.wait_ready("False", Some("RestoreInProgress")).await;

    f.runner.set_paused(false);
    let done = f.wait_phase("bootstrap", "Succeeded", WAIT).await;
    assert_eq!(done["status"]["restoredCounts"], counts);
    assert_eq!(f.store.count().await, BACKED_UP);
    f.wait_ready("True", None).await;
    f.wait_replicas(1).await;
}

#[tokio::test]
async fn a_wrong_identity_fails_with_decryption_error_and_leaves_the_data() {
    let Some((f, id, _)) = backed_up_and_changed("rst-key", true).await else {
        return;
    };
    let (wrong, _) = f.keygen("wrong");
    f.secret("wrong-age", json!({"identity": wrong})).await;
    f.create_restore("monday", in_place(), &id, "wrong-age", 600)
        .await;
    let failed = f.wait_phase("monday", "Failed", WAIT).await;
    let status = &failed["status"];
    let degraded = status["conditions"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["type"] == "Degraded"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(degraded["reason"], "DecryptionError", "{status}");
    assert_eq!(
        f.wait_restore_count("failed", 1).await,
        1,
        "ogf_restore_total"
    );
    let message = status["message"].as_str().unwrap_or_default();
    assert!(message.contains("live data was not changed"), "{message}");
    assert_eq!(
        f.store.count().await,
        BACKED_UP + ADDED,
        "live data unchanged"
    );
    f.wait_ready("True", None).await;
    f.wait_replicas(1).await;
}

#[tokio::test]
async fn a_restore_past_its_deadline_fails_and_the_api_returns() {
    let Some((f, id, _)) = backed_up_and_changed("rst-deadline", true).await else {
        return;
    };
    f.runner.set_paused(true);
    f.create_restore("slow", in_place(), &id, "age", 30).await;
    f.wait_phase("slow", "Running", WAIT).await;
    f.wait_replicas(0).await;
    let failed = f
        .wait_phase("slow", "Failed", Duration::from_secs(30 + 90))
        .await;
    let status = &failed["status"];
    let degraded = status["conditions"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["type"] == "Degraded"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(degraded["reason"], "DeadlineExceeded", "{status}");
    f.wait_ready("True", None).await;
    f.wait_replicas(1).await;
    f.runner.set_paused(false);
    assert_eq!(
        f.store.count().await,
        BACKED_UP + ADDED,
        "live data unchanged"
    );
}
