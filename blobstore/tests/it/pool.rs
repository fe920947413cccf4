use bytes::Bytes;
use futures::stream;
use smelter_blobstore::{Blobstore, PoolError, Resource, ResourcePool, keys};

use crate::support::{Kind, TestStore, backend_tests, sha1_hex};

backend_tests!(
    loads_what_is_stored_and_matches_by_sha1_and_size,
    added_files_match_now_and_after_a_reload,
    a_corrupt_blob_is_refused_and_dropped,
);

fn resource(path: &str, data: &[u8]) -> Resource {
    Resource {
        path: path.into(),
        mode: "644".into(),
        sha1: sha1_hex(data),
        size: data.len() as u64,
    }
}

async fn put(store: &Blobstore, key: &str, data: &'static [u8]) {
    let body = stream::iter([Ok::<_, std::io::Error>(Bytes::from_static(data))]);
    store.put_stream(key, body, u64::MAX).await.expect("put");
}

async fn loads_what_is_stored_and_matches_by_sha1_and_size(kind: Kind) {
    let t = TestStore::new(kind).await;
    let store = t.store.clone();
    put(&store, &keys::resource(&sha1_hex(b"hello")), b"hello").await;
    put(&store, &keys::resource(&sha1_hex(b"")), b"").await;
    // Not a SHA-1: ignored by the loader.
    put(&store, "resources/not-a-sha1", b"junk").await;
    put(&store, &keys::package("p"), b"not a resource").await;

    let pool = ResourcePool::load(store).await.unwrap();
    assert_eq!(pool.len(), 2);

    let known = resource("a.txt", b"hello");
    let wrong_size = Resource {
        size: 4,
        ..resource("b.txt", b"hello")
    };
    let unknown = resource("c.txt", b"other");
    let empty = resource("d.txt", b"");
    let matched = pool.matches(&[known.clone(), wrong_size, unknown, empty]);
    assert_eq!(matched, vec![known]);
}

async fn added_files_match_now_and_after_a_reload(kind: Kind) {
    let t = TestStore::new(kind).await;
    let (dir, store) = (&t.dir, t.store.clone());
    let pool = ResourcePool::load(store.clone()).await.unwrap();
    assert!(pool.is_empty());

    let file = dir.path().join("f");
    std::fs::write(&file, b"contents").unwrap();
    let sha1 = pool.add_file(&file).await.unwrap();
    assert_eq!(sha1, sha1_hex(b"contents"));
    assert_eq!(pool.matches(&[resource("x", b"contents")]).len(), 1);

    let empty = dir.path().join("empty");
    std::fs::write(&empty, b"").unwrap();
    pool.add_file(&empty).await.unwrap();
    assert!(!store.exists(&keys::resource(&sha1_hex(b""))).await.unwrap());

    let reloaded = ResourcePool::load(store).await.unwrap();
    assert_eq!(reloaded.len(), 1);
    assert!(reloaded.contains(&sha1_hex(b"contents"), 8));
}

async fn a_corrupt_blob_is_refused_and_dropped(kind: Kind) {
    let t = TestStore::new(kind).await;
    let (dir, store) = (&t.dir, t.store.clone());
    let sha1 = sha1_hex(b"good");
    // Same size as "good" but different bytes, as after disk corruption.
    put(&store, &keys::resource(&sha1), b"bad!").await;
    let pool = ResourcePool::load(store.clone()).await.unwrap();

    let err = pool
        .fetch(&sha1, 4, &dir.path().join("out"))
        .await
        .unwrap_err();
    assert!(matches!(err, PoolError::Corrupt { .. }), "{err}");
    assert!(!pool.contains(&sha1, 4));
    assert!(!store.exists(&keys::resource(&sha1)).await.unwrap());
}
