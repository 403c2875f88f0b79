//! `ogf-api backup|restore` as the operator's Jobs run them: flags, result lines (stdout and
//! `--result-file`), exit codes, and a backup killed mid-upload.
#![allow(clippy::unwrap_used)]
#![cfg(unix)]

mod backup_support;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};

use backup_support::{Keys, S3Env, create_embedded, fill, flip_middle};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_ogf-api");

fn run(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env_remove("OGF_MONGODB_URI")
        .env_remove("OGF_STORE")
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .output()
        .unwrap()
}

fn result_line(out: &Output) -> Value {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().last().unwrap_or_else(|| {
        panic!(
            "no output; stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    serde_json::from_str(line).unwrap()
}

fn file_url(dir: &Path) -> String {
    format!("file://{}", dir.display())
}

#[tokio::test]
async fn backup_list_verify_restore_prune_on_a_directory() {
    let keys = Keys::new();
    let data = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    create_embedded(data.path()).await;
    let d = data.path().to_str().unwrap();
    let dest = file_url(out.path());
    let result_file = out.path().join("termination-log");
    for id in ["nightly-1", "nightly-2", "nightly-3"] {
        let o = run(&[
            "backup",
            "--data-dir",
            d,
            "--destination",
            &dest,
            "--recipient",
            &keys.recipient,
            "--id",
            id,
            "--result-file",
            result_file.to_str().unwrap(),
        ]);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        let line = result_line(&o);
        assert_eq!(line["ok"], true);
        assert_eq!(line["command"], "backup");
        assert_eq!(line["id"], id);
        assert_eq!(line["counts"]["listings"], 0);
        let written = std::fs::read_to_string(&result_file).unwrap();
        assert_eq!(written.trim(), String::from_utf8_lossy(&o.stdout).trim());
        assert!(written.len() < 4096);
    }
    let o = run(&["backup", "list", "--destination", &dest]);
    assert_eq!(o.status.code(), Some(0));
    let ids: Vec<String> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(ids.len(), 3);

    let idf = keys.identity_file.to_str().unwrap();
    let o = run(&[
        "backup",
        "verify",
        "--data-dir",
        d,
        "--destination",
        &dest,
        "--artifact",
        "latest",
        "--identity-file",
        idf,
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(result_line(&o)["verified"], true);
    let o = run(&[
        "restore",
        "--data-dir",
        d,
        "--destination",
        &dest,
        "--artifact",
        "nightly-2",
        "--identity-file",
        idf,
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(result_line(&o)["checksumVerified"], true);

    let o = run(&[
        "backup",
        "prune",
        "--destination",
        &dest,
        "--keep-last",
        "1",
        "--dry-run",
    ]);
    let line = result_line(&o);
    assert_eq!(line["deleted"].as_array().unwrap().len(), 2);
    assert_eq!(
        std::fs::read_dir(out.path()).unwrap().count(),
        7,
        "dry run deletes nothing"
    );
    let o = run(&[
        "backup",
        "prune",
        "--destination",
        &dest,
        "--keep-last",
        "1",
    ]);
    assert_eq!(result_line(&o)["kept"].as_array().unwrap().len(), 1);
    let o = run(&["backup", "list", "--destination", &dest]);
    assert_eq!(String::from_utf8_lossy(&o.stdout).lines().count(), 1);
}

#[tokio::test]
async fn usage_errors_exit_2() {
    let keys = Keys::new();
    let data = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    create_embedded(data.path()).await;
    let d = data.path().to_str().unwrap();
    let dest = file_url(out.path());
    for args in [
        vec!["backup", "--data-dir", d, "--destination", &dest],
        vec![
            "backup",
            "--data-dir",
            d,
            "--destination",
            &dest,
            "--recipient",
            "age1bad",
        ],
        vec![
            "backup",
            "--data-dir",
            d,
            "--destination",
            &dest,
            "--recipient",
            &keys.recipient,
            "--id",
            "../x",
        ],
        vec![
            "backup",
            "--data-dir",
            d,
            "--destination",
            "ftp://x",
            "--recipient",
            &keys.recipient,
        ],
        vec![
            "restore",
            "--data-dir",
            d,
            "--destination",
            &dest,
            "--artifact",
            "latest",
            "--identity-file",
            "/nonexistent",
        ],
        vec!["backup", "prune", "--destination", &dest],
    ] {
        let o = run(&args);
        assert_eq!(
            o.status.code(),
            Some(2),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let line = result_line(&o);
        assert_eq!(line["ok"], false);
        assert_eq!(line["reason"], "UsageError");
    }
}

#[tokio::test]
async fn wrong_key_tampering_missing_bucket_and_unreachable_store() {
    let keys = Keys::new();
    let data = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    create_embedded(data.path()).await;
    let d = data.path().to_str().unwrap();
    let dest = file_url(out.path());
    let o = run(&[
        "backup",
        "--data-dir",
        d,
        "--destination",
        &dest,
        "--recipient",
        &keys.recipient,
        "--id",
        "b1",
    ]);
    assert_eq!(o.status.code(), Some(0));

    let other = Keys::new();
    let o = run(&[
        "restore",
        "--data-dir",
        d,
        "--destination",
        &dest,
        "--artifact",
        "b1",
        "--identity-file",
        other.identity_file.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(4));
    assert_eq!(result_line(&o)["reason"], "DecryptionError");
    assert!(String::from_utf8_lossy(&o.stderr).contains("wrong key"));

    flip_middle(&out.path().join("b1.ogfbak"));
    let o = run(&[
        "restore",
        "--data-dir",
        d,
        "--destination",
        &dest,
        "--artifact",
        "b1",
        "--identity-file",
        keys.identity_file.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(3));
    assert_eq!(result_line(&o)["reason"], "IntegrityError");

    let o = run(&[
        "restore",
        "--data-dir",
        d,
        "--destination",
        &dest,
        "--artifact",
        "nope",
        "--identity-file",
        keys.identity_file.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(5), "artifact not found");

    let o = run(&[
        "backup",
        "--store",
        "mongodb",
        "--mongodb-uri",
        "mongodb://u:secretpw@127.0.0.1:1/?serverSelectionTimeoutMS=300",
        "--destination",
        &dest,
        "--recipient",
        &keys.recipient,
    ]);
    assert_eq!(o.status.code(), Some(6));
    assert_eq!(result_line(&o)["reason"], "StoreError");
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(!all.contains("secretpw"), "password leaked: {all}");

    let Some(s3) = S3Env::get() else { return };
    let cfg = s3.config(Some("ogf-missing-bucket"));
    let mut args = vec![
        "backup".to_owned(),
        "--data-dir".into(),
        d.into(),
        "--recipient".into(),
        keys.recipient.clone(),
    ];
    args.extend(s3.flags(&cfg));
    let o = run(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(
        o.status.code(),
        Some(5),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(result_line(&o)["reason"], "DestinationError");
}

#[tokio::test]
async fn a_backup_killed_mid_upload_is_never_listed() {
    let Some(s3) = S3Env::get() else { return };
    let keys = Keys::new();
    let data = tempfile::tempdir().unwrap();
    create_embedded(data.path()).await;
    fill(data.path());
    let cfg = s3.config(None);
    let mut cmd = Command::new(BIN);
    cmd.args([
        "backup",
        "--data-dir",
        data.path().to_str().unwrap(),
        "--recipient",
        &keys.recipient,
        "--compression-level",
        "1",
    ])
    .args(s3.flags(&cfg))
    .env("OGF_LOG", "ogf_api::backup=debug")
    .stdout(Stdio::null())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    // Wait (on the child's own log, no sleeping) until a multipart part is under way, then kill.
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let mut seen = false;
    for line in stderr.lines() {
        if line.unwrap().contains("upload progress") {
            seen = true;
            break;
        }
    }
    child.kill().unwrap();
    let status = child.wait().unwrap();
    assert!(seen, "the backup finished before it could be killed");
    assert!(!status.success());

    let mut args = vec!["backup".to_owned(), "list".into()];
    args.extend(s3.flags(&cfg));
    let o = run(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).trim(),
        "",
        "nothing listed"
    );
    let dest = ogf_api::backup::dest::Destination::open(&cfg).unwrap();
    let names: Vec<String> = dest
        .list()
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.name)
        .collect();
    assert!(
        names.iter().all(|n| !n.ends_with(".json")),
        "no marker: {names:?}"
    );
    assert!(
        names.iter().all(|n| !n.ends_with(".ogfbak")),
        "no completed object: {names:?}"
    );
}
