//! Forgets the per-Backup metric series (`ogf_backup_last_*`, duration, size) of deleted
//! Backups, so alerts stop firing for Backups that no longer exist.
//!
//! Why a watch and not a finalizer: the series live only in this process's memory, so owner
//! references and garbage collection cannot remove them, and a finalizer would make every
//! Backup's deletion wait for a running operator. The controller never reconciles a deleted
//! object (kube-runtime drops deletions from its trigger stream), so this task watches Backups
//! itself: a `Delete` event forgets that Backup's series, and every (re-)list forgets the
//! series of Backups missing from it, which covers deletions missed while the watch was down.
//! Removal takes the Marketplace's Job lock that every reconcile holds while it writes
//! metrics, so a reconcile that was in flight at the deletion cannot bring the series back
//! after they were removed.

use std::collections::BTreeSet;

use futures::StreamExt;
use kube::ResourceExt;
use kube::runtime::{WatchStreamExt, watcher};
use ogf_crds::Backup;
use tokio::sync::watch;

use super::marketplace_job_lock;
use crate::controller::{Context, scoped_api, stopped};
use crate::metrics::Metrics;

/// Watches Backups in `namespace` (all when `None`) and forgets the series of deleted ones,
/// until `stop`.
pub async fn forget_deleted(
    context: &Context,
    namespace: Option<String>,
    stop: watch::Receiver<bool>,
) {
    let api = scoped_api::<Backup>(&context.client, namespace.as_deref());
    let events = watcher(api, watcher::Config::default()).default_backoff();
    let mut events = std::pin::pin!(events.take_until(stopped(stop)));
    let mut listed: BTreeSet<(String, String)> = BTreeSet::new();
    while let Some(event) = events.next().await {
        match event {
            Ok(watcher::Event::Delete(backup)) => forget(&context.metrics, &backup).await,
            Ok(watcher::Event::Init) => listed.clear(),
            Ok(watcher::Event::InitApply(backup)) => {
                listed.insert(key(&backup));
            }
            Ok(watcher::Event::InitDone) => {
                let series = context.metrics.backup_series();
                for (ns, name) in stale(&series, &listed, namespace.as_deref()) {
                    context.metrics.backup_deleted(&ns, &name);
                }
                listed.clear();
            }
            Ok(watcher::Event::Apply(_)) => {}
            Err(e) => tracing::debug!(error = %e, "backup series watch"),
        }
    }
}

/// The series of Backups in the watched `namespace` (all when `None`) missing from a list.
fn stale(
    series: &BTreeSet<(String, String)>,
    listed: &BTreeSet<(String, String)>,
    namespace: Option<&str>,
) -> Vec<(String, String)> {
    series
        .iter()
        .filter(|(ns, _)| namespace.is_none_or(|watched| ns == watched))
        .filter(|k| !listed.contains(*k))
        .cloned()
        .collect()
}

fn key(backup: &Backup) -> (String, String) {
    (backup.namespace().unwrap_or_default(), backup.name_any())
}

/// Forgets `backup`'s series once no reconcile of its Marketplace is writing them.
async fn forget(metrics: &Metrics, backup: &Backup) {
    let (namespace, name) = key(backup);
    let lock = marketplace_job_lock(&namespace, &backup.spec.marketplace_ref.name);
    let _guard = lock.lock().await;
    metrics.backup_deleted(&namespace, &name);
    tracing::debug!(
        namespace,
        backup = name,
        "forgot the metric series of a deleted Backup"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(keys: &[(&str, &str)]) -> BTreeSet<(String, String)> {
        keys.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn a_relist_forgets_only_unlisted_backups_of_the_watched_namespace() {
        let series = set(&[("a", "kept"), ("a", "gone"), ("b", "other")]);
        let listed = set(&[("a", "kept")]);
        assert_eq!(
            stale(&series, &listed, Some("a")),
            vec![("a".to_string(), "gone".to_string())],
            "another namespace's series are not this watch's business"
        );
        assert_eq!(
            stale(&series, &listed, None),
            vec![
                ("a".to_string(), "gone".to_string()),
                ("b".to_string(), "other".to_string())
            ]
        );
        assert!(stale(&series, &series, None).is_empty());
    }
}
