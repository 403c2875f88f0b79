//! A namespace per test, deleted when the test ends (even when it fails).

use k8s_openapi::api::core::v1::Namespace;
use kube::api::{DeleteParams, ObjectMeta, PostParams};
use kube::{Api, Client, Config};

/// A uniquely named namespace that is deleted on drop.
#[derive(Debug)]
pub struct TestNamespace {
    name: String,
    config: Config,
}

impl TestNamespace {
    /// Creates `ogf-e2e-<prefix>-<random>`.
    pub async fn create(client: &Client, config: Config, prefix: &str) -> Self {
        let suffix = uuid::Uuid::new_v4().simple().to_string();
        let name = format!("ogf-e2e-{prefix}-{}", &suffix[..8]);
        let ns = Namespace {
            metadata: ObjectMeta {
                name: Some(name.clone()),
                labels: Some([("ogf.dev/e2e".to_string(), "true".to_string())].into()),
                ..Default::default()
            },
            ..Default::default()
        };
        Api::<Namespace>::all(client.clone())
            .create(&PostParams::default(), &ns)
            .await
            .unwrap_or_else(|e| panic!("create namespace {name}: {e}"));
        Self { name, config }
    }

    /// The namespace's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for TestNamespace {
    fn drop(&mut self) {
        // A fresh client on its own runtime: the test's runtime may be the one
        // dropping us, and cannot be blocked on.
        let (name, config) = (self.name.clone(), self.config.clone());
        let cleanup = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            rt.block_on(async move {
                let client = Client::try_from(config).ok()?;
                Api::<Namespace>::all(client)
                    .delete(&name, &DeleteParams::background())
                    .await
                    .ok()
            })
        });
        if cleanup.join().ok().flatten().is_none() {
            eprintln!("warning: could not delete test namespace {}", self.name);
        }
    }
}
