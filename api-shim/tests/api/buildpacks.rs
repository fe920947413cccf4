//! Admin buildpacks: create, reorder, update and delete as CC does; zips uploaded to the real
//! blobstore (filesystem backend) and checked like packages; the built-in buildpacks.

use crate::harness::{Reply, Shim};
use reqwest::Method;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use smelter_api_shim::v3::buildpacks::builtin::{self, Outcome};
use std::io::{Cursor, Read, Write};
use zip::{ZipArchive, ZipWriter, write::SimpleFileOptions};

/// (name, position) of every buildpack, in the order `GET /v3/buildpacks` gives.
async fn order(shim: &Shim, token: &str) -> Vec<(String, i64)> {
    let list = shim.call(Method::GET, "/v3/buildpacks", token, None).await;
    assert_eq!(list.status, 200, "{}", list.body);
    list.body["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .map(|b| {
            (
                b["name"].as_str().expect("name").to_owned(),
                b["position"].as_i64().expect("position"),
            )
        })
        .collect()
}

fn named(pairs: &[(&str, i64)]) -> Vec<(String, i64)> {
    pairs.iter().map(|(n, p)| ((*n).to_owned(), *p)).collect()
}

async fn create(shim: &Shim, token: &str, body: Value) -> Reply {
    shim.call(Method::POST, "/v3/buildpacks", token, Some(body))
        .await
}

async fn created(shim: &Shim, token: &str, body: Value) -> String {
    let r = create(shim, token, body).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["state"], "AWAITING_UPLOAD");
    r.body["guid"].as_str().expect("guid").to_owned()
}

async fn patch(shim: &Shim, token: &str, guid: &str, body: Value) -> Reply {
    shim.call(
        Method::PATCH,
        &format!("/v3/buildpacks/{guid}"),
        token,
        Some(body),
    )
    .await
}

async fn show(shim: &Shim, token: &str, guid: &str) -> Reply {
    shim.call(Method::GET, &format!("/v3/buildpacks/{guid}"), token, None)
        .await
}

async fn upload(shim: &Shim, token: &str, guid: &str, filename: &str, bits: &[u8]) -> Reply {
    shim.upload_file(
        &format!("/v3/buildpacks/{guid}/upload"),
        token,
        "bits",
        filename,
        bits,
    )
    .await
}

/// A small buildpack zip: executable scripts and a manifest.
pub(crate) fn buildpack_zip() -> Vec<u8> {
    let mut w = ZipWriter::new(Cursor::new(Vec::new()));
    let files: [(&str, u32, &[u8]); 3] = [
        ("bin/detect", 0o755, b"#!/bin/sh\nexit 1\n"),
        ("bin/compile", 0o755, b"#!/bin/sh\nexit 0\n"),
        ("manifest.yml", 0o644, b"language: test\n"),
    ];
    for (path, mode, data) in files {
        w.start_file(path, SimpleFileOptions::default().unix_permissions(mode))
            .expect("entry");
        w.write_all(data).expect("write");
    }
    w.finish().expect("finish").into_inner()
}

fn blob_path(shim: &Shim, guid: &str) -> std::path::PathBuf {
    shim.blobs.join(smelter_blobstore::keys::buildpack(guid))
}

/// The stored zip, read back through the blobstore.
async fn stored(shim: &Shim, guid: &str) -> Option<Vec<u8>> {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("bits.zip");
    match shim
        .state
        .blobs
        .get_to_file(&smelter_blobstore::keys::buildpack(guid), &out)
        .await
    {
        Ok(_) => Some(std::fs::read(&out).expect("read")),
        Err(_) => None,
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[tokio::test]
async fn admins_create_reorder_update_and_delete_buildpacks() {
    let shim = Shim::start(&["bob"]).await;
    let admin = shim.token("admin").await;
    let bob = shim.token("bob").await;

    // Inserting moves the ones at or after the position down; past the end is last; CC's
    // default position is 1.
    let a = created(&shim, &admin, json!({ "name": "a_bp" })).await;
    let b = created(&shim, &admin, json!({ "name": "b_bp", "position": 1 })).await;
    let c = created(&shim, &admin, json!({ "name": "c_bp", "position": 2 })).await;
    let d = created(&shim, &admin, json!({ "name": "d_bp", "position": 99, "enabled": false, "locked": true, "stack": "cflinuxfs4", "metadata": { "labels": { "team": "x" } } })).await;
    assert_eq!(
        order(&shim, &admin).await,
        named(&[("b_bp", 1), ("c_bp", 2), ("a_bp", 3), ("d_bp", 4)])
    );
    let shown = show(&shim, &admin, &d).await;
    assert_eq!(
        (
            &shown.body["enabled"],
            &shown.body["locked"],
            &shown.body["stack"],
            &shown.body["metadata"]["labels"]["team"],
            &shown.body["lifecycle"],
        ),
        (
            &json!(false),
            &json!(true),
            &json!("cflinuxfs4"),
            &json!("x"),
            &json!("buildpack")
        )
    );
    // Everyone reads; the label selector the CLI sends works.
    let selected = shim
        .call(
            Method::GET,
            "/v3/buildpacks?label_selector=team%3Dx",
            &bob,
            None,
        )
        .await;
    assert_eq!(selected.body["resources"][0]["guid"], d.as_str());
    assert_eq!(selected.body["pagination"]["total_results"], 1);

    // A name is unique per stack, and only one of a name may have no stack.
    let cases = [
        (
            json!({ "name": "a_bp" }),
            "Buildpack with name 'a_bp' and an unassigned stack already exists",
        ),
        (
            json!({ "name": "d_bp", "stack": "cflinuxfs4" }),
            "Buildpack with name 'd_bp' and stack 'cflinuxfs4' already exists",
        ),
        (
            json!({ "name": "w_bp", "stack": "windows" }),
            "Stack 'windows' does not exist",
        ),
        (json!({ "name": "a b" }), "Name is invalid"),
        (json!({}), "Name can't be blank"),
        (
            json!({ "name": "x_bp", "position": 0 }),
            "Position must be greater than or equal to 1",
        ),
        (
            json!({ "name": "x_bp", "colour": "red" }),
            "Unknown field(s): 'colour'",
        ),
    ];
    for (body, want) in cases {
        let r = create(&shim, &admin, body.clone()).await;
        assert_eq!(
            (r.status, r.title(), r.detail()),
            (422, "CF-UnprocessableEntity", want),
            "{body}"
        );
    }
    // The same name on a stack is another buildpack.
    let a_fs4 = created(
        &shim,
        &admin,
        json!({ "name": "a_bp", "stack": "cflinuxfs4", "position": 5 }),
    )
    .await;

    // Only admins change buildpacks; unknown ones are 404 first.
    let refused = [
        create(&shim, &bob, json!({ "name": "bobs_bp" })).await,
        patch(&shim, &bob, &a, json!({ "enabled": false })).await,
        shim.call(Method::DELETE, &format!("/v3/buildpacks/{a}"), &bob, None)
            .await,
        upload(&shim, &bob, &a, "bp.zip", &buildpack_zip()).await,
    ];
    for r in refused {
        assert_eq!(
            (r.status, r.title()),
            (403, "CF-NotAuthorized"),
            "{}",
            r.body
        );
    }
    let missing = patch(
        &shim,
        &admin,
        &smelter_test_support::guid(),
        json!({ "enabled": false }),
    )
    .await;
    assert_eq!(
        (missing.status, missing.detail()),
        (404, "Buildpack not found")
    );

    // Moving one re-orders the others; `{}` (what the CLI sends without flags) changes nothing.
    let moved = patch(&shim, &admin, &b, json!({ "position": 3 })).await;
    assert_eq!((moved.status, &moved.body["position"]), (200, &json!(3)));
    assert_eq!(
        order(&shim, &admin).await,
        named(&[
            ("c_bp", 1),
            ("a_bp", 2),
            ("b_bp", 3),
            ("d_bp", 4),
            ("a_bp", 5)
        ])
    );
    assert_eq!(patch(&shim, &admin, &b, json!({})).await.status, 200);
    let renamed = patch(
        &shim,
        &admin,
        &c,
        json!({ "name": "c2_bp", "enabled": false, "locked": true, "stack": "cflinuxfs4", "position": 42 }),
    )
    .await;
    assert_eq!(renamed.status, 200, "{}", renamed.body);
    assert_eq!(
        (
            &renamed.body["name"],
            &renamed.body["enabled"],
            &renamed.body["locked"],
            &renamed.body["stack"],
            &renamed.body["position"]
        ),
        (
            &json!("c2_bp"),
            &json!(false),
            &json!(true),
            &json!("cflinuxfs4"),
            &json!(5)
        )
    );
    let update_refusals = [
        (
            json!({ "stack": null }),
            &c,
            "Buildpack stack cannot be changed",
        ),
        (
            json!({ "name": "b_bp" }),
            &a,
            "Buildpack with name 'b_bp' and an unassigned stack already exists",
        ),
        (
            json!({ "name": "a_bp" }),
            &c,
            "Buildpack with name 'a_bp' and stack 'cflinuxfs4' already exists",
        ),
        (
            json!({ "lifecycle": "cnb" }),
            &a,
            "Unknown field(s): 'lifecycle'",
        ),
    ];
    for (body, guid, want) in update_refusals {
        let r = patch(&shim, &admin, guid, body.clone()).await;
        assert_eq!((r.status, r.detail()), (422, want), "{body}");
    }

    // Deleting removes the object and its zip, and closes the gap.
    assert_eq!(
        upload(&shim, &admin, &a, "a.zip", &buildpack_zip())
            .await
            .status,
        202
    );
    assert!(blob_path(&shim, &a).exists());
    let deleted = shim
        .call(Method::DELETE, &format!("/v3/buildpacks/{a}"), &admin, None)
        .await;
    assert_eq!(deleted.status, 202, "{}", deleted.body);
    let location = deleted.headers["location"].to_str().expect("location");
    assert!(
        location.starts_with(&format!("{}/v3/jobs/", shim.url)),
        "{location}"
    );
    shim.wait_job(location, &admin).await;
    assert_eq!(show(&shim, &admin, &a).await.status, 404);
    assert!(stored(&shim, &a).await.is_none(), "the zip is gone");
    assert_eq!(
        order(&shim, &admin).await,
        named(&[("b_bp", 1), ("d_bp", 2), ("a_bp", 3), ("c2_bp", 4)])
    );
    let _ = (d, a_fs4);
}

#[tokio::test]
async fn uploads_store_the_zip_and_refuse_bad_ones() {
    let shim = Shim::start(&[]).await;
    let admin = shim.token("admin").await;
    let good = created(&shim, &admin, json!({ "name": "good_bp", "position": 1 })).await;

    let bits = buildpack_zip();
    let r = upload(&shim, &admin, &good, "good_bp-v1.zip", &bits).await;
    assert_eq!(r.status, 202, "{}", r.body);
    let location = r.headers["location"].to_str().expect("location").to_owned();
    assert!(location.starts_with(&format!("{}/v3/jobs/", shim.url)));
    shim.wait_job(&location, &admin).await;
    let ready = show(&shim, &admin, &good).await;
    assert_eq!(ready.body["state"], "READY");
    assert_eq!(ready.body["filename"], "good_bp-v1.zip");
    // The status checksum is the uploaded zip's, and the blob is that very zip.
    let object: smelter_crds::Buildpack = kube::Api::namespaced(shim.client.clone(), &shim.root)
        .get(&good)
        .await
        .expect("object");
    let status = object.status.expect("status");
    let recorded = status.checksum.expect("checksum").value;
    assert_eq!(recorded, sha256_hex(&bits));
    let blob = stored(&shim, &good).await.expect("blob");
    assert_eq!(blob, bits);
    assert_eq!(sha256_hex(&blob), recorded);

    // Refusals leave no blob (or the old one) and the status as it was.
    let fresh = created(&shim, &admin, json!({ "name": "fresh_bp" })).await;
    let mut truncated = bits.clone();
    truncated.truncate(bits.len() / 2);
    let slip = {
        let mut w = ZipWriter::new(Cursor::new(Vec::new()));
        w.start_file("../../etc/evil", SimpleFileOptions::default())
            .expect("entry");
        w.write_all(b"x").expect("write");
        w.finish().expect("finish").into_inner()
    };
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "truncated zip",
            truncated.clone(),
            "Uploaded buildpack file is invalid: the zip archive is truncated or corrupt",
        ),
        (
            "not a zip",
            b"hello, world".to_vec(),
            "Uploaded buildpack file is invalid: x.zip is not a zip file.",
        ),
        ("empty", Vec::new(), "x.zip cannot be empty"),
        ("zip slip", slip, "escapes the package"),
    ];
    for (case, body, want) in cases {
        for guid in [&fresh, &good] {
            let r = upload(&shim, &admin, guid, "x.zip", &body).await;
            assert_eq!(r.status, 422, "{case}: {}", r.body);
            assert!(r.detail().contains(want), "{case}: {}", r.detail());
        }
        assert!(
            stored(&shim, &fresh).await.is_none(),
            "{case}: a blob was left"
        );
        assert_eq!(
            show(&shim, &admin, &fresh).await.body["state"],
            "AWAITING_UPLOAD"
        );
        let still = show(&shim, &admin, &good).await;
        assert_eq!(
            (&still.body["state"], &still.body["filename"]),
            (&json!("READY"), &json!("good_bp-v1.zip")),
            "{case}"
        );
        assert_eq!(
            stored(&shim, &good).await.as_deref(),
            Some(&bits[..]),
            "{case}"
        );
    }
    let no_bits = shim
        .upload_file(
            &format!("/v3/buildpacks/{fresh}/upload"),
            &admin,
            "other",
            "x.zip",
            &bits,
        )
        .await;
    assert_eq!(
        (no_bits.status, no_bits.detail()),
        (
            422,
            "Uploaded buildpack file is invalid: A buildpack zip file must be uploaded as 'bits'"
        )
    );
    let work: Vec<_> = std::fs::read_dir(shim.blobs.join(".work"))
        .map(|d| d.flatten().collect())
        .unwrap_or_default();
    assert!(work.is_empty(), "leftovers in the work dir: {work:?}");
    assert!(
        !shim.blobs.join("resources").exists(),
        "a buildpack's files do not go to the app resource pool"
    );

    // A locked buildpack keeps its bits.
    assert_eq!(
        patch(&shim, &admin, &good, json!({ "locked": true }))
            .await
            .status,
        200
    );
    let locked = upload(&shim, &admin, &good, "other.zip", &bits).await;
    assert_eq!(
        (locked.status, locked.detail()),
        (422, "Buildpack is locked")
    );
    assert_eq!(
        show(&shim, &admin, &good).await.body["filename"],
        "good_bp-v1.zip"
    );
    assert_eq!(
        upload(&shim, &admin, &smelter_test_support::guid(), "x.zip", &bits)
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn builtins_are_installed_once_and_never_overwritten() {
    let shim = Shim::start(&[]).await;
    let admin = shim.token("admin").await;

    // Two replicas starting together.
    let (first, second) =
        tokio::join!(builtin::install(&shim.state), builtin::install(&shim.state));
    first.expect("first install");
    second.expect("second install");
    assert_eq!(
        order(&shim, &admin).await,
        named(&[("staticfile_buildpack", 1), ("binary_buildpack", 2)])
    );
    for b in builtin::BUILTINS {
        let guid = b.guid();
        let shown = show(&shim, &admin, &guid).await;
        assert_eq!(shown.body["state"], "READY", "{}", b.name);
        assert_eq!(shown.body["filename"], b.filename().as_str());
        let object: smelter_crds::Buildpack =
            kube::Api::namespaced(shim.client.clone(), &shim.root)
                .get(&guid)
                .await
                .expect("object");
        let blob = stored(&shim, &guid).await.expect("blob");
        assert_eq!(
            object.status.and_then(|s| s.checksum).map(|c| c.value),
            Some(sha256_hex(&blob)),
            "{}",
            b.name
        );
        let mut zip = ZipArchive::new(Cursor::new(blob)).expect("zip");
        let mut detect = zip.by_name("bin/detect").expect("bin/detect");
        assert_eq!(detect.unix_mode().map(|m| m & 0o777), Some(0o755));
        let mut script = String::new();
        detect.read_to_string(&mut script).expect("read");
        assert!(script.starts_with("#!"), "{script}");
    }

    // What admins change stays changed.
    let binary = builtin::BUILTINS[1].guid();
    let statics = builtin::BUILTINS[0].guid();
    assert_eq!(
        patch(
            &shim,
            &admin,
            &binary,
            json!({ "position": 1, "enabled": false })
        )
        .await
        .status,
        200
    );
    let outcomes = builtin::install(&shim.state).await.expect("again");
    assert!(
        outcomes.iter().all(|(_, o)| *o == Outcome::Kept),
        "{outcomes:?}"
    );
    assert_eq!(
        order(&shim, &admin).await,
        named(&[("binary_buildpack", 1), ("staticfile_buildpack", 2)])
    );
    assert_eq!(show(&shim, &admin, &binary).await.body["enabled"], false);

    // One deleted comes back, last, at the next start.
    let deleted = shim
        .call(
            Method::DELETE,
            &format!("/v3/buildpacks/{statics}"),
            &admin,
            None,
        )
        .await;
    shim.wait_job(
        deleted.headers["location"].to_str().expect("location"),
        &admin,
    )
    .await;
    let custom = created(&shim, &admin, json!({ "name": "mine", "position": 9 })).await;
    let outcomes = builtin::install(&shim.state).await.expect("after delete");
    assert_eq!(
        outcomes,
        vec![
            ("staticfile_buildpack", Outcome::Installed),
            ("binary_buildpack", Outcome::Kept)
        ]
    );
    assert_eq!(
        order(&shim, &admin).await,
        named(&[
            ("binary_buildpack", 1),
            ("mine", 2),
            ("staticfile_buildpack", 3)
        ])
    );
    assert_eq!(show(&shim, &admin, &statics).await.body["state"], "READY");
    let _ = custom;
}
