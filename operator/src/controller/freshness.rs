//! Whether a controller's cached copy of an object is older than the API server's.
//!
//! A reconcile gets its object from the controller's cache, which trails the API server: the
//! status a previous reconcile wrote can still be on its way. Status writes are guarded by
//! resourceVersion, so a stale copy never overwrites newer status; but an action taken before
//! that write (creating a Job, building Deployments from the spec) is not guarded. A
//! reconcile checks here first and, when its copy is stale, waits for the watch to deliver
//! the newer one.

use std::fmt::Debug;
use std::time::Duration;

use k8s_openapi::NamespaceResourceScope;
use kube::{Api, Client, Resource, ResourceExt};
use serde::de::DeserializeOwned;

use super::ReconcileError;

/// When a reconcile found its cached copy stale: the watch delivers the newer one (and a
/// reconcile) about now.
pub const STALE_RETRY: Duration = Duration::from_millis(500);

/// Whether the API server holds a newer `cached` (another resourceVersion) or none at all.
/// One metadata-only GET.
pub async fn cached_copy_is_stale<K>(
    client: &Client,
    cached: &K,
    what: &'static str,
) -> Result<bool, ReconcileError>
where
    K: Resource<Scope = NamespaceResourceScope, DynamicType = ()>
        + Clone
        + DeserializeOwned
        + Debug,
{
    let api: Api<K> = Api::namespaced(client.clone(), &cached.namespace().unwrap_or_default());
    let live = api
        .get_metadata_opt(&cached.name_any())
        .await
        .map_err(|e| ReconcileError::Kube(what, e))?;
    Ok(live.is_none_or(|live| live.metadata.resource_version != cached.resource_version()))
}
