//! The API's store: the embedded database on a volume, or an external MongoDB.

use kube::KubeSchema;
use serde::{Deserialize, Serialize};

/// Storage requested for the embedded store when `storageSize` is not given.
pub const DEFAULT_STORAGE_SIZE: &str = "10Gi";

/// The store of the API. Exactly one of `embedded` or `mongodb` is set (checked at admission).
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("has(self.embedded) != has(self.mongodb)")
    .message("exactly one of database.embedded or database.mongodb must be set"))]
pub struct DatabaseSpec {
    /// The embedded store: a database file on a PersistentVolumeClaim, one replica.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub embedded: Option<EmbeddedStore>,
    /// An external MongoDB (or compatible) server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mongodb: Option<MongoDbStore>,
}

/// The embedded store's volume.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct EmbeddedStore {
    /// Size of the data volume, e.g. `10Gi`.
    #[serde(default = "default_storage_size")]
    #[schemars(length(min = 1))]
    pub storage_size: String,
    /// StorageClass of the data volume; the cluster default when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_class_name: Option<String>,
}

impl Default for EmbeddedStore {
    fn default() -> Self {
        Self {
            storage_size: default_storage_size(),
            storage_class_name: None,
        }
    }
}

fn default_storage_size() -> String {
    DEFAULT_STORAGE_SIZE.into()
}

/// Connection to an external MongoDB.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct MongoDbStore {
    /// Secret key holding the connection URI (`mongodb://` or `mongodb+srv://`).
    pub uri_secret_ref: SecretKeyRef,
    /// Database name.
    #[schemars(length(min = 1))]
    pub database: String,
}

/// A key in a Secret of the Marketplace's namespace.
#[derive(
    KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord,
)]
#[serde(rename_all = "camelCase")]
pub struct SecretKeyRef {
    /// Name of the Secret.
    #[schemars(length(min = 1, max = 253))]
    pub name: String,
    /// Key inside the Secret's data.
    #[schemars(length(min = 1))]
    pub key: String,
}

/// The store a [`DatabaseSpec`] selects, once checked to name exactly one.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum DatabaseKind<'a> {
    /// The embedded store.
    Embedded(&'a EmbeddedStore),
    /// An external MongoDB.
    MongoDb(&'a MongoDbStore),
}

impl DatabaseKind<'_> {
    /// The store name the API understands (`embedded` or `mongodb`).
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Embedded(_) => "embedded",
            Self::MongoDb(_) => "mongodb",
        }
    }
}

impl DatabaseSpec {
    /// The selected store, or `None` when none or both are set (rejected at admission).
    pub fn kind(&self) -> Option<DatabaseKind<'_>> {
        match (&self.embedded, &self.mongodb) {
            (Some(embedded), None) => Some(DatabaseKind::Embedded(embedded)),
            (None, Some(mongodb)) => Some(DatabaseKind::MongoDb(mongodb)),
            _ => None,
        }
    }
}
