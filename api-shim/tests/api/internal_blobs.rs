//! The internal blob endpoint that staging and app pods use with URLs the operator signs.

use crate::harness::Shim;
use k8s_openapi::api::core::v1::Secret;
use kube::Api;
use reqwest::Method;
use smelter_blobstore::{UrlSigner, signing};
use std::time::{Duration, SystemTime};

/// The signer as the operator makes it: from the shared Secret the api-shim created.
pub(crate) async fn signer(shim: &Shim) -> UrlSigner {
    let secret = Api::<Secret>::namespaced(shim.client.clone(), &shim.root)
        .get(signing::DEFAULT_SECRET)
        .await
        .expect("the blob signing Secret exists");
    let key = secret.data.expect("data")[signing::SIGNING_KEY_FIELD]
        .0
        .clone();
    assert_eq!(key.len(), 32);
    UrlSigner::new(key)
}

pub(crate) async fn send(
    method: Method,
    url: &str,
    body: Option<Vec<u8>>,
) -> (u16, serde_json::Value, Vec<u8>) {
    let mut req = reqwest::Client::new().request(method, url);
    if let Some(body) = body {
        req = req.body(body);
    }
    let resp = req.send().await.expect("request");
    let status = resp.status().as_u16();
    let bytes = resp.bytes().await.expect("body").to_vec();
    let json = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
    (status, json, bytes)
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[tokio::test]
async fn signed_urls_store_and_serve_blobs_and_nothing_else_does() {
    signed_urls_store_and_serve(Shim::start(&[]).await).await;
}

#[tokio::test]
async fn signed_urls_store_and_serve_s3_blobs_and_nothing_else_does() {
    signed_urls_store_and_serve(Shim::start_s3(&[]).await).await;
}

async fn signed_urls_store_and_serve(shim: Shim) {
    let signer = signer(&shim).await;
    let now = SystemTime::now();
    let hour = Duration::from_secs(3600);
    let key = format!("droplets/{}", smelter_test_support::guid());
    // Past the blobstore's 5 MiB part size, so the body streams into a multipart upload.
    let bits: Vec<u8> = (0..(5 << 20) + 300_000u32)
        .map(|i| (i % 251) as u8)
        .collect();
    let put = signer.url(&shim.url, "PUT", &key, now, hour);
    let get = signer.url(&shim.url, "GET", &key, now, hour);

    // Not there yet.
    let (status, body, _) = send(Method::GET, &get, None).await;
    assert_eq!(
        (status, body["errors"][0]["detail"].as_str()),
        (404, Some("Blob not found"))
    );

    // A wrong checksum is refused and leaves nothing behind.
    let (status, body, _) = send(
        Method::PUT,
        &format!("{put}&sha256={}", "0".repeat(64)),
        Some(bits.clone()),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["errors"][0]["title"], "CF-UnprocessableEntity");
    assert_eq!(send(Method::GET, &get, None).await.0, 404);

    let (status, body, _) = send(
        Method::PUT,
        &format!("{put}&sha256={}", sha256_hex(&bits)),
        Some(bits.clone()),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["sha256"], sha256_hex(&bits));
    assert_eq!(body["size"], bits.len());
    let (status, _, served) = send(Method::GET, &get, None).await;
    assert_eq!(status, 200);
    assert!(served == bits, "the bytes served");

    // Refused: the upload URL used to download, another key, a changed expiry, an expired
    // URL, another signer's URL, no signature at all.
    let other_key = format!("droplets/{}", smelter_test_support::guid());
    let expired = signer.url(&shim.url, "GET", &key, now - 2 * hour, hour);
    let forged = UrlSigner::new(b"guess".to_vec()).url(&shim.url, "GET", &key, now, hour);
    let refused = [
        (
            Method::GET,
            put.clone(),
            "You are not authorized to perform the requested action",
        ),
        (
            Method::GET,
            get.replace(&key, &other_key),
            "You are not authorized to perform the requested action",
        ),
        (
            Method::GET,
            get.replace("expires=", "expires=9"),
            "You are not authorized to perform the requested action",
        ),
        (Method::GET, expired, "The signed URL has expired"),
        (
            Method::GET,
            forged,
            "You are not authorized to perform the requested action",
        ),
        (
            Method::GET,
            format!("{}/internal/v1/blobs/{key}", shim.url),
            "You are not authorized to perform the requested action",
        ),
        (
            Method::PUT,
            get.clone(),
            "You are not authorized to perform the requested action",
        ),
    ];
    for (method, url, detail) in refused {
        let (status, body, _) = send(method.clone(), &url, Some(b"evil".to_vec())).await;
        assert_eq!(status, 403, "{method} {url}: {body}");
        assert_eq!(body["errors"][0]["detail"], detail, "{method} {url}");
    }
    // The blob is untouched by the refused upload.
    assert!(
        send(Method::GET, &get, None).await.2 == bits,
        "the blob as stored"
    );

    // A key that could escape the store is not a blob.
    let sneaky = "droplets/../../etc/passwd";
    let url = signer.url(&shim.url, "GET", sneaky, now, hour);
    assert_eq!(send(Method::GET, &url, None).await.0, 404);
}

#[tokio::test]
async fn an_upload_cut_off_leaves_no_blob() {
    upload_cut_off(Shim::start(&[]).await).await;
}

#[tokio::test]
async fn an_upload_cut_off_leaves_no_s3_blob() {
    upload_cut_off(Shim::start_s3(&[]).await).await;
}

/// A staging pod that dies mid-upload: the connection closes with half the body sent. The
/// upload under way (an S3 multipart upload) is abandoned, and nothing appears at the key.
async fn upload_cut_off(shim: Shim) {
    use tokio::io::AsyncWriteExt;
    let signer = signer(&shim).await;
    let key = format!("droplets/{}", smelter_test_support::guid());
    let hour = Duration::from_secs(3600);
    let url = signer.url(&shim.url, "PUT", &key, SystemTime::now(), hour);
    let addr = shim.url.strip_prefix("http://").expect("an http URL");
    let target = url.strip_prefix(&shim.url).expect("a URL of the shim");
    let mut conn = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let head = format!(
        "PUT {target} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\n\r\n",
        12 << 20
    );
    conn.write_all(head.as_bytes())
        .await
        .expect("send the head");
    // More than a part, so the blobstore has begun a multipart upload.
    conn.write_all(&vec![7u8; 7 << 20])
        .await
        .expect("send half");
    let patience = Duration::from_secs(30);
    smelter_test_support::wait_for("the upload to be under way", patience, || async {
        shim.open_uploads() == [key.clone()]
    })
    .await;

    drop(conn);
    smelter_test_support::wait_for("the upload to be abandoned", patience, || async {
        shim.open_uploads().is_empty()
    })
    .await;
    let get = signer.url(&shim.url, "GET", &key, SystemTime::now(), hour);
    assert_eq!(send(Method::GET, &get, None).await.0, 404);
    assert_eq!(shim.stored(&key).await, None);
}

/// The lifecycle's `fetcher` and `builder` against the real endpoint, as a staging pod uses
/// them: fetch the package with its checksum, stage, store the droplet and cache.
#[tokio::test]
async fn fetcher_and_builder_move_bits_through_signed_urls() {
    let shim = Shim::start(&[]).await;
    let signer = signer(&shim).await;
    let now = SystemTime::now();
    let hour = Duration::from_secs(3600);
    let work = tempfile::tempdir().expect("tempdir");
    let guid = smelter_test_support::guid();

    // A package zip with an executable, stored as the upload endpoint would.
    let zip_path = work.path().join("package.zip");
    {
        use std::io::Write;
        let mut zip = zip::ZipWriter::new(std::fs::File::create(&zip_path).expect("zip"));
        let exe = zip::write::SimpleFileOptions::default().unix_permissions(0o755);
        zip.start_file("server", exe).expect("entry");
        zip.write_all(b"#!/bin/sh\necho up\n").expect("write");
        zip.finish().expect("finish");
    }
    let zip_bytes = std::fs::read(&zip_path).expect("read zip");
    let package_key = format!("packages/{guid}");
    let put = signer.url(&shim.url, "PUT", &package_key, now, hour);
    assert_eq!(
        send(Method::PUT, &put, Some(zip_bytes.clone())).await.0,
        201
    );

    let bin = smelter_test_support::lifecycle::bin_dir();
    let buildpacks = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../buildpacks");
    let fetch = |plan: serde_json::Value| {
        // tokio's Command: the shim answers on this test's runtime, which must not block.
        let mut command = tokio::process::Command::new(bin.join("fetcher"));
        command.env("SMELTER_FETCH_PLAN", plan.to_string());
        async move { command.output().await.expect("fetcher runs") }
    };
    let get = signer.url(&shim.url, "GET", &package_key, now, hour);
    let app = work.path().join("app");

    // A wrong checksum stops the pod before anything is unpacked.
    let output = fetch(serde_json::json!({
        "fetch": [{ "url": get, "sha256": "0".repeat(64), "into": app, "format": "zip" }]
    }))
    .await;
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("not the expected"), "{stderr}");
    assert!(
        !stderr.contains("signature="),
        "signed URLs stay out of logs: {stderr}"
    );
    assert!(!app.exists());

    let lifecycle = work.path().join("lifecycle");
    let cache_key = format!("buildpack_cache/{guid}/cflinuxfs4");
    let output = fetch(serde_json::json!({
        "copy_lifecycle_to": lifecycle,
        "fetch": [
            { "url": get, "sha256": sha256_hex(&zip_bytes), "into": app, "format": "zip" },
            { "url": signer.url(&shim.url, "GET", &cache_key, now, hour),
              "into": work.path().join("cache"), "format": "tgz", "optional": true },
        ]
    }))
    .await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(app.join("server"))
        .expect("unzipped")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o755);
    assert!(lifecycle.join("builder").is_file() && lifecycle.join("launcher").is_file());

    let droplet_key = format!("droplets/{guid}");
    let output = tokio::process::Command::new(lifecycle.join("builder"))
        .arg("--build-dir")
        .arg(&app)
        .arg("--buildpacks-dir")
        .arg(&buildpacks)
        .arg("--buildpack-order")
        .arg("binary_buildpack")
        .arg("--skip-detect")
        .arg("--cache-dir")
        .arg(work.path().join("cache"))
        .arg("--work-dir")
        .arg(work.path().join("staging"))
        .arg("--output-droplet")
        .arg(work.path().join("out/droplet.tgz"))
        .arg("--output-cache")
        .arg(work.path().join("out/cache.tgz"))
        .arg("--output-metadata")
        .arg(work.path().join("out/result.json"))
        .env(
            "SMELTER_UPLOAD_DROPLET",
            signer.url(&shim.url, "PUT", &droplet_key, now, hour),
        )
        .env(
            "SMELTER_UPLOAD_CACHE",
            signer.url(&shim.url, "PUT", &cache_key, now, hour),
        )
        .output()
        .await
        .expect("builder runs");
    let log = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{log}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        log.contains("Uploading droplet...") && log.contains("Uploading complete"),
        "{log}"
    );
    let result: serde_json::Value = serde_json::from_slice(
        &std::fs::read(work.path().join("out/result.json")).expect("result"),
    )
    .expect("JSON");

    // What the blobstore holds is what the builder reported.
    let (status, _, droplet) = send(
        Method::GET,
        &signer.url(&shim.url, "GET", &droplet_key, now, hour),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(result["droplet_sha256"], sha256_hex(&droplet));
    assert_eq!(result["process_types"]["web"], "./server");
    let (status, _, cache) = send(
        Method::GET,
        &signer.url(&shim.url, "GET", &cache_key, now, hour),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert!(!cache.is_empty());
}
