//! The Kubernetes client the operator uses: kube's, with every request counted in
//! [`Metrics`] so API load per reconcile can be measured.

use kube::client::ClientBuilder;
use kube::{Client, Config};
use tower::util::MapRequestLayer;

use crate::metrics::Metrics;

/// A client for `config` whose requests are counted by method.
pub fn counted(config: Config, metrics: Metrics) -> Result<Client, kube::Error> {
    let count = MapRequestLayer::new(move |request: http::Request<kube::client::Body>| {
        metrics.api_request(request.method().as_str());
        request
    });
    Ok(ClientBuilder::try_from(config)?.with_layer(&count).build())
}
