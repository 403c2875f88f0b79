//! `kubectl ogf backup ...` and `kubectl ogf restore ...` against the API server.

use kube::ResourceExt;
use ogf_crds::{Backup, Marketplace, Restore};

use super::harness::Env;
use super::objects::{backup, backup_status, created_name, marketplace};

#[tokio::test]
async fn backup_now_list_and_restore() {
    let Some(env) = Env::new("backup").await else {
        return;
    };
    env.create::<Marketplace>(marketplace("shop", "img:1"))
        .await;
    env.create::<Backup>(backup("nightly", "shop")).await;
    env.set_status::<Backup>("nightly", backup_status()).await;
    env.create::<Backup>(backup("empty", "shop")).await;

    // now: the run-now annotation with the current time.
    let out = env.plugin(&["backup", "now", "nightly"]).await.expect(0);
    assert!(
        out.stdout
            .starts_with("backup.ogf.dev/nightly run requested at "),
        "{}",
        out.stdout
    );
    let annotated: Backup = env.get("nightly").await;
    let at = annotated
        .annotations()
        .get("ogf.dev/run-now")
        .expect("run-now annotation");
    let at: k8s_openapi::jiff::Timestamp = at.parse().expect("RFC 3339");
    assert!((k8s_openapi::jiff::Timestamp::now().as_second() - at.as_second()).abs() < 120);
    env.plugin(&["backup", "now", "nope"]).await.expect(3);

    // list: one Backup, every Backup, JSON.
    let out = env.plugin(&["backup", "list", "nightly"]).await.expect(0);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert!(
        lines[0].starts_with("ID ") && lines[0].ends_with("LOCATION"),
        "{}",
        out.stdout
    );
    assert!(
        lines[1].starts_with("nightly-20260110t020000z") && lines[1].contains("12.3 MiB   yes"),
        "{}",
        out.stdout
    );
    assert!(lines[2].contains("2.0 KiB    -"), "{}", out.stdout);
    let all = env.plugin(&["backup", "list"]).await.expect(0);
    assert!(all.stdout.starts_with("BACKUP "), "{}", all.stdout);
    let json = env
        .plugin(&["backup", "list", "-o", "json"])
        .await
        .expect(0)
        .json();
    assert_eq!(json.as_array().map(Vec::len), Some(2));
    assert_eq!(
        json[0]["location"],
        "s3://ogf-backups/nightly-20260110t020000z.ogfbak"
    );
    let empty = env.plugin(&["backup", "list", "empty"]).await.expect(0);
    assert_eq!(empty.stdout, "backup \"empty\" has no artifacts yet\n");

    // restore in place; a second one is refused while the first has not finished.
    let out = env
        .plugin(&["restore", "nightly", "--key-secret", "restore-key"])
        .await
        .expect(0);
    assert!(out.stdout.contains("newest artifact nightly-20260110t020000z of backup nightly in place into marketplace shop"), "{}", out.stdout);
    let restore: Restore = env.get(&created_name(&out.stdout, "restore")).await;
    assert_eq!(
        restore
            .spec
            .marketplace_ref
            .as_ref()
            .map(|r| r.name.as_str()),
        Some("shop")
    );
    assert_eq!(
        restore
            .spec
            .source
            .backup_ref
            .as_ref()
            .map(|r| r.name.as_str()),
        Some("nightly")
    );
    assert_eq!(restore.spec.decryption_key_secret_ref.name, "restore-key");
    assert_eq!(restore.spec.decryption_key_secret_ref.key, "identity");
    let refused = env
        .plugin(&["restore", "nightly", "--key-secret", "restore-key"])
        .await
        .expect(1);
    assert!(
        refused.stderr.contains("is still in progress (Pending)"),
        "{}",
        refused.stderr
    );

    // restore --into a new Marketplace, a named artifact and key.
    let out = env
        .plugin(&[
            "restore",
            "nightly",
            "--into",
            "shop-copy",
            "--artifact",
            "nightly-20260109t020000z",
            "--key-secret",
            "k/age.txt",
            "--name",
            "copy",
        ])
        .await
        .expect(0);
    assert!(
        out.stdout.starts_with("restore.ogf.dev/copy created"),
        "{}",
        out.stdout
    );
    let copy: Restore = env.get("copy").await;
    assert_eq!(
        copy.spec.target.as_ref().map(|t| t.name.as_str()),
        Some("shop-copy")
    );
    assert_eq!(copy.spec.marketplace_ref, None);
    assert_eq!(
        copy.spec.source.artifact_id.as_deref(),
        Some("nightly-20260109t020000z")
    );
    assert_eq!(copy.spec.decryption_key_secret_ref.key, "age.txt");

    // Refusals, not found and usage.
    let out = env
        .plugin(&["restore", "empty", "--into", "x", "--key-secret", "k"])
        .await
        .expect(1);
    assert!(
        out.stderr.contains("has no artifacts yet"),
        "{}",
        out.stderr
    );
    env.plugin(&["restore", "nope", "--key-secret", "k"])
        .await
        .expect(3);
    env.plugin(&["restore", "nightly"]).await.expect(2);
}
