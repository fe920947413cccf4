//! The blob collector against the real control plane: deleting an app takes its packages and
//! builds with it (owner references, Kubernetes' garbage collector) and then its blobs (the
//! api-shim's collector), while other apps' blobs and the shared resource pool stay; a blob
//! younger than the grace survives; a buildpack's zip goes with the buildpack; leftovers of
//! crashed uploads leave the work directory. Every wait polls; nothing asserts a duration.
//! Deleting an app is run on both backends: on S3 the collector walks the bucket's listing and
//! judges age by S3's LastModified.

use crate::{
    harness::{Backend, Shim},
    internal_blobs::{send, signer},
    upload::{app, app_files, bits_package, zip_of},
};
use kube::{Api, api::ListParams};
use reqwest::Method;
use serde_json::json;
use smelter_api_shim::blob_gc;
use smelter_blobstore::keys;
use smelter_crds::{Build, Buildpack, Package, labels};
use std::{
    path::{Path, PathBuf},
    time::{Duration, SystemTime},
};

/// Long enough for Kubernetes' garbage collector to notice new CRDs (it rediscovers resources
/// every 30 s) and for a few sweeps.
const PATIENCE: Duration = Duration::from_secs(120);

/// A shim whose collector sweeps every second with `grace`, running in the background.
async fn shim_collecting(grace: Duration) -> Shim {
    shim_collecting_on(Backend::Filesystem, grace).await
}

async fn shim_collecting_on(backend: Backend, grace: Duration) -> Shim {
    let shim = Shim::start_on(backend, &[], |c| {
        c.blob_gc_interval = Duration::from_secs(1);
        c.blob_gc_grace = grace;
    })
    .await;
    tokio::spawn(blob_gc::run(shim.state.clone()));
    shim
}

fn path(shim: &Shim, key: &str) -> PathBuf {
    shim.blobs.join(key)
}

/// Sets a file's (or directory's) modification time to `ago` before now: a blob or upload
/// leftover from before a crash.
fn age(path: &Path, ago: Duration) {
    std::fs::File::open(path)
        .and_then(|f| f.set_modified(SystemTime::now() - ago))
        .expect("set mtime");
}

/// An app with a pushed package, a build of it, and the droplet and buildpack cache a staging
/// pod stores through its signed URLs. Returns the app's GUID and its three blob keys.
async fn staged_app(shim: &Shim, token: &str, space: &str, name: &str) -> (String, [String; 3]) {
    let app = app(shim, token, space, name).await;
    let package = bits_package(shim, token, &app).await;
    let up = shim
        .upload(&package, token, &json!([]), Some(&zip_of(&app_files())))
        .await;
    assert_eq!(up.status, 200, "{}", up.body);
    let build = shim
        .call(
            Method::POST,
            "/v3/builds",
            token,
            Some(json!({ "package": { "guid": package } })),
        )
        .await;
    assert_eq!(build.status, 201, "{}", build.body);
    let build = build.body["guid"].as_str().expect("build guid").to_owned();

    // As the builder does, with URLs signed as the operator signs them.
    let signer = signer(shim).await;
    let droplet = keys::droplet(&build);
    let cache = keys::buildpack_cache(&app, "cflinuxfs4");
    for (key, bits) in [(&droplet, b"droplet".as_slice()), (&cache, b"cache")] {
        let url = signer.url(
            &shim.url,
            "PUT",
            key,
            SystemTime::now(),
            Duration::from_secs(3600),
        );
        let (status, body, _) = send(Method::PUT, &url, Some(bits.to_vec())).await;
        assert_eq!(status, 201, "{key}: {body}");
    }
    let keys = [keys::package(&package), droplet, cache];
    for key in &keys {
        assert!(shim.stored(key).await.is_some(), "{key} stored");
    }
    (app, keys)
}

/// The keys of the shared resource pool.
async fn pool_keys(shim: &Shim) -> Vec<String> {
    let listed = shim.state.blobs.list(keys::RESOURCES_PREFIX).await;
    let mut keys: Vec<String> = listed
        .expect("list the pool")
        .into_iter()
        .map(|b| b.key)
        .collect();
    keys.sort();
    keys
}

/// How many of `keys` hold a blob.
async fn stored_count(shim: &Shim, keys: &[String]) -> usize {
    let mut count = 0;
    for key in keys {
        count += usize::from(shim.stored(key).await.is_some());
    }
    count
}

/// The names of `app`'s objects of kind `K` in `space`, and whether each is owned by the app.
async fn owned_by_app<K>(shim: &Shim, space: &str, app: &str) -> Vec<(String, bool)>
where
    K: kube::Resource<DynamicType = (), Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug,
{
    Api::<K>::namespaced(shim.client.clone(), space)
        .list(&ListParams::default().labels(&format!("{}={app}", labels::APP_GUID)))
        .await
        .expect("list")
        .items
        .iter()
        .map(|o| {
            let meta = o.meta();
            let owned = meta
                .owner_references
                .iter()
                .flatten()
                .any(|r| r.kind == "App" && r.name == app);
            (meta.name.clone().unwrap_or_default(), owned)
        })
        .collect()
}

#[tokio::test]
async fn deleting_an_app_deletes_its_packages_builds_and_blobs() {
    deleting_an_app_deletes_its_blobs(Backend::Filesystem).await;
}

#[tokio::test]
async fn deleting_an_app_deletes_its_packages_builds_and_s3_blobs() {
    deleting_an_app_deletes_its_blobs(Backend::S3).await;
}

async fn deleting_an_app_deletes_its_blobs(backend: Backend) {
    let grace = Duration::from_secs(2);
    let shim = shim_collecting_on(backend, grace).await;
    let admin = shim.token("admin").await;
    let org = shim.org(&admin, "gc-org").await;
    let space = shim.space(&admin, &org, "gc-space").await;
    let (doomed, doomed_blobs) = staged_app(&shim, &admin, &space, "doomed").await;
    let (_kept, kept_blobs) = staged_app(&shim, &admin, &space, "kept").await;
    let pool = pool_keys(&shim).await;
    assert!(!pool.is_empty(), "the push seeded the resource pool");

    // Owned by the app, so they go with it.
    let packages = owned_by_app::<Package>(&shim, &space, &doomed).await;
    let builds = owned_by_app::<Build>(&shim, &space, &doomed).await;
    assert_eq!(packages.len(), 1, "{packages:?}");
    assert_eq!(builds.len(), 1, "{builds:?}");
    assert!(packages.iter().chain(&builds).all(|(_, owned)| *owned));

    // Sweeps while the apps live delete nothing of theirs, however old their blobs are.
    match backend {
        Backend::Filesystem => {
            for key in doomed_blobs.iter().chain(&kept_blobs) {
                age(&path(&shim, key), Duration::from_secs(7200));
            }
        }
        // S3 stamps LastModified itself; there is no backdating, only waiting out the grace.
        Backend::S3 => tokio::time::sleep(grace + Duration::from_secs(1)).await,
    }
    let sweeps = shim.state.metrics.blob_gc_sweeps.get();
    support_wait("two sweeps", || async {
        shim.state.metrics.blob_gc_sweeps.get() >= sweeps + 2
    })
    .await;
    for key in doomed_blobs.iter().chain(&kept_blobs) {
        assert!(shim.stored(key).await.is_some(), "{key} kept while owned");
    }

    let deleted = shim
        .call(Method::DELETE, &format!("/v3/apps/{doomed}"), &admin, None)
        .await;
    assert_eq!(deleted.status, 202, "{}", deleted.body);
    let job = deleted.headers["location"]
        .to_str()
        .expect("location")
        .to_owned();
    shim.wait_job(&job, &admin).await;

    support_wait("the app's packages and builds to go with it", || async {
        owned_by_app::<Package>(&shim, &space, &doomed)
            .await
            .is_empty()
            && owned_by_app::<Build>(&shim, &space, &doomed)
                .await
                .is_empty()
    })
    .await;
    support_wait("the app's blobs to be collected", || async {
        stored_count(&shim, &doomed_blobs).await == 0
    })
    .await;

    assert_eq!(
        stored_count(&shim, &kept_blobs).await,
        kept_blobs.len(),
        "another app's blobs stay"
    );
    assert_eq!(
        pool_keys(&shim).await,
        pool,
        "the shared resource pool stays whole"
    );
    assert_eq!(shim.state.metrics.blob_gc_errors.get(), 0);
    let deleted_of = |kind| {
        shim.state
            .metrics
            .blobs_deleted
            .get_or_create(&smelter_api_shim::metrics::BlobKindLabels { kind })
            .get()
    };
    assert_eq!(
        (
            deleted_of("package"),
            deleted_of("droplet"),
            deleted_of("buildpack_cache")
        ),
        (1, 1, 1)
    );
}

#[tokio::test]
async fn orphans_younger_than_the_grace_survive_and_crashed_uploads_are_cleared() {
    // An hour's grace: only blobs written (by their mtime) before then are old enough.
    let shim = shim_collecting(Duration::from_secs(3600)).await;
    let write = |key: &str, ago: Option<Duration>| {
        let p = path(&shim, key);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(&p, b"bits").expect("write");
        if let Some(ago) = ago {
            age(&p, ago);
        }
        p
    };
    let two_hours = Duration::from_secs(7200);
    let old_orphan = write(
        &keys::droplet(&smelter_test_support::guid()),
        Some(two_hours),
    );
    let young_orphan = write(&keys::droplet(&smelter_test_support::guid()), None);
    let old_cache = write(
        &keys::buildpack_cache(&smelter_test_support::guid(), "cflinuxfs4"),
        Some(two_hours),
    );
    // Not keys Smelter makes, and the shared pool: never touched, however old.
    let unknown = write("droplets/Not_A_Guid", Some(two_hours));
    let elsewhere = write("tasks/t1", Some(two_hours));
    let resource = write(&keys::resource(&"0a".repeat(20)), Some(two_hours));

    // An upload that crashed two hours ago, and one in progress.
    let work = &shim.state.config.work_dir;
    let crashed = work.join("package-crashed");
    std::fs::create_dir_all(&crashed).expect("mkdir");
    std::fs::write(crashed.join("upload.zip"), b"half").expect("write");
    age(&crashed.join("upload.zip"), two_hours);
    age(&crashed, two_hours);
    let live = work.join("buildpack-live");
    std::fs::create_dir_all(&live).expect("mkdir");
    std::fs::write(live.join("upload.zip"), b"arriving").expect("write");

    support_wait(
        "old orphans and the crashed upload to be removed",
        || async { !old_orphan.exists() && !old_cache.exists() && !crashed.exists() },
    )
    .await;
    // And one more full sweep after that, to be sure what is left was looked at.
    let sweeps = shim.state.metrics.blob_gc_sweeps.get();
    support_wait("another sweep", || async {
        shim.state.metrics.blob_gc_sweeps.get() >= sweeps + 2
    })
    .await;
    for kept in [&young_orphan, &unknown, &elsewhere, &resource, &live] {
        assert!(kept.exists(), "{} kept", kept.display());
    }
    assert_eq!(shim.state.metrics.stale_uploads_removed.get(), 1);
    assert_eq!(shim.state.metrics.blob_gc_errors.get(), 0);
}

#[tokio::test]
async fn a_buildpacks_zip_goes_with_the_buildpack() {
    let shim = shim_collecting(Duration::from_secs(1)).await;
    let admin = shim.token("admin").await;
    let mut zips = Vec::new();
    for name in ["gone_bp", "kept_bp"] {
        let created = shim
            .call(
                Method::POST,
                "/v3/buildpacks",
                &admin,
                Some(json!({ "name": name })),
            )
            .await;
        assert_eq!(created.status, 201, "{}", created.body);
        let guid = created.body["guid"].as_str().expect("guid").to_owned();
        let up = shim
            .upload_file(
                &format!("/v3/buildpacks/{guid}/upload"),
                &admin,
                "bits",
                "bp.zip",
                &crate::buildpacks::buildpack_zip(),
            )
            .await;
        assert_eq!(up.status, 202, "{}", up.body);
        let zip = path(&shim, &keys::buildpack(&guid));
        assert!(zip.is_file());
        zips.push((guid, zip));
    }
    let [(gone, gone_zip), (_, kept_zip)] = <[_; 2]>::try_from(zips).expect("two");

    // Deleted behind the API's back (`kubectl delete buildpack`): only the collector can
    // notice that the zip has lost its owner.
    Api::<Buildpack>::namespaced(shim.client.clone(), &shim.root)
        .delete(&gone, &Default::default())
        .await
        .expect("delete");
    support_wait("the deleted buildpack's zip to be collected", || async {
        !gone_zip.exists()
    })
    .await;
    assert!(kept_zip.is_file(), "the other buildpack's zip stays");
}

async fn support_wait<F, Fut>(what: &str, check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    smelter_test_support::wait_for(what, PATIENCE, check).await;
}

#[tokio::test]
async fn a_private_work_directory_is_cleared_at_start() {
    // What a killed api-shim leaves in its pod's emptyDir: an upload's directory, written a
    // moment ago, and a file that is not the api-shim's.
    let leftovers = |dir: &Path| {
        let upload = dir.join("package-killed");
        std::fs::create_dir_all(&upload).expect("mkdir");
        std::fs::write(upload.join("upload.zip"), b"half an upload").expect("write");
        std::fs::write(dir.join("not-ours"), b"kept").expect("write");
        upload
    };
    let private = tempfile::tempdir().expect("work dir");
    let upload = leftovers(private.path());
    let shim = Shim::start_with(&[], |c| {
        c.work_dir = private.path().to_owned();
        c.work_dir_private = true;
    })
    .await;
    assert!(
        !upload.exists(),
        "the private work directory's upload is gone at start"
    );
    assert!(private.path().join("not-ours").is_file());
    assert_eq!(shim.state.metrics.stale_uploads_removed.get(), 1);

    // A shared one (the default) keeps a young leftover: it may be another replica's upload.
    let shared = tempfile::tempdir().expect("work dir");
    let upload = leftovers(shared.path());
    let shim = Shim::start_with(&[], |c| c.work_dir = shared.path().to_owned()).await;
    assert!(
        upload.join("upload.zip").is_file(),
        "a shared work directory keeps it"
    );
    assert_eq!(shim.state.metrics.stale_uploads_removed.get(), 0);
}
