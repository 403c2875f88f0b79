//! Bounded waits on watched conditions: no fixed sleeps in tests.

use std::fmt::Debug;
use std::pin::pin;
use std::time::Duration;

use futures::StreamExt;
use kube::runtime::wait::Condition;
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Resource};
use serde_json::Value;

/// Why a wait ended without the condition.
#[derive(Debug, thiserror::Error)]
pub enum WaitError {
    /// The condition did not hold before the deadline (with the watch's last error, if any).
    #[error("timed out after {after:?} waiting for {what}{}", note(.last_error))]
    Timeout {
        /// The deadline.
        after: Duration,
        /// Kind and name of the object.
        what: String,
        /// The watch's last error, if it had any.
        last_error: Option<String>,
    },
}

fn note(last_error: &Option<String>) -> String {
    last_error
        .as_ref()
        .map(|e| format!(" (last watch error: {e})"))
        .unwrap_or_default()
}

/// Waits (watch-driven) until `cond` holds for the named object, at most `timeout`.
///
/// A watch that fails (the API server compacted its history and answers `410 Gone`, or it
/// restarted) is resumed with backoff, as the operator's own watches are: only the deadline
/// ends a wait. (kube's `await_condition` gives up on the first watch error, which made waits
/// longer than the API server's compaction interval fail at random.)
pub async fn wait_for<K>(
    api: Api<K>,
    name: &str,
    timeout: Duration,
    cond: impl Condition<K>,
) -> Result<Option<K>, WaitError>
where
    K: Resource + Clone + Debug + Send + serde::de::DeserializeOwned + 'static,
    K::DynamicType: Default,
{
    let what = format!("{} {name}", K::kind(&Default::default()));
    let config = watcher::Config::default().fields(&format!("metadata.name={name}"));
    let mut events = pin!(watcher(api, config).default_backoff());
    let mut last_error = None;
    let wait = async {
        // The object as last seen; `None` while absent. During a (re)list, the listed state.
        let mut current: Option<K> = None;
        let mut listing: Option<Option<K>> = None;
        while let Some(event) = events.next().await {
            match event {
                Ok(watcher::Event::Init) => listing = Some(None),
                Ok(watcher::Event::InitApply(obj)) => listing = Some(Some(obj)),
                Ok(watcher::Event::InitDone) => current = listing.take().flatten(),
                Ok(watcher::Event::Apply(obj)) => current = Some(obj),
                Ok(watcher::Event::Delete(_)) => current = None,
                Err(e) => {
                    last_error = Some(e.to_string());
                    continue;
                }
            }
            if listing.is_none() && cond.matches_object(current.as_ref()) {
                return Some(current);
            }
        }
        None
    };
    match tokio::time::timeout(timeout, wait).await {
        Ok(Some(obj)) => Ok(obj),
        Ok(None) | Err(_) => Err(WaitError::Timeout {
            after: timeout,
            what,
            last_error,
        }),
    }
}

/// A condition on the object's JSON form, for quick ad-hoc checks in tests.
pub fn json_condition<K: serde::Serialize>(
    f: impl Fn(&Value) -> bool,
) -> impl Fn(Option<&K>) -> bool {
    move |obj| {
        obj.and_then(|o| serde_json::to_value(o).ok())
            .is_some_and(|v| f(&v))
    }
}

/// Waits until an in-process `condition` holds (an operator metric counted right after a write
/// the test has already seen), polling every 10 ms, at most `timeout`. Cluster state is waited
/// on with [`wait_for`]; an in-process counter has no watch.
pub async fn wait_until(
    what: &str,
    timeout: Duration,
    mut condition: impl FnMut() -> bool,
) -> Result<(), WaitError> {
    let deadline = tokio::time::Instant::now() + timeout;
    let mut tick = tokio::time::interval(Duration::from_millis(10));
    while !condition() {
        if tokio::time::Instant::now() >= deadline {
            return Err(WaitError::Timeout {
                after: timeout,
                what: what.to_string(),
                last_error: None,
            });
        }
        tick.tick().await;
    }
    Ok(())
}
