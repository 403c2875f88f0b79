//! Blue-green switch latency: N Rollouts of one Marketplace on the test environment (default
//! 20), each from "preview verified" (`status.verifiedAt`, microseconds, written when the
//! preview is Available with its checks passed) to "the active Service selects the new color"
//! (seen by a watch on the Service in this process, same clock). Also reported: the operator's
//! own part, `status.switchedAt - status.verifiedAt` (the Marketplace pointed at the new color).
//!
//! The operator runs in process, with the bench (release) profile.
//!
//! ```sh
//! e2e/testenv/testenv.sh up && . <(e2e/testenv/testenv.sh env)
//! OGF_BENCH_ROLLOUTS=20 cargo bench -p ogf-e2e --bench rollout_switch
//! ```

use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::core::v1::{Secret, Service};
use k8s_openapi::jiff::Timestamp;
use kube::api::PostParams;
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client};
use ogf_crds::{Marketplace, Rollout};
use ogf_e2e::{Operator, TestNamespace, env, install_crds, json_condition, wait_for};
use serde_json::json;

const WAIT: Duration = Duration::from_secs(120);

#[tokio::main]
async fn main() {
    let count: usize = std::env::var("OGF_BENCH_ROLLOUTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let Some(config) = env::kube_config().await else {
        std::process::exit(2);
    };
    let client = Client::try_from(config.clone()).expect("client");
    install_crds(&client).await;
    let ns = TestNamespace::create(&client, config, "bench-switch").await;
    let n = ns.name().to_string();
    let secret: Secret = serde_json::from_value(json!({"apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "mongo"}, "stringData": {"uri": "mongodb://mongo.example:27017/"}}))
    .expect("secret");
    Api::<Secret>::namespaced(client.clone(), &n)
        .create(&PostParams::default(), &secret)
        .await
        .expect("secret");
    let _operator = Operator::start(&client, &n, "bench", None).await;
    let marketplaces: Api<Marketplace> = Api::namespaced(client.clone(), &n);
    let marketplace: Marketplace = serde_json::from_value(json!({
        "apiVersion": "ogf.dev/v1alpha1", "kind": "Marketplace", "metadata": {"name": "shop"},
        "spec": {"image": "ghcr.io/ogf-dev/ogf-api:1.0.0", "replicas": 2, "database":
            {"mongodb": {"uriSecretRef": {"name": "mongo", "key": "uri"}, "database": "ogf"}}}
    }))
    .expect("marketplace");
    marketplaces
        .create(&PostParams::default(), &marketplace)
        .await
        .expect("create marketplace");
    let ready = json_condition::<Marketplace>(|m| {
        m["status"]["conditions"].as_array().is_some_and(|cs| {
            cs.iter()
                .any(|c| c["type"] == "Ready" && c["status"] == "True")
        })
    });
    wait_for(marketplaces.clone(), "shop", WAIT, ready)
        .await
        .expect("Marketplace Ready");

    let rollouts: Api<Rollout> = Api::namespaced(client.clone(), &n);
    let services: Api<Service> = Api::namespaced(client.clone(), &n);
    let mut end_to_end = Vec::new();
    let mut operator_side = Vec::new();
    for i in 0..count {
        let name = format!("r{i}");
        let target = if i % 2 == 0 { "green" } else { "blue" };
        let seen = tokio::spawn(selector_seen(services.clone(), target));
        let rollout: Rollout = serde_json::from_value(json!({
            "apiVersion": "ogf.dev/v1alpha1", "kind": "Rollout", "metadata": {"name": name},
            "spec": {"marketplaceRef": {"name": "shop"},
                     "image": format!("ghcr.io/ogf-dev/ogf-api:1.{}.0", i + 1),
                     "strategy": {"blueGreen": {"scaleDownDelaySeconds": 0}}}
        }))
        .expect("rollout");
        rollouts
            .create(&PostParams::default(), &rollout)
            .await
            .expect("create rollout");
        let done = json_condition::<Rollout>(|r| r["status"]["phase"] == "Succeeded");
        let done = wait_for(rollouts.clone(), &name, WAIT, done)
            .await
            .expect("Rollout Succeeded")
            .expect("rollout");
        let seen_at = seen.await.expect("selector watch");
        let status = done.status.expect("status");
        let verified = status.verified_at.expect("verifiedAt").0;
        let switched = status.switched_at.expect("switchedAt").0;
        let total = millis_between(verified, seen_at);
        let own = millis_between(verified, switched);
        println!(
            "rollout {i:>2} -> {target:<5}: verified->Service {total:>7.1} ms, verified->switch write {own:>7.1} ms"
        );
        end_to_end.push(total);
        operator_side.push(own);
    }
    report(
        "verified -> active Service selects new color",
        &mut end_to_end,
    );
    report(
        "verified -> Marketplace switched (operator)",
        &mut operator_side,
    );
}

/// When (this host's clock) the active Service first selects `color`.
async fn selector_seen(services: Api<Service>, color: &'static str) -> Timestamp {
    let config = watcher::Config::default().fields("metadata.name=shop");
    let mut events = watcher(services, config).applied_objects().boxed();
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let next = tokio::time::timeout_at(deadline, events.next()).await;
        match next {
            Ok(Some(Ok(service))) => {
                let selects = service
                    .spec
                    .and_then(|s| s.selector)
                    .is_some_and(|s| s.get("ogf.dev/color").map(String::as_str) == Some(color));
                if selects {
                    return Timestamp::now();
                }
            }
            Ok(Some(Err(e))) => eprintln!("service watch: {e}"),
            Ok(None) | Err(_) => panic!("the active Service never selected {color}"),
        }
    }
}

fn millis_between(from: Timestamp, to: Timestamp) -> f64 {
    (to.as_microsecond() - from.as_microsecond()) as f64 / 1000.0
}

fn report(what: &str, samples: &mut [f64]) {
    samples.sort_by(f64::total_cmp);
    let at = |q: f64| {
        let index = ((samples.len() as f64 - 1.0) * q).round() as usize;
        samples.get(index).copied().unwrap_or(f64::NAN)
    };
    println!(
        "{what}: n={} median {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms, min {:.1} ms",
        samples.len(),
        at(0.5),
        at(0.9),
        at(0.99),
        at(1.0),
        at(0.0)
    );
}
