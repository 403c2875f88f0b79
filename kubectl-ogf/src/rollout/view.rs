//! Pure rendering of a Rollout for `rollout status`, and the progress lines of `--watch`.

use k8s_openapi::jiff::Timestamp;
use kube::ResourceExt;
use ogf_crds::rollout::{CheckStage, Step};
use ogf_crds::{Phase, Rollout};

use super::build::phase;
use crate::error::Error;
use crate::format::{Table, age_of, or_dash, rfc3339};

/// The text of `rollout status`: a summary, the phase history and the check results.
pub fn render(rollout: &Rollout, now: &Timestamp) -> String {
    let status = rollout.status.clone().unwrap_or_default();
    let color = |c: Option<ogf_crds::Color>| c.map_or_else(|| "-".into(), |c| c.to_string());
    let mut out = String::new();
    let mut field = |label: &str, value: String| {
        out.push_str(&format!("{}\n", format!("{label:<16}{value}").trim_end()))
    };
    field("Rollout:", rollout.name_any());
    field("Marketplace:", rollout.spec.marketplace_ref.name.clone());
    field(
        "Phase:",
        format!(
            "{} (since {})",
            phase(rollout),
            age_of(status.phase_started_at.as_ref(), now)
        ),
    );
    field("Image:", rollout.spec.image.clone());
    field("Stable image:", or_dash(status.stable_image.as_deref()));
    field("Active color:", color(status.active_color));
    field("Preview color:", color(status.preview_color));
    let mut promotion = if rollout.spec.strategy.blue_green.auto_promote {
        "automatic".to_string()
    } else {
        "manual".to_string()
    };
    if rollout.spec.promote {
        promotion.push_str(", promote requested");
    }
    if rollout.spec.abort {
        promotion.push_str(", abort requested");
    }
    field("Promotion:", promotion);
    if let Some(reason) = &status.reason {
        field("Reason:", reason.clone());
    }
    field("Message:", or_dash(status.message.as_deref()));
    let mut steps = Table::new(&["PHASE", "AT", "AGE", "MESSAGE"]);
    for step in &status.steps {
        steps.row(vec![
            step.phase.to_string(),
            rfc3339(&step.at.0),
            age_of(Some(&step.at), now),
            step.message.clone(),
        ]);
    }
    if !steps.is_empty() {
        out.push_str("Steps:\n");
        out.push_str(&steps.render(2));
    }
    let mut checks = Table::new(&[
        "CHECK",
        "STAGE",
        "SUCCESSES",
        "FAILURES",
        "LAST VALUE",
        "LAST ERROR",
    ]);
    for check in &status.checks {
        checks.row(vec![
            check.name.clone(),
            match check.stage {
                CheckStage::Pre => "pre".into(),
                CheckStage::Post => "post".into(),
            },
            check.successes.to_string(),
            check.failures.to_string(),
            or_dash(check.last_value.as_deref()),
            or_dash(check.last_error.as_deref()),
        ]);
    }
    if !checks.is_empty() {
        out.push_str("Checks:\n");
        out.push_str(&checks.render(2));
    }
    out
}

/// The history steps after `last_printed` (all of them when it is absent or no longer in the
/// capped history).
pub fn steps_after<'a>(steps: &'a [Step], last_printed: Option<&Step>) -> &'a [Step] {
    match last_printed.and_then(|last| steps.iter().rposition(|s| s == last)) {
        Some(i) => &steps[i + 1..],
        None => steps,
    }
}

/// One progress line of `--watch`: `<time>  <phase>  <message>`.
pub fn step_line(step: &Step) -> String {
    let line = format!(
        "{}  {:<18} {}",
        rfc3339(&step.at.0),
        step.phase.as_str(),
        step.message
    );
    line.trim_end().to_string()
}

/// How a watched Rollout ended: `None` while it runs; the closing line when it Succeeded; an
/// [`Error::Unsuccessful`] (exit 1) when it ended otherwise.
pub fn outcome(rollout: &Rollout) -> Option<Result<String, Error>> {
    let phase = phase(rollout);
    if !phase.is_terminal() {
        return None;
    }
    let name = rollout.name_any();
    let status = rollout.status.clone().unwrap_or_default();
    if phase == Phase::Succeeded {
        return Some(Ok(format!(
            "rollout \"{name}\" succeeded: {} serves {}",
            rollout.spec.marketplace_ref.name, rollout.spec.image
        )));
    }
    let why = [status.reason, status.message]
        .into_iter()
        .flatten()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(": ");
    let why = if why.is_empty() {
        String::new()
    } else {
        format!(" ({why})")
    };
    Some(Err(Error::Unsuccessful(format!(
        "rollout \"{name}\" ended {phase}{why}"
    ))))
}

#[cfg(test)]
#[path = "view_tests.rs"]
mod tests;
