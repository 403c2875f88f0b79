use super::*;
use crate::fixtures::{artifact, backup, ts, with_artifacts};

#[test]
fn run_now_sets_the_annotation() {
    assert_eq!(
        run_now_patch("2026-01-10T12:00:00Z"),
        json!({"metadata": {"annotations": {"ogf.dev/run-now": "2026-01-10T12:00:00Z"}}})
    );
}

#[test]
fn run_now_notes_running_jobs_and_suspension() {
    let mut b = backup("nightly", "shop");
    assert!(run_now_notes(&b).is_empty());
    b.spec.suspend = true;
    b.status = Some(ogf_crds::BackupStatus {
        active_job: Some("nightly-20260110t020000z".into()),
        ..Default::default()
    });
    let notes = run_now_notes(&b);
    assert_eq!(notes.len(), 2);
    assert!(notes[0].contains("nightly-20260110t020000z is running now"));
    assert!(notes[1].contains("suspended"));
}

#[test]
fn artifacts_are_listed_newest_first_across_backups() {
    let nightly = with_artifacts(
        backup("nightly", "shop"),
        vec![
            artifact("n2", "2026-01-10T02:00:00Z", 12_897_484, Some(true)),
            artifact("n1", "2026-01-09T02:00:00Z", 2048, None),
        ],
    );
    let hourly = with_artifacts(
        backup("hourly", "shop"),
        vec![artifact("h1", "2026-01-10T11:00:00Z", 100, Some(false))],
    );
    let rows = artifact_rows(&[nightly, hourly, backup("empty", "shop")]);
    let ids: Vec<_> = rows.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["h1", "n2", "n1"]);

    let now = ts("2026-01-10T12:00:00Z");
    let text = render_artifacts(&rows, true, &now);
    let lines: Vec<_> = text.lines().collect();
    assert_eq!(
        lines[0],
        "BACKUP    ID   TIME                   AGE   SIZE       VERIFIED   LOCATION"
    );
    assert_eq!(
        lines[2],
        "nightly   n2   2026-01-10T02:00:00Z   10h   12.3 MiB   yes        s3://b/n2.ogfbak"
    );
    assert!(lines[1].contains("FAILED"), "{text}");
    assert!(lines[3].contains("2.0 KiB    -   "), "{text}");
    let single = render_artifacts(&rows[1..2], false, &now);
    assert!(single.starts_with("ID   TIME"), "{single}");

    let json = serde_json::to_value(&rows[1]).unwrap();
    assert_eq!(json["sizeBytes"], 12_897_484);
    assert_eq!(json["time"], "2026-01-10T02:00:00Z");
    assert_eq!(json["verified"], true);
}

#[test]
fn a_backup_without_artifacts_says_why() {
    let now = ts("2026-01-10T12:00:00Z");
    let mut b = backup("nightly", "shop");
    assert_eq!(
        no_artifacts_line(&b, &now),
        "backup \"nightly\" has no artifacts yet"
    );
    b.status = Some(ogf_crds::BackupStatus {
        last_failure_time: Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(ts(
            "2026-01-10T02:00:00Z",
        ))),
        message: Some("bucket not found".into()),
        ..Default::default()
    });
    assert_eq!(
        no_artifacts_line(&b, &now),
        "backup \"nightly\" has no artifacts yet; last failure 2026-01-10T02:00:00Z (10h ago): bucket not found"
    );
}
