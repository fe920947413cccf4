use std::time::Duration;

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt, stream};
use smelter_blobstore::{Blobstore, BlobstoreError, keys};

use crate::support::{files_under, sha1_hex, sha256_hex};

fn store() -> (tempfile::TempDir, Blobstore) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Blobstore::filesystem(dir.path().join("blobs")).expect("blobstore");
    (dir, store)
}

fn chunks(
    parts: Vec<Result<&'static [u8], std::io::Error>>,
) -> impl futures::Stream<Item = Result<Bytes, std::io::Error>> {
    stream::iter(parts.into_iter().map(|p| p.map(Bytes::from_static)))
}

#[tokio::test]
async fn put_file_and_get_round_trip_with_known_hashes() {
    let (dir, store) = store();
    let src = dir.path().join("abc.txt");
    std::fs::write(&src, b"abc").unwrap();

    let info = store.put_file(&keys::package("p1"), &src).await.unwrap();
    assert_eq!(info.size, 3);
    assert_eq!(info.sha1, "a9993e364706816aba3e25717850c26c9cd0d89d");
    assert_eq!(
        info.sha256,
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );

    let dest = dir.path().join("out/abc.txt");
    std::fs::create_dir(dir.path().join("out")).unwrap();
    let got = store
        .get_to_file(&keys::package("p1"), &dest)
        .await
        .unwrap();
    assert_eq!(got, info);
    assert_eq!(std::fs::read(&dest).unwrap(), b"abc");
    // Only the file itself: the download's temp file was renamed, not copied.
    assert_eq!(files_under(&dir.path().join("out")), vec![dest]);
}

#[tokio::test]
async fn multi_part_upload_hashes_every_byte() {
    // 12 MiB crosses WriteMultipart's 5 MiB part size twice.
    let data: Vec<u8> = (0..12 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    let (dir, store) = store();
    let src = dir.path().join("big");
    std::fs::write(&src, &data).unwrap();

    let info = store.put_file(&keys::droplet("d1"), &src).await.unwrap();
    assert_eq!(info.size, data.len() as u64);
    assert_eq!(info.sha1, sha1_hex(&data));
    assert_eq!(info.sha256, sha256_hex(&data));

    let download = store
        .get_stream(&keys::droplet("d1"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(download.size, data.len() as u64);
    let body: Vec<Bytes> = download.stream.try_collect().await.unwrap();
    assert_eq!(body.concat(), data);
}

#[tokio::test]
async fn exists_delete_list_and_missing_blobs() {
    let (_dir, store) = store();
    let key = keys::buildpack_cache("app-1", "cflinuxfs4");
    assert!(!store.exists(&key).await.unwrap());
    assert!(store.get_stream(&key).await.unwrap().is_none());
    let missing = store
        .get_to_file(&key, &std::env::temp_dir().join("never-written"))
        .await
        .unwrap_err();
    assert!(missing.is_not_found(), "{missing}");

    store
        .put_stream(&key, chunks(vec![Ok(b"cache")]), 100)
        .await
        .unwrap();
    store
        .put_stream(&keys::buildpack("b1"), chunks(vec![Ok(b"bp")]), 100)
        .await
        .unwrap();
    assert!(store.exists(&key).await.unwrap());
    let listed = store.list("buildpack_cache").await.unwrap();
    assert_eq!(
        listed
            .iter()
            .map(|b| (b.key.as_str(), b.size))
            .collect::<Vec<_>>(),
        vec![(key.as_str(), 5)]
    );

    store.delete(&key).await.unwrap();
    store.delete(&key).await.unwrap();
    assert!(!store.exists(&key).await.unwrap());
    assert!(store.list("buildpack_cache").await.unwrap().is_empty());
}

#[tokio::test]
async fn put_stream_over_the_limit_leaves_nothing() {
    let (dir, store) = store();
    let key = keys::package("big");
    let err = store
        .put_stream(&key, chunks(vec![Ok(b"12345"), Ok(b"67890"), Ok(b"x")]), 10)
        .await
        .unwrap_err();
    assert!(
        matches!(err, BlobstoreError::TooLarge { max: 10, .. }),
        "{err}"
    );
    assert!(!store.exists(&key).await.unwrap());
    assert_eq!(
        files_under(&dir.path().join("blobs")),
        Vec::<std::path::PathBuf>::new()
    );

    // Exactly at the limit is fine.
    store
        .put_stream(&key, chunks(vec![Ok(b"12345"), Ok(b"67890")]), 10)
        .await
        .unwrap();
}

#[tokio::test]
async fn failing_stream_leaves_nothing_and_keeps_the_old_blob() {
    let (dir, store) = store();
    let fresh = keys::package("fresh");
    let err = store
        .put_stream(
            &fresh,
            chunks(vec![
                Ok(b"part one"),
                Err(std::io::Error::other("client hung up")),
            ]),
            u64::MAX,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, BlobstoreError::Source { .. }), "{err}");
    assert!(!store.exists(&fresh).await.unwrap());
    assert_eq!(
        files_under(&dir.path().join("blobs")),
        Vec::<std::path::PathBuf>::new()
    );

    let existing = keys::package("existing");
    store
        .put_stream(&existing, chunks(vec![Ok(b"old")]), 100)
        .await
        .unwrap();
    store
        .put_stream(
            &existing,
            chunks(vec![Ok(b"new"), Err(std::io::Error::other("boom"))]),
            100,
        )
        .await
        .unwrap_err();
    let body: Vec<Bytes> = store
        .get_stream(&existing)
        .await
        .unwrap()
        .unwrap()
        .stream
        .try_collect()
        .await
        .unwrap();
    assert_eq!(body.concat(), b"old");
    assert_eq!(files_under(&dir.path().join("blobs")).len(), 1);
}

#[tokio::test]
async fn dropped_upload_leaves_no_staging_file() {
    let (dir, store) = store();
    let blobs = dir.path().join("blobs");
    let key = keys::package("dropped");
    // More than one part (so a multipart upload is under way), then a client that never
    // sends the rest.
    let upload = tokio::spawn({
        let store = store.clone();
        let key = key.clone();
        async move {
            let first = stream::iter([Ok::<_, std::io::Error>(Bytes::from(vec![1u8; 6 << 20]))]);
            store
                .put_stream(&key, first.chain(stream::pending()), u64::MAX)
                .await
        }
    });
    wait_until(|| files_under(&blobs).len() == 1).await;
    let staging = files_under(&blobs);
    assert!(
        staging[0].to_string_lossy().ends_with("dropped#1"),
        "{staging:?}"
    );

    // The client hangs up: the request future is dropped mid-upload.
    upload.abort();
    assert!(upload.await.unwrap_err().is_cancelled());
    wait_until(|| files_under(&blobs).is_empty()).await;
    assert!(!store.exists(&key).await.unwrap());
}

/// Polls `done` for up to a second: cleanup after a drop runs on a spawned task.
async fn wait_until(done: impl Fn() -> bool) {
    for _ in 0..50 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(done(), "condition not reached within a second");
}

#[tokio::test]
async fn hostile_keys_are_refused() {
    let (_dir, store) = store();
    for key in [
        keys::package("../../etc"),
        keys::package("a#1"),
        String::new(),
    ] {
        let err = store
            .put_stream(&key, chunks(vec![Ok(b"x")]), 10)
            .await
            .unwrap_err();
        assert!(
            matches!(err, BlobstoreError::InvalidKey { .. }),
            "{key}: {err}"
        );
    }
}

#[tokio::test]
async fn multipart_uploads_that_fail_leave_nothing() {
    let (dir, store) = store();
    let key = keys::package("big-fail");
    let part = || Ok::<_, std::io::Error>(Bytes::from(vec![1u8; 6 << 20]));

    let too_big = stream::iter([part(), part()]);
    let err = store
        .put_stream(&key, too_big, 10 << 20)
        .await
        .expect_err("over the limit");
    assert!(matches!(err, BlobstoreError::TooLarge { .. }), "{err}");

    let failing = stream::iter([part(), Err(std::io::Error::other("reset"))]);
    let err = store
        .put_stream(&key, failing, u64::MAX)
        .await
        .expect_err("stream error");
    assert!(matches!(err, BlobstoreError::Source { .. }), "{err}");

    assert!(!store.exists(&key).await.unwrap());
    assert_eq!(
        files_under(&dir.path().join("blobs")),
        Vec::<std::path::PathBuf>::new()
    );
}

#[tokio::test]
async fn list_streams_every_blob_of_a_kind_with_its_write_time() {
    let (dir, store) = store();
    let before = std::time::SystemTime::now() - Duration::from_secs(5);
    for app in ["a1", "a2", "a3"] {
        store
            .put_stream(
                &keys::buildpack_cache(app, "cflinuxfs4"),
                chunks(vec![Ok(b"cache")]),
                100,
            )
            .await
            .unwrap();
    }
    store
        .put_stream(&keys::resource("abc"), chunks(vec![Ok(b"r")]), 100)
        .await
        .unwrap();
    // Not a blob: the work directory the api-shim keeps under the filesystem store.
    std::fs::create_dir_all(dir.path().join("blobs/.work/package-x")).unwrap();

    let mut keys: Vec<String> = store
        .list_stream("buildpack_cache")
        .map_ok(|b| {
            assert!(b.last_modified >= before, "{b:?}");
            b.key
        })
        .try_collect()
        .await
        .unwrap();
    keys.sort();
    assert_eq!(
        keys,
        [
            "buildpack_cache/a1/cflinuxfs4",
            "buildpack_cache/a2/cflinuxfs4",
            "buildpack_cache/a3/cflinuxfs4"
        ]
    );
    // A kind nothing was stored under yet is empty, not an error.
    assert!(store.list("droplets").await.unwrap().is_empty());
    // A bad prefix is an error, not a walk of everything.
    let bad: Vec<_> = store.list_stream("../etc").collect().await;
    assert!(matches!(
        bad.as_slice(),
        [Err(BlobstoreError::InvalidKey { .. })]
    ));

    let mut top = store.top_level().await.unwrap();
    top.sort();
    assert_eq!(top, [".work", "buildpack_cache", "resources"]);
}

#[tokio::test]
async fn two_deletes_of_one_blob_both_succeed() {
    let (_dir, store) = store();
    let key = keys::droplet("d1");
    store
        .put_stream(&key, chunks(vec![Ok(b"droplet")]), 100)
        .await
        .unwrap();
    // Two collectors (api-shim replicas) removing the same orphan at once.
    let (a, b) = tokio::join!(store.delete(&key), store.delete(&key));
    a.unwrap();
    b.unwrap();
    assert!(!store.exists(&key).await.unwrap());
    // The emptied kind directory went with the blob; the store itself still works.
    assert!(store.list("droplets").await.unwrap().is_empty());
    store
        .put_stream(&key, chunks(vec![Ok(b"again")]), 100)
        .await
        .unwrap();
    assert!(store.exists(&key).await.unwrap());
}
