//! The e2e Job runner against the real control plane: a Job pod labelled for manual running is
//! run on the host with its Secret volume materialised, and its real outcome (exit code,
//! termination message) completes or fails the Job through the Job controller.

use std::time::Duration;

use k8s_openapi::api::batch::v1::Job;
use kube::api::PostParams;
use kube::{Api, Client};
use ogf_e2e::fixtures::create_secret;
use ogf_e2e::job_runner::KWOK_MANUAL_LABEL;
use ogf_e2e::{JobRunner, RunnerOptions, TestNamespace, env, json_condition, wait_for};
use serde_json::json;

const WAIT: Duration = Duration::from_secs(90);

fn job(name: &str, args: serde_json::Value) -> Job {
    serde_json::from_value(json!({
        "apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"name": name},
        "spec": {
            "backoffLimit": 0,
            "template": {
                "metadata": {"labels": {KWOK_MANUAL_LABEL: "true"}},
                "spec": {
                    "restartPolicy": "Never",
                    "containers": [{
                        "name": "ogf-api", "image": "ghcr.io/ogf-dev/ogf-api:test", "args": args,
                        "terminationMessagePolicy": "FallbackToLogsOnError",
                        "volumeMounts": [{"name": "key", "mountPath": "/var/run/ogf/key", "readOnly": true}]
                    }],
                    "volumes": [{"name": "key", "secret": {"secretName": "key",
                        "items": [{"key": "identity", "path": "identity"}]}}]
                }
            }
        }
    }))
    .expect("job")
}

fn job_condition(kind: &'static str) -> impl Fn(Option<&Job>) -> bool {
    json_condition::<Job>(move |j| {
        j["status"]["conditions"].as_array().is_some_and(|cs| {
            cs.iter()
                .any(|c| c["type"] == kind && c["status"] == "True")
        })
    })
}

#[tokio::test]
async fn runs_job_pods_and_reports_their_outcome() {
    let Some(config) = env::kube_config().await else {
        return;
    };
    let client = Client::try_from(config.clone()).expect("client");
    let ns = TestNamespace::create(&client, config, "runner").await;
    create_secret(&client, ns.name(), "key", "identity", "not-an-age-identity").await;
    let runner = JobRunner::start(client.clone(), ns.name(), RunnerOptions::default());
    let jobs: Api<Job> = Api::namespaced(client.clone(), ns.name());

    jobs.create(&PostParams::default(), &job("ok", json!(["--version"])))
        .await
        .expect("create job ok");
    if let Err(e) = wait_for(jobs.clone(), "ok", WAIT, job_condition("Complete")).await {
        panic!("job ok completes: {e}; runs: {:#?}", runner.runs());
    }

    // A real failure: the restore command reads the mounted (bad) identity and exits non-zero;
    // its message comes back through the pod status and fails the Job.
    let args = json!([
        "restore",
        "--destination",
        "file:///var/run/ogf/key",
        "--artifact",
        "latest",
        "--identity-file",
        "/var/run/ogf/key/identity",
        "--result-file",
        "/dev/termination-log"
    ]);
    jobs.create(&PostParams::default(), &job("bad", args))
        .await
        .expect("create job bad");
    wait_for(jobs.clone(), "bad", WAIT, job_condition("Failed"))
        .await
        .expect("job bad fails");

    let runs = runner.wait_for_runs(2, WAIT).await;
    let ok = runs
        .iter()
        .find(|r| r.job.as_deref() == Some("ok"))
        .expect("ok ran");
    assert_eq!(ok.exit_code, 0, "{ok:?}");
    let bad = runs
        .iter()
        .find(|r| r.job.as_deref() == Some("bad"))
        .expect("bad ran");
    assert_ne!(bad.exit_code, 0, "{bad:?}");
    assert!(
        !bad.message.is_empty(),
        "a failure carries a message: {bad:?}"
    );
    let identity_arg = bad
        .args
        .iter()
        .position(|a| a == "--identity-file")
        .expect("flag")
        + 1;
    let local = std::path::Path::new(&bad.args[identity_arg]);
    assert_ne!(
        local,
        std::path::Path::new("/var/run/ogf/key/identity"),
        "rewritten"
    );
    assert!(local.ends_with("key/identity"), "{local:?}");
    assert_eq!(bad.spec_args[identity_arg], "/var/run/ogf/key/identity");
}
