//! The connection to the cluster, configured like kubectl (`--kubeconfig`, `--context`,
//! `-n`), and small helpers around the API calls every command makes.

use std::fmt::Debug;

use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Api, Client, Config, Resource};
use serde::de::DeserializeOwned;

use crate::cli::GlobalArgs;
use crate::error::{Error, Result};

/// A client and the namespace the command works in.
#[derive(Clone)]
pub struct Cluster {
    /// The API client.
    pub client: Client,
    /// `-n`, or the kubeconfig context's namespace, or `default`.
    pub namespace: String,
}

impl Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster")
            .field("namespace", &self.namespace)
            .finish_non_exhaustive()
    }
}

impl Cluster {
    /// Connects as kubectl would: `--kubeconfig`, else `$KUBECONFIG` / `~/.kube/config`
    /// (with `--context`), else the in-cluster service account.
    pub async fn connect(args: &GlobalArgs) -> Result<Self> {
        let options = KubeConfigOptions {
            context: args.context.clone(),
            ..KubeConfigOptions::default()
        };
        let config = match (&args.kubeconfig, &args.context) {
            (Some(path), _) => {
                let kubeconfig = Kubeconfig::read_from(path)
                    .map_err(|e| Error::Config(format!("{}: {e}", path.display())))?;
                Config::from_custom_kubeconfig(kubeconfig, &options)
                    .await
                    .map_err(|e| Error::Config(format!("{}: {e}", path.display())))?
            }
            (None, Some(_)) => Config::from_kubeconfig(&options)
                .await
                .map_err(|e| Error::Config(e.to_string()))?,
            (None, None) => Config::infer()
                .await
                .map_err(|e| Error::Config(e.to_string()))?,
        };
        let namespace = args
            .namespace
            .clone()
            .unwrap_or_else(|| config.default_namespace.clone());
        let client = Client::try_from(config).map_err(|e| Error::Config(e.to_string()))?;
        Ok(Self { client, namespace })
    }

    /// The API of kind `K` in the command's namespace.
    pub fn api<K>(&self) -> Api<K>
    where
        K: Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>,
    {
        Api::namespaced(self.client.clone(), &self.namespace)
    }

    /// Gets `name`, turning a missing object into [`Error::NotFound`] (exit code 3).
    pub async fn get<K>(&self, name: &str) -> Result<K>
    where
        K: Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>
            + Clone
            + DeserializeOwned
            + Debug,
    {
        let kind = K::kind(&()).to_string();
        self.api::<K>()
            .get_opt(name)
            .await
            .map_err(Error::kube(format!("get {kind} \"{name}\"")))?
            .ok_or_else(|| self.not_found(&kind, name))
    }

    /// Every object of kind `K` in the namespace.
    pub async fn list<K>(&self) -> Result<Vec<K>>
    where
        K: Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>
            + Clone
            + DeserializeOwned
            + Debug,
    {
        let kind = K::kind(&());
        let list = self
            .api::<K>()
            .list(&Default::default())
            .await
            .map_err(Error::kube(format!(
                "list {kind}s in namespace \"{}\"",
                self.namespace
            )))?;
        Ok(list.items)
    }

    /// The error for a missing `kind` named `name` in this namespace.
    pub fn not_found(&self, kind: &str, name: &str) -> Error {
        Error::NotFound {
            kind: kind.into(),
            name: name.into(),
            namespace: self.namespace.clone(),
        }
    }
}
