//! The watches that trigger reconciles, each backing off on its own.
//!
//! kube's `Controller` built with `new`, `owns` and `watches` puts one backoff around all of
//! its watches together. When the API server restarts (or compacts and answers `410 Gone`),
//! every watch fails once; while the shared backoff sleeps no watch is polled, and since a
//! relist of an empty kind yields no object to reset it, the shared backoff doubles with each
//! watch's failure: a controller with a dozen watches was blind for minutes. Here every watch
//! has its own backoff (as client-go's reflectors do), a failing watch never holds up the
//! others, and the controller-wide backoff is off.

use std::fmt::Debug;
use std::time::Duration;

use futures::Stream;
use kube::core::PartialObjectMeta;
use kube::runtime::utils::Backoff;
use kube::runtime::{Controller, WatchStreamExt, reflector, watcher};
use kube::{Api, Client, Resource};
use serde::de::DeserializeOwned;

/// A watch stream of objects (or their metadata) for a controller's trigger.
pub type Trigger<K> = Result<K, watcher::Error>;

/// A controller of `K` whose own watch (and cache) backs off independently of the watches
/// added with [`objects`] and [`metadata`] (also for `Controller::owns_stream`: owner
/// references are in the metadata).
pub fn controller<K>(api: Api<K>, config: watcher::Config) -> Controller<K>
where
    K: Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
{
    let (reader, writer) = reflector::store();
    let stream = reflector(writer, watcher(api, config).default_backoff()).applied_objects();
    Controller::for_stream(stream, reader).trigger_backoff(NoBackoff)
}

/// Full-object watch of `K` (for `Controller::watches_stream`, when the mapper reads the spec).
pub fn objects<K>(
    api: Api<K>,
    config: watcher::Config,
) -> impl Stream<Item = Trigger<K>> + Send + 'static
where
    K: Resource + Clone + DeserializeOwned + Debug + Send + 'static,
{
    watcher(api, config).default_backoff().touched_objects()
}

/// A metadata-only watch of `K` in `namespace` (all when `None`), for mappers that need only
/// names, labels and owners: the API server sends (and the operator decodes) only object
/// metadata, which keeps memory flat with thousands of Deployments, Pods or Secrets.
pub fn metadata<K>(
    client: &Client,
    namespace: Option<&str>,
    config: watcher::Config,
) -> impl Stream<Item = Trigger<PartialObjectMeta<K>>> + Send + 'static
where
    K: Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>
        + Clone
        + DeserializeOwned
        + Debug
        + Send
        + 'static,
{
    // `Api<PartialObjectMeta<K>>` makes metadata-only list and watch requests.
    let api: Api<PartialObjectMeta<K>> = match namespace {
        Some(ns) => Api::namespaced(client.clone(), ns),
        None => Api::all(client.clone()),
    };
    objects(api, config)
}

/// The controller-wide backoff: none, since every trigger stream has its own.
struct NoBackoff;

impl Iterator for NoBackoff {
    type Item = Duration;

    fn next(&mut self) -> Option<Duration> {
        Some(Duration::ZERO)
    }
}

impl Backoff for NoBackoff {
    fn reset(&mut self) {}
}

#[cfg(test)]
mod tests {
    use std::pin::pin;

    use futures::{StreamExt, stream};
    use kube::runtime::utils::StreamBackoff;

    use super::*;

    #[tokio::test]
    async fn errors_from_many_watches_pass_through_without_sleeping_or_giving_up() {
        assert!(NoBackoff.take(100).all(|delay| delay.is_zero()));
        // Twelve failures in a row (one per watch after an API server restart), then an event.
        let items = (0..12)
            .map(|_| Err("watch failed"))
            .chain(std::iter::once(Ok("event")));
        let merged = pin!(StreamBackoff::new(stream::iter(items), NoBackoff));
        let seen: Vec<_> = merged.collect().await;
        assert_eq!(seen.len(), 13);
        assert_eq!(seen.last(), Some(&Ok("event")));
    }

    #[test]
    fn kubes_shared_default_backoff_would_hold_all_watches_for_minutes() {
        // What this module avoids: twelve failures through one shared default backoff
        // (800 ms doubling to 30 s, jittered) add up to minutes before an event gets through.
        let total: Duration = watcher::DefaultBackoff::default().take(12).sum();
        assert!(total > Duration::from_secs(120), "{total:?}");
    }
}
