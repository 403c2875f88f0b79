//! The Argo CD health checks and resource actions of the ogf.dev kinds
//! (`deploy/argocd/`), run with the real Lua 5.1 interpreter (Debian's lua5.1;
//! Argo CD embeds gopher-lua, a Lua 5.1) against sample objects in every state.
//! Statuses are built from the CRD types (`ogf_crds`), so the Lua reads the
//! field names the operator really writes. The generated `argocd-cm.yaml`,
//! `argo-cd-values.yaml` and the snippet in docs/argocd.md must match the Lua files.
//!
//! A missing lua5.1 skips the Lua tests with a message, and fails them under `CI=true`.

#[path = "ops/tools.rs"]
mod tools;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use ogf_crds::{BackupStatus, Phase, RestorePhase, RestoreStatus, RolloutStatus};
use serde::Deserialize;
use serde_json::{Value, json};
use tools::{lua, read, read_yaml, repo};

/// Argo CD's health statuses.
const HEALTH: &[&str] = &[
    "Healthy",
    "Progressing",
    "Degraded",
    "Suspended",
    "Missing",
    "Unknown",
];

// ---------------------------------------------------------------------------
// Running Lua
// ---------------------------------------------------------------------------

/// A JSON value as a Lua table constructor (nulls dropped, as Argo CD does).
fn lua_literal(value: &Value) -> String {
    match value {
        Value::Null => "nil".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => lua_string(s),
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(lua_literal).collect();
            format!("{{{}}}", items.join(", "))
        }
        Value::Object(map) => {
            let fields: Vec<String> = map
                .iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| format!("[{}] = {}", lua_string(k), lua_literal(v)))
                .collect();
            format!("{{{}}}", fields.join(", "))
        }
    }
}

fn lua_string(s: &str) -> String {
    let mut out = String::from("\"");
    for b in s.bytes() {
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\{b}")),
        }
    }
    out.push('"');
    out
}

/// The harness: Argo CD's sandbox (base, table, string, math, and `os` with only
/// `date` and `time`), `obj` as a global, the script run as a chunk, and a small
/// JSON encoder for what it returns.
const PRELUDE: &str = r#"
local load = loadfile
local safe_os = { date = os.date, time = os.time }
os = safe_os
io = nil
require = nil
dofile = nil
loadfile = nil
package = nil
debug = nil

local function encode(v)
  local t = type(v)
  if t == "nil" then return "null" end
  if t == "boolean" or t == "number" then return tostring(v) end
  if t == "string" then return (string.format("%q", v):gsub("\\\n", "\\n")) end
  local n = 0
  for _ in pairs(v) do n = n + 1 end
  if n > 0 and #v == n then
    local items = {}
    for i = 1, n do items[i] = encode(v[i]) end
    return "[" .. table.concat(items, ",") .. "]"
  end
  local keys = {}
  for k in pairs(v) do keys[#keys + 1] = k end
  table.sort(keys)
  local fields = {}
  for _, k in ipairs(keys) do fields[#fields + 1] = encode(tostring(k)) .. ":" .. encode(v[k]) end
  return "{" .. table.concat(fields, ",") .. "}"
end
"#;

/// Runs the Lua file `script` (relative to deploy/argocd/) with `obj` set to `object`;
/// returns what the script returns, as JSON.
fn run_lua(lua: &Path, script: &str, object: &Value) -> Value {
    let path = repo().join("deploy/argocd").join(script);
    let program = format!(
        "{PRELUDE}\nobj = {}\nlocal chunk = assert(load({}))\nprint(encode(chunk()))\n",
        lua_literal(object),
        lua_string(path.to_str().expect("utf-8 path")),
    );
    let mut child = Command::new(lua)
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run lua5.1");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(program.as_bytes())
        .expect("write the program");
    let output = child.wait_with_output().expect("lua5.1 output");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{script} failed on {object}:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("{script}: not JSON ({e}): {stdout}"))
}

/// The health a script gives `object`: (status, message).
fn health(lua: &Path, kind: &str, object: &Value) -> (String, String) {
    let hs = run_lua(lua, &format!("health/{kind}.lua"), object);
    let status = hs["status"].as_str().expect("hs.status").to_string();
    assert!(HEALTH.contains(&status.as_str()), "{kind}: status {status}");
    (
        status,
        hs["message"].as_str().unwrap_or_default().to_string(),
    )
}

fn assert_health(lua: &Path, kind: &str, object: &Value, status: &str, message_part: &str) {
    let (got, message) = health(lua, kind, object);
    assert_eq!(got, status, "{kind} health of {object}: {message}");
    assert!(
        message.contains(message_part),
        "{kind} health message {message:?} should contain {message_part:?} ({object})"
    );
}

/// The actions `discovery.lua` of `kind` offers for `object`: name -> enabled.
fn discover(lua: &Path, kind: &str, object: &Value) -> BTreeMap<String, bool> {
    let actions = run_lua(lua, &format!("actions/{kind}/discovery.lua"), object);
    actions
        .as_object()
        .expect("actions table")
        .iter()
        .map(|(name, a)| (name.clone(), !a["disabled"].as_bool().unwrap_or(false)))
        .collect()
}

// ---------------------------------------------------------------------------
// Sample objects
// ---------------------------------------------------------------------------

fn object(kind: &str, spec: Value, status: Option<Value>, generation: i64) -> Value {
    let mut obj = json!({
        "apiVersion": "ogf.dev/v1alpha1",
        "kind": kind,
        "metadata": {"name": "shop", "namespace": "team-a", "generation": generation,
                     "annotations": {"example.com/owner": "platform"}},
        "spec": spec,
    });
    if let Some(status) = status {
        obj["status"] = status;
    }
    obj
}

fn condition(kind: &str, status: &str, reason: &str, message: &str) -> Value {
    json!({"type": kind, "status": status, "reason": reason, "message": message,
           "lastTransitionTime": "2026-01-15T12:00:00Z", "observedGeneration": 1})
}

fn with_conditions(mut status: Value, observed: i64, conditions: Vec<Value>) -> Value {
    status["observedGeneration"] = json!(observed);
    // An empty list would come back from Lua as an empty object: Lua has one table type.
    if !conditions.is_empty() {
        status["conditions"] = Value::Array(conditions);
    }
    status
}

fn rollout(phase: Phase, spec: Value, edit: impl FnOnce(&mut RolloutStatus)) -> Value {
    let mut status = RolloutStatus {
        phase,
        observed_generation: Some(1),
        message: Some(format!("in {phase}")),
        ..RolloutStatus::default()
    };
    edit(&mut status);
    let mut spec_value =
        json!({"marketplaceRef": {"name": "shop"}, "image": "ghcr.io/ogf-dev/ogf-api:1.5.0"});
    spec_value
        .as_object_mut()
        .expect("spec")
        .extend(spec.as_object().cloned().unwrap_or_default());
    object(
        "Rollout",
        spec_value,
        Some(serde_json::to_value(status).expect("status")),
        1,
    )
}

fn backup(spec: Value, status: Option<BackupStatus>, conditions: Vec<Value>) -> Value {
    let mut spec_value = json!({"marketplaceRef": {"name": "shop"}, "schedule": "0 2 * * *"});
    spec_value
        .as_object_mut()
        .expect("spec")
        .extend(spec.as_object().cloned().unwrap_or_default());
    let status =
        status.map(|s| with_conditions(serde_json::to_value(s).expect("status"), 1, conditions));
    object("Backup", spec_value, status, 1)
}

/// The phases the CRD's schema allows for `kind` (crds/yaml/).
fn crd_phases(kind: &str) -> Vec<String> {
    let crd = read_yaml(&format!("crds/yaml/{kind}.yaml"));
    crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["status"]["properties"]
        ["phase"]["enum"]
        .as_array()
        .expect("phase enum")
        .iter()
        .map(|p| p.as_str().expect("phase").to_string())
        .collect()
}

// ---------------------------------------------------------------------------
// Health checks
// ---------------------------------------------------------------------------

#[test]
fn marketplace_health_in_every_state() {
    let Some(lua) = lua() else {
        return;
    };
    let spec = json!({"image": "ghcr.io/ogf-dev/ogf-api:1.4.2"});
    let ready = condition("Ready", "True", "Available", "2/2 pods ready");
    let not_progressing = condition("Progressing", "False", "Reconciled", "");
    let not_degraded = condition("Degraded", "False", "AsExpected", "");
    let status = |observed, conditions| {
        Some(with_conditions(
            serde_json::to_value(ogf_crds::MarketplaceStatus::default()).expect("status"),
            observed,
            conditions,
        ))
    };

    let fresh = object("Marketplace", spec.clone(), None, 1);
    assert_health(
        &lua,
        "marketplace",
        &fresh,
        "Progressing",
        "Waiting for the operator",
    );

    let healthy = object(
        "Marketplace",
        spec.clone(),
        status(
            1,
            vec![ready.clone(), not_progressing.clone(), not_degraded.clone()],
        ),
        1,
    );
    assert_health(&lua, "marketplace", &healthy, "Healthy", "2/2 pods ready");

    let stale = object(
        "Marketplace",
        spec.clone(),
        status(
            1,
            vec![ready.clone(), not_progressing.clone(), not_degraded.clone()],
        ),
        2,
    );
    assert_health(&lua, "marketplace", &stale, "Progressing", "generation 2");

    let rolling = object(
        "Marketplace",
        spec.clone(),
        status(
            1,
            vec![
                ready.clone(),
                condition("Progressing", "True", "RollingUpdate", "1/2 pods updated"),
                not_degraded.clone(),
            ],
        ),
        1,
    );
    assert_health(
        &lua,
        "marketplace",
        &rolling,
        "Progressing",
        "RollingUpdate: 1/2 pods updated",
    );

    let starting = object(
        "Marketplace",
        spec.clone(),
        status(
            1,
            vec![
                condition("Ready", "False", "PodsNotReady", "0/2 pods ready"),
                not_progressing.clone(),
                not_degraded.clone(),
            ],
        ),
        1,
    );
    assert_health(
        &lua,
        "marketplace",
        &starting,
        "Progressing",
        "PodsNotReady",
    );

    let degraded = object(
        "Marketplace",
        spec.clone(),
        status(
            1,
            vec![
                condition(
                    "Ready",
                    "False",
                    "SecretNotFound",
                    "Secret shop-db not found",
                ),
                not_progressing.clone(),
                condition(
                    "Degraded",
                    "True",
                    "SecretNotFound",
                    "Secret shop-db not found",
                ),
            ],
        ),
        1,
    );
    assert_health(
        &lua,
        "marketplace",
        &degraded,
        "Degraded",
        "SecretNotFound: Secret shop-db",
    );

    let mut paused = healthy.clone();
    paused["spec"]["paused"] = json!(true);
    assert_health(&lua, "marketplace", &paused, "Suspended", "spec.paused");
}

#[test]
fn rollout_health_in_every_phase_of_the_crd() {
    let Some(lua) = lua() else {
        return;
    };
    let expected: BTreeMap<&str, &str> = BTreeMap::from([
        ("Pending", "Progressing"),
        ("BackingUp", "Progressing"),
        ("Migrating", "Progressing"),
        ("Deploying", "Progressing"),
        ("Verifying", "Progressing"),
        ("AwaitingPromotion", "Suspended"),
        ("Promoting", "Progressing"),
        ("PostVerifying", "Progressing"),
        ("Succeeded", "Healthy"),
        ("Aborted", "Degraded"),
        ("RolledBack", "Degraded"),
        ("Failed", "Degraded"),
    ]);
    for phase in crd_phases("rollout") {
        let health_of = expected.get(phase.as_str()).unwrap_or_else(|| {
            panic!("phase {phase} of the CRD has no expected health: review rollout.lua")
        });
        let typed: Phase = serde_json::from_value(json!(phase)).expect("phase");
        let object = rollout(typed, json!({}), |_| {});
        assert_health(&lua, "rollout", &object, health_of, &format!("in {phase}"));
    }

    // No status yet; a paused Marketplace; a reason on a rollback; an unobserved abort.
    let mut fresh = rollout(Phase::Pending, json!({}), |_| {});
    fresh.as_object_mut().expect("object").remove("status");
    assert_health(
        &lua,
        "rollout",
        &fresh,
        "Progressing",
        "Waiting for the operator",
    );

    let waiting = rollout(Phase::Deploying, json!({}), |s| {
        s.paused_at = Some(serde_json::from_value(json!("2026-01-15T12:00:00Z")).expect("time"));
    });
    assert_health(&lua, "rollout", &waiting, "Suspended", "paused Marketplace");

    let rolled_back = rollout(Phase::RolledBack, json!({}), |s| {
        s.reason = Some("CheckFailed".into());
        s.message = Some("check error-rate failed 3 times".into());
    });
    assert_health(
        &lua,
        "rollout",
        &rolled_back,
        "Degraded",
        "RolledBack (CheckFailed): check error-rate",
    );

    let mut aborting = rollout(Phase::Verifying, json!({"abort": true}), |_| {});
    aborting["metadata"]["generation"] = json!(2);
    assert_health(&lua, "rollout", &aborting, "Progressing", "generation 2");
}

#[test]
fn backup_health_in_every_state() {
    let Some(lua) = lua() else {
        return;
    };
    let ready = condition("Ready", "True", "Scheduled", "next backup at 02:00");
    let succeeded = condition(
        "LastBackupSucceeded",
        "True",
        "BackupSucceeded",
        "shop-20260115",
    );
    let not_degraded = condition("Degraded", "False", "AsExpected", "");

    let fresh = backup(json!({}), None, vec![]);
    assert_health(
        &lua,
        "backup",
        &fresh,
        "Progressing",
        "Waiting for the operator",
    );

    let first = backup(
        json!({}),
        Some(BackupStatus::default()),
        vec![
            condition("Ready", "False", "NoBackupYet", "first backup at 02:00"),
            not_degraded.clone(),
        ],
    );
    assert_health(&lua, "backup", &first, "Progressing", "NoBackupYet");

    let healthy = backup(
        json!({}),
        Some(BackupStatus::default()),
        vec![ready.clone(), succeeded.clone(), not_degraded.clone()],
    );
    assert_health(&lua, "backup", &healthy, "Healthy", "next backup at 02:00");

    let running = backup(
        json!({}),
        Some(BackupStatus {
            active_job: Some("shop-20260116t020000".into()),
            ..BackupStatus::default()
        }),
        vec![ready.clone(), succeeded.clone(), not_degraded.clone()],
    );
    assert_health(
        &lua,
        "backup",
        &running,
        "Healthy",
        "running: shop-20260116t020000",
    );

    let failed = backup(
        json!({}),
        Some(BackupStatus::default()),
        vec![
            ready.clone(),
            condition(
                "LastBackupSucceeded",
                "False",
                "DestinationError",
                "bucket ogf-backups not found",
            ),
            not_degraded.clone(),
        ],
    );
    assert_health(
        &lua,
        "backup",
        &failed,
        "Degraded",
        "Last backup failed: DestinationError",
    );

    let degraded = backup(
        json!({}),
        Some(BackupStatus::default()),
        vec![
            condition("Ready", "False", "InvalidSchedule", "bad cron"),
            condition("Degraded", "True", "InvalidSchedule", "bad cron"),
        ],
    );
    assert_health(
        &lua,
        "backup",
        &degraded,
        "Degraded",
        "InvalidSchedule: bad cron",
    );

    let mut stale = healthy.clone();
    stale["metadata"]["generation"] = json!(3);
    assert_health(&lua, "backup", &stale, "Progressing", "generation 3");

    let suspended = backup(
        json!({"suspend": true}),
        Some(BackupStatus::default()),
        vec![ready, succeeded, not_degraded],
    );
    assert_health(&lua, "backup", &suspended, "Suspended", "spec.suspend");
}

#[test]
fn restore_health_in_every_phase_of_the_crd() {
    let Some(lua) = lua() else {
        return;
    };
    let expected: BTreeMap<&str, &str> = BTreeMap::from([
        ("Pending", "Progressing"),
        ("Running", "Progressing"),
        ("Verifying", "Progressing"),
        ("Swapping", "Progressing"),
        ("Succeeded", "Healthy"),
        ("Failed", "Degraded"),
    ]);
    for phase in crd_phases("restore") {
        let health_of = expected.get(phase.as_str()).unwrap_or_else(|| {
            panic!("phase {phase} of the CRD has no expected health: review restore.lua")
        });
        let typed: RestorePhase = serde_json::from_value(json!(phase)).expect("phase");
        let status = RestoreStatus {
            phase: typed,
            message: Some(format!("restore {phase}")),
            ..RestoreStatus::default()
        };
        let object = object(
            "Restore",
            json!({"marketplaceRef": {"name": "shop"}}),
            Some(serde_json::to_value(status).expect("status")),
            1,
        );
        assert_health(
            &lua,
            "restore",
            &object,
            health_of,
            &format!("{phase}: restore {phase}"),
        );
    }
    let fresh = object(
        "Restore",
        json!({"marketplaceRef": {"name": "shop"}}),
        None,
        1,
    );
    assert_health(
        &lua,
        "restore",
        &fresh,
        "Progressing",
        "Waiting for the operator",
    );
}

// ---------------------------------------------------------------------------
// Actions
// ---------------------------------------------------------------------------

fn enabled(actions: &BTreeMap<String, bool>) -> Vec<&str> {
    actions
        .iter()
        .filter(|(_, on)| **on)
        .map(|(name, _)| name.as_str())
        .collect()
}

/// `2026-01-15T12:00:00Z`-shaped.
fn is_rfc3339_utc(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 20
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && b[19] == b'Z'
        && s.chars()
            .enumerate()
            .all(|(i, c)| [4, 7, 10, 13, 16, 19].contains(&i) || c.is_ascii_digit())
}

#[test]
fn rollout_actions_are_offered_by_phase_and_change_the_fields_the_operator_reads() {
    let Some(lua) = lua() else {
        return;
    };
    let offered = |phase: Phase, spec: Value| {
        let object = rollout(phase, spec, |_| {});
        let actions = discover(&lua, "rollout", &object);
        assert_eq!(
            actions.keys().map(String::as_str).collect::<Vec<_>>(),
            ["abort", "promote", "retry"]
        );
        enabled(&actions).join(",")
    };
    assert_eq!(
        offered(Phase::AwaitingPromotion, json!({})),
        "abort,promote"
    );
    assert_eq!(
        offered(Phase::AwaitingPromotion, json!({"promote": true})),
        "abort"
    );
    assert_eq!(offered(Phase::Deploying, json!({})), "abort");
    assert_eq!(offered(Phase::PostVerifying, json!({})), "abort");
    assert_eq!(offered(Phase::Verifying, json!({"abort": true})), "");
    assert_eq!(offered(Phase::Aborted, json!({"abort": true})), "retry");
    assert_eq!(offered(Phase::RolledBack, json!({})), "retry");
    assert_eq!(offered(Phase::Succeeded, json!({})), "");
    assert_eq!(offered(Phase::Failed, json!({})), "");

    // promote and abort set exactly their spec field.
    let waiting = rollout(Phase::AwaitingPromotion, json!({}), |_| {});
    let promoted = run_lua(&lua, "actions/rollout/promote.lua", &waiting);
    let mut expected = waiting.clone();
    expected["spec"]["promote"] = json!(true);
    assert_eq!(promoted, expected);
    let aborted = run_lua(&lua, "actions/rollout/abort.lua", &waiting);
    let mut expected = waiting.clone();
    expected["spec"]["abort"] = json!(true);
    assert_eq!(aborted, expected);

    // retry: a new ogf.dev/retry value (kept annotations) and abort cleared.
    let rolled_back = rollout(Phase::Aborted, json!({"abort": true}), |_| {});
    let retried = run_lua(&lua, "actions/rollout/retry.lua", &rolled_back);
    let stamp = retried["metadata"]["annotations"][ogf_crds::rollout::RETRY_ANNOTATION]
        .as_str()
        .expect("retry annotation");
    assert!(is_rfc3339_utc(stamp), "{stamp}");
    assert_eq!(
        retried["metadata"]["annotations"]["example.com/owner"],
        "platform"
    );
    assert_eq!(retried["spec"]["abort"], json!(false));
    assert_eq!(retried["status"], rolled_back["status"]);

    // An object without annotations gets the map.
    let mut bare = rolled_back.clone();
    bare["metadata"]
        .as_object_mut()
        .expect("metadata")
        .remove("annotations");
    let retried = run_lua(&lua, "actions/rollout/retry.lua", &bare);
    assert!(retried["metadata"]["annotations"]["ogf.dev/retry"].is_string());
}

#[test]
fn backup_actions_run_now_suspend_and_resume() {
    let Some(lua) = lua() else {
        return;
    };
    let idle = backup(json!({}), Some(BackupStatus::default()), vec![]);
    assert_eq!(
        enabled(&discover(&lua, "backup", &idle)),
        ["run-now", "suspend"]
    );

    let running = backup(
        json!({}),
        Some(BackupStatus {
            active_job: Some("shop-20260116t020000".into()),
            ..BackupStatus::default()
        }),
        vec![],
    );
    assert_eq!(enabled(&discover(&lua, "backup", &running)), ["suspend"]);

    let suspended = backup(
        json!({"suspend": true}),
        Some(BackupStatus::default()),
        vec![],
    );
    assert_eq!(
        enabled(&discover(&lua, "backup", &suspended)),
        ["resume", "run-now"]
    );

    let mut one_shot = backup(json!({}), None, vec![]);
    one_shot["spec"]
        .as_object_mut()
        .expect("spec")
        .remove("schedule");
    assert_eq!(enabled(&discover(&lua, "backup", &one_shot)), ["run-now"]);

    let ran = run_lua(&lua, "actions/backup/run-now.lua", &idle);
    let stamp = ran["metadata"]["annotations"]["ogf.dev/run-now"]
        .as_str()
        .expect("run-now annotation");
    assert!(is_rfc3339_utc(stamp), "{stamp}");
    let mut expected = idle.clone();
    expected["metadata"]["annotations"]["ogf.dev/run-now"] = json!(stamp);
    assert_eq!(ran, expected);

    let paused = run_lua(&lua, "actions/backup/suspend.lua", &idle);
    assert_eq!(paused["spec"]["suspend"], json!(true));
    let resumed = run_lua(&lua, "actions/backup/resume.lua", &suspended);
    assert_eq!(resumed["spec"]["suspend"], json!(false));
}

// ---------------------------------------------------------------------------
// Generated files
// ---------------------------------------------------------------------------

/// The data keys the Lua files must produce: key -> value (health: the script;
/// actions: a YAML document with discovery.lua and definitions).
fn expected_keys() -> BTreeMap<String, Value> {
    let mut keys = BTreeMap::new();
    for kind in ["Marketplace", "Rollout", "Backup", "Restore"] {
        let lower = kind.to_lowercase();
        keys.insert(
            format!("resource.customizations.health.ogf.dev_{kind}"),
            json!(read(&format!("deploy/argocd/health/{lower}.lua"))),
        );
    }
    for (kind, actions) in [
        ("Rollout", &["abort", "promote", "retry"][..]),
        ("Backup", &["resume", "run-now", "suspend"][..]),
    ] {
        let lower = kind.to_lowercase();
        let definitions: Vec<Value> = actions
            .iter()
            .map(|a| json!({"name": a, "action.lua": read(&format!("deploy/argocd/actions/{lower}/{a}.lua"))}))
            .collect();
        keys.insert(
            format!("resource.customizations.actions.ogf.dev_{kind}"),
            json!({
                "discovery.lua": read(&format!("deploy/argocd/actions/{lower}/discovery.lua")),
                "definitions": definitions,
            }),
        );
    }
    keys
}

fn parsed_keys(data: &Value) -> BTreeMap<String, Value> {
    data.as_object()
        .expect("data")
        .iter()
        .map(|(k, v)| {
            let text = v.as_str().expect("string value");
            let value = if k.contains(".actions.") {
                serde_yaml::from_str(text).unwrap_or_else(|e| panic!("{k}: {e}"))
            } else {
                json!(text)
            };
            (k.clone(), value)
        })
        .collect()
}

#[test]
fn generated_argocd_cm_values_and_docs_match_the_lua_files() {
    let expected = expected_keys();
    let cm = read_yaml("deploy/argocd/argocd-cm.yaml");
    assert_eq!(cm["metadata"]["name"], "argocd-cm");
    assert_eq!(
        parsed_keys(&cm["data"]),
        expected,
        "deploy/argocd/argocd-cm.yaml is stale: run deploy/argocd/generate.sh"
    );
    let values = read_yaml("deploy/argocd/argo-cd-values.yaml");
    assert_eq!(
        parsed_keys(&values["configs"]["cm"]),
        expected,
        "deploy/argocd/argo-cd-values.yaml is stale: run deploy/argocd/generate.sh"
    );
    // docs/argocd.md carries the argocd-cm snippet between markers.
    let docs = read("docs/argocd.md");
    let snippet = docs
        .split("<!-- BEGIN argocd-cm.yaml -->")
        .nth(1)
        .and_then(|rest| rest.split("<!-- END argocd-cm.yaml -->").next())
        .expect("docs/argocd.md has the argocd-cm markers");
    let yaml = snippet
        .trim()
        .strip_prefix("```yaml")
        .and_then(|s| s.strip_suffix("```"))
        .expect("a yaml code block between the markers");
    assert_eq!(
        yaml.trim(),
        read("deploy/argocd/argocd-cm.yaml").trim(),
        "docs/argocd.md is stale: run deploy/argocd/generate.sh"
    );
}

#[test]
fn the_example_application_points_at_the_chart() {
    let text = read("deploy/argocd/application.yaml");
    let docs: Vec<Value> = serde_yaml::Deserializer::from_str(&text)
        .map(|d| Value::deserialize(d).expect("YAML document"))
        .collect();
    let operator = docs
        .iter()
        .find(|d| d["kind"] == "Application")
        .expect("an Application");
    assert_eq!(operator["apiVersion"], "argoproj.io/v1alpha1");
    let source = &operator["spec"]["source"];
    assert_eq!(source["path"], "charts/ogf-operator");
    let chart = repo().join(source["path"].as_str().expect("path"));
    assert!(chart.join("Chart.yaml").is_file());
    // CRDs are applied server-side (they are large) and the chart's CRDs are kept.
    let options: Vec<&str> = operator["spec"]["syncPolicy"]["syncOptions"]
        .as_array()
        .expect("syncOptions")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(options.contains(&"ServerSideApply=true"), "{options:?}");
}
