//! Who goes first among the Restores of one Marketplace, and whether one holds its API
//! stopped (the maintenance hold the Marketplace reconciler applies). Pure functions.

use kube::ResourceExt;
use ogf_crds::{Restore, RestorePhase};

/// Whether `restore` has started its Job (Running, Verifying or Swapping).
fn active(restore: &Restore) -> bool {
    matches!(
        phase(restore),
        RestorePhase::Running | RestorePhase::Verifying | RestorePhase::Swapping
    )
}

/// The phase in status (`Pending` before the first status write).
pub fn phase(restore: &Restore) -> RestorePhase {
    restore.status.as_ref().map(|s| s.phase).unwrap_or_default()
}

/// The Restores of `marketplace` that are not finished, in the order they run: started ones
/// first, then the oldest (creation time, then name).
fn in_line<'a>(
    marketplace: &str,
    restores: impl IntoIterator<Item = &'a Restore>,
) -> Vec<&'a Restore> {
    let mut line: Vec<&Restore> = restores
        .into_iter()
        .filter(|r| r.spec.marketplace_name() == Some(marketplace))
        .filter(|r| !phase(r).is_terminal() && r.metadata.deletion_timestamp.is_none())
        .collect();
    line.sort_by_key(|r| {
        (
            !active(r),
            r.metadata.creation_timestamp.as_ref().map(|t| t.0),
            r.name_any(),
        )
    });
    line
}

/// The Restore of `marketplace` that keeps its API stopped: the first in line, unless it is
/// already `Swapping` (the API is started on the restored data then).
pub fn holder<'a>(
    marketplace: &str,
    restores: impl IntoIterator<Item = &'a Restore>,
) -> Option<&'a Restore> {
    in_line(marketplace, restores)
        .into_iter()
        .next()
        .filter(|r| phase(r) != RestorePhase::Swapping)
}

/// Another Restore of the same Marketplace that must finish before `restore` starts.
pub fn ahead_of<'a>(
    restore: &Restore,
    restores: impl IntoIterator<Item = &'a Restore>,
) -> Option<String> {
    let marketplace = restore.spec.marketplace_name()?;
    let first = in_line(marketplace, restores).into_iter().next()?;
    (first.name_any() != restore.name_any()).then(|| first.name_any())
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
    use k8s_openapi::jiff::Timestamp;
    use ogf_crds::{RestoreSpec, RestoreStatus};
    use serde_json::json;

    pub fn restore(name: &str, created: i64, phase: Option<RestorePhase>) -> Restore {
        let spec: RestoreSpec = serde_json::from_value(json!({
            "marketplaceRef": {"name": "shop"},
            "source": {"backupRef": {"name": "nightly"}},
            "decryptionKeySecretRef": {"name": "age", "key": "identity"}
        }))
        .unwrap();
        let mut r = Restore::new(name, spec);
        r.metadata.creation_timestamp = Some(Time(Timestamp::from_second(created).unwrap()));
        r.status = phase.map(|phase| RestoreStatus {
            phase,
            ..RestoreStatus::default()
        });
        r
    }

    #[test]
    fn a_new_restore_holds_its_marketplace() {
        let a = restore("a", 10, None);
        assert_eq!(
            holder("shop", [&a]).map(ResourceExt::name_any),
            Some("a".into())
        );
        assert!(holder("other", [&a]).is_none());
    }

    #[test]
    fn swapping_and_finished_restores_release_the_api() {
        let swapping = restore("a", 10, Some(RestorePhase::Swapping));
        assert!(holder("shop", [&swapping]).is_none());
        for phase in [RestorePhase::Succeeded, RestorePhase::Failed] {
            let done = restore("a", 10, Some(phase));
            assert!(holder("shop", [&done]).is_none(), "{phase}");
        }
    }

    #[test]
    fn the_started_one_goes_first_then_the_oldest() {
        let old = restore("old", 10, Some(RestorePhase::Pending));
        let young = restore("young", 20, Some(RestorePhase::Running));
        let all = [old.clone(), young.clone()];
        assert_eq!(ahead_of(&old, &all), Some("young".into()));
        assert_eq!(ahead_of(&young, &all), None);
        let waiting = restore("young", 20, None);
        let all = [old.clone(), waiting.clone()];
        assert_eq!(ahead_of(&waiting, &all), Some("old".into()));
        assert_eq!(ahead_of(&old, &all), None);
    }

    #[test]
    fn a_swapping_restore_keeps_the_next_one_waiting_without_holding() {
        let first = restore("first", 10, Some(RestorePhase::Swapping));
        let next = restore("next", 5, None);
        let all = [first, next.clone()];
        assert!(holder("shop", &all).is_none());
        assert_eq!(ahead_of(&next, &all), Some("first".into()));
    }
}
