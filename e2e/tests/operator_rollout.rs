//! Blue-green Rollouts against the real control plane: auto and manual promotion, abort,
//! failing pre- and post-promotion HTTP checks (served by the test on 127.0.0.1), two
//! Rollouts of one Marketplace, an operator restarted mid-rollout, and check targets refused
//! by the operator's allow-list (SSRF, OWASP API7).

use std::sync::Arc;
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Service;
use kube::api::{Patch, PatchParams, PostParams};
use kube::{Api, Client};
use ogf_crds::{Marketplace, Rollout};
use ogf_e2e::fixtures::{create_secret, prebind_volume, serve_on_loopback};
use ogf_e2e::operator::test_check_targets;
use ogf_e2e::{Operator, TestNamespace, env, install_crds, json_condition, wait_for};
use ogf_operator::targets::CheckTargets;
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(90);
const OLD: &str = "ghcr.io/ogf-dev/ogf-api:1.0.0";
const NEW: &str = "ghcr.io/ogf-dev/ogf-api:1.1.0";

/// A test namespace with a Ready Marketplace `shop` (blue, two replicas) and a running operator.
struct Fixture {
    client: Client,
    ns: TestNamespace,
    operator: Option<Operator>,
}

impl Fixture {
    async fn new(prefix: &str) -> Option<Self> {
        Self::with_store(prefix, false).await
    }

    /// Like [`Fixture::new`]; with `embedded`, the Marketplace runs one replica on the
    /// embedded store (its volume pre-bound: the test environment has no provisioner).
    async fn with_store(prefix: &str, embedded: bool) -> Option<Self> {
        Self::with_targets(prefix, embedded, test_check_targets()).await
    }

    /// Like [`Fixture::with_store`], with the operator's check targets limited to `targets`.
    async fn with_targets(prefix: &str, embedded: bool, targets: CheckTargets) -> Option<Self> {
        let config = env::kube_config().await?;
        let client = Client::try_from(config.clone()).expect("client");
        install_crds(&client).await;
        let ns = TestNamespace::create(&client, config, prefix).await;
        create_secret(
            &client,
            ns.name(),
            "mongo",
            "uri",
            "mongodb://mongo.example:27017/",
        )
        .await;
        let (replicas, database) = if embedded {
            prebind_volume(&client, ns.name(), "shop-data").await;
            (1, json!({"embedded": {"storageSize": "1Gi"}}))
        } else {
            (
                2,
                json!({"mongodb": {"uriSecretRef": {"name": "mongo", "key": "uri"}, "database": "ogf"}}),
            )
        };
        let operator =
            Operator::start_with_check_targets(&client, ns.name(), "solo", targets).await;
        let marketplace: Marketplace = serde_json::from_value(json!({
            "apiVersion": "ogf.dev/v1alpha1", "kind": "Marketplace",
            "metadata": {"name": "shop"},
            "spec": {"image": OLD, "replicas": replicas, "database": database}
        }))
        .expect("marketplace");
        let fixture = Self {
            client,
            ns,
            operator: Some(operator),
        };
        fixture
            .marketplaces()
            .create(&PostParams::default(), &marketplace)
            .await
            .expect("create marketplace");
        let ready = json_condition::<Marketplace>(|m| {
            m["status"]["image"] == OLD
                && m["status"]["conditions"].as_array().is_some_and(|cs| {
                    cs.iter()
                        .any(|c| c["type"] == "Ready" && c["status"] == "True")
                })
        });
        wait_for(fixture.marketplaces(), "shop", WAIT, ready)
            .await
            .expect("Marketplace Ready");
        Some(fixture)
    }

    fn marketplaces(&self) -> Api<Marketplace> {
        Api::namespaced(self.client.clone(), self.ns.name())
    }

    fn rollouts(&self) -> Api<Rollout> {
        Api::namespaced(self.client.clone(), self.ns.name())
    }

    fn deployments(&self) -> Api<Deployment> {
        Api::namespaced(self.client.clone(), self.ns.name())
    }

    fn services(&self) -> Api<Service> {
        Api::namespaced(self.client.clone(), self.ns.name())
    }

    async fn create_rollout(&self, name: &str, strategy: Value, extra: Value) {
        let mut spec = json!({"marketplaceRef": {"name": "shop"}, "image": NEW,
            "strategy": {"blueGreen": strategy}});
        if let (Some(spec), Some(extra)) = (spec.as_object_mut(), extra.as_object()) {
            spec.extend(extra.clone());
        }
        let rollout: Rollout = serde_json::from_value(json!({
            "apiVersion": "ogf.dev/v1alpha1", "kind": "Rollout",
            "metadata": {"name": name}, "spec": spec
        }))
        .expect("rollout");
        self.rollouts()
            .create(&PostParams::default(), &rollout)
            .await
            .expect("create rollout");
    }

    async fn patch_rollout(&self, name: &str, patch: Value) -> Rollout {
        self.rollouts()
            .patch(name, &PatchParams::default(), &Patch::Merge(patch))
            .await
            .expect("patch rollout")
    }

    /// Applies `patch` (a spec change) and waits until the operator has reconciled the new
    /// generation, which its conditions' `observedGeneration` shows.
    async fn edit_and_wait_observed(&self, name: &str, patch: Value) -> Rollout {
        let edited = self.patch_rollout(name, patch).await;
        let generation = edited.metadata.generation.expect("generation");
        let cond = json_condition::<Rollout>(move |r| {
            let conditions = r["status"]["conditions"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            !conditions.is_empty()
                && conditions
                    .iter()
                    .all(|c| c["observedGeneration"].as_i64() == Some(generation))
        });
        wait_for(self.rollouts(), name, WAIT, cond)
            .await
            .unwrap_or_else(|e| panic!("Rollout {name} generation {generation} observed: {e}"))
            .expect("rollout")
    }

    async fn wait_phase(&self, name: &str, phase: &'static str) -> Rollout {
        let cond = json_condition::<Rollout>(move |r| r["status"]["phase"] == phase);
        wait_for(self.rollouts(), name, WAIT, cond)
            .await
            .unwrap_or_else(|e| panic!("Rollout {name} {phase}: {e}"))
            .expect("rollout")
    }

    async fn wait_selector(&self, color: &'static str) {
        let cond =
            json_condition::<Service>(move |s| s["spec"]["selector"]["ogf.dev/color"] == color);
        wait_for(self.services(), "shop", WAIT, cond)
            .await
            .unwrap_or_else(|e| panic!("active Service selects {color}: {e}"));
    }

    async fn wait_replicas(&self, deployment: &str, replicas: i64) {
        let cond = json_condition::<Deployment>(move |d| d["spec"]["replicas"] == replicas);
        wait_for(self.deployments(), deployment, WAIT, cond)
            .await
            .unwrap_or_else(|e| panic!("{deployment} at {replicas} replicas: {e}"));
    }

    async fn selector(&self) -> String {
        let service = self.services().get("shop").await.expect("service");
        service
            .spec
            .and_then(|s| s.selector)
            .and_then(|s| s.get("ogf.dev/color").cloned())
            .unwrap_or_default()
    }
}

/// A Prometheus query API on 127.0.0.1 answering every query with one sample of `value`.
async fn serve_prometheus(value: &'static str) -> String {
    let app = Router::new().route(
        "/api/v1/query",
        get(move || async move {
            axum::Json(json!({"status": "success", "data": {"resultType": "vector",
                "result": [{"metric": {}, "value": [1_700_000_000.0, value]}]}}))
        }),
    );
    let address = serve_on_loopback(app).await;
    format!("http://{address}")
}

/// An HTTP endpoint on 127.0.0.1 answering every GET with the current status code.
async fn serve(status: Arc<AtomicU16>) -> String {
    let app = Router::new().fallback(get(move || {
        let status = status.clone();
        async move {
            StatusCode::from_u16(status.load(Ordering::SeqCst)).unwrap_or(StatusCode::IM_A_TEAPOT)
        }
    }));
    let address = serve_on_loopback(app).await;
    format!("http://{address}/readyz")
}

fn http_check(url: &str) -> Value {
    json!([{"name": "readyz", "http": {"url": url, "intervalSeconds": 1, "failureThreshold": 2, "timeoutSeconds": 2}}])
}

#[tokio::test]
async fn auto_promote_switches_traffic_and_scales_the_old_color_down() {
    let Some(f) = Fixture::new("ro-happy").await else {
        return;
    };
    let url = serve(Arc::new(AtomicU16::new(200))).await;
    f.create_rollout(
        "to-1-1",
        json!({"scaleDownDelaySeconds": 1, "prePromotionChecks": http_check(&url), "postPromotionChecks": http_check(&url)}),
        json!({}),
    )
    .await;
    let done = f.wait_phase("to-1-1", "Succeeded").await;
    let status = done.status.expect("status");
    assert_eq!(status.target_image.as_deref(), Some(NEW));
    assert_eq!(status.stable_image.as_deref(), Some(OLD));
    assert!(
        status
            .checks
            .iter()
            .all(|c| c.successes >= 1 && c.failures == 0),
        "{:?}",
        status.checks
    );
    let phases: Vec<_> = status.steps.iter().map(|s| s.phase.as_str()).collect();
    assert_eq!(
        phases,
        [
            "Deploying",
            "Verifying",
            "AwaitingPromotion",
            "Promoting",
            "PostVerifying",
            "Succeeded"
        ]
    );
    f.wait_selector("green").await;
    f.wait_replicas("shop-blue", 0).await;
    let synced = json_condition::<Marketplace>(|m| {
        m["spec"]["image"] == NEW
            && m["status"]["image"] == NEW
            && m["status"]["activeColor"] == "green"
    });
    wait_for(f.marketplaces(), "shop", WAIT, synced)
        .await
        .expect("Marketplace spec and status follow the Rollout");
    let metrics = &f.operator.as_ref().expect("operator").metrics;
    assert_eq!(metrics.rollout_count("Succeeded"), 1);
}

#[tokio::test]
async fn manual_promotion_waits_for_promote() {
    let Some(f) = Fixture::new("ro-manual").await else {
        return;
    };
    f.create_rollout(
        "manual",
        json!({"autoPromote": false, "scaleDownDelaySeconds": 1}),
        json!({}),
    )
    .await;
    f.wait_phase("manual", "AwaitingPromotion").await;
    f.wait_replicas("shop-green", 2).await;
    assert_eq!(f.selector().await, "blue", "switched before promote");
    f.patch_rollout("manual", json!({"spec": {"promote": true}}))
        .await;
    f.wait_phase("manual", "Succeeded").await;
    f.wait_selector("green").await;
    f.wait_replicas("shop-blue", 0).await;
}

#[tokio::test]
async fn abort_while_awaiting_promotion_keeps_the_active_color() {
    let Some(f) = Fixture::new("ro-abort").await else {
        return;
    };
    f.create_rollout(
        "abort",
        json!({"autoPromote": false, "abortScaleDownDelaySeconds": 1}),
        json!({}),
    )
    .await;
    f.wait_phase("abort", "AwaitingPromotion").await;
    f.patch_rollout("abort", json!({"spec": {"abort": true}}))
        .await;
    f.wait_phase("abort", "Aborted").await;
    f.wait_replicas("shop-green", 0).await;
    f.wait_replicas("shop-blue", 2).await;
    assert_eq!(f.selector().await, "blue");
    let mkt = f.marketplaces().get("shop").await.expect("marketplace");
    assert_eq!(mkt.spec.image, OLD);
}

#[tokio::test]
async fn failing_pre_promotion_check_rolls_back_without_touching_traffic() {
    let Some(f) = Fixture::new("ro-precheck").await else {
        return;
    };
    let url = serve(Arc::new(AtomicU16::new(500))).await;
    f.create_rollout(
        "bad",
        json!({"abortScaleDownDelaySeconds": 1, "prePromotionChecks": http_check(&url)}),
        json!({}),
    )
    .await;
    let rolled_back = f.wait_phase("bad", "RolledBack").await;
    let status = rolled_back.status.expect("status");
    let check = &status.checks[0];
    assert_eq!(
        (check.failures, check.last_value.as_deref()),
        (2, Some("500"))
    );
    assert!(
        status.steps.iter().all(|s| s.phase.as_str() != "Promoting"),
        "{:?}",
        status.steps
    );
    assert_eq!(f.selector().await, "blue");
    f.wait_replicas("shop-green", 0).await;
    let degraded = json_condition::<Rollout>(|r| {
        r["status"]["conditions"].as_array().is_some_and(|cs| {
            cs.iter()
                .any(|c| c["type"] == "Degraded" && c["status"] == "True")
        })
    });
    wait_for(f.rollouts(), "bad", WAIT, degraded)
        .await
        .expect("Degraded");
}

#[tokio::test]
async fn failing_post_promotion_check_switches_traffic_back() {
    let Some(f) = Fixture::new("ro-postcheck").await else {
        return;
    };
    let url = serve(Arc::new(AtomicU16::new(503))).await;
    f.create_rollout(
        "post",
        json!({"abortScaleDownDelaySeconds": 1, "scaleDownDelaySeconds": 1, "postPromotionChecks": http_check(&url)}),
        json!({}),
    )
    .await;
    let rolled_back = f.wait_phase("post", "RolledBack").await;
    let phases: Vec<_> = rolled_back
        .status
        .expect("status")
        .steps
        .iter()
        .map(|s| s.phase.as_str())
        .collect();
    assert!(phases.contains(&"PostVerifying"), "{phases:?}");
    f.wait_selector("blue").await;
    f.wait_replicas("shop-green", 0).await;
    f.wait_replicas("shop-blue", 2).await;
    let back = json_condition::<Marketplace>(|m| {
        m["status"]["activeColor"] == "blue" && m["status"]["image"] == OLD
    });
    wait_for(f.marketplaces(), "shop", WAIT, back)
        .await
        .expect("Marketplace back on blue");
}

#[tokio::test]
async fn a_second_rollout_waits_for_the_first() {
    let Some(f) = Fixture::new("ro-two").await else {
        return;
    };
    f.create_rollout(
        "first",
        json!({"autoPromote": false, "abortScaleDownDelaySeconds": 1}),
        json!({}),
    )
    .await;
    f.wait_phase("first", "AwaitingPromotion").await;
    f.create_rollout(
        "second",
        json!({"scaleDownDelaySeconds": 1}),
        json!({"image": "ghcr.io/ogf-dev/ogf-api:1.2.0"}),
    )
    .await;
    let waiting = json_condition::<Rollout>(|r| {
        r["status"]["phase"] == "Pending"
            && r["status"]["conditions"].as_array().is_some_and(|cs| {
                cs.iter().any(|c| {
                    c["type"] == "Waiting"
                        && c["status"] == "True"
                        && c["reason"] == "AnotherRolloutInProgress"
                })
            })
    });
    wait_for(f.rollouts(), "second", WAIT, waiting)
        .await
        .expect("second waits");
    f.patch_rollout("first", json!({"spec": {"abort": true}}))
        .await;
    f.wait_phase("first", "Aborted").await;
    let done = f.wait_phase("second", "Succeeded").await;
    assert!(
        done.status
            .expect("status")
            .conditions
            .iter()
            .all(|c| c.type_ != "Waiting")
    );
    f.wait_selector("green").await;
}

#[tokio::test]
async fn a_restarted_operator_resumes_the_rollout() {
    let Some(mut f) = Fixture::new("ro-restart").await else {
        return;
    };
    f.create_rollout(
        "resume",
        json!({"autoPromote": false, "scaleDownDelaySeconds": 3}),
        json!({}),
    )
    .await;
    // Killed while awaiting promotion; promoted while no operator runs.
    f.wait_phase("resume", "AwaitingPromotion").await;
    f.operator.take().expect("operator").kill();
    f.patch_rollout("resume", json!({"spec": {"promote": true}}))
        .await;
    f.operator = Some(Operator::start(&f.client, f.ns.name(), "second", None).await);
    // Killed again after the switch, while the old color is kept up.
    f.wait_phase("resume", "PostVerifying").await;
    f.operator.take().expect("operator").kill();
    f.operator = Some(Operator::start(&f.client, f.ns.name(), "third", None).await);
    let done = f.wait_phase("resume", "Succeeded").await;
    let phases: Vec<_> = done
        .status
        .expect("status")
        .steps
        .iter()
        .map(|s| s.phase.as_str())
        .collect();
    assert_eq!(
        phases,
        [
            "Deploying",
            "Verifying",
            "AwaitingPromotion",
            "Promoting",
            "PostVerifying",
            "Succeeded"
        ],
        "the restarted operators started over or skipped a phase"
    );
    f.wait_selector("green").await;
    f.wait_replicas("shop-blue", 0).await;
}

#[tokio::test]
async fn progress_deadline_rolls_back_and_retry_starts_again() {
    let Some(f) = Fixture::new("ro-deadline").await else {
        return;
    };
    let status = Arc::new(AtomicU16::new(500));
    let url = serve(status.clone()).await;
    let patient = json!([{"name": "readyz", "http": {"url": url, "intervalSeconds": 1, "failureThreshold": 1000}}]);
    f.create_rollout(
        "slow",
        json!({"abortScaleDownDelaySeconds": 1, "scaleDownDelaySeconds": 1, "prePromotionChecks": patient}),
        json!({"progressDeadlineSeconds": 4}),
    )
    .await;
    let rolled_back = f.wait_phase("slow", "RolledBack").await;
    let message = rolled_back
        .status
        .and_then(|s| s.message)
        .unwrap_or_default();
    assert!(message.contains("deadline"), "{message}");
    assert_eq!(f.selector().await, "blue");

    status.store(200, Ordering::SeqCst);
    f.patch_rollout(
        "slow",
        json!({"metadata": {"annotations": {"ogf.dev/retry": "1"}}, "spec": {"progressDeadlineSeconds": 600}}),
    )
    .await;
    let done = f.wait_phase("slow", "Succeeded").await;
    assert_eq!(done.status.and_then(|s| s.last_retry).as_deref(), Some("1"));
    f.wait_selector("green").await;
}

#[tokio::test]
async fn prometheus_check_is_evaluated_against_the_query_api() {
    let Some(f) = Fixture::new("ro-prom").await else {
        return;
    };
    let address = serve_prometheus("0.001").await;
    let check = json!([{"name": "errors", "prometheus": {"address": address,
        "query": "sum(rate(ogf_http_requests_total{code=~\"5..\"}[1m]))",
        "successCondition": "result < 0.01", "intervalSeconds": 1}}]);
    f.create_rollout(
        "prom",
        json!({"scaleDownDelaySeconds": 1, "prePromotionChecks": check}),
        json!({}),
    )
    .await;
    let done = f.wait_phase("prom", "Succeeded").await;
    let status = done.status.expect("status");
    assert_eq!(status.checks[0].last_value.as_deref(), Some("0.001"));
}

#[tokio::test]
async fn embedded_store_stops_then_starts_and_still_rolls_back() {
    let Some(f) = Fixture::with_store("ro-embedded", true).await else {
        return;
    };
    let url = serve(Arc::new(AtomicU16::new(500))).await;
    f.create_rollout(
        "bad",
        json!({"abortScaleDownDelaySeconds": 1, "prePromotionChecks": http_check(&url)}),
        json!({}),
    )
    .await;
    let rolled_back = f.wait_phase("bad", "RolledBack").await;
    let status = rolled_back.status.expect("status");
    assert!(status.stop_then_start);
    assert!(
        status.steps[0].message.contains("stop-then-start"),
        "{:?}",
        status.steps
    );
    f.wait_replicas("shop-green", 0).await;
    f.wait_replicas("shop-blue", 1).await;
    assert_eq!(f.selector().await, "blue");

    f.create_rollout("good", json!({"scaleDownDelaySeconds": 1}), json!({}))
        .await;
    f.wait_phase("good", "Succeeded").await;
    f.wait_selector("green").await;
    f.wait_replicas("shop-blue", 0).await;
    f.wait_replicas("shop-green", 1).await;
}

/// An HTTP endpoint on 127.0.0.1 that counts the requests it receives.
async fn serve_counting(hits: Arc<AtomicU16>) -> String {
    let app = Router::new().fallback(get(move || {
        let hits = hits.clone();
        async move {
            hits.fetch_add(1, Ordering::SeqCst);
            StatusCode::OK
        }
    }));
    let address = serve_on_loopback(app).await;
    format!("http://{address}/readyz")
}

#[tokio::test]
async fn check_targets_off_the_allow_list_fail_the_rollout_before_anything_changes() {
    // The production default: cluster Services by name only.
    let Some(f) = Fixture::with_targets("ro-ssrf", false, CheckTargets::default()).await else {
        return;
    };
    let hits = Arc::new(AtomicU16::new(0));
    let loopback = serve_counting(hits.clone()).await;
    let cases = [
        (
            "loopback",
            json!({"prePromotionChecks": http_check(&loopback)}),
            "loopback",
        ),
        (
            "metadata",
            json!({"postPromotionChecks": [{"name": "errors", "prometheus": {
                "address": "http://169.254.169.254/latest/meta-data",
                "query": "up", "successCondition": "result > 0"}}]}),
            "link-local",
        ),
        (
            "apiserver",
            json!({"prePromotionChecks": http_check("https://kubernetes.default.svc/api")}),
            "API server",
        ),
    ];
    for (name, strategy, why) in cases {
        f.create_rollout(name, strategy, json!({})).await;
        let failed = f.wait_phase(name, "Failed").await;
        let status = failed.status.expect("status");
        assert_eq!(
            status.reason.as_deref(),
            Some("CheckTargetNotAllowed"),
            "{name}"
        );
        let message = status.message.unwrap_or_default();
        assert!(message.contains(why), "{name}: {message}");
        assert!(
            status.checks.is_empty(),
            "{name}: no probe ran: {:?}",
            status.checks
        );
        // A later reconcile of the finished Rollout keeps why it failed.
        let reconciled = f
            .edit_and_wait_observed(name, json!({"spec": {"promote": true}}))
            .await;
        let status = reconciled.status.expect("status");
        let message = status.message.unwrap_or_default();
        assert!(message.contains(why), "{name} after a reconcile: {message}");
        assert_eq!(status.reason.as_deref(), Some("CheckTargetNotAllowed"));
    }
    assert_eq!(
        hits.load(Ordering::SeqCst),
        0,
        "the loopback endpoint was never fetched"
    );
    assert_eq!(f.selector().await, "blue");
    let green = f.deployments().get_opt("shop-green").await.expect("get");
    assert!(
        green.is_none_or(|d| d.spec.replicas == Some(0)),
        "the new color was never scaled up"
    );
}
