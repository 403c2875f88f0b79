//! S3-compatible object storage through `object_store`: multipart upload in 5 MiB parts with
//! at most two in flight (bounded memory), path-style requests, an extra CA bundle, and
//! credentials from a mounted directory or the environment.

use std::io::Read;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path as ObjectPath;
use object_store::{
    Certificate, ClientOptions, ObjectStore, ObjectStoreExt, PutPayload, RetryConfig,
    WriteMultipart,
};
use tokio::sync::mpsc;

use super::channel::{ChannelReader, ChannelWriter, DEPTH, Upload as Msg};
use super::{ArtifactSink, DestinationConfig, Listed, Upload};
use crate::backup::BackupError;

/// Multipart part size (the S3 minimum).
const PART: usize = 5 << 20;
/// Parts uploaded concurrently.
const PARTS_IN_FLIGHT: usize = 2;

/// An S3 bucket and prefix.
#[derive(Debug, Clone)]
pub struct S3 {
    store: Arc<AmazonS3>,
    bucket: String,
    prefix: String,
}

fn map(e: object_store::Error, what: &str) -> BackupError {
    match e {
        object_store::Error::NotFound { path, .. } => {
            BackupError::Destination(format!("{what}: {path} not found"))
        }
        other => BackupError::Destination(format!("{what}: {}", short(&other.to_string()))),
    }
}

/// The S3 error code and message when the server sent an XML error body, else the first 300
/// characters (object_store's messages hold the request URL, never the credentials).
fn short(message: &str) -> String {
    let tag = |name: &str| {
        let open = format!("<{name}>");
        let start = message.find(&open)? + open.len();
        let end = message[start..].find(&format!("</{name}>"))?;
        Some(message[start..start + end].to_owned())
    };
    match (tag("Code"), tag("Message")) {
        (Some(code), Some(text)) => format!("{code}: {text}"),
        (Some(code), None) => code,
        _ => message.chars().take(300).collect(),
    }
}

fn read_secret(dir: &Path, name: &str) -> Result<String, BackupError> {
    let path = dir.join(name);
    let raw = std::fs::read_to_string(&path)
        .map_err(|e| BackupError::Usage(format!("reading {}: {}", path.display(), e.kind())))?;
    Ok(raw.trim().to_owned())
}

impl S3 {
    /// `rest` is `BUCKET/PREFIX` (prefix optional).
    pub fn open(rest: &str, cfg: &DestinationConfig) -> Result<Self, BackupError> {
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let prefix = prefix.trim_matches('/').to_owned();
        if bucket.is_empty() {
            return Err(BackupError::Usage(
                "--destination s3://BUCKET/PREFIX needs a bucket".into(),
            ));
        }
        let (key, secret, token) = match &cfg.s3_credentials_dir {
            Some(dir) => {
                let token = std::fs::read_to_string(dir.join("AWS_SESSION_TOKEN"))
                    .ok()
                    .map(|t| t.trim().to_owned());
                (
                    read_secret(dir, "AWS_ACCESS_KEY_ID")?,
                    read_secret(dir, "AWS_SECRET_ACCESS_KEY")?,
                    token,
                )
            }
            None => match (
                std::env::var("AWS_ACCESS_KEY_ID"),
                std::env::var("AWS_SECRET_ACCESS_KEY"),
            ) {
                (Ok(k), Ok(s)) => (k, s, std::env::var("AWS_SESSION_TOKEN").ok()),
                _ => {
                    return Err(BackupError::Usage(
                        "S3 credentials missing: pass --s3-credentials-dir (files \
                         AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY) or set the \
                         AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY environment variables"
                            .into(),
                    ));
                }
            },
        };
        let mut options = ClientOptions::new()
            .with_connect_timeout(Duration::from_secs(10))
            .with_timeout_disabled()
            .with_read_timeout(Duration::from_secs(60));
        if let Some(ca) = &cfg.s3_ca_file {
            let pem = std::fs::read(ca).map_err(|e| {
                BackupError::Usage(format!(
                    "reading --s3-ca-file {}: {}",
                    ca.display(),
                    e.kind()
                ))
            })?;
            let certs = Certificate::from_pem_bundle(&pem)
                .map_err(|e| BackupError::Usage(format!("--s3-ca-file {}: {e}", ca.display())))?;
            for c in certs {
                options = options.with_root_certificate(c);
            }
        }
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(bucket)
            .with_region(&cfg.s3_region)
            .with_access_key_id(key)
            .with_secret_access_key(secret)
            .with_virtual_hosted_style_request(!cfg.s3_force_path_style)
            .with_retry(RetryConfig {
                max_retries: 3,
                retry_timeout: Duration::from_secs(30),
                ..RetryConfig::default()
            })
            .with_client_options(options);
        if let Some(token) = token.filter(|t| !t.is_empty()) {
            builder = builder.with_token(token);
        }
        if let Some(endpoint) = &cfg.s3_endpoint {
            builder = builder
                .with_endpoint(endpoint)
                .with_allow_http(endpoint.starts_with("http://"));
        }
        let store = builder
            .build()
            .map_err(|e| BackupError::Usage(format!("S3 configuration: {e}")))?;
        Ok(Self {
            store: Arc::new(store),
            bucket: bucket.to_owned(),
            prefix,
        })
    }

    fn path(&self, name: &str) -> ObjectPath {
        if self.prefix.is_empty() {
            ObjectPath::from(name)
        } else {
            ObjectPath::from(format!("{}/{name}", self.prefix))
        }
    }

    pub(super) fn location(&self, name: &str) -> String {
        format!("s3://{}/{}", self.bucket, self.path(name))
    }

    pub(super) async fn check(&self) -> Result<(), BackupError> {
        let prefix = (!self.prefix.is_empty()).then(|| ObjectPath::from(self.prefix.as_str()));
        self.store
            .list_with_delimiter(prefix.as_ref())
            .await
            .map(|_| ())
            .map_err(|e| map(e, &format!("bucket {}", self.bucket)))
    }

    pub(super) async fn upload(&self, name: &str) -> Result<Upload, BackupError> {
        let path = self.path(name);
        let multipart = self
            .store
            .put_multipart(&path)
            .await
            .map_err(|e| map(e, "starting the upload"))?;
        let (tx, rx) = mpsc::channel(DEPTH);
        let task = tokio::spawn(run_upload(
            WriteMultipart::new_with_chunk_size(multipart, PART),
            rx,
        ));
        Ok(Upload {
            sink: Box::new(S3Sink(Some(ChannelWriter::new(tx)))),
            task: Some(task),
        })
    }

    pub(super) async fn reader(&self, name: &str) -> Result<Box<dyn Read + Send>, BackupError> {
        let got = self
            .store
            .get(&self.path(name))
            .await
            .map_err(|e| map(e, "artifact"))?;
        let mut stream = got.into_stream();
        let (tx, rx) = mpsc::channel::<Result<Bytes, BackupError>>(DEPTH * 4);
        tokio::spawn(async move {
            while let Some(item) = stream.next().await {
                let item = item.map_err(|e| map(e, "downloading the artifact"));
                let failed = item.is_err();
                if tx.send(item).await.is_err() || failed {
                    break;
                }
            }
        });
        Ok(Box::new(ChannelReader::new(rx)))
    }

    pub(super) async fn get_small(&self, name: &str) -> Result<Option<Vec<u8>>, BackupError> {
        match self.store.get(&self.path(name)).await {
            Ok(got) => Ok(Some(
                got.bytes()
                    .await
                    .map_err(|e| map(e, "reading the marker"))?
                    .to_vec(),
            )),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(map(e, "reading the marker")),
        }
    }

    pub(super) async fn put_small(&self, name: &str, data: Vec<u8>) -> Result<(), BackupError> {
        self.store
            .put(&self.path(name), PutPayload::from(data))
            .await
            .map(|_| ())
            .map_err(|e| map(e, "writing the marker"))
    }

    pub(super) async fn list(&self) -> Result<Vec<Listed>, BackupError> {
        let prefix = (!self.prefix.is_empty()).then(|| ObjectPath::from(self.prefix.as_str()));
        let listed = self
            .store
            .list_with_delimiter(prefix.as_ref())
            .await
            .map_err(|e| map(e, &format!("listing bucket {}", self.bucket)))?;
        Ok(listed
            .objects
            .into_iter()
            .filter_map(|o| {
                Some(Listed {
                    name: o.location.filename()?.to_owned(),
                    size: o.size,
                    modified: o.last_modified,
                })
            })
            .collect())
    }

    pub(super) async fn delete(&self, name: &str) -> Result<(), BackupError> {
        match self.store.delete(&self.path(name)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(map(e, "deleting")),
        }
    }
}

/// Uploads chunks until [`Msg::Done`]; a channel closed before that aborts the upload, so an
/// interrupted backup leaves no object behind.
async fn run_upload(
    mut upload: WriteMultipart,
    mut rx: mpsc::Receiver<Msg>,
) -> Result<(), BackupError> {
    let mut sent: u64 = 0;
    loop {
        match rx.recv().await {
            Some(Msg::Chunk(bytes)) => {
                if let Err(e) = upload.wait_for_capacity(PARTS_IN_FLIGHT).await {
                    let _ = upload.abort().await;
                    return Err(map(e, "uploading a part"));
                }
                let before = sent / PART as u64;
                sent += bytes.len() as u64;
                upload.put(bytes);
                if sent / PART as u64 > before {
                    tracing::debug!(bytes = sent, "upload progress: a part was started");
                }
            }
            Some(Msg::Done) => {
                return upload
                    .finish()
                    .await
                    .map(|_| ())
                    .map_err(|e| map(e, "completing the upload"));
            }
            None => {
                let _ = upload.abort().await;
                return Err(BackupError::Internal(
                    "the backup stopped before the artifact was complete; upload aborted".into(),
                ));
            }
        }
    }
}

struct S3Sink(Option<ChannelWriter>);

impl std::io::Write for S3Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match &mut self.0 {
            Some(w) => w.write(buf),
            None => Err(std::io::Error::other("artifact already finished")),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl ArtifactSink for S3Sink {
    fn finish(mut self: Box<Self>) -> Result<(), BackupError> {
        let w = self
            .0
            .take()
            .ok_or_else(|| BackupError::Internal("artifact finished twice".into()))?;
        w.finish()
            .map_err(|_| BackupError::Destination("the uploader stopped before the end".into()))
    }
}
