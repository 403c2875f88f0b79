//! Backups and Restores of one Marketplace together, on the real control plane and MinIO, with
//! every Job run for real by the runner (kwok runs no containers): a Restore whose source is
//! a `backupRef` without an artifact id restores that Backup's newest successful artifact; a
//! Backup of a Marketplace under restore is held (`Skipped: restore in progress`), starts no
//! Job until the Restore finished, then resumes; and a deleted Backup's per-Backup metric
//! series disappear from the operator's registry.

#[path = "operator_restore/fixture.rs"]
#[allow(dead_code)] // the restore tests' fixture: this file uses a subset
mod fixture;

use std::time::Duration;

use fixture::{ADDED, BACKED_UP, Fixture, WAIT};
use k8s_openapi::api::batch::v1::Job;
use kube::api::{DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::{Api, ResourceExt};
use ogf_crds::backup::RUN_NOW_ANNOTATION;
use ogf_crds::{Backup, Restore};
use ogf_e2e::{json_condition, wait_for};
use serde_json::{Value, json};

/// The per-Backup gauges (alerts depend on their names).
const PER_BACKUP: [&str; 4] = [
    "ogf_backup_last_success_timestamp_seconds",
    "ogf_backup_last_failure_timestamp_seconds",
    "ogf_backup_duration_seconds",
    "ogf_backup_size_bytes",
];

fn condition(resource: &Value, kind: &str) -> Value {
    resource["status"]["conditions"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["type"] == kind))
        .cloned()
        .unwrap_or_default()
}

fn succeeded(b: &Value) -> bool {
    condition(b, "LastBackupSucceeded")["status"] == "True" && b["status"]["activeJob"].is_null()
}

fn backups(f: &Fixture) -> Api<Backup> {
    Api::namespaced(f.client.clone(), f.ns.name())
}

fn jobs(f: &Fixture) -> Api<Job> {
    Api::namespaced(f.client.clone(), f.ns.name())
}

/// Creates Backup `name` of `shop` to the test's MinIO prefix, with `extra` spec fields.
async fn create_backup(f: &Fixture, name: &str, recipient: &str, extra: Value) {
    let mut spec = json!({
        "marketplaceRef": {"name": "shop"},
        "destination": {"s3": {
            "endpoint": f.s3.endpoint, "bucket": f.s3.bucket, "prefix": f.prefix,
            "region": f.s3.region, "forcePathStyle": true,
            "credentialsSecretRef": {"name": "backup-s3"}}},
        "encryption": {"recipients": [recipient]},
    });
    if let (Some(spec), Some(extra)) = (spec.as_object_mut(), extra.as_object()) {
        spec.extend(extra.clone());
    }
    let backup: Backup = serde_json::from_value(json!({
        "apiVersion": "ogf.dev/v1alpha1", "kind": "Backup", "metadata": {"name": name}, "spec": spec
    }))
    .expect("backup");
    backups(f)
        .create(&PostParams::default(), &backup)
        .await
        .unwrap_or_else(|e| panic!("create backup {name}: {e}"));
}

/// Waits until `check` holds for Backup `name`'s JSON (at most `timeout`); returns it.
async fn wait_backup(
    f: &Fixture,
    name: &str,
    what: &str,
    timeout: Duration,
    check: impl Fn(&Value) -> bool,
) -> Value {
    match wait_for(backups(f), name, timeout, json_condition::<Backup>(check)).await {
        Ok(b) => serde_json::to_value(b.expect("backup")).expect("json"),
        Err(e) => {
            let now = backups(f).get(name).await.ok().and_then(|b| b.status);
            let runs: Vec<_> = f
                .runner
                .runs()
                .into_iter()
                .map(|r| (r.pod, r.exit_code, r.message, r.stderr))
                .collect();
            panic!(
                "Backup {name} {what}: {e}\nstatus: {}\nruns: {runs:#?}",
                serde_json::to_string_pretty(&now).unwrap_or_default()
            )
        }
    }
}

/// The Jobs of Backup `name`.
async fn jobs_of(f: &Fixture, name: &str) -> Vec<Job> {
    jobs(f)
        .list(&ListParams::default().labels(&format!("ogf.dev/backup={name}")))
        .await
        .expect("list jobs")
        .items
}

/// Creates Restore `name` of `shop` in place from Backup `backup`, without an artifact id.
async fn restore_from_backup_ref(f: &Fixture, name: &str, backup: &str) {
    let restore: Restore = serde_json::from_value(json!({
        "apiVersion": "ogf.dev/v1alpha1", "kind": "Restore", "metadata": {"name": name},
        "spec": {
            "marketplaceRef": {"name": "shop"},
            "source": {"backupRef": {"name": backup}},
            "decryptionKeySecretRef": {"name": "age", "key": "identity"},
            "activeDeadlineSeconds": 600
        }
    }))
    .expect("restore");
    Api::<Restore>::namespaced(f.client.clone(), f.ns.name())
        .create(&PostParams::default(), &restore)
        .await
        .expect("create restore");
}

/// A Fixture with Ready Marketplace `shop` (embedded) holding [`BACKED_UP`] listings, its
/// Secrets and an age key pair; returns it and the recipient.
async fn ready_shop(prefix: &str) -> Option<(Fixture, String)> {
    let f = Fixture::new(prefix, true).await?;
    f.store.fill(BACKED_UP, 1).await;
    let (identity, recipient) = f.keygen("identity");
    f.common_secrets().await;
    f.secret("age", json!({"identity": identity})).await;
    f.create_marketplace().await;
    f.wait_ready("True", None).await;
    Some((f, recipient))
}

/// The per-Backup metric families in the operator's registry with a series of `backup`.
fn series_of(f: &Fixture, backup: &str) -> Vec<String> {
    let Some(metrics) = f.metrics() else {
        return Vec::new();
    };
    metrics
        .registry()
        .gather()
        .iter()
        .filter(|family| PER_BACKUP.contains(&family.name()))
        .filter(|family| {
            family.get_metric().iter().any(|m| {
                let labels = m.get_label();
                labels
                    .iter()
                    .any(|l| l.name() == "namespace" && l.value() == f.ns.name())
                    && labels
                        .iter()
                        .any(|l| l.name() == "backup" && l.value() == backup)
            })
        })
        .map(|family| family.name().to_string())
        .collect()
}

/// Polls the operator's registry (bounded) until `check` holds for `backup`'s series.
async fn wait_series(f: &Fixture, backup: &str, check: impl Fn(&Vec<String>) -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let mut interval = tokio::time::interval(Duration::from_millis(100));
    loop {
        interval.tick().await;
        let series = series_of(f, backup);
        if check(&series) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "series of Backup {backup} after 30 s: {series:?}"
        );
    }
}

#[tokio::test]
async fn a_restore_from_a_backup_ref_takes_the_newest_successful_artifact() {
    let Some((f, recipient)) = ready_shop("bkr-latest").await else {
        return;
    };
    // First artifact: BACKED_UP listings.
    create_backup(&f, "nightly", &recipient, json!({})).await;
    let first = wait_backup(&f, "nightly", "first artifact", WAIT, |b| {
        succeeded(b)
            && b["status"]["artifacts"]
                .as_array()
                .is_some_and(|a| a.len() == 1)
    })
    .await;
    let older = first["status"]["artifacts"][0].clone();
    assert_eq!(older["counts"]["listings"], BACKED_UP, "{older}");

    // Second artifact, of different data: BACKED_UP + ADDED listings.
    f.store.fill(ADDED, 2).await;
    backups(&f)
        .patch(
            "nightly",
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"annotations": {RUN_NOW_ANNOTATION: "second"}}})),
        )
        .await
        .expect("request a second backup");
    let second = wait_backup(&f, "nightly", "second artifact", WAIT, |b| {
        succeeded(b)
            && b["status"]["artifacts"]
                .as_array()
                .is_some_and(|a| a.len() == 2)
    })
    .await;
    let newer = second["status"]["artifacts"][0].clone();
    assert_ne!(newer["id"], older["id"]);
    assert_eq!(newer["counts"]["listings"], BACKED_UP + ADDED, "{newer}");

    // The live data moves on; the restore must bring back the newer artifact, not the older.
    f.store.fill(3, 3).await;
    assert_eq!(f.store.count().await, BACKED_UP + ADDED + 3);
    restore_from_backup_ref(&f, "latest", "nightly").await;
    let done = f.wait_phase("latest", "Succeeded", WAIT).await;
    let status = &done["status"];
    assert_eq!(status["artifactId"], newer["id"], "{status}");
    assert_eq!(status["restoredCounts"], newer["counts"], "{status}");
    assert_eq!(status["checksumVerified"], true, "{status}");
    assert_eq!(
        f.store.count().await,
        BACKED_UP + ADDED,
        "the newer artifact's data came back"
    );
    let restore_run = f
        .runner
        .runs()
        .into_iter()
        .find(|r| r.spec_args.first().map(String::as_str) == Some("restore"))
        .expect("restore run");
    assert_eq!(restore_run.exit_code, 0, "{restore_run:#?}");
    let newer_id = newer["id"].as_str().expect("id");
    assert!(
        restore_run.spec_args.iter().any(|a| a.contains(newer_id)),
        "{restore_run:#?}"
    );
    f.wait_ready("True", None).await;
}

#[tokio::test]
async fn backups_are_held_while_a_restore_runs_and_resume_after() {
    let Some((f, recipient)) = ready_shop("bkr-hold").await else {
        return;
    };
    let (id, counts) = f.backup(&recipient);

    // The Restore's Job waits in Running (runner paused): the Marketplace is under restore.
    f.runner.set_paused(true);
    f.create_restore(
        "monday",
        json!({"marketplaceRef": {"name": "shop"}}),
        &id,
        "age",
        600,
    )
    .await;
    f.wait_phase("monday", "Running", WAIT).await;

    // A Backup scheduled every 2 s: held, saying why, with no Job.
    create_backup(
        &f,
        "often",
        &recipient,
        json!({"schedule": "*/2 * * * * *"}),
    )
    .await;
    let held = wait_backup(&f, "often", "held", WAIT, |b| {
        b["status"]["message"]
            .as_str()
            .unwrap_or_default()
            .starts_with("Skipped: restore in progress")
    })
    .await;
    assert_eq!(
        held["status"]["message"],
        "Skipped: restore in progress (monday)"
    );
    assert_eq!(condition(&held, "Ready")["reason"], "RestoreInProgress");
    assert!(held["status"]["activeJob"].is_null(), "{held}");
    let skipped = || {
        f.metrics()
            .map_or(0, |m| m.backup_run_count(f.ns.name(), "skipped"))
    };
    ogf_e2e::wait_until("ogf_backup_runs_total{outcome=skipped}", WAIT, || {
        skipped() >= 1
    })
    .await
    .expect("a skipped run counted");
    // Several schedule periods pass while the restore runs: still no Job, no schedule time.
    let started = json_condition::<Backup>(|b| {
        b["status"]["activeJob"].is_string() || b["status"]["lastScheduleTime"].is_string()
    });
    let moved = wait_for(backups(&f), "often", Duration::from_secs(7), started).await;
    assert!(moved.is_err(), "a backup started during the restore");
    assert!(jobs_of(&f, "often").await.is_empty(), "no backup Job");

    // The restore finishes; backups resume, their Jobs created after it ended.
    f.runner.set_paused(false);
    let done = f.wait_phase("monday", "Succeeded", WAIT).await;
    assert_eq!(done["status"]["restoredCounts"], counts);
    let resumed = wait_backup(&f, "often", "resumed", WAIT, |b| {
        succeeded(b)
            && b["status"]["artifacts"]
                .as_array()
                .is_some_and(|a| !a.is_empty())
    })
    .await;
    assert!(
        !resumed["status"]["message"]
            .as_str()
            .unwrap_or_default()
            .starts_with("Skipped"),
        "{resumed}"
    );
    let restored_at: k8s_openapi::jiff::Timestamp = done["status"]["completionTime"]
        .as_str()
        .expect("completionTime")
        .parse()
        .expect("time");
    let jobs = jobs_of(&f, "often").await;
    assert!(!jobs.is_empty());
    for job in &jobs {
        let created = job.metadata.creation_timestamp.clone().expect("created").0;
        // Status times have second precision.
        assert!(
            created.as_second() >= restored_at.as_second(),
            "Job {} created at {created} before the restore ended at {restored_at}",
            job.name_any()
        );
    }
    backups(&f)
        .patch(
            "often",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"suspend": true}})),
        )
        .await
        .expect("suspend");
}

#[tokio::test]
async fn a_deleted_backup_loses_its_metric_series() {
    let Some((f, recipient)) = ready_shop("bkr-metrics").await else {
        return;
    };
    create_backup(&f, "gone", &recipient, json!({})).await;
    create_backup(&f, "kept", &recipient, json!({})).await;
    for name in ["gone", "kept"] {
        wait_backup(&f, name, "succeeded", WAIT, succeeded).await;
    }
    // The series are written right after the status: wait for them, bounded.
    for name in ["gone", "kept"] {
        wait_series(&f, name, |s| {
            s.contains(&PER_BACKUP[0].to_string()) && s.contains(&PER_BACKUP[3].to_string())
        })
        .await;
    }
    backups(&f)
        .delete("gone", &DeleteParams::default())
        .await
        .expect("delete backup");
    wait_for(backups(&f), "gone", WAIT, |b: Option<&Backup>| b.is_none())
        .await
        .expect("Backup gone");
    // The operator sees the deletion through its watch.
    wait_series(&f, "gone", Vec::is_empty).await;
    assert!(
        !series_of(&f, "kept").is_empty(),
        "the other Backup's series stay"
    );
}
