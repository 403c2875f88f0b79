//! Rollout checks against a real Prometheus: Debian's `prometheus` server (extracted by
//! `scripts/install-deps.sh`) started by the test, scraping every second a real `/metrics`
//! endpoint served by the test, whose error ratio the test controls. The in-process operator
//! queries Prometheus' HTTP API exactly as it would in a cluster: a ratio under the bar
//! promotes, a breached one before the switch rolls back with the active color untouched, a
//! breached one after the switch sends traffic back to the old color.

#[allow(dead_code)] // the steps tests' fixture: this file uses a subset
#[path = "operator_rollout_steps/fixture.rs"]
mod fixture;
#[path = "operator_rollout_prometheus/prometheus.rs"]
mod prometheus;

use fixture::{Fixture, NEW, OLD, phases};
use ogf_crds::Color;
use prometheus::{ApiMetrics, ERROR_RATIO, Prometheus};
use serde_json::{Value, json};

/// A Prometheus check on [`ERROR_RATIO`] named `name`: below 1 %, probed every second,
/// failed after two breaches.
fn error_ratio_check(name: &str, address: &str) -> Value {
    json!([{"name": name, "prometheus": {"address": address, "query": ERROR_RATIO,
        "successCondition": "result < 0.01", "intervalSeconds": 1, "failureThreshold": 2,
        "timeoutSeconds": 2}}])
}

/// The value a named check last saw, as a number.
fn last_value(rollout: &Value, name: &str) -> f64 {
    let checks = rollout["status"]["checks"].as_array().cloned();
    let check = checks
        .unwrap_or_default()
        .into_iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("check {name} in {rollout}"));
    check["lastValue"]
        .as_str()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("numeric lastValue of {name}: {check}"))
}

/// Starts Prometheus on a `/metrics` endpoint with `errors_per_mille` 500s, and waits until
/// it has scraped enough to answer the error-ratio query with that ratio.
async fn prometheus_at(errors_per_mille: u64) -> Option<(ApiMetrics, Prometheus)> {
    let binary = prometheus::binary()?;
    let (metrics, target) = ApiMetrics::serve(errors_per_mille).await;
    let mut prometheus = Prometheus::start(&binary, &target).await;
    wait_ratio(&mut prometheus, errors_per_mille).await;
    Some((metrics, prometheus))
}

async fn wait_ratio(prometheus: &mut Prometheus, errors_per_mille: u64) {
    let expected = errors_per_mille as f64 / 1000.0;
    prometheus
        .wait_value(ERROR_RATIO, |v| (v - expected).abs() < 1e-6)
        .await;
}

#[tokio::test]
async fn a_healthy_error_ratio_in_prometheus_promotes() {
    let Some((_metrics, prometheus)) = prometheus_at(1).await else {
        return;
    };
    let Some(f) = Fixture::new("ro-prom-ok", false).await else {
        return;
    };
    let address = &prometheus.address;
    f.create_rollout(
        "healthy",
        json!({"strategy": {"blueGreen": {"scaleDownDelaySeconds": 1,
            "prePromotionChecks": error_ratio_check("errors-pre", address),
            "postPromotionChecks": error_ratio_check("errors-post", address)}}}),
    )
    .await;
    let done = f.wait_phase("healthy", "Succeeded").await;
    assert_eq!(
        phases(&done),
        [
            "Deploying",
            "Verifying",
            "AwaitingPromotion",
            "Promoting",
            "PostVerifying",
            "Succeeded"
        ]
    );
    for check in ["errors-pre", "errors-post"] {
        let value = last_value(&done, check);
        assert!((value - 0.001).abs() < 1e-6, "{check}: {value}");
    }
    f.wait_selector("green").await;
    let mkt = f.marketplaces().get("shop").await.expect("marketplace");
    let status = mkt.status.expect("status");
    assert_eq!(status.active_color, Some(Color::Green));
    assert_eq!(status.image.as_deref(), Some(NEW));
    f.wait_replicas("shop-blue", 0).await;
}

#[tokio::test]
async fn a_breached_error_ratio_before_the_switch_rolls_back_untouched() {
    let Some((metrics, mut prometheus)) = prometheus_at(0).await else {
        return;
    };
    let Some(f) = Fixture::new("ro-prom-pre", false).await else {
        return;
    };
    // The new version "answers" 20 % errors: Prometheus sees it before the Rollout starts.
    metrics.set_errors_per_mille(200);
    wait_ratio(&mut prometheus, 200).await;
    f.create_rollout(
        "breach",
        json!({"strategy": {"blueGreen": {"scaleDownDelaySeconds": 1,
            "abortScaleDownDelaySeconds": 1,
            "prePromotionChecks": error_ratio_check("errors", &prometheus.address)}}}),
    )
    .await;
    let rolled_back = f.wait_phase("breach", "RolledBack").await;
    assert_eq!(
        phases(&rolled_back),
        ["Deploying", "Verifying", "RolledBack"]
    );
    let message = rolled_back["status"]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(
        message.contains("pre-promotion check errors failed"),
        "{message}"
    );
    assert!((last_value(&rolled_back, "errors") - 0.2).abs() < 1e-6);
    let check = &rolled_back["status"]["checks"][0];
    assert_eq!(check["failures"], 2, "{check}");
    assert!(
        check["lastError"]
            .as_str()
            .is_some_and(|e| e.contains("does not satisfy result < 0.01")),
        "{check}"
    );
    // The active color was never touched: blue serves OLD, green goes back to zero.
    assert_eq!(f.selector().await, "blue");
    let mkt = f.marketplaces().get("shop").await.expect("marketplace");
    let status = mkt.status.expect("status");
    assert_eq!(status.active_color, Some(Color::Blue));
    assert_eq!(status.image.as_deref(), Some(OLD));
    assert_eq!(f.replicas("shop-blue").await, Some(2));
    f.wait_replicas("shop-green", 0).await;
}

#[tokio::test]
async fn a_breached_error_ratio_after_the_switch_sends_traffic_back() {
    let Some((_metrics, prometheus)) = prometheus_at(200).await else {
        return;
    };
    let Some(f) = Fixture::new("ro-prom-post", false).await else {
        return;
    };
    f.create_rollout(
        "late",
        json!({"strategy": {"blueGreen": {"scaleDownDelaySeconds": 60,
            "abortScaleDownDelaySeconds": 1,
            "postPromotionChecks": error_ratio_check("errors", &prometheus.address)}}}),
    )
    .await;
    let rolled_back = f.wait_phase("late", "RolledBack").await;
    assert_eq!(
        phases(&rolled_back),
        [
            "Deploying",
            "Verifying",
            "AwaitingPromotion",
            "Promoting",
            "PostVerifying",
            "RolledBack"
        ]
    );
    assert!((last_value(&rolled_back, "errors") - 0.2).abs() < 1e-6);
    f.wait_selector("blue").await;
    let mkt = f.marketplaces().get("shop").await.expect("marketplace");
    let status = mkt.status.expect("status");
    assert_eq!(status.active_color, Some(Color::Blue));
    assert_eq!(status.image.as_deref(), Some(OLD));
    assert_eq!(
        f.replicas("shop-blue").await,
        Some(2),
        "the old color stayed up"
    );
    f.wait_replicas("shop-green", 0).await;
}
