//! One probe of a check, run from the operator: an HTTP GET or a Prometheus instant query.
//!
//! Check URLs come from Rollouts: each is checked against the allow-list of check targets
//! before it is fetched (see [`crate::targets`] and docs/security.md, SSRF).

use std::time::Duration;

use ogf_crds::rollout::{Check, HttpCheck, PrometheusCheck};
use serde_json::Value;

use super::checks::ProbeOutcome;
use super::condition::SuccessCondition;
use crate::targets::CheckTargets;

/// Runs one probe of `check`, unless its target is not allowed.
pub async fn probe(
    client: &reqwest::Client,
    targets: &CheckTargets,
    check: &Check,
) -> ProbeOutcome {
    let result = match (&check.http, &check.prometheus) {
        (Some(http), _) => match targets.check_url(&http.url) {
            Ok(_) => probe_http(client, http).await,
            Err(e) => Err((None, format!("check target not allowed: {e}"))),
        },
        (None, Some(prometheus)) => match targets.check_url(&prometheus.address) {
            Ok(_) => probe_prometheus(client, prometheus).await,
            Err(e) => Err((None, format!("check target not allowed: {e}"))),
        },
        (None, None) => Err((
            None,
            "the check has neither http nor prometheus".to_string(),
        )),
    };
    match result {
        Ok(value) => ProbeOutcome {
            success: true,
            value: Some(value),
            error: None,
        },
        Err((value, error)) => ProbeOutcome {
            success: false,
            value,
            error: Some(error),
        },
    }
}

type ProbeResult = Result<String, (Option<String>, String)>;

async fn probe_http(client: &reqwest::Client, check: &HttpCheck) -> ProbeResult {
    let response = client
        .get(&check.url)
        .timeout(timeout(check.timing.timeout_seconds))
        .send()
        .await
        .map_err(|e| (None, format!("GET {}: {e}", check.url)))?;
    let code = response.status().as_u16();
    if i32::from(code) == check.expected_status {
        Ok(code.to_string())
    } else {
        Err((
            Some(code.to_string()),
            format!(
                "GET {} returned {code}, expected {}",
                check.url, check.expected_status
            ),
        ))
    }
}

async fn probe_prometheus(client: &reqwest::Client, check: &PrometheusCheck) -> ProbeResult {
    let condition: SuccessCondition = check
        .success_condition
        .parse()
        .map_err(|e: super::condition::ParseError| (None, e.to_string()))?;
    let base = check.address.trim_end_matches('/');
    let url =
        reqwest::Url::parse_with_params(&format!("{base}/api/v1/query"), [("query", &check.query)])
            .map_err(|e| {
                (
                    None,
                    format!("invalid Prometheus address {}: {e}", check.address),
                )
            })?;
    let body: Value = client
        .get(url)
        .timeout(timeout(check.timing.timeout_seconds))
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|e| (None, format!("querying Prometheus: {e}")))?
        .json()
        .await
        .map_err(|e| (None, format!("reading the Prometheus answer: {e}")))?;
    let value = query_value(&body).map_err(|e| (None, e))?;
    if condition.holds(value) {
        Ok(value.to_string())
    } else {
        Err((
            Some(value.to_string()),
            format!("{value} does not satisfy {}", check.success_condition),
        ))
    }
}

fn timeout(seconds: i64) -> Duration {
    Duration::from_secs(seconds.clamp(1, 300).unsigned_abs())
}

/// The number in a `/api/v1/query` answer: a scalar, or the first sample of a vector.
pub fn query_value(body: &Value) -> Result<f64, String> {
    if body["status"] != "success" {
        return Err(format!(
            "Prometheus answered {}: {}",
            body["status"],
            body["error"].as_str().unwrap_or("no error message")
        ));
    }
    let data = &body["data"];
    let sample = match data["resultType"].as_str() {
        Some("scalar") => &data["result"],
        Some("vector") => match data["result"].as_array().map(Vec::as_slice) {
            Some([]) | None => return Err("the query returned no samples".into()),
            Some([first, ..]) => &first["value"],
        },
        other => return Err(format!("unsupported result type {other:?}")),
    };
    sample[1]
        .as_str()
        .and_then(|s| s.parse::<f64>().ok())
        .ok_or_else(|| format!("unreadable sample {sample}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_scalars_and_vectors() {
        let scalar =
            json!({"status": "success", "data": {"resultType": "scalar", "result": [1.0, "0.5"]}});
        assert_eq!(query_value(&scalar), Ok(0.5));
        let vector = json!({"status": "success", "data": {"resultType": "vector",
            "result": [{"metric": {}, "value": [1.0, "2"]}, {"metric": {}, "value": [1.0, "3"]}]}});
        assert_eq!(query_value(&vector), Ok(2.0));
    }

    #[test]
    fn empty_and_failed_answers_are_errors() {
        let empty = json!({"status": "success", "data": {"resultType": "vector", "result": []}});
        assert!(query_value(&empty).is_err());
        let failed = json!({"status": "error", "error": "parse error"});
        assert!(query_value(&failed).unwrap_err().contains("parse error"));
        let matrix = json!({"status": "success", "data": {"resultType": "matrix", "result": []}});
        assert!(query_value(&matrix).is_err());
    }
}
