//! Objects many e2e tests need: Secrets, and volumes where no provisioner runs.

use k8s_openapi::api::core::v1::{PersistentVolume, Secret};
use kube::api::PostParams;
use kube::{Api, Client};
use serde_json::json;

use crate::env;

/// Creates Secret `name` in `ns` with one `key`.
pub async fn create_secret(client: &Client, ns: &str, name: &str, key: &str, value: &str) {
    let secret: Secret = serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Secret", "metadata": {"name": name},
        "stringData": {key: value}
    }))
    .expect("secret");
    Api::<Secret>::namespaced(client.clone(), ns)
        .create(&PostParams::default(), &secret)
        .await
        .unwrap_or_else(|e| panic!("create secret {ns}/{name}: {e}"));
}

/// On the test environment (no storage provisioner), a PersistentVolume pre-bound to
/// claim `ns/claim`, named `<ns>-data`; on an existing cluster nothing (its provisioner binds).
pub async fn prebind_volume(client: &Client, ns: &str, claim: &str) {
    if !env::is_testenv_cluster() {
        return;
    }
    let name = format!("{ns}-data");
    let pv: PersistentVolume = serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": name},
        "spec": {"capacity": {"storage": "10Gi"}, "accessModes": ["ReadWriteOnce"],
                 "hostPath": {"path": format!("/tmp/{name}")},
                 "persistentVolumeReclaimPolicy": "Delete",
                 "claimRef": {"namespace": ns, "name": claim}}
    }))
    .expect("pv");
    Api::<PersistentVolume>::all(client.clone())
        .create(&PostParams::default(), &pv)
        .await
        .unwrap_or_else(|e| panic!("create volume {name}: {e}"));
}

/// Serves `app` on a free port of 127.0.0.1 until the test ends; its address.
pub async fn serve_on_loopback(app: axum::Router) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind(std::net::SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("bind a loopback port");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    address
}
