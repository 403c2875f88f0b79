//! Tools and files shared by the day-2 operations tests (alerts, dashboards,
//! Argo CD Lua): where promtool, Lua 5.1 and helm are, and the repository's files.
//!
//! A missing tool skips the test with a message, and fails it under `CI=true`
//! (`scripts/install-deps.sh` installs promtool and lua5.1).

#![allow(dead_code)] // each test crate uses a different subset

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use ogf_e2e::env;
use serde_json::Value;

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("e2e/ has a parent")
        .to_path_buf()
}

/// Reads a repository file as text.
pub fn read(relative: &str) -> String {
    let path = repo().join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// Reads a repository YAML file as JSON values.
pub fn read_yaml(relative: &str) -> Value {
    serde_yaml::from_str(&read(relative)).unwrap_or_else(|e| panic!("{relative}: {e}"))
}

/// Reports a missing tool: a failure under CI, a skip otherwise.
pub fn missing_tool<T>(name: &str, hint: &str) -> Option<T> {
    let msg = format!("{name} is not available ({hint})");
    if env::in_ci() {
        panic!("{msg} (CI=true: a missing tool is a failure)");
    }
    eprintln!("SKIPPED: {msg}");
    None
}

fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// promtool: on `PATH`, else where `scripts/install-deps.sh` extracts it
/// (`~/.cache/ogf-testenv/promtool/<version>/usr/bin/promtool`).
pub fn promtool() -> Option<PathBuf> {
    let cached = || {
        let dir = PathBuf::from(std::env::var_os("HOME")?).join(".cache/ogf-testenv/promtool");
        let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
            .ok()?
            .filter_map(|e| e.ok())
            .map(|e| e.path().join("usr/bin/promtool"))
            .filter(|p| p.is_file())
            .collect();
        found.sort();
        found.pop()
    };
    on_path("promtool")
        .or_else(cached)
        .or_else(|| missing_tool("promtool", "run scripts/install-deps.sh"))
}

/// The Lua 5.1 interpreter (Argo CD runs health checks and actions with gopher-lua, Lua 5.1).
pub fn lua() -> Option<PathBuf> {
    on_path("lua5.1").or_else(|| missing_tool("lua5.1", "run scripts/install-deps.sh"))
}

/// helm: from the test environment's bin directory, else from `PATH`.
pub fn helm() -> Option<PathBuf> {
    std::env::var_os("OGF_TESTENV_BIN")
        .map(|dir| PathBuf::from(dir).join("helm"))
        .filter(|p| p.is_file())
        .or_else(|| on_path("helm"))
        .or_else(|| {
            missing_tool(
                "helm",
                "`e2e/testenv/testenv.sh build helm`, then source `testenv.sh env`",
            )
        })
}

/// Runs `program` with `args` in the repository root.
pub fn run(program: &Path, args: &[&str]) -> Output {
    Command::new(program)
        .args(args)
        .current_dir(repo())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()))
}

/// Runs a command that must succeed; returns its stdout.
pub fn run_ok(program: &Path, args: &[&str]) -> String {
    let output = run(program, args);
    assert!(
        output.status.success(),
        "{} {} failed ({}):\n{}{}",
        program.display(),
        args.join(" "),
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("utf-8 output")
}

/// Every alerting rule of `charts/ogf-operator/files/alerts.yaml`, with its group name.
pub fn alert_rules() -> Vec<(String, Value)> {
    let file = read_yaml("charts/ogf-operator/files/alerts.yaml");
    let groups = file["groups"].as_array().expect("groups");
    groups
        .iter()
        .flat_map(|g| {
            let name = g["name"].as_str().expect("group name").to_string();
            g["rules"]
                .as_array()
                .expect("rules")
                .iter()
                .map(move |r| (name.clone(), r.clone()))
        })
        .collect()
}

const LABEL_LIST_KEYWORDS: &[&str] = &[
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
];

/// The `ogf_*` and `kube_ogf_*` metric names a PromQL expression refers to.
///
/// A small tokenizer: identifiers outside string literals, outside `{...}`
/// label matchers and outside the label lists of `by`, `without`, `on`,
/// `ignoring`, `group_left` and `group_right`. Function names and keywords
/// never start with `ogf_` or `kube_ogf_`, so they need no list.
pub fn metric_names(expr: &str) -> Vec<String> {
    let mut names = Vec::new();
    let chars: Vec<char> = expr.chars().collect();
    let mut i = 0;
    let mut braces = 0usize;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '"' | '\'' | '`' => {
                // Skip a string literal (escapes included).
                i += 1;
                while i < chars.len() && chars[i] != c {
                    if chars[i] == '\\' {
                        i += 1;
                    }
                    i += 1;
                }
                i += 1;
            }
            '{' => {
                braces += 1;
                i += 1;
            }
            '}' => {
                braces = braces.saturating_sub(1);
                i += 1;
            }
            c if c.is_ascii_alphabetic() || c == '_' || c == ':' => {
                let start = i;
                while i < chars.len()
                    && (chars[i].is_ascii_alphanumeric() || chars[i] == '_' || chars[i] == ':')
                {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                if LABEL_LIST_KEYWORDS.contains(&word.as_str()) {
                    // `by (a, b)`, `on (a)`, `group_left (a)`: label names, not metrics.
                    let mut j = i;
                    while j < chars.len() && chars[j].is_whitespace() {
                        j += 1;
                    }
                    if j < chars.len() && chars[j] == '(' {
                        while j < chars.len() && chars[j] != ')' {
                            j += 1;
                        }
                        i = j + 1;
                    }
                } else if braces == 0 && (word.starts_with("ogf_") || word.starts_with("kube_ogf_"))
                {
                    names.push(word);
                }
            }
            _ => i += 1,
        }
    }
    names.sort();
    names.dedup();
    names
}
