//! Fault injection (issue 9, item 3): the operator is killed at random points in 50 cycles of
//! Marketplace changes, Rollouts and Backups, and a new one started each time. After the last
//! restart everything converges: every Rollout succeeds in turn (none stuck), every Backup ran
//! exactly once (one Job, one run, none stuck `Running`), and the Marketplace serves the last
//! Rollout's image with its last configuration.
//!
//! The kill points come from a seeded generator: the seed is printed, and `OGF_CHAOS_SEED`
//! replays a run.

// The backup tests' world (namespace, operator, Job runner, store, bucket); this test uses part.
#[allow(dead_code)]
#[path = "operator_backup/fixture.rs"]
mod fixture;

use std::collections::BTreeMap;
use std::time::Duration;

use fixture::{Fixture, WAIT};
use k8s_openapi::api::apps::v1::Deployment;
use kube::Api;
use kube::api::{Patch, PatchParams, PostParams};
use ogf_crds::{Marketplace, Rollout};
use ogf_e2e::{json_condition, wait_for};
use serde_json::{Value, json};

const CYCLES: u64 = 50;
/// The longest an operator lives in a cycle before it is killed.
const MAX_LIFETIME_MS: u64 = 1_500;

/// splitmix64: a tiny seeded generator, so that a failing run can be replayed.
struct Kills(u64);

impl Kills {
    fn next_delay(&mut self) -> Duration {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        Duration::from_millis((z ^ (z >> 31)) % MAX_LIFETIME_MS)
    }
}

fn image(cycle: u64) -> String {
    format!("ghcr.io/ogf-dev/ogf-api:1.{cycle}.0")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_killed_at_random_points_converges_with_nothing_stuck_or_duplicated() {
    let Some(mut f) = Fixture::new("chaos", false).await else {
        return;
    };
    let seed = std::env::var("OGF_CHAOS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_261_202);
    eprintln!("chaos seed {seed} (OGF_CHAOS_SEED replays it)");
    let mut kills = Kills(seed);
    let marketplaces: Api<Marketplace> = Api::namespaced(f.client.clone(), f.ns.name());
    let rollouts: Api<Rollout> = Api::namespaced(f.client.clone(), f.ns.name());
    let mut backups = Vec::new();
    let mut rollout_names = Vec::new();
    let mut log_level = "info";

    for cycle in 0..CYCLES {
        match cycle % 5 {
            0 => {
                let name = format!("b-{cycle}");
                f.create_backup(&name, json!({})).await;
                backups.push(name);
            }
            2 => {
                let name = format!("r-{cycle}");
                let rollout: Rollout = serde_json::from_value(json!({
                    "apiVersion": "ogf.dev/v1alpha1", "kind": "Rollout", "metadata": {"name": name},
                    "spec": {"marketplaceRef": {"name": "shop"}, "image": image(cycle),
                             "strategy": {"blueGreen": {"scaleDownDelaySeconds": 0}}}
                }))
                .expect("rollout");
                rollouts
                    .create(&PostParams::default(), &rollout)
                    .await
                    .expect("create rollout");
                rollout_names.push(name);
            }
            _ => {
                log_level = if log_level == "info" { "debug" } else { "info" };
                marketplaces
                    .patch(
                        "shop",
                        &PatchParams::default(),
                        &Patch::Merge(json!({"spec": {"config": {"logLevel": log_level}}})),
                    )
                    .await
                    .expect("patch marketplace");
            }
        }
        // The fault: the operator dies at a random point of its work on this change.
        tokio::time::sleep(kills.next_delay()).await;
        f.kill_operator();
        f.start_operator().await;
    }

    // Every Rollout succeeds, in turn.
    for name in &rollout_names {
        let done = json_condition::<Rollout>(|r| {
            matches!(
                r["status"]["phase"].as_str(),
                Some("Succeeded" | "Aborted" | "RolledBack" | "Failed")
            )
        });
        let rollout = wait_for(rollouts.clone(), name, WAIT, done)
            .await
            .unwrap_or_else(|e| panic!("Rollout {name} stuck: {e}"))
            .expect("rollout");
        let status = serde_json::to_value(&rollout.status).expect("json");
        assert_eq!(status["phase"], "Succeeded", "Rollout {name}: {status:#}");
    }

    // The Marketplace converges on the last Rollout's image and the last configuration.
    let last_image = image((CYCLES - 1) / 5 * 5 + 2);
    let converged = {
        let last_image = last_image.clone();
        move |m: Option<&Marketplace>| {
            m.is_some_and(|m| {
                let status = m.status.as_ref();
                m.spec.image == last_image
                    && m.spec.config.log_level.as_str() == log_level
                    && status.is_some_and(|s| {
                        s.observed_generation == m.metadata.generation
                            && s.image.as_deref() == Some(last_image.as_str())
                            && s.conditions
                                .iter()
                                .any(|c| c.type_ == "Ready" && c.status == "True")
                    })
            })
        }
    };
    let shop = wait_for(marketplaces.clone(), "shop", WAIT, converged)
        .await
        .unwrap_or_else(|e| panic!("Marketplace converges: {e}"))
        .expect("marketplace");
    let active = shop
        .status
        .as_ref()
        .and_then(|s| s.active_color)
        .expect("active color");
    let deployments: Api<Deployment> = Api::namespaced(f.client.clone(), f.ns.name());
    let serving = deployments
        .get(&format!("shop-{active}"))
        .await
        .expect("active deployment");
    let serving = serde_json::to_value(&serving).expect("json");
    assert_eq!(
        serving["spec"]["template"]["spec"]["containers"][0]["image"],
        Value::from(last_image.as_str())
    );
    let idle = json_condition::<Deployment>(|d| d["spec"]["replicas"] == 0);
    wait_for(deployments, &format!("shop-{}", active.other()), WAIT, idle)
        .await
        .unwrap_or_else(|e| panic!("the old color is scaled down: {e}"));

    // Every Backup ran exactly once: one Job, one run, recorded, nothing left running.
    for name in &backups {
        let recorded = json_condition::<ogf_crds::Backup>(|b| {
            b["status"]["activeJob"].is_null()
                && (b["status"]["lastSuccessfulTime"].is_string()
                    || b["status"]["lastFailureTime"].is_string())
        });
        let backup = wait_for(f.backups(), name, WAIT, recorded)
            .await
            .unwrap_or_else(|e| panic!("Backup {name} stuck: {e}"))
            .expect("backup");
        let status = serde_json::to_value(&backup.status).expect("json");
        assert_eq!(status["successfulBackups"], 1, "Backup {name}: {status:#}");
        let jobs = f.jobs_of(name).await;
        assert_eq!(
            jobs.len(),
            1,
            "Backup {name} has one Job: {:?}",
            jobs.iter()
                .map(|j| j.metadata.name.clone())
                .collect::<Vec<_>>()
        );
    }
    let mut runs_per_job: BTreeMap<String, usize> = BTreeMap::new();
    for run in f.runner.runs() {
        *runs_per_job.entry(run.job.unwrap_or_default()).or_default() += 1;
    }
    assert_eq!(runs_per_job.len(), backups.len(), "{runs_per_job:?}");
    assert!(
        runs_per_job.values().all(|&n| n == 1),
        "each backup Job ran once: {runs_per_job:?}"
    );
}
