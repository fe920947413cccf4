//! The S3-compatible server that `tests/run` starts beside the test Kubernetes (s3s-fs, from
//! tests/k8s/cluster.sh): a fresh bucket per test, so tests running side by side never see each
//! other's blobs, and the uploads the server holds open. Like the cluster, it has no fallback: a
//! test that needs it fails, naming the variable, when it is absent.

use base64::Engine;
use object_store::{
    aws::{AwsAuthorizer, AwsCredential},
    client::HttpRequestBody,
};
use smelter_blobstore::S3Config;
use std::path::PathBuf;

/// `http://127.0.0.1:<port>` of the server.
pub const ENDPOINT_ENV: &str = "SMELTER_TEST_S3_ENDPOINT";
/// The server's access key id.
pub const ACCESS_KEY_ID_ENV: &str = "SMELTER_TEST_S3_ACCESS_KEY_ID";
/// The server's secret access key.
pub const SECRET_ACCESS_KEY_ENV: &str = "SMELTER_TEST_S3_SECRET_ACCESS_KEY";
/// The server's data directory, where it keeps the uploads in progress.
pub const DIR_ENV: &str = "SMELTER_TEST_S3_DIR";
/// s3s-fs accepts any region; the signatures still name one.
pub const REGION: &str = "us-east-1";

fn var(name: &str) -> String {
    match std::env::var(name) {
        Ok(value) if !value.is_empty() => value,
        _ => panic!(
            "{name} is not set: this test needs the S3-compatible test server. Run the tests \
             with `make test` (tests/run), which starts it; or start one with \
             `tests/k8s/cluster.sh up DIR` and `source DIR/env`."
        ),
    }
}

/// A new, empty bucket on the test server (a real, signed CreateBucket), and the settings
/// to reach it.
pub async fn bucket() -> S3Config {
    let endpoint = var(ENDPOINT_ENV);
    let config = S3Config {
        endpoint: Some(endpoint.clone()),
        // Bucket names are lowercase letters, digits and dashes, 3 to 63 of them.
        bucket: format!("t-{}", crate::guid()),
        region: REGION.to_owned(),
        access_key_id: var(ACCESS_KEY_ID_ENV),
        secret_access_key: var(SECRET_ACCESS_KEY_ENV),
        allow_http: true,
    };
    let url = format!("{endpoint}/{}", config.bucket);
    let mut request = http::Request::builder()
        .method(http::Method::PUT)
        .uri(&url)
        .body(HttpRequestBody::empty())
        .expect("a CreateBucket request");
    let credential = AwsCredential {
        key_id: config.access_key_id.clone(),
        secret_key: config.secret_access_key.clone(),
        token: None,
    };
    // object_store's own SigV4 signer, the one the blobstore's requests go through.
    AwsAuthorizer::new(&credential, "s3", REGION)
        .try_authorize(&mut request, None)
        .expect("sign CreateBucket");
    // As `Blobstore::s3` does: the workspace's reqwest has no TLS provider of its own (an Err
    // means one is installed already).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let response = reqwest::Client::new()
        .put(&url)
        .headers(request.headers().clone())
        .send()
        .await
        .unwrap_or_else(|e| panic!("the S3 test server at {endpoint} does not answer: {e}"));
    let status = response.status();
    let body = response.text().await.unwrap_or_default();
    assert!(
        status.is_success(),
        "CreateBucket {}: {status} {body}",
        config.bucket
    );
    config
}

/// Keys of the multipart uploads begun in `bucket` and neither completed nor aborted.
///
/// s3s-fs implements no ListMultipartUploads; while an upload is open it keeps a file
/// `.bucket-<base64url bucket>.object-<base64url key>.upload-<id>.metadata.json` at the top of
/// its data directory, removed by CompleteMultipartUpload and AbortMultipartUpload.
pub fn open_uploads(bucket: &str) -> Vec<String> {
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let prefix = format!(".bucket-{}.object-", b64.encode(bucket));
    let dir = PathBuf::from(var(DIR_ENV));
    let entries = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read the S3 server's directory {dir:?}: {e}"));
    let mut keys: Vec<String> = entries
        .filter_map(|entry| {
            let name = entry.ok()?.file_name().into_string().ok()?;
            let rest = name.strip_prefix(&prefix)?;
            let (key, upload) = rest.split_once(".upload-")?;
            upload.ends_with(".metadata.json").then_some(())?;
            String::from_utf8(b64.decode(key).ok()?).ok()
        })
        .collect();
    keys.sort();
    keys
}
