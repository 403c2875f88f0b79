//! Backups against the real control plane, MinIO and FerretDB: `Backup` resources reconciled
//! by the in-process operator, whose Jobs the runner executes with the real `ogf-api` (kwok
//! runs no containers), so the Job spec as built is what produces the artifact. One-shot
//! backups of both stores, schedules, suspend, one Job per Marketplace at a time, failures
//! (missing bucket, deadline, deleted Job), an operator restart, verification and retention.

#[path = "operator_backup/fixture.rs"]
mod fixture;

use std::time::Duration;

use fixture::{Fixture, LISTINGS, WAIT, condition};
use k8s_openapi::api::batch::v1::Job;
use kube::api::{DeleteParams, Patch, PatchParams};
use ogf_e2e::{json_condition, wait_for};
use serde_json::{Value, json};

fn succeeded(b: &Value) -> bool {
    condition(b, "LastBackupSucceeded")["status"] == "True"
}

fn failed_with(reason: &'static str) -> impl Fn(&Value) -> bool {
    move |b| {
        let c = condition(b, "LastBackupSucceeded");
        c["status"] == "False" && c["reason"] == reason && b["status"]["activeJob"].is_null()
    }
}

fn args_of(job: &Job) -> Vec<String> {
    job.spec
        .clone()
        .and_then(|s| s.template.spec)
        .map(|p| p.containers[0].args.clone().unwrap_or_default())
        .unwrap_or_default()
}

fn has_pair(args: &[String], flag: &str, value: &str) -> bool {
    args.windows(2).any(|w| w[0] == flag && w[1] == value)
}

/// A one-shot Backup: the Job as built (args, mounts, labels, no identity), the artifact in
/// status with counts, the object in MinIO.
async fn one_shot(prefix: &str, embedded: bool) {
    let Some(f) = Fixture::new(prefix, embedded).await else {
        return;
    };
    f.create_backup("once", json!({})).await;
    let done = f.wait_backup("once", "succeeded", succeeded).await;
    let status = &done["status"];
    let artifact = &status["artifacts"][0];
    let id = artifact["id"].as_str().expect("artifact id").to_string();
    assert!(id.starts_with("once-"), "{id}");
    assert_eq!(artifact["counts"]["listings"], LISTINGS, "{status}");
    assert!(artifact["sizeBytes"].as_i64().unwrap_or(0) > 0);
    assert_eq!(
        artifact["location"],
        format!("s3://{}/{}/{id}.ogfbak", f.s3.bucket, f.prefix)
    );
    assert!(status["lastSuccessfulTime"].is_string() && status["nextScheduleTime"].is_null());
    assert!(f.object_exists(&id).await, "artifact {id} in MinIO");

    let marked =
        json_condition::<Job>(|j| j["metadata"]["annotations"]["ogf.dev/recorded"] == "succeeded");
    wait_for(f.jobs(), &id, WAIT, marked)
        .await
        .expect("Job marked recorded");
    let jobs = f.jobs_of("once").await;
    assert_eq!(jobs.len(), 1);
    let job = &jobs[0];
    assert_eq!(job.metadata.name.as_deref(), Some(id.as_str()));
    let labels = job.metadata.labels.clone().unwrap_or_default();
    assert_eq!(labels["app.kubernetes.io/name"], "ogf-backup");
    assert_eq!(labels["app.kubernetes.io/instance"], "shop");
    assert_eq!(labels["app.kubernetes.io/component"], "backup");
    assert_eq!(
        job.metadata.annotations.clone().unwrap_or_default()["ogf.dev/recorded"],
        "succeeded"
    );
    let args = args_of(job);
    assert!(
        has_pair(&args, "--id", &id) && has_pair(&args, "--result-file", "/dev/termination-log")
    );
    assert!(has_pair(
        &args,
        "--s3-credentials-dir",
        "/var/run/ogf/s3-credentials"
    ));
    assert!(has_pair(&args, "--recipient", &f.recipient));
    let pod = job.spec.clone().and_then(|s| s.template.spec).expect("pod");
    let volumes: Vec<String> = pod
        .volumes
        .unwrap_or_default()
        .into_iter()
        .map(|v| v.name)
        .collect();
    assert!(
        !volumes.iter().any(|v| v.contains("identity")),
        "{volumes:?}"
    );
    assert!(!args.iter().any(|a| a.contains("identity")), "{args:?}");
    if embedded {
        assert!(has_pair(&args, "--data-dir", "/var/lib/ogf"), "{args:?}");
        assert!(volumes.contains(&"data".to_string()));
        assert!(pod.affinity.is_some(), "colocated with the API");
    } else {
        assert!(
            has_pair(&args, "--mongodb-uri-file", "/var/run/ogf/mongodb/uri"),
            "{args:?}"
        );
        assert!(
            !args.iter().any(|a| a.starts_with("mongodb://")),
            "no URI in args"
        );
    }
    let runs = f.runner.runs();
    assert_eq!(runs.len(), 1, "{runs:#?}");
    assert_eq!((runs[0].exit_code, &runs[0].spec_args), (0, &args));
}

#[tokio::test]
async fn one_shot_backup_of_an_embedded_marketplace() {
    one_shot("bkp-embedded", true).await;
}

#[tokio::test]
async fn one_shot_backup_of_a_mongodb_marketplace() {
    one_shot("bkp-mongo", false).await;
}

#[tokio::test]
async fn scheduled_backups_repeat_and_suspend_stops_them() {
    let Some(f) = Fixture::new("bkp-schedule", false).await else {
        return;
    };
    f.create_backup("often", json!({"schedule": "*/4 * * * * *"}))
        .await;
    let many = f
        .wait_backup("often", "two artifacts", |b| {
            b["status"]["artifacts"]
                .as_array()
                .is_some_and(|a| a.len() >= 2)
        })
        .await;
    assert!(many["status"]["nextScheduleTime"].is_string());
    f.backups()
        .patch(
            "often",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"suspend": true}})),
        )
        .await
        .expect("suspend");
    let suspended = f
        .wait_backup("often", "suspended", |b| {
            condition(b, "Ready")["reason"] == "Suspended" && b["status"]["activeJob"].is_null()
        })
        .await;
    assert!(
        suspended["status"]["nextScheduleTime"].is_null(),
        "{suspended}"
    );
    let last = suspended["status"]["lastScheduleTime"].clone();
    // Two schedule periods pass without a new Job.
    let started =
        json_condition::<ogf_crds::Backup>(move |b| b["status"]["lastScheduleTime"] != last);
    let moved = wait_for(f.backups(), "often", Duration::from_secs(9), started).await;
    assert!(moved.is_err(), "a suspended Backup started a Job");
}

#[tokio::test]
async fn two_backups_of_one_marketplace_never_run_at_once() {
    let Some(f) = Fixture::new("bkp-concurrency", false).await else {
        return;
    };
    f.runner.set_paused(true);
    f.create_backup("first", json!({})).await;
    f.create_backup("second", json!({})).await;
    let waiting = |b: &Value| {
        b["status"]["message"]
            .as_str()
            .unwrap_or_default()
            .starts_with("Waiting")
    };
    let running = |b: &Value| b["status"]["activeJob"].is_string();
    let first = f
        .wait_backup("first", "running or waiting", move |b| {
            running(b) || waiting(b)
        })
        .await;
    let (active, other) = if running(&first) {
        ("first", "second")
    } else {
        ("second", "first")
    };
    f.wait_backup(active, "running", running).await;
    f.wait_backup(other, "waiting", waiting).await;
    let all = f
        .jobs()
        .list(&Default::default())
        .await
        .expect("jobs")
        .items;
    assert_eq!(
        all.len(),
        1,
        "one Job at a time: {:?}",
        all.iter()
            .map(|j| j.metadata.name.clone())
            .collect::<Vec<_>>()
    );
    f.runner.set_paused(false);
    f.wait_backup("first", "succeeded", succeeded).await;
    f.wait_backup("second", "succeeded", succeeded).await;
    let (a, b) = (&f.jobs_of(active).await[0], &f.jobs_of(other).await[0]);
    let done = a
        .status
        .as_ref()
        .and_then(|s| s.completion_time.clone())
        .expect("completed")
        .0;
    let created = b.metadata.creation_timestamp.clone().expect("created").0;
    assert!(
        created >= done,
        "the second Job started after the first finished"
    );
}

#[tokio::test]
async fn a_missing_bucket_is_a_destination_error() {
    let Some(f) = Fixture::new("bkp-nobucket", false).await else {
        return;
    };
    f.create_backup(
        "nowhere",
        json!({"destination": f.destination(Some("ogf-no-such-bucket")), "backoffLimit": 0}),
    )
    .await;
    let failed = f
        .wait_backup(
            "nowhere",
            "DestinationError",
            failed_with("DestinationError"),
        )
        .await;
    assert!(failed["status"]["lastFailureTime"].is_string());
    assert!(failed["status"]["artifacts"].is_null());
}

#[tokio::test]
async fn a_job_past_its_deadline_fails_and_is_not_left_running() {
    let Some(f) = Fixture::new("bkp-deadline", false).await else {
        return;
    };
    f.runner.set_paused(true);
    f.create_backup(
        "slow",
        json!({"activeDeadlineSeconds": 30, "backoffLimit": 0}),
    )
    .await;
    let failed = f
        .wait_backup("slow", "DeadlineExceeded", failed_with("DeadlineExceeded"))
        .await;
    assert_ne!(condition(&failed, "Progressing")["reason"], "JobRunning");
}

#[tokio::test]
async fn a_deleted_job_is_a_failure() {
    let Some(f) = Fixture::new("bkp-deleted", false).await else {
        return;
    };
    f.runner.set_paused(true);
    f.create_backup("doomed", json!({})).await;
    let running = f
        .wait_backup("doomed", "running", |b| {
            b["status"]["activeJob"].is_string()
        })
        .await;
    let job = running["status"]["activeJob"]
        .as_str()
        .expect("job")
        .to_string();
    f.jobs()
        .delete(&job, &DeleteParams::background())
        .await
        .expect("delete job");
    f.wait_backup("doomed", "JobDeleted", failed_with("JobDeleted"))
        .await;
}

#[tokio::test]
async fn a_restarted_operator_records_a_job_that_finished_while_it_was_down() {
    let Some(mut f) = Fixture::new("bkp-restart", true).await else {
        return;
    };
    f.runner.set_paused(true);
    f.create_backup("survivor", json!({})).await;
    let running = f
        .wait_backup("survivor", "running", |b| {
            b["status"]["activeJob"].is_string()
        })
        .await;
    let job = running["status"]["activeJob"]
        .as_str()
        .expect("job")
        .to_string();
    f.stop_operator().await;
    f.runner.set_paused(false);
    let complete = json_condition::<Job>(|j| {
        j["status"]["conditions"].as_array().is_some_and(|cs| {
            cs.iter()
                .any(|c| c["type"] == "Complete" && c["status"] == "True")
        })
    });
    wait_for(f.jobs(), &job, WAIT, complete)
        .await
        .expect("Job complete");
    f.start_operator().await;
    let done = f.wait_backup("survivor", "recorded", succeeded).await;
    assert_eq!(done["status"]["artifacts"][0]["id"], job.as_str());
    assert_eq!(
        done["status"]["artifacts"][0]["counts"]["listings"],
        LISTINGS
    );
    let marked =
        json_condition::<Job>(|j| j["metadata"]["annotations"]["ogf.dev/recorded"] == "succeeded");
    wait_for(f.jobs(), &job, WAIT, marked)
        .await
        .expect("Job marked recorded");
    assert_eq!(
        f.runs_counted("succeeded"),
        1,
        "recorded by the new operator"
    );
}

#[tokio::test]
async fn verification_and_retention_follow_each_backup() {
    let Some(f) = Fixture::new("bkp-verify", false).await else {
        return;
    };
    f.create_backup(
        "kept",
        json!({"schedule": "*/5 * * * * *", "verify": "always",
               "verifyIdentitySecretRef": {"name": "age", "key": "identity"},
               "retention": {"keepLast": 1}}),
    )
    .await;
    let pruned = f
        .wait_backup("kept", "verified and pruned", |b| {
            let s = &b["status"];
            s["successfulBackups"].as_i64().unwrap_or(0) >= 2
                && s["artifacts"].as_array().is_some_and(|a| a.len() == 1)
                && s["artifacts"][0]["verified"] == true
        })
        .await;
    f.backups()
        .patch(
            "kept",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"suspend": true}})),
        )
        .await
        .expect("suspend");
    let newest = pruned["status"]["artifacts"][0]["id"]
        .as_str()
        .expect("id")
        .to_string();
    assert!(f.object_exists(&newest).await);
    let runs = f.runner.runs();
    let kind = |word: &str| {
        runs.iter()
            .filter(|r| r.spec_args.get(1).map(String::as_str) == Some(word))
            .count()
    };
    assert!(kind("verify") >= 2 && kind("prune") >= 1, "{runs:#?}");
    let verify = runs
        .iter()
        .find(|r| r.spec_args.get(1).map(String::as_str) == Some("verify"))
        .expect("verify run");
    assert_eq!(verify.exit_code, 0, "{verify:#?}");
    assert!(has_pair(
        &verify.spec_args,
        "--identity-file",
        "/var/run/ogf/identity/identity"
    ));
    let first_id = runs
        .iter()
        .find(|r| r.spec_args.get(1).map(String::as_str) == Some("--store"))
        .and_then(|r| {
            r.spec_args
                .windows(2)
                .find(|w| w[0] == "--id")
                .map(|w| w[1].clone())
        })
        .expect("first backup");
    assert_ne!(first_id, newest);
    assert!(!f.object_exists(&first_id).await, "pruned by keepLast: 1");
}
