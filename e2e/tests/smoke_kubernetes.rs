//! The control plane is real: the controller-manager turns Deployments into
//! ReplicaSets and Pods and CronJobs into Jobs, the scheduler binds pods, and
//! kwok makes pods Ready (and Job pods complete) on its fake nodes.

use std::time::Duration;

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{ListParams, PostParams};
use kube::{Api, Client};
use ogf_e2e::{TestNamespace, env, json_condition, wait_for};
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(90);

async fn setup(prefix: &str) -> Option<(Client, TestNamespace)> {
    let config = env::kube_config().await?;
    let client = Client::try_from(config.clone()).expect("client");
    let ns = TestNamespace::create(&client, config, prefix).await;
    Some((client, ns))
}

fn from_json<T: serde::de::DeserializeOwned>(v: Value) -> T {
    serde_json::from_value(v).expect("valid object")
}

#[tokio::test]
async fn deployment_gets_a_replicaset_and_ready_pods() {
    let Some((client, ns)) = setup("deploy").await else {
        return;
    };
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), ns.name());
    let deployment: Deployment = from_json(json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "smoke"},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "smoke"}},
            "template": {
                "metadata": {"labels": {"app": "smoke"}},
                "spec": {"containers": [{"name": "pause", "image": "registry.k8s.io/pause:3.10"}]}
            }
        }
    }));
    deployments
        .create(&PostParams::default(), &deployment)
        .await
        .expect("create deployment");

    let ready = json_condition::<Deployment>(|d| {
        d["status"]["readyReplicas"].as_i64() == Some(2)
            && d["status"]["availableReplicas"].as_i64() == Some(2)
    });
    wait_for(deployments.clone(), "smoke", WAIT, ready)
        .await
        .expect("deployment becomes available");

    let replica_sets: Api<ReplicaSet> = Api::namespaced(client.clone(), ns.name());
    let owned = replica_sets
        .list(&ListParams::default().labels("app=smoke"))
        .await
        .expect("list replicasets");
    assert_eq!(owned.items.len(), 1, "one ReplicaSet for the Deployment");

    let pods: Api<Pod> = Api::namespaced(client, ns.name());
    let pods = pods
        .list(&ListParams::default().labels("app=smoke"))
        .await
        .expect("list pods");
    assert_eq!(pods.items.len(), 2);
    for pod in &pods.items {
        let status = pod.status.as_ref().expect("pod status");
        assert_eq!(status.phase.as_deref(), Some("Running"));
        let ready = status
            .conditions
            .iter()
            .flatten()
            .any(|c| c.type_ == "Ready" && c.status == "True");
        assert!(ready, "pod {:?} is Ready", pod.metadata.name);
        let node = pod
            .spec
            .as_ref()
            .and_then(|s| s.node_name.clone())
            .expect("scheduled");
        if env::is_testenv_cluster() {
            assert!(
                node.starts_with("kwok-node-"),
                "scheduled on a kwok node, got {node}"
            );
        }
    }
}

#[tokio::test]
async fn cronjob_produces_a_job_that_completes() {
    let Some((client, ns)) = setup("cron").await else {
        return;
    };
    let cronjobs: Api<CronJob> = Api::namespaced(client.clone(), ns.name());
    let cronjob: CronJob = from_json(json!({
        "apiVersion": "batch/v1", "kind": "CronJob",
        "metadata": {"name": "smoke"},
        "spec": {
            "schedule": "* * * * *",
            "concurrencyPolicy": "Forbid",
            "jobTemplate": {"spec": {"template": {"spec": {
                "restartPolicy": "Never",
                "containers": [{"name": "task", "image": "busybox:1.36", "command": ["true"]}]
            }}}}
        }
    }));
    cronjobs
        .create(&PostParams::default(), &cronjob)
        .await
        .expect("create cronjob");

    // The CronJob controller fires at the next minute boundary, then records the Job it made.
    let has_job = json_condition::<CronJob>(|c| {
        c["status"]["lastScheduleTime"].is_string()
            || c["status"]["active"]
                .as_array()
                .is_some_and(|a| !a.is_empty())
    });
    wait_for(cronjobs, "smoke", WAIT, has_job)
        .await
        .expect("cronjob schedules a job");

    let jobs: Api<Job> = Api::namespaced(client, ns.name());
    let list = jobs.list(&ListParams::default()).await.expect("list jobs");
    let job = list.items.first().expect("a Job owned by the CronJob");
    let owner = job
        .metadata
        .owner_references
        .iter()
        .flatten()
        .next()
        .expect("owner reference");
    assert_eq!(
        (owner.kind.as_str(), owner.name.as_str()),
        ("CronJob", "smoke")
    );

    let name = job.metadata.name.clone().expect("job name");
    let complete = json_condition::<Job>(|j| j["status"]["succeeded"].as_i64() == Some(1));
    wait_for(jobs, &name, WAIT, complete)
        .await
        .expect("job completes");
}
