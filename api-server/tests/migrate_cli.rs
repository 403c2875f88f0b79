//! `ogf-api migrate`, the command a Rollout's migration Job runs: the real binary against a
//! fresh embedded store, an unreachable MongoDB and bad usage.

use std::process::Command;

use serde_json::Value;

fn migrate(args: &[&str]) -> (i32, Value, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let result = dir.path().join("result");
    let output = Command::new(env!("CARGO_BIN_EXE_ogf-api"))
        .arg("migrate")
        .args(args)
        .arg("--result-file")
        .arg(&result)
        .env_remove("OGF_MONGODB_URI")
        .env_remove("OGF_STORE")
        .output()
        .expect("run ogf-api migrate");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let written = std::fs::read_to_string(&result).expect("result file written");
    assert_eq!(
        stdout.trim(),
        written.trim(),
        "stdout and the result file agree"
    );
    let line: Value = serde_json::from_str(written.trim()).expect("one JSON line");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (output.status.code().unwrap_or(-1), line, stderr)
}

#[test]
fn migrates_a_fresh_embedded_store_and_is_idempotent() {
    let data = tempfile::tempdir().expect("tempdir");
    let dir = data.path().to_str().expect("utf-8 path");
    for _ in 0..2 {
        let (code, line, stderr) = migrate(&["--store", "embedded", "--data-dir", dir]);
        assert_eq!(code, 0, "{line} {stderr}");
        assert_eq!(line["ok"], true);
        assert_eq!(line["command"], "migrate");
        assert_eq!(line["store"], "embedded");
        assert!(
            line["schemaVersion"].as_u64().is_some_and(|v| v >= 1),
            "{line}"
        );
    }
    assert!(data.path().join("ogf.sqlite3").is_file());
}

#[test]
fn an_unreachable_mongodb_is_a_store_error_without_the_uri() {
    let dir = tempfile::tempdir().expect("tempdir");
    let uri_file = dir.path().join("uri");
    std::fs::write(
        &uri_file,
        "mongodb://user:s3cret@127.0.0.1:1/?serverSelectionTimeoutMS=500\n",
    )
    .expect("write uri");
    let (code, line, stderr) = migrate(&[
        "--store",
        "mongodb",
        "--mongodb-uri-file",
        uri_file.to_str().expect("utf-8 path"),
    ]);
    assert_eq!(code, 6, "{line} {stderr}");
    assert_eq!(line["reason"], "StoreError");
    assert!(!line.to_string().contains("s3cret"), "{line}");
    assert!(!stderr.contains("s3cret"), "{stderr}");
}

#[test]
fn mongodb_without_a_uri_is_a_usage_error() {
    let (code, line, _) = migrate(&["--store", "mongodb"]);
    assert_eq!(code, 2, "{line}");
    assert_eq!(line["reason"], "UsageError");
}
