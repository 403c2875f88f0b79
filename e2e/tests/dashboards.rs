//! The Grafana dashboards (`charts/ogf-operator/dashboards/*.json`) and the
//! alerting rules query only metrics that exist: the test starts the real API
//! (`ogf_api::http::app` on the embedded store, served over TCP) and the
//! operator's metrics endpoint (`ogf_operator::http::router` over its
//! `Metrics` registry), drives both until every metric family has a series
//! (client libraries expose a labelled family only after its first
//! observation), scrapes their `/metrics`, and checks every `ogf_*` name in
//! every PromQL expression against what was scraped (`_bucket`, `_sum` and
//! `_count` of histograms included). `kube_ogf_*` names must come from the
//! kube-state-metrics config in deploy/kube-state-metrics/.

#[path = "ops/tools.rs"]
mod tools;

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use ogf_api::http::{AppState, app};
use ogf_api::settings::{RateLimits, Settings};
use ogf_api::store::{EmbeddedStore, Store};
use ogf_operator::http::{HttpState, router};
use ogf_operator::metrics::Metrics;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tools::{alert_rules, metric_names, read, read_yaml};

const DASHBOARDS: &[&str] = &[
    "charts/ogf-operator/dashboards/ogf-api.json",
    "charts/ogf-operator/dashboards/ogf-operator.json",
];
const TIMEOUT: Duration = Duration::from_secs(30);
const ADMIN_EMAIL: &str = "admin@ogf.local";
const ADMIN_PASSWORD: &str = "admin password 0123";

// ---------------------------------------------------------------------------
// HTTP over a plain TCP connection (one request per connection)
// ---------------------------------------------------------------------------

async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> (u16, String) {
    let exchange = async {
        let body = body.map(Value::to_string).unwrap_or_default();
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
            body.len()
        );
        if !body.is_empty() {
            head.push_str("Content-Type: application/json\r\n");
        }
        if let Some(token) = token {
            head.push_str(&format!("Authorization: Bearer {token}\r\n"));
        }
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        stream
            .write_all(format!("{head}\r\n{body}").as_bytes())
            .await
            .expect("send");
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await.expect("receive");
        let text = String::from_utf8(raw).expect("utf-8 response");
        let (head, body) = text.split_once("\r\n\r\n").expect("HTTP response");
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .expect("status code");
        (status, body.to_string())
    };
    tokio::time::timeout(TIMEOUT, exchange)
        .await
        .unwrap_or_else(|_| panic!("{method} {path} took over {TIMEOUT:?}"))
}

async fn listen() -> (TcpListener, SocketAddr) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    (listener, addr)
}

// ---------------------------------------------------------------------------
// The two processes' metrics
// ---------------------------------------------------------------------------

/// Starts the API on a fresh embedded store and sends requests that make every
/// metric family appear; returns its `/metrics` text.
async fn api_metrics(data_dir: &std::path::Path) -> String {
    let store: Arc<dyn Store> = Arc::new(EmbeddedStore::open(data_dir).await.expect("store"));
    let mut settings = Settings::new(ogf_api::auth::JwtSecret::generate());
    // Two auth requests a minute: the third is rejected (ogf_rate_limit_rejections_total).
    settings.rate_limits = RateLimits {
        auth_per_minute: 2,
        anonymous_per_day: 0,
        user_per_minute: 0,
        trading_per_minute: 0,
    };
    ogf_api::auth::bootstrap::ensure_admin(
        store.as_ref(),
        settings.clock.as_ref(),
        ADMIN_EMAIL,
        Some(ADMIN_PASSWORD.to_owned()),
    )
    .await
    .expect("first admin");
    let state = AppState::new(store, settings).expect("app state");
    let (listener, addr) = listen().await;
    let server = tokio::spawn(async move {
        axum::serve(
            listener,
            app(state).into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
    });

    let login = |password: &'static str| json!({"email": ADMIN_EMAIL, "password": password});
    let (status, body) = request(
        addr,
        "POST",
        "/api/v1/auth/login",
        None,
        Some(&login(ADMIN_PASSWORD)),
    )
    .await;
    assert_eq!(status, 200, "login: {body}");
    let tokens: Value = serde_json::from_str(&body).expect("token JSON");
    let token = tokens["access_token"]
        .as_str()
        .expect("access_token")
        .to_string();
    // A wrong password (ogf_auth_failures_total), then the limit (429).
    let (status, _) = request(
        addr,
        "POST",
        "/api/v1/auth/login",
        None,
        Some(&login("wrong password 0123")),
    )
    .await;
    assert_eq!(status, 401);
    let (status, _) = request(
        addr,
        "POST",
        "/api/v1/auth/login",
        None,
        Some(&login(ADMIN_PASSWORD)),
    )
    .await;
    assert_eq!(status, 429);
    // Authenticated twice (session cache miss, then hit) and a search (store operations).
    for _ in 0..2 {
        let (status, body) = request(addr, "GET", "/api/v1/users/me", Some(&token), None).await;
        assert_eq!(status, 200, "users/me: {body}");
    }
    let (status, _) = request(addr, "GET", "/api/v1/listings?limit=1", None, None).await;
    assert_eq!(status, 200);

    let (status, text) = request(addr, "GET", "/metrics", None, None).await;
    assert_eq!(status, 200);
    server.abort();
    text
}

/// The operator's metrics after one event of every kind it records; its `/metrics` text.
async fn operator_metrics() -> String {
    let metrics = Metrics::new().expect("operator metrics");
    metrics.set_leader(true);
    metrics.marketplace_ready("shop", "demo", true);
    metrics.api_request("GET");
    metrics.reconciled("Marketplace", Duration::from_millis(20));
    metrics.failed("Marketplace", "transient");
    metrics.wrote("Deployment", "created");
    metrics.rollout_finished("Succeeded", Some(Duration::from_secs(60)));
    metrics.rollout_switched(Duration::from_millis(200));
    metrics.backup_succeeded("shop", "nightly", 1.7e9, 12.0, 4096.0);
    metrics.backup_failed("shop", "hourly", 1.7e9, Some(3.0));
    metrics.backup_skipped("shop");
    metrics.restore_finished("shop", "succeeded", Some(Duration::from_secs(90)));

    let state = HttpState {
        metrics,
        ready: Arc::new(AtomicBool::new(true)),
    };
    let (listener, addr) = listen().await;
    let server = tokio::spawn(async move { axum::serve(listener, router(state)).await });
    let (status, text) = request(addr, "GET", "/metrics", None, None).await;
    assert_eq!(status, 200);
    server.abort();
    text
}

/// Series names in a Prometheus text exposition, and the families (with their type).
fn exposition(text: &str) -> (BTreeSet<String>, BTreeMap<String, String>) {
    let mut series = BTreeSet::new();
    let mut families = BTreeMap::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("# TYPE name kind");
            families.insert(name.to_string(), kind.to_string());
        } else if !line.starts_with('#') && !line.is_empty() {
            let name = line.split(['{', ' ']).next().expect("series name");
            series.insert(name.to_string());
        }
    }
    (series, families)
}

// ---------------------------------------------------------------------------
// What the dashboards and alerts query
// ---------------------------------------------------------------------------

/// Every PromQL expression of a dashboard: panel targets and template variable queries.
fn dashboard_expressions(dashboard: &Value) -> Vec<String> {
    fn walk(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                for (key, child) in map {
                    match (key.as_str(), child) {
                        ("expr" | "definition", Value::String(expr)) => out.push(expr.clone()),
                        ("query", Value::String(expr)) => out.push(expr.clone()),
                        _ => walk(child, out),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(dashboard, &mut out);
    out
}

/// Series names the kube-state-metrics config produces (`<metricNamePrefix>_<name>`).
fn kube_state_metrics_names() -> BTreeSet<String> {
    let config = read_yaml("deploy/kube-state-metrics/ogf-customresourcestate.yaml");
    config["spec"]["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .flat_map(|r| {
            let prefix = r["metricNamePrefix"]
                .as_str()
                .expect("metricNamePrefix")
                .to_string();
            r["metrics"]
                .as_array()
                .expect("metrics")
                .iter()
                .map(move |m| format!("{prefix}_{}", m["name"].as_str().expect("name")))
        })
        .collect()
}

#[test]
fn the_tokenizer_finds_metric_names_and_skips_labels_strings_and_grouping() {
    let expr = r#"histogram_quantile(0.99, sum by (le, ogf_label) (rate(ogf_http_request_duration_seconds_bucket{route!~"ogf_x|/metrics", ogf_y="a"}[5m])))
        / on (namespace) group_left (ogf_z) kube_ogf_marketplace_status_condition + xogf_not unless ogf_b:recorded"#;
    assert_eq!(
        metric_names(expr),
        [
            "kube_ogf_marketplace_status_condition",
            "ogf_b:recorded",
            "ogf_http_request_duration_seconds_bucket",
        ]
    );
    assert_eq!(
        metric_names("label_values(ogf_http_requests_total{namespace=~\"$namespace\"}, job)"),
        ["ogf_http_requests_total"]
    );
}

#[test]
fn dashboards_are_well_formed_grafana_json() {
    for path in DASHBOARDS {
        let dashboard: Value = serde_json::from_str(&read(path)).expect("dashboard JSON");
        assert!(
            dashboard["uid"].is_string() && dashboard["title"].is_string(),
            "{path}"
        );
        let variables = dashboard["templating"]["list"]
            .as_array()
            .expect("variables");
        assert!(
            variables
                .iter()
                .any(|v| v["type"] == "datasource" && v["name"] == "datasource"),
            "{path}: a datasource variable"
        );
        let panels = dashboard["panels"].as_array().expect("panels");
        let mut ids = BTreeSet::new();
        for panel in panels {
            assert!(
                ids.insert(panel["id"].as_i64().expect("panel id")),
                "{path}: duplicate id"
            );
            let grid = &panel["gridPos"];
            let (x, w) = (
                grid["x"].as_i64().expect("x"),
                grid["w"].as_i64().expect("w"),
            );
            assert!(
                x >= 0 && w > 0 && x + w <= 24,
                "{path}: {} outside the grid",
                panel["title"]
            );
            if panel["type"] != "row" {
                let targets = panel["targets"].as_array().expect("targets");
                assert!(
                    !targets.is_empty(),
                    "{path}: {} has no query",
                    panel["title"]
                );
                assert_eq!(
                    panel["datasource"]["uid"], "${datasource}",
                    "{path}: {}",
                    panel["title"]
                );
            }
        }
    }
}

#[tokio::test]
async fn every_metric_the_dashboards_and_alerts_query_exists() {
    let dir = tempfile::tempdir().expect("tempdir");
    let api = api_metrics(dir.path()).await;
    let operator = operator_metrics().await;
    let (mut series, mut families) = exposition(&api);
    let (operator_series, operator_families) = exposition(&operator);
    series.extend(operator_series);
    families.extend(operator_families);

    // What was scraped: every family has series (no family is only declared).
    for (family, kind) in &families {
        let present = if kind == "histogram" {
            series.contains(&format!("{family}_bucket"))
        } else {
            series.contains(family)
        };
        assert!(present, "{family} ({kind}) has no series");
    }

    let ksm = kube_state_metrics_names();
    let mut queried: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for path in DASHBOARDS {
        let dashboard: Value = serde_json::from_str(&read(path)).expect("dashboard JSON");
        for expr in dashboard_expressions(&dashboard) {
            for name in metric_names(&expr) {
                queried.entry(name).or_default().insert(path.to_string());
            }
        }
    }
    for (_, rule) in alert_rules() {
        let expr = rule["expr"].as_str().expect("expr");
        for name in metric_names(expr) {
            queried
                .entry(name)
                .or_default()
                .insert(format!("alert {}", rule["alert"].as_str().unwrap_or("?")));
        }
    }
    assert!(queried.len() > 20, "too few metrics found: {queried:?}");

    let missing: Vec<String> = queried
        .iter()
        .filter(|(name, _)| {
            if name.starts_with("kube_ogf_") {
                !ksm.contains(*name)
            } else {
                !series.contains(*name)
            }
        })
        .map(|(name, users)| format!("{name} (used by {users:?})"))
        .collect();
    assert!(
        missing.is_empty(),
        "queried but not exported by ogf-api, ogf-operator or the kube-state-metrics config:\n  {}\nexported: {families:?}",
        missing.join("\n  ")
    );

    // And the other way round: every exported family is on a dashboard.
    let on_dashboards: BTreeSet<&str> = queried
        .iter()
        .filter(|(_, users)| users.iter().any(|u| u.ends_with(".json")))
        .map(|(name, _)| name.as_str())
        .collect();
    let not_shown: Vec<&String> = families
        .iter()
        .filter(|(family, kind)| {
            let names = if *kind == "histogram" {
                vec![
                    format!("{family}_bucket"),
                    format!("{family}_count"),
                    format!("{family}_sum"),
                ]
            } else {
                vec![family.to_string()]
            };
            family.starts_with("ogf_") && !names.iter().any(|n| on_dashboards.contains(n.as_str()))
        })
        .map(|(family, _)| family)
        .collect();
    assert!(
        not_shown.is_empty(),
        "metrics on no dashboard: {not_shown:?}"
    );
}
