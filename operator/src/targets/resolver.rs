//! A DNS resolver for the check client that refuses names resolving to denied addresses.
//!
//! Resolving here and connecting to exactly the addresses checked closes the DNS-rebinding
//! gap between a check of the name and the connection.

use std::net::SocketAddr;
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use super::CheckTargets;

/// Resolves with the system resolver, then refuses when any address is denied.
#[derive(Clone, Debug)]
pub struct GuardedResolver {
    targets: Arc<CheckTargets>,
}

impl GuardedResolver {
    /// A resolver enforcing `targets`.
    pub fn new(targets: Arc<CheckTargets>) -> Self {
        Self { targets }
    }
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let targets = self.targets.clone();
        Box::pin(async move {
            let host = name.as_str().to_string();
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            allowed(&targets, &host, addrs)
                .map(|addrs| Box::new(addrs.into_iter()) as Addrs)
                .map_err(Into::into)
        })
    }
}

/// `addrs` when every one of them may be connected to.
pub fn allowed(
    targets: &CheckTargets,
    host: &str,
    addrs: Vec<SocketAddr>,
) -> Result<Vec<SocketAddr>, super::NotAllowed> {
    if addrs.is_empty() {
        return Err(super::NotAllowed {
            target: host.to_string(),
            why: "resolves to no address".into(),
        });
    }
    for addr in &addrs {
        targets
            .check_resolved(addr.ip())
            .map_err(|e| super::NotAllowed {
                target: host.to_string(),
                why: format!("{} {}", e.target, e.why),
            })?;
    }
    Ok(addrs)
}
