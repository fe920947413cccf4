//! The store's contract, held against both backends (`backend_tests!`).

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt, stream};
use smelter_blobstore::{BlobstoreError, keys};

use crate::support::{Kind, TestStore, backend_tests, files_under, sha1_hex, sha256_hex};

backend_tests!(
    put_file_and_get_round_trip_with_known_hashes,
    multi_part_upload_hashes_every_byte,
    sizes_around_the_part_size_round_trip_and_replace,
    exists_delete_list_and_missing_blobs,
    put_stream_over_the_limit_leaves_nothing,
    failing_stream_leaves_nothing_and_keeps_the_old_blob,
    dropped_upload_leaves_nothing_open,
    hostile_keys_are_refused,
    multipart_uploads_that_fail_leave_nothing,
    list_streams_every_blob_of_a_kind_with_its_write_time,
    list_pages_past_a_thousand_keys,
    two_deletes_of_one_blob_both_succeed,
);

/// S3's minimum part size, which the store uses for its parts.
const PART: usize = 5 << 20;

fn chunks(
    parts: Vec<Result<&'static [u8], std::io::Error>>,
) -> impl futures::Stream<Item = Result<Bytes, std::io::Error>> {
    stream::iter(parts.into_iter().map(|p| p.map(Bytes::from_static)))
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

/// Stores a small blob, which must succeed.
async fn put(t: &TestStore, key: &str, data: &'static [u8]) {
    let body = chunks(vec![Ok(data)]);
    t.store.put_stream(key, body, 100).await.unwrap();
}

async fn read(t: &TestStore, key: &str) -> Vec<u8> {
    let download = t.store.get_stream(key).await.unwrap().expect("a blob");
    let body: Vec<Bytes> = download.stream.try_collect().await.unwrap();
    let body = body.concat();
    assert_eq!(download.size, body.len() as u64, "{key}: the size reported");
    body
}

async fn put_file_and_get_round_trip_with_known_hashes(kind: Kind) {
    let t = TestStore::new(kind).await;
    let src = t.dir.path().join("abc.txt");
    std::fs::write(&src, b"abc").unwrap();

    let info = t.store.put_file(&keys::package("p1"), &src).await.unwrap();
    assert_eq!(info.size, 3);
    assert_eq!(info.sha1, "a9993e364706816aba3e25717850c26c9cd0d89d");
    assert_eq!(
        info.sha256,
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );

    let dest = t.dir.path().join("out/abc.txt");
    std::fs::create_dir(t.dir.path().join("out")).unwrap();
    let got = t
        .store
        .get_to_file(&keys::package("p1"), &dest)
        .await
        .unwrap();
    assert_eq!(got, info);
    assert_eq!(std::fs::read(&dest).unwrap(), b"abc");
    // Only the file itself: the download's temp file was renamed, not copied.
    assert_eq!(files_under(&t.dir.path().join("out")), vec![dest]);
}

async fn multi_part_upload_hashes_every_byte(kind: Kind) {
    // 12 MiB crosses the 5 MiB part size twice: three parts.
    let data = pattern(12 << 20);
    let t = TestStore::new(kind).await;
    let src = t.dir.path().join("big");
    std::fs::write(&src, &data).unwrap();

    let info = t.store.put_file(&keys::droplet("d1"), &src).await.unwrap();
    assert_eq!(info.size, data.len() as u64);
    assert_eq!(info.sha1, sha1_hex(&data));
    assert_eq!(info.sha256, sha256_hex(&data));
    assert_eq!(read(&t, &keys::droplet("d1")).await, data);
    assert_eq!(
        t.open_uploads(),
        Vec::<String>::new(),
        "the upload completed"
    );
    let listed = t.store.list("droplets").await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].size, data.len() as u64);
}

async fn sizes_around_the_part_size_round_trip_and_replace(kind: Kind) {
    let t = TestStore::new(kind).await;
    let key = keys::buildpack_cache("app", "cflinuxfs4");
    // One key throughout: each put replaces the last, single PUT and multipart alike. Chunks
    // of an odd size, so part boundaries fall inside chunks.
    for size in [0, 1, PART - 1, PART, PART + 1, 2 * PART + 12_345, 7] {
        let data = pattern(size);
        let body = stream::iter(
            data.chunks(300_007)
                .map(|c| Ok::<_, std::io::Error>(Bytes::copy_from_slice(c)))
                .collect::<Vec<_>>(),
        );
        let info = t.store.put_stream(&key, body, u64::MAX).await.unwrap();
        assert_eq!(
            (info.size, info.sha1.as_str(), info.sha256.as_str()),
            (
                size as u64,
                sha1_hex(&data).as_str(),
                sha256_hex(&data).as_str()
            ),
            "{size} bytes"
        );
        assert!(read(&t, &key).await == data, "{size} bytes read back");
        let listed = t.store.list("buildpack_cache").await.unwrap();
        assert_eq!(
            listed
                .iter()
                .map(|b| (b.key.as_str(), b.size))
                .collect::<Vec<_>>(),
            [(key.as_str(), size as u64)]
        );
    }
    assert_eq!(t.open_uploads(), Vec::<String>::new());
}

async fn exists_delete_list_and_missing_blobs(kind: Kind) {
    let t = TestStore::new(kind).await;
    let store = &t.store;
    let key = keys::buildpack_cache("app-1", "cflinuxfs4");
    assert!(!store.exists(&key).await.unwrap());
    assert!(store.get_stream(&key).await.unwrap().is_none());
    let missing = store
        .get_to_file(&key, &t.dir.path().join("never-written"))
        .await
        .unwrap_err();
    assert!(missing.is_not_found(), "{missing}");
    assert!(!t.dir.path().join("never-written").exists());

    put(&t, &key, b"cache").await;
    put(&t, &keys::buildpack("b1"), b"bp").await;
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
    assert_eq!(t.keys().await, [keys::buildpack("b1")]);
}

async fn put_stream_over_the_limit_leaves_nothing(kind: Kind) {
    let t = TestStore::new(kind).await;
    let key = keys::package("big");
    let err = t
        .store
        .put_stream(&key, chunks(vec![Ok(b"12345"), Ok(b"67890"), Ok(b"x")]), 10)
        .await
        .unwrap_err();
    assert!(
        matches!(err, BlobstoreError::TooLarge { max: 10, .. }),
        "{err}"
    );
    assert!(!t.store.exists(&key).await.unwrap());
    assert_nothing_stored(&t).await;

    // Exactly at the limit is fine.
    t.store
        .put_stream(&key, chunks(vec![Ok(b"12345"), Ok(b"67890")]), 10)
        .await
        .unwrap();
    assert_eq!(read(&t, &key).await, b"1234567890");
}

/// No blob and no upload left open; on the filesystem, not a single file.
async fn assert_nothing_stored(t: &TestStore) {
    assert_eq!(t.keys().await, Vec::<String>::new(), "blobs");
    assert_eq!(t.open_uploads(), Vec::<String>::new(), "open uploads");
    if t.kind == Kind::Filesystem {
        assert_eq!(
            files_under(&t.blobs_dir()),
            Vec::<std::path::PathBuf>::new()
        );
    }
}

async fn failing_stream_leaves_nothing_and_keeps_the_old_blob(kind: Kind) {
    let t = TestStore::new(kind).await;
    let fresh = keys::package("fresh");
    let err = t
        .store
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
    assert!(!t.store.exists(&fresh).await.unwrap());
    assert_nothing_stored(&t).await;

    let existing = keys::package("existing");
    put(&t, &existing, b"old").await;
    t.store
        .put_stream(
            &existing,
            chunks(vec![Ok(b"new"), Err(std::io::Error::other("boom"))]),
            100,
        )
        .await
        .unwrap_err();
    assert_eq!(read(&t, &existing).await, b"old");
    assert_eq!(t.keys().await, [existing]);
    assert_eq!(t.open_uploads(), Vec::<String>::new());
}

async fn dropped_upload_leaves_nothing_open(kind: Kind) {
    let t = TestStore::new(kind).await;
    let key = keys::package("dropped");
    // More than one part (so a multipart upload is under way), then a client that never
    // sends the rest.
    let upload = tokio::spawn({
        let store = t.store.clone();
        let key = key.clone();
        async move {
            let first = stream::iter([Ok::<_, std::io::Error>(Bytes::from(vec![1u8; 6 << 20]))]);
            store
                .put_stream(&key, first.chain(stream::pending()), u64::MAX)
                .await
        }
    });
    wait_until(|| t.open_uploads() == [key.clone()]).await;

    // The client hangs up: the request future is dropped mid-upload, and the abort runs on
    // a task of its own.
    upload.abort();
    assert!(upload.await.unwrap_err().is_cancelled());
    wait_until(|| t.open_uploads().is_empty()).await;
    assert!(!t.store.exists(&key).await.unwrap());
    assert_nothing_stored(&t).await;
}

/// Polls `done` for up to ten seconds: cleanup after a drop runs on a spawned task (and, on
/// S3, is a request).
async fn wait_until(done: impl Fn() -> bool) {
    for _ in 0..500 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(done(), "condition not reached within ten seconds");
}

async fn hostile_keys_are_refused(kind: Kind) {
    let t = TestStore::new(kind).await;
    for key in [
        keys::package("../../etc"),
        keys::package("a#1"),
        String::new(),
    ] {
        let err = t
            .store
            .put_stream(&key, chunks(vec![Ok(b"x")]), 10)
            .await
            .unwrap_err();
        assert!(
            matches!(err, BlobstoreError::InvalidKey { .. }),
            "{key}: {err}"
        );
    }
    assert_nothing_stored(&t).await;
}

async fn multipart_uploads_that_fail_leave_nothing(kind: Kind) {
    let t = TestStore::new(kind).await;
    let key = keys::package("big-fail");
    let part = || Ok::<_, std::io::Error>(Bytes::from(vec![1u8; 6 << 20]));

    let too_big = stream::iter([part(), part()]);
    let err = t
        .store
        .put_stream(&key, too_big, 10 << 20)
        .await
        .expect_err("over the limit");
    assert!(matches!(err, BlobstoreError::TooLarge { .. }), "{err}");

    let failing = stream::iter([part(), Err(std::io::Error::other("reset"))]);
    let err = t
        .store
        .put_stream(&key, failing, u64::MAX)
        .await
        .expect_err("stream error");
    assert!(matches!(err, BlobstoreError::Source { .. }), "{err}");

    assert!(!t.store.exists(&key).await.unwrap());
    assert_nothing_stored(&t).await;
}

async fn list_streams_every_blob_of_a_kind_with_its_write_time(kind: Kind) {
    let t = TestStore::new(kind).await;
    // Whole seconds: S3's LastModified has no finer resolution.
    let before = SystemTime::now() - Duration::from_secs(5);
    for app in ["a1", "a2", "a3"] {
        put(&t, &keys::buildpack_cache(app, "cflinuxfs4"), b"cache").await;
    }
    put(&t, &keys::resource("abc"), b"r").await;
    let after = SystemTime::now() + Duration::from_secs(5);
    let mut expected_top = vec!["buildpack_cache", "resources"];
    if kind == Kind::Filesystem {
        // Not a blob: the work directory the api-shim keeps under the filesystem store.
        std::fs::create_dir_all(t.blobs_dir().join(".work/package-x")).unwrap();
        expected_top.insert(0, ".work");
    }

    let mut keys: Vec<String> = t
        .store
        .list_stream("buildpack_cache")
        .map_ok(|b| {
            assert!(
                b.last_modified >= before && b.last_modified <= after,
                "{b:?}"
            );
            assert_eq!(b.size, 5, "{b:?}");
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
    // A prefix matches whole segments only.
    assert!(t.store.list("buildpack").await.unwrap().is_empty());
    // A kind nothing was stored under yet is empty, not an error.
    assert!(t.store.list("droplets").await.unwrap().is_empty());
    // A bad prefix is an error, not a walk of everything.
    let bad: Vec<_> = t.store.list_stream("../etc").collect().await;
    assert!(matches!(
        bad.as_slice(),
        [Err(BlobstoreError::InvalidKey { .. })]
    ));

    let mut top = t.store.top_level().await.unwrap();
    top.sort();
    assert_eq!(top, expected_top);
}

async fn list_pages_past_a_thousand_keys(kind: Kind) {
    // S3 answers a listing a thousand keys at a time; these take two pages, and the walk
    // must follow the continuation token to see them all.
    const COUNT: usize = 1_050;
    let t = TestStore::new(kind).await;
    let mut expected: Vec<String> = (0..COUNT)
        .map(|i| keys::resource(&format!("{i:040x}")))
        .collect();
    futures::stream::iter(expected.clone())
        .map(|key| {
            let store = t.store.clone();
            async move {
                let body = chunks(vec![Ok(b"pooled")]);
                store.put_stream(&key, body, 100).await.map(drop)
            }
        })
        .buffer_unordered(16)
        .try_collect::<()>()
        .await
        .unwrap();
    put(&t, &keys::package("p"), b"p").await;

    let mut listed: Vec<String> = t
        .store
        .list_stream(keys::RESOURCES_PREFIX)
        .map_ok(|b| b.key)
        .try_collect()
        .await
        .unwrap();
    listed.sort();
    expected.sort();
    assert_eq!(listed.len(), COUNT);
    assert!(listed == expected, "every key, once");
    let mut top = t.store.top_level().await.unwrap();
    top.sort();
    assert_eq!(top, ["packages", "resources"]);
}

async fn two_deletes_of_one_blob_both_succeed(kind: Kind) {
    let t = TestStore::new(kind).await;
    let key = keys::droplet("d1");
    put(&t, &key, b"droplet").await;
    // Two collectors (api-shim replicas) removing the same orphan at once.
    let (a, b) = tokio::join!(t.store.delete(&key), t.store.delete(&key));
    a.unwrap();
    b.unwrap();
    assert!(!t.store.exists(&key).await.unwrap());
    // The emptied kind is gone with the blob; the store itself still works.
    assert!(t.store.list("droplets").await.unwrap().is_empty());
    assert_eq!(t.store.top_level().await.unwrap(), Vec::<String>::new());
    put(&t, &key, b"again").await;
    assert!(t.store.exists(&key).await.unwrap());
}
