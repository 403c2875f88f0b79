//! The Prometheus alerting rules (`charts/ogf-operator/files/alerts.yaml`) with
//! the real promtool (Debian's prometheus package, via `scripts/install-deps.sh`):
//! `promtool check rules`, `promtool test rules` on deploy/prometheus/alerts_test.yaml
//! (every alert fires on a bad series; `exp_alerts` lists are exact, so the good
//! series beside them must stay silent), a mutated copy the unit tests must
//! reject, runbook links, and the chart's PrometheusRule carrying the same groups.
//!
//! A missing promtool or helm skips a test with a message, and fails it under `CI=true`.

#[path = "ops/tools.rs"]
mod tools;

use std::collections::BTreeSet;

use serde_json::Value;
use tools::{alert_rules, helm, promtool, read, read_yaml, repo, run, run_ok};

const ALERTS: &str = "charts/ogf-operator/files/alerts.yaml";
const ALERT_TESTS: &str = "deploy/prometheus/alerts_test.yaml";
const RUNBOOK_PREFIX: &str =
    "https://github.com/ogf-dev/oil-gas-finder/blob/main/docs/runbooks.md#";

/// Every alert the issue asks for, by name.
const REQUIRED: &[&str] = &[
    "OgfOperatorDown",
    "OgfOperatorReconcileErrors",
    "OgfMarketplaceNotReady",
    "OgfRolloutFailed",
    "OgfBackupTooOld",
    "OgfBackupFailed",
    "OgfRestoreFailed",
    "OgfApiHighErrorRatio",
    "OgfApiHighLatency",
    "OgfApiRateLimitRejections",
];

fn alert_names() -> BTreeSet<String> {
    alert_rules()
        .iter()
        .filter_map(|(_, r)| r["alert"].as_str().map(str::to_string))
        .collect()
}

#[test]
fn promtool_check_rules_accepts_the_alerts_file() {
    let Some(promtool) = promtool() else {
        return;
    };
    let out = run_ok(&promtool, &["check", "rules", ALERTS]);
    let rules = alert_rules().len();
    assert!(
        out.contains(&format!("SUCCESS: {rules} rules found")),
        "{out}"
    );
}

#[test]
fn promtool_unit_tests_pass_and_every_alert_fires_in_one() {
    let Some(promtool) = promtool() else {
        return;
    };
    let out = run_ok(&promtool, &["test", "rules", ALERT_TESTS]);
    assert!(out.contains("SUCCESS"), "{out}");

    // Each alert has a case where it fires, and one where it is evaluated and must not.
    let tests = read_yaml(ALERT_TESTS);
    let mut fires = BTreeSet::new();
    let mut evaluated_silent = BTreeSet::new();
    for group in tests["tests"].as_array().expect("tests") {
        for case in group["alert_rule_test"]
            .as_array()
            .expect("alert_rule_test")
        {
            let name = case["alertname"].as_str().expect("alertname").to_string();
            if case["exp_alerts"].as_array().is_some_and(|a| !a.is_empty()) {
                fires.insert(name);
            } else {
                evaluated_silent.insert(name);
            }
        }
    }
    let names = alert_names();
    let never_fires: Vec<_> = names.difference(&fires).collect();
    assert!(never_fires.is_empty(), "no firing test for {never_fires:?}");
    let unknown: Vec<_> = fires
        .union(&evaluated_silent)
        .filter(|n| !names.contains(*n))
        .collect();
    assert!(
        unknown.is_empty(),
        "tests of alerts that do not exist: {unknown:?}"
    );
}

#[test]
fn the_unit_tests_reject_a_wrong_threshold() {
    let Some(promtool) = promtool() else {
        return;
    };
    // A copy of the rules with a 24 h backup threshold instead of 26 h: the test
    // evaluating at 25 h must now see an alert it does not expect.
    let dir = tempfile::tempdir().expect("tempdir");
    let rules = read(ALERTS);
    assert!(rules.contains("> 26 * 3600"));
    std::fs::write(
        dir.path().join("alerts.yaml"),
        rules.replace("> 26 * 3600", "> 24 * 3600"),
    )
    .expect("write rules");
    let tests =
        read(ALERT_TESTS).replace("../../charts/ogf-operator/files/alerts.yaml", "alerts.yaml");
    let test_file = dir.path().join("alerts_test.yaml");
    std::fs::write(&test_file, tests).expect("write tests");
    let output = run(
        &promtool,
        &["test", "rules", test_file.to_str().expect("utf-8 path")],
    );
    // promtool reports failed cases on stderr.
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        !output.status.success(),
        "the mutated rules passed:\n{report}"
    );
    assert!(
        report.contains("alertname: OgfBackupTooOld, time: 1d1h"),
        "{report}"
    );
}

#[test]
fn every_required_alert_exists_with_severity_summary_and_a_runbook_section() {
    let names = alert_names();
    for required in REQUIRED {
        assert!(names.contains(*required), "missing alert {required}");
    }
    let anchors: BTreeSet<String> = read("docs/runbooks.md")
        .lines()
        .filter_map(|l| l.strip_prefix("## ").or_else(|| l.strip_prefix("### ")))
        .map(github_anchor)
        .collect();
    for (group, rule) in alert_rules() {
        let name = rule["alert"].as_str().expect("alert name");
        let severity = rule["labels"]["severity"].as_str().unwrap_or_default();
        assert!(
            ["critical", "warning"].contains(&severity),
            "{group}/{name}: severity {severity:?}"
        );
        for key in ["summary", "description"] {
            assert!(rule["annotations"][key].is_string(), "{name}: no {key}");
        }
        let url = rule["annotations"]["runbook_url"]
            .as_str()
            .unwrap_or_default();
        let anchor = url
            .strip_prefix(RUNBOOK_PREFIX)
            .unwrap_or_else(|| panic!("{name}: runbook_url {url:?} is not in docs/runbooks.md"));
        assert_eq!(anchor, name.to_lowercase(), "{name}: runbook anchor");
        assert!(
            anchors.contains(anchor),
            "{name}: docs/runbooks.md has no section #{anchor}"
        );
    }
}

/// GitHub's heading anchor: lower case, spaces to dashes, punctuation dropped.
fn github_anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

#[test]
fn the_chart_prometheus_rule_carries_the_alerts_file_unchanged() {
    let Some(helm) = helm() else {
        return;
    };
    let chart = repo().join("charts/ogf-operator");
    let rendered = run_ok(
        &helm,
        &[
            "template",
            "ogf",
            chart.to_str().expect("utf-8 path"),
            "--set",
            "prometheusRule.enabled=true",
            "--show-only",
            "templates/prometheusrule.yaml",
        ],
    );
    let rule: Value = serde_yaml::from_str(&rendered).expect("PrometheusRule YAML");
    assert_eq!(rule["kind"], "PrometheusRule");
    assert_eq!(rule["spec"]["groups"], read_yaml(ALERTS)["groups"]);

    // And promtool accepts the rendered groups as a rules file.
    let Some(promtool) = promtool() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("rendered.yaml");
    std::fs::write(
        &file,
        serde_yaml::to_string(&serde_json::json!({"groups": rule["spec"]["groups"]}))
            .expect("yaml"),
    )
    .expect("write");
    run_ok(
        &promtool,
        &["check", "rules", file.to_str().expect("utf-8 path")],
    );
}
