//! Bounded waits on watched conditions: no fixed sleeps in tests.

use std::fmt::Debug;
use std::time::Duration;

use kube::runtime::wait::{Condition, await_condition};
use kube::{Api, Resource};
use serde_json::Value;

/// Why a wait ended without the condition.
#[derive(Debug, thiserror::Error)]
pub enum WaitError {
    /// The condition did not hold before the deadline.
    #[error("timed out after {0:?} waiting for {1}")]
    Timeout(Duration, String),
    /// The watch itself failed.
    #[error("watch failed while waiting for {0}: {1}")]
    Watch(String, kube::runtime::wait::Error),
}

/// Waits (watch-driven) until `cond` holds for the named object, at most `timeout`.
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
    match tokio::time::timeout(timeout, await_condition(api, name, cond)).await {
        Ok(Ok(obj)) => Ok(obj),
        Ok(Err(e)) => Err(WaitError::Watch(what, e)),
        Err(_) => Err(WaitError::Timeout(timeout, what)),
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
