//! The S3 server (MinIO in the test environment) is real: put, get, list and a
//! multipart upload round-trip through the `object_store` client.

use std::sync::Arc;

use bytes::Bytes;
use futures::TryStreamExt;
use object_store::aws::AmazonS3Builder;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload, WriteMultipart};
use ogf_e2e::env;

fn store(s3: &env::S3Env) -> Arc<dyn ObjectStore> {
    let store = AmazonS3Builder::new()
        .with_endpoint(&s3.endpoint)
        .with_region(&s3.region)
        .with_bucket_name(&s3.bucket)
        .with_access_key_id(&s3.access_key_id)
        .with_secret_access_key(&s3.secret_access_key)
        .with_allow_http(true)
        .with_virtual_hosted_style_request(false)
        .build()
        .expect("s3 client");
    Arc::new(store)
}

#[tokio::test]
async fn put_get_list_and_multipart_round_trip() {
    let Some(s3) = env::s3() else { return };
    let store = store(&s3);
    let prefix = Path::from(format!("smoke-{}", uuid::Uuid::new_v4().simple()));

    let small = prefix.clone().join("small.txt");
    store
        .put(&small, PutPayload::from_static(b"permian basin"))
        .await
        .expect("put");
    let got = store
        .get(&small)
        .await
        .expect("get")
        .bytes()
        .await
        .expect("body");
    assert_eq!(got.as_ref(), b"permian basin");

    // 3 parts of 5 MiB + a tail: S3's minimum part size is 5 MiB.
    let big = prefix.clone().join("big.bin");
    let part: Vec<u8> = (0..5 * 1024 * 1024).map(|i| (i % 251) as u8).collect();
    let upload = store.put_multipart(&big).await.expect("start multipart");
    let mut writer = WriteMultipart::new_with_chunk_size(upload, part.len());
    for _ in 0..3 {
        writer.write(&part);
    }
    writer.write(b"tail");
    writer.finish().await.expect("complete multipart");
    let body: Bytes = store
        .get(&big)
        .await
        .expect("get big")
        .bytes()
        .await
        .expect("big body");
    assert_eq!(body.len(), 3 * part.len() + 4);
    assert_eq!(&body[..part.len()], &part[..]);
    assert_eq!(&body[body.len() - 4..], b"tail");

    let mut listed: Vec<String> = store
        .list(Some(&prefix))
        .map_ok(|m| m.location.to_string())
        .try_collect()
        .await
        .expect("list");
    listed.sort();
    assert_eq!(listed, vec![big.to_string(), small.to_string()]);

    for p in [&small, &big] {
        store.delete(p).await.expect("delete");
    }
    let left: Vec<_> = store
        .list(Some(&prefix))
        .try_collect()
        .await
        .expect("list after delete");
    assert!(left.is_empty());
}
