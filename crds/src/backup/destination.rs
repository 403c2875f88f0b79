//! Where backup artifacts are stored: an S3-compatible bucket or a directory on a volume.

use kube::KubeSchema;
use serde::{Deserialize, Serialize};

use crate::marketplace::SecretKeyRef;

/// Keys the S3 credentials Secret must hold.
pub const S3_ACCESS_KEY_ID: &str = "AWS_ACCESS_KEY_ID";
/// Keys the S3 credentials Secret must hold.
pub const S3_SECRET_ACCESS_KEY: &str = "AWS_SECRET_ACCESS_KEY";

/// Where artifacts live. Exactly one of `s3` or `volume` is set (checked at admission).
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("has(self.s3) != has(self.volume)")
    .message("exactly one of destination.s3 or destination.volume must be set"))]
pub struct Destination {
    /// An S3-compatible bucket (AWS S3, MinIO, Ceph RGW, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub s3: Option<S3Destination>,
    /// A directory on a PersistentVolumeClaim of the namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume: Option<VolumeDestination>,
}

/// An S3-compatible bucket.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct S3Destination {
    /// Endpoint URL for non-AWS servers, e.g. `https://minio.storage.svc:9000`; AWS when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 512))]
    #[x_kube(validation = Rule::new("self.startsWith('https://') || self.startsWith('http://')")
        .message("endpoint must be an http:// or https:// URL"))]
    pub endpoint: Option<String>,
    /// Bucket name.
    #[schemars(length(min = 3, max = 63))]
    pub bucket: String,
    /// Key prefix of this Backup's artifacts, e.g. `prod/marketplace`; none when empty.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    #[schemars(length(max = 512))]
    pub prefix: String,
    /// Region (any value for most non-AWS servers).
    #[serde(default = "default_region")]
    #[schemars(length(min = 1, max = 64))]
    pub region: String,
    /// Secret with the keys `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY`, mounted as files.
    pub credentials_secret_ref: LocalObjectRef,
    /// Address buckets as `endpoint/bucket` instead of `bucket.endpoint` (MinIO needs this).
    #[serde(default)]
    pub force_path_style: bool,
    /// Secret key with a PEM CA bundle trusted in addition to the system roots.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_secret_ref: Option<SecretKeyRef>,
}

/// A directory on a PersistentVolumeClaim.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct VolumeDestination {
    /// The PersistentVolumeClaim (same namespace).
    #[schemars(length(min = 1, max = 253))]
    pub claim_name: String,
    /// Directory inside the volume; its root when empty.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    #[schemars(length(max = 512))]
    #[x_kube(validation = Rule::new("!self.startsWith('/') && !self.contains('..')")
        .message("path must be relative to the volume root and must not contain '..'"))]
    pub path: String,
}

/// A reference to an object of the same namespace by name.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
pub struct LocalObjectRef {
    /// The object's name.
    #[schemars(length(min = 1, max = 253))]
    pub name: String,
}

fn default_region() -> String {
    "us-east-1".into()
}

impl Destination {
    /// The destination as the `--destination` URL of `ogf-api backup`: `s3://bucket/prefix`,
    /// or `file://` + `mount_path` + the volume path.
    pub fn url(&self, mount_path: &str) -> Option<String> {
        if let Some(s3) = &self.s3 {
            let prefix = s3.prefix.trim_matches('/');
            return Some(if prefix.is_empty() {
                format!("s3://{}", s3.bucket)
            } else {
                format!("s3://{}/{prefix}", s3.bucket)
            });
        }
        self.volume.as_ref().map(|volume| {
            let base = mount_path.trim_end_matches('/');
            let path = volume.path.trim_matches('/');
            if path.is_empty() {
                format!("file://{base}")
            } else {
                format!("file://{base}/{path}")
            }
        })
    }
}
