//! Package upload with resource matching against the real blobstore (the filesystem backend,
//! and for a push, S3 too): a re-push uploads nothing the blobstore has; malicious or broken
//! zips are refused with a CF error and leave no blob.

use crate::{
    harness::{MAX_PACKAGE_BYTES, Shim},
    internal_blobs::{send, signer},
};
use reqwest::Method;
use serde_json::{Value, json};
use sha1::{Digest, Sha1};
use std::io::{Cursor, Read, Write};
use zip::{ZipArchive, ZipWriter, write::SimpleFileOptions};

/// The files of a tiny app: (path, unix mode, content).
pub(crate) fn app_files() -> Vec<(&'static str, u32, Vec<u8>)> {
    vec![
        ("server", 0o755, b"#!/bin/sh\nexec ./real-server\n".to_vec()),
        ("lib/data.txt", 0o644, vec![b'x'; 70_000]),
        ("Procfile", 0o644, b"web: ./server\n".to_vec()),
    ]
}

pub(crate) fn zip_of(files: &[(&str, u32, Vec<u8>)]) -> Vec<u8> {
    let mut w = ZipWriter::new(Cursor::new(Vec::new()));
    for (path, mode, data) in files {
        w.start_file(*path, SimpleFileOptions::default().unix_permissions(*mode))
            .expect("entry");
        w.write_all(data).expect("write");
    }
    w.finish().expect("finish").into_inner()
}

fn resources(files: &[(&str, u32, Vec<u8>)]) -> Value {
    json!(files
        .iter()
        .map(|(p, m, d)| json!({ "path": p, "mode": format!("{m:o}"), "checksum": { "value": hex(&Sha1::digest(d)) }, "size_in_bytes": d.len() }))
        .collect::<Vec<_>>())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) async fn bits_package(shim: &Shim, token: &str, app: &str) -> String {
    let r = shim
        .call(
            Method::POST,
            "/v3/packages",
            token,
            Some(
                json!({ "type": "bits", "relationships": { "app": { "data": { "guid": app } } } }),
            ),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body["guid"].as_str().expect("guid").to_owned()
}

pub(crate) async fn app(shim: &Shim, token: &str, space: &str, name: &str) -> String {
    let r = shim.call(Method::POST, "/v3/apps", token, Some(json!({ "name": name, "relationships": { "space": { "data": { "guid": space } } } }))).await;
    r.body["guid"].as_str().expect("app").to_owned()
}

async fn stored(shim: &Shim, package: &str) -> Option<Vec<u8>> {
    shim.stored(&smelter_blobstore::keys::package(package))
        .await
}

#[tokio::test]
async fn a_second_push_uploads_nothing_the_blobstore_has() {
    second_push_uploads_nothing(Shim::start(&[]).await).await;
}

#[tokio::test]
async fn a_second_push_uploads_nothing_the_s3_blobstore_has() {
    second_push_uploads_nothing(Shim::start_s3(&[]).await).await;
}

/// Push, match, push again with only matched resources, and fetch both packages as a staging
/// pod does, through signed URLs.
async fn second_push_uploads_nothing(shim: Shim) {
    let admin = shim.token("admin").await;
    let org = shim.org(&admin, "up-org").await;
    let space = shim.space(&admin, &org, "up-space").await;
    let app = app(&shim, &admin, &space, "uploader").await;
    let files = app_files();

    let first = shim
        .call(
            Method::POST,
            "/v3/resource_matches",
            &admin,
            Some(json!({ "resources": resources(&files) })),
        )
        .await;
    assert_eq!(
        (first.status, first.body["resources"].clone()),
        (201, json!([])),
        "nothing stored yet"
    );
    let pkg = bits_package(&shim, &admin, &app).await;
    let up = shim
        .upload(&pkg, &admin, &json!([]), Some(&zip_of(&files)))
        .await;
    assert_eq!(up.status, 200, "{}", up.body);
    assert_eq!(up.body["state"], "READY");
    let sha256 = up.body["data"]["checksum"]["value"]
        .as_str()
        .expect("checksum")
        .to_owned();
    assert_eq!(sha256.len(), 64);

    // The stored zip holds the files with their modes.
    let blob = stored(&shim, &pkg).await.expect("package blob");
    let mut z = ZipArchive::new(Cursor::new(blob.clone())).expect("stored zip");
    for (path, mode, data) in &files {
        let mut e = z.by_name(path).expect("entry");
        assert_eq!(e.unix_mode().map(|m| m & 0o777), Some(*mode), "{path}");
        let mut content = Vec::new();
        e.read_to_end(&mut content).expect("read");
        assert_eq!(&content, data);
    }

    // The next push: every file with content matches, so the upload carries no bits.
    let again = shim
        .call(
            Method::POST,
            "/v3/resource_matches",
            &admin,
            Some(json!({ "resources": resources(&files) })),
        )
        .await;
    assert_eq!(
        again.body["resources"].as_array().map(Vec::len),
        Some(files.len())
    );
    let pkg2 = bits_package(&shim, &admin, &app).await;
    let up2 = shim
        .upload(&pkg2, &admin, &again.body["resources"], None)
        .await;
    assert_eq!(up2.status, 200, "{}", up2.body);
    assert_eq!(
        up2.body["data"]["checksum"]["value"],
        sha256.as_str(),
        "same files, same package"
    );
    let blob2 = stored(&shim, &pkg2).await.expect("second blob");
    let mut z2 = ZipArchive::new(Cursor::new(blob2.clone())).expect("zip");
    assert_eq!(
        z2.by_name("server")
            .expect("server")
            .unix_mode()
            .map(|m| m & 0o777),
        Some(0o755)
    );

    // What a staging pod fetches with the URL the operator signs is what was stored, and
    // what the package's checksum says.
    let signer = signer(&shim).await;
    for (package, bits) in [(&pkg, &blob), (&pkg2, &blob2)] {
        let key = smelter_blobstore::keys::package(package);
        let now = std::time::SystemTime::now();
        let url = signer.url(
            &shim.url,
            "GET",
            &key,
            now,
            std::time::Duration::from_secs(60),
        );
        let (status, _, served) = send(Method::GET, &url, None).await;
        assert_eq!(status, 200, "{key}");
        assert!(&served == bits, "{key}: the bytes served");
        assert_eq!(hex(&sha2::Sha256::digest(&served)), sha256);
    }

    // A mode the CLI sends as a string of octal digits only; anything else is refused.
    let bad_mode = shim.call(Method::POST, "/v3/resource_matches", &admin, Some(json!({ "resources": [{ "path": "a", "mode": 644, "checksum": { "value": "x" }, "size_in_bytes": 1 }] }))).await;
    assert_eq!(bad_mode.status, 422);
}

#[tokio::test]
async fn malicious_and_broken_uploads_are_refused_and_leave_nothing() {
    let shim = Shim::start(&["frank"]).await;
    let admin = shim.token("admin").await;
    let org = shim.org(&admin, "evil-org").await;
    let space = shim.space(&admin, &org, "evil-space").await;
    let app = app(&shim, &admin, &space, "victim").await;

    let slip = zip_of(&[("../outside", 0o644, b"x".to_vec())]);
    let absolute = zip_of(&[("/etc/passwd", 0o644, b"x".to_vec())]);
    let symlink = {
        let mut w = ZipWriter::new(Cursor::new(Vec::new()));
        w.add_symlink("link", "../../etc/shadow", SimpleFileOptions::default())
            .expect("symlink");
        w.finish().expect("finish").into_inner()
    };
    let bomb = {
        let mut w = ZipWriter::new(Cursor::new(Vec::new()));
        let zeros = vec![0u8; 1 << 20];
        for i in 0..(3 * MAX_PACKAGE_BYTES / (1 << 20) + 2) {
            w.start_file(format!("zero-{i}"), SimpleFileOptions::default())
                .expect("entry");
            w.write_all(&zeros).expect("write");
        }
        w.finish().expect("finish").into_inner()
    };
    assert!(
        (bomb.len() as u64) < MAX_PACKAGE_BYTES,
        "the bomb must pass the size check to test the expansion check"
    );
    let mut truncated = zip_of(&app_files());
    truncated.truncate(truncated.len() / 2);
    let oversized = vec![7u8; (MAX_PACKAGE_BYTES + 1) as usize];
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("zip slip", slip, "escapes"),
        ("absolute path", absolute, "The uploaded package is invalid"),
        (
            "symlink out of the package",
            symlink,
            "points outside the package",
        ),
        ("zip bomb", bomb, "The uploaded package is invalid"),
        (
            "truncated zip",
            truncated,
            "The uploaded package is invalid",
        ),
        (
            "not a zip at all",
            b"hello, world".to_vec(),
            "The uploaded package is invalid",
        ),
        ("over the size limit", oversized, "larger than the maximum"),
    ];
    for (case, bits, want) in cases {
        let pkg = bits_package(&shim, &admin, &app).await;
        let r = shim.upload(&pkg, &admin, &json!([]), Some(&bits)).await;
        assert_eq!(r.status, 422, "{case}: {}", r.body);
        assert!(r.detail().contains(want), "{case}: {}", r.detail());
        assert!(
            stored(&shim, &pkg).await.is_none(),
            "{case}: a blob was left"
        );
        let after = shim
            .call(Method::GET, &format!("/v3/packages/{pkg}"), &admin, None)
            .await;
        assert!(
            ["FAILED", "AWAITING_UPLOAD"]
                .contains(&after.body["state"].as_str().unwrap_or_default()),
            "{case}: {}",
            after.body
        );
    }
    // No stray files in the work area either.
    let work: Vec<_> = std::fs::read_dir(shim.blobs.join(".work"))
        .map(|d| d.flatten().collect())
        .unwrap_or_default();
    assert!(work.is_empty(), "leftovers in the work dir: {work:?}");

    let bad_resources = shim
        .upload(
            &bits_package(&shim, &admin, &app).await,
            &admin,
            &json!("nope"),
            None,
        )
        .await;
    assert_eq!(bad_resources.status, 422);
    let unsafe_path = shim.upload(&bits_package(&shim, &admin, &app).await, &admin, &json!([{ "path": "../x", "mode": "644", "checksum": { "value": "a".repeat(40) }, "size_in_bytes": 3 }]), None).await;
    assert_eq!(unsafe_path.status, 422, "{}", unsafe_path.body);

    // A user who may not write packages cannot upload, and the package is left as it was.
    assert_eq!(
        shim.role(&admin, "organization_user", "frank", ("organization", &org))
            .await
            .status,
        201
    );
    assert_eq!(
        shim.role(&admin, "space_auditor", "frank", ("space", &space))
            .await
            .status,
        201
    );
    let frank = shim.token("frank").await;
    let pkg = bits_package(&shim, &admin, &app).await;
    let r = shim
        .upload(&pkg, &frank, &json!([]), Some(&zip_of(&app_files())))
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    let after = shim
        .call(Method::GET, &format!("/v3/packages/{pkg}"), &admin, None)
        .await;
    assert_eq!(after.body["state"], "AWAITING_UPLOAD");
    assert!(stored(&shim, &pkg).await.is_none());
}
