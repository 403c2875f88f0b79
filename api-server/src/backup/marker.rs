//! The completion marker `PREFIX/ID.json` (written last, plaintext, no data) and the result
//! line every subcommand prints.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::BackupError;

/// The completion marker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Marker {
    /// Archive format version.
    pub format_version: u32,
    /// Artifact id.
    pub id: String,
    /// Version of the `ogf-api` that wrote it.
    pub app_version: String,
    /// `embedded` or `mongodb`.
    pub store: String,
    /// When the backup started.
    pub started_at: DateTime<Utc>,
    /// When the artifact was verified and the marker written.
    pub finished_at: DateTime<Utc>,
    /// Size of the encrypted artifact.
    pub size_bytes: u64,
    /// Hex sha256 of the encrypted artifact.
    pub sha256: String,
    /// Number of age recipients.
    pub recipients: usize,
    /// Records per collection (an extension of the contract: plaintext counts, no data).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub counts: BTreeMap<String, u64>,
    /// Read consistency of the dump (extension).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consistency: Option<String>,
}

impl Marker {
    /// Parses a marker, checking that it names the artifact it was found for.
    pub fn parse(bytes: &[u8], expected_id: &str) -> Result<Self, BackupError> {
        let m: Marker = serde_json::from_slice(bytes).map_err(|e| {
            BackupError::Integrity(format!(
                "completion marker of {expected_id} is invalid: {e}"
            ))
        })?;
        if m.id != expected_id {
            return Err(BackupError::Integrity(format!(
                "completion marker of {expected_id} names another artifact"
            )));
        }
        Ok(m)
    }
}

/// The one-line JSON result (stdout and `--result-file`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// Always true (failures use [`failure_line`]).
    pub ok: bool,
    /// `backup`, `restore`, `verify`.
    pub command: String,
    /// Artifact id.
    pub id: String,
    /// Where the artifact is (`s3://...` or `file:///...`).
    pub location: String,
    /// Size of the encrypted artifact.
    pub size_bytes: u64,
    /// Hex sha256 of the encrypted artifact.
    pub sha256: String,
    /// Records per collection.
    pub counts: BTreeMap<String, u64>,
    /// Wall time of the command.
    pub duration_seconds: f64,
    /// Whether a full test restore was done.
    pub verified: bool,
    /// restore/verify: the artifact's sha256 matched its marker.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checksum_verified: Option<bool>,
    /// Read consistency of the dump (`snapshot`, `transaction`, `per-collection`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consistency: Option<String>,
    /// backup: size of the plaintext archive before compression (extension).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub archive_bytes: Option<u64>,
    /// Start of the command.
    pub started_at: DateTime<Utc>,
    /// End of the command.
    pub finished_at: DateTime<Utc>,
}

/// The result line of `prune`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PruneReport {
    /// Always true.
    pub ok: bool,
    /// `prune`.
    pub command: String,
    /// Ids kept, newest first.
    pub kept: Vec<String>,
    /// Ids deleted (or that would be, with `--dry-run`), newest first.
    pub deleted: Vec<String>,
    /// Orphaned artifacts (no marker, older than 24 h) deleted.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub orphans_deleted: Vec<String>,
    /// Whether nothing was deleted because of `--dry-run`.
    pub dry_run: bool,
    /// Wall time.
    pub duration_seconds: f64,
}

/// Largest result line (the Kubernetes termination message limit).
pub const MAX_LINE: usize = 4096;

/// Serialises `value` on one line, shortening lists of ids if needed to stay under
/// [`MAX_LINE`].
pub fn line<T: Serialize>(value: &T) -> String {
    let s = serde_json::to_string(value).unwrap_or_else(|e| {
        failure_line("unknown", &BackupError::Internal(format!("result: {e}")))
    });
    if s.len() < MAX_LINE {
        return s;
    }
    // Only prune's id lists can grow without bound: keep counts instead.
    match serde_json::to_value(value) {
        Ok(serde_json::Value::Object(mut map)) => {
            for key in ["kept", "deleted", "orphansDeleted", "counts"] {
                if let Some(v) = map.get_mut(key) {
                    let n = v
                        .as_array()
                        .map(Vec::len)
                        .or_else(|| v.as_object().map(|o| o.len()))
                        .unwrap_or(0);
                    *v = serde_json::json!({ "truncated": n });
                }
            }
            serde_json::to_string(&map).unwrap_or_default()
        }
        _ => s,
    }
}

/// The failure line.
pub fn failure_line(command: &str, e: &BackupError) -> String {
    let mut message = e.to_string();
    if message.len() > 3000 {
        let mut cut = 3000;
        while !message.is_char_boundary(cut) {
            cut -= 1;
        }
        message.truncate(cut);
        message.push_str("...");
    }
    serde_json::json!({
        "ok": false,
        "command": command,
        "reason": e.reason(),
        "message": message,
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_line_is_short_and_typed() {
        let e = BackupError::Integrity("x".repeat(10_000));
        let l = failure_line("restore", &e);
        assert!(l.len() < MAX_LINE);
        let v: serde_json::Value = serde_json::from_str(&l).unwrap();
        assert_eq!(v["reason"], "IntegrityError");
        assert_eq!(v["ok"], false);
    }

    #[test]
    fn long_prune_lines_are_truncated() {
        let r = PruneReport {
            ok: true,
            command: "prune".into(),
            deleted: (0..1000).map(|i| format!("id-{i}")).collect(),
            ..PruneReport::default()
        };
        let l = line(&r);
        assert!(l.len() < MAX_LINE, "{}", l.len());
        let v: serde_json::Value = serde_json::from_str(&l).unwrap();
        assert_eq!(v["deleted"]["truncated"], 1000);
    }

    #[test]
    fn marker_must_name_its_artifact() {
        let m = Marker {
            format_version: 1,
            id: "a".into(),
            app_version: "0".into(),
            store: "embedded".into(),
            started_at: Utc::now(),
            finished_at: Utc::now(),
            size_bytes: 1,
            sha256: "00".into(),
            recipients: 1,
            counts: BTreeMap::new(),
            consistency: None,
        };
        let bytes = serde_json::to_vec(&m).unwrap();
        assert_eq!(Marker::parse(&bytes, "a").unwrap(), m);
        assert_eq!(Marker::parse(&bytes, "b").unwrap_err().exit_code(), 3);
        let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        for key in [
            "formatVersion",
            "id",
            "appVersion",
            "store",
            "startedAt",
            "finishedAt",
            "sizeBytes",
            "sha256",
            "recipients",
        ] {
            assert!(v.get(key).is_some(), "{key}");
        }
    }
}
