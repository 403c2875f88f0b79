//! Leader election with a `coordination.k8s.io` Lease: only the leader runs the
//! controllers, so several operator replicas are safe.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use kube::Client;
use kube_lease_manager::LeaseManagerBuilder;
use tokio::sync::watch;

use crate::controller::{self, Context, Scope};

/// Lease settings.
#[derive(Clone, Debug)]
pub struct LeaseSettings {
    /// Namespace of the Lease (usually the operator's own).
    pub namespace: String,
    /// Name of the Lease.
    pub name: String,
    /// This replica's identity (usually its pod name).
    pub identity: String,
    /// Seconds a lease stays valid after its last renewal.
    pub duration_seconds: u64,
    /// Seconds before expiry at which the holder renews.
    pub grace_seconds: u64,
}

/// Runs the controllers whenever this replica holds the lease (always, when `lease` is `None`),
/// until `shutdown` turns true. Standing by, losing the lease and shutting down all stop the
/// controllers cleanly; the lease is released on shutdown so another replica takes over at once.
pub async fn run(
    client: Client,
    context: Arc<Context>,
    scope: Scope,
    lease: Option<LeaseSettings>,
    ready: Arc<AtomicBool>,
    mut shutdown: watch::Receiver<bool>,
) -> Result<(), kube_lease_manager::LeaseManagerError> {
    let Some(lease) = lease else {
        ready.store(true, Ordering::Relaxed);
        context.metrics.set_leader(true);
        controller::run(context.clone(), &scope, shutdown).await;
        context.metrics.set_leader(false);
        return Ok(());
    };
    let manager = LeaseManagerBuilder::new(client, &lease.name)
        .with_namespace(&lease.namespace)
        .with_identity(&lease.identity)
        .with_duration(lease.duration_seconds)
        .with_grace(lease.grace_seconds)
        .with_field_manager(format!("{}-lease", crate::FIELD_MANAGER))
        .build()
        .await?;
    let (mut leading, task) = manager.watch().await;
    ready.store(true, Ordering::Relaxed);
    loop {
        tracing::info!(identity = %lease.identity, "standing by for the leader lease");
        tokio::select! {
            result = leading.wait_for(|l| *l) => if result.is_err() { break },
            _ = shutdown.wait_for(|s| *s) => break,
        }
        tracing::info!(identity = %lease.identity, "leading");
        context.metrics.set_leader(true);
        let (stop_tx, stop_rx) = watch::channel(false);
        // A JoinSet, not a bare spawn: if this future is dropped (the operator aborted), the
        // controllers stop with it instead of running on unsupervised.
        let mut controllers = tokio::task::JoinSet::new();
        controllers.spawn({
            let (context, scope) = (context.clone(), scope.clone());
            async move { controller::run(context, &scope, stop_rx).await }
        });
        let shutting_down = tokio::select! {
            _ = leading.wait_for(|l| !*l) => false,
            _ = shutdown.wait_for(|s| *s) => true,
        };
        let _ = stop_tx.send(true);
        let _ = controllers.join_next().await;
        context.metrics.set_leader(false);
        if shutting_down {
            break;
        }
        tracing::warn!(identity = %lease.identity, "lost the leader lease; controllers stopped");
    }
    drop(leading);
    if let Ok(Ok(manager)) = task.await {
        manager.release().await?;
    }
    Ok(())
}
