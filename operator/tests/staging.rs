//! The Build controller against the tier-1 control plane: the Job a build becomes, the builds
//! that need none, and what a build waits for. Tier 1 has the real Job controller
//! (kube-controller-manager) but no kubelet, so no staging runs here: staging for real, its
//! outcome and its events are tested on a real node (tests/node).

mod common;

use common::{Operator, SETTLE, org_and_space, wait_some};
use k8s_openapi::api::{batch::v1::Job, events::v1::Event};
use kube::{
    Api, Client, ResourceExt,
    api::{DeleteParams, ListParams, Patch, PatchParams, PostParams},
};
use serde_json::{Value, json};
use smelter_crds::{
    Build, BuildSpec, Buildpack, BuildpackSpec, Checksum, ChecksumType, Lifecycle, Package,
    PackageSpec, PackageStatus,
    build::BuildState,
    buildpack::BuildpackState,
    labels,
    package::{PackageState, PackageType},
};
use smelter_test_support as support;
use std::{collections::BTreeMap, time::Duration};

fn sha(c: char) -> String {
    c.to_string().repeat(64)
}

/// An admin buildpack with its zip "uploaded" (READY with a checksum), as the API leaves it.
async fn admin_buildpack(
    client: &Client,
    root: &str,
    name: &str,
    position: i32,
    enabled: bool,
) -> String {
    let api: Api<Buildpack> = Api::namespaced(client.clone(), root);
    let guid = support::guid();
    let bp = Buildpack::new(
        &guid,
        BuildpackSpec {
            name: name.into(),
            position,
            stack: None,
            enabled,
            locked: false,
        },
    );
    api.create(&PostParams::default(), &bp)
        .await
        .expect("create buildpack");
    let status = json!({ "status": {
        "state": BuildpackState::Ready,
        "filename": format!("{name}.zip"),
        "checksum": { "type": "sha256", "value": sha('b') },
    }});
    api.patch_status(&guid, &PatchParams::default(), &Patch::Merge(&status))
        .await
        .expect("buildpack status");
    guid
}

/// A package of `app` in `space`: docker when `image` is given, else READY bits.
async fn package(client: &Client, space: &str, app: &str, image: Option<&str>) -> String {
    let guid = new_package(client, space, app, image).await;
    if image.is_none() {
        uploaded(client, space, &guid).await;
    }
    guid
}

/// A package of `app` in `space` as the API creates it: docker when `image` is given, else
/// bits whose upload has not ended.
async fn new_package(client: &Client, space: &str, app: &str, image: Option<&str>) -> String {
    let api: Api<Package> = Api::namespaced(client.clone(), space);
    let guid = support::guid();
    let p = Package::new(
        &guid,
        PackageSpec {
            app_guid: app.into(),
            type_: if image.is_some() {
                PackageType::Docker
            } else {
                PackageType::Bits
            },
            image: image.map(Into::into),
        },
    );
    api.create(&PostParams::default(), &p)
        .await
        .expect("create package");
    guid
}

/// Ends the upload of the package `guid`: READY with a checksum, as the API leaves it.
async fn uploaded(client: &Client, space: &str, guid: &str) {
    let api: Api<Package> = Api::namespaced(client.clone(), space);
    let status = PackageStatus {
        state: PackageState::Ready,
        checksum: Some(Checksum {
            type_: ChecksumType::Sha256,
            value: sha('f'),
        }),
        size: Some(1234),
        ..Default::default()
    };
    api.patch_status(
        guid,
        &PatchParams::default(),
        &Patch::Merge(&json!({ "status": status })),
    )
    .await
    .expect("package status");
}

/// A Build of `package`, labelled as the API labels it.
async fn build(
    client: &Client,
    (org_guid, space_guid): (&str, &str),
    app: &str,
    package: &str,
    buildpacks: &[&str],
) -> String {
    let api: Api<Build> = Api::namespaced(client.clone(), space_guid);
    let guid = support::guid();
    let mut b = Build::new(
        &guid,
        BuildSpec {
            app_guid: app.into(),
            package_guid: package.into(),
            lifecycle: Lifecycle {
                buildpacks: buildpacks.iter().map(|b| (*b).to_owned()).collect(),
                ..Default::default()
            },
            staging_memory_in_mb: Some(512),
            staging_disk_in_mb: None,
            staging_log_rate_limit_bytes_per_second: None,
        },
    );
    b.metadata.labels = Some(BTreeMap::from([
        (labels::ORG_GUID.to_owned(), org_guid.to_owned()),
        (labels::SPACE_GUID.to_owned(), space_guid.to_owned()),
        (labels::APP_GUID.to_owned(), app.to_owned()),
    ]));
    api.create(&PostParams::default(), &b)
        .await
        .expect("create build");
    guid
}

async fn wait_state(api: &Api<Build>, guid: &str, state: BuildState) -> Build {
    wait_some(&format!("build {guid} {state:?}"), || async {
        api.get(guid)
            .await
            .ok()
            .filter(|b| b.status.as_ref().is_some_and(|s| s.state == state))
    })
    .await
}

async fn wait_job(api: &Api<Job>, guid: &str) -> Job {
    wait_some(&format!("job {guid}"), || async {
        api.get_opt(guid).await.ok().flatten()
    })
    .await
}

fn env_of(job: &Job, container: &str, name: &str) -> Option<String> {
    let spec = job.spec.as_ref()?.template.spec.as_ref()?;
    spec.init_containers
        .iter()
        .flatten()
        .chain(spec.containers.iter())
        .find(|c| c.name == container)?
        .env
        .iter()
        .flatten()
        .find(|e| e.name == name)?
        .value
        .clone()
}

fn builder_args(job: &Job) -> Vec<String> {
    job.spec
        .as_ref()
        .and_then(|s| s.template.spec.as_ref())
        .expect("pod spec")
        .containers[0]
        .args
        .clone()
        .unwrap_or_default()
}

/// Event reasons recorded on `guid`, in `namespace`.
async fn event_reasons(client: &Client, namespace: &str, guid: &str) -> Vec<String> {
    let events: Api<Event> = Api::namespaced(client.clone(), namespace);
    events
        .list(&ListParams::default())
        .await
        .expect("events")
        .items
        .into_iter()
        .filter(|e| e.regarding.as_ref().and_then(|r| r.name.as_deref()) == Some(guid))
        .filter_map(|e| e.reason)
        .collect()
}

async fn wait_event(client: &Client, namespace: &str, guid: &str, reason: &str) {
    support::wait_for(&format!("{reason} event on {guid}"), SETTLE, || async {
        event_reasons(client, namespace, guid)
            .await
            .iter()
            .any(|r| r == reason)
    })
    .await;
}

#[tokio::test]
async fn a_build_becomes_a_staging_job_with_its_buildpacks_in_order() {
    let client = support::client().await;
    let op = Operator::start(&client).await;
    let (org_guid, space_guid) = org_and_space(&client, &op).await;
    let tenant = (org_guid.as_str(), space_guid.as_str());
    let binary = admin_buildpack(&client, &op.root, "binary_buildpack", 2, true).await;
    let statics = admin_buildpack(&client, &op.root, "staticfile_buildpack", 1, true).await;
    admin_buildpack(&client, &op.root, "disabled_buildpack", 3, false).await;
    let app = support::guid();
    let pkg = package(&client, &space_guid, &app, None).await;

    // Detection: every enabled buildpack by position, each fetched with its checksum.
    let guid = build(&client, tenant, &app, &pkg, &[]).await;
    let builds: Api<Build> = Api::namespaced(client.clone(), &space_guid);
    let jobs: Api<Job> = Api::namespaced(client.clone(), &space_guid);
    let job = wait_job(&jobs, &guid).await;
    let owner = &job.owner_references()[0];
    assert_eq!(
        (owner.kind.as_str(), owner.name.as_str()),
        ("Build", guid.as_str())
    );
    assert_eq!(owner.controller, Some(true));
    let args = builder_args(&job);
    let order = args
        .iter()
        .position(|a| a == "--buildpack-order")
        .expect("order flag");
    assert_eq!(args[order + 1], "staticfile_buildpack,binary_buildpack");
    assert!(!args.contains(&"--skip-detect".to_owned()), "{args:?}");
    let plan: Value =
        serde_json::from_str(&env_of(&job, "fetch", "SMELTER_FETCH_PLAN").expect("plan"))
            .expect("json");
    let fetched: Vec<(String, Option<String>)> = plan["fetch"]
        .as_array()
        .expect("fetch list")
        .iter()
        .map(|f| {
            (
                f["into"].as_str().unwrap_or_default().to_owned(),
                f["sha256"].as_str().map(str::to_owned),
            )
        })
        .collect();
    assert_eq!(
        fetched,
        [
            ("/tmp/app".to_owned(), Some(sha('f'))),
            (
                "/tmp/buildpacks/staticfile_buildpack".to_owned(),
                Some(sha('b'))
            ),
            (
                "/tmp/buildpacks/binary_buildpack".to_owned(),
                Some(sha('b'))
            ),
            ("/tmp/cache".to_owned(), None),
        ]
    );
    let upload = env_of(&job, "builder", "SMELTER_UPLOAD_DROPLET").expect("droplet upload URL");
    assert!(upload.contains(&format!("droplets/{guid}")), "{upload}");
    let staging = wait_state(&builds, &guid, BuildState::Staging).await;
    assert!(
        staging
            .status
            .as_ref()
            .and_then(|s| s.staging_started_at.as_ref())
            .is_some()
    );
    wait_event(&client, &space_guid, &guid, "StagingStarted").await;

    // A named buildpack runs without detection; only it is fetched.
    let failing = build(&client, tenant, &app, &pkg, &["binary_buildpack"]).await;
    let job = wait_job(&jobs, &failing).await;
    let args = builder_args(&job);
    assert!(args.contains(&"--skip-detect".to_owned()), "{args:?}");
    assert!(args.contains(&"binary_buildpack".to_owned()), "{args:?}");
    let plan = env_of(&job, "fetch", "SMELTER_FETCH_PLAN").expect("plan");
    assert!(
        plan.contains(&binary) && !plan.contains(&statics),
        "only the named buildpack is fetched"
    );
    op.stop().await;
}

#[tokio::test]
async fn builds_without_a_job_docker_unknown_buildpack_and_foreign_namespace() {
    let client = support::client().await;
    let op = Operator::start(&client).await;
    let (org_guid, space_guid) = org_and_space(&client, &op).await;
    let tenant = (org_guid.as_str(), space_guid.as_str());
    let app = support::guid();
    let builds: Api<Build> = Api::namespaced(client.clone(), &space_guid);
    let jobs: Api<Job> = Api::namespaced(client.clone(), &space_guid);

    // A docker package is staged at once: the image is the droplet.
    let docker = package(&client, &space_guid, &app, Some("nginx:1.27")).await;
    let guid = build(&client, tenant, &app, &docker, &[]).await;
    let staged = wait_state(&builds, &guid, BuildState::Staged).await;
    let droplet = staged.status.and_then(|s| s.droplet).expect("droplet");
    assert_eq!(droplet.image.as_deref(), Some("nginx:1.27"));
    assert!(jobs.get_opt(&guid).await.expect("read job").is_none());

    // A named buildpack that is not installed fails without a Job.
    let bits = package(&client, &space_guid, &app, None).await;
    let unknown = build(&client, tenant, &app, &bits, &["no_such_buildpack"]).await;
    let failed = wait_state(&builds, &unknown, BuildState::Failed).await;
    let error = failed.status.and_then(|s| s.error).expect("error");
    assert!(
        error.starts_with("StagingError - Staging error: buildpack \"no_such_buildpack\""),
        "{error}"
    );
    // No admin buildpack at all: nothing can detect the app.
    let none = build(&client, tenant, &app, &bits, &[]).await;
    let failed = wait_state(&builds, &none, BuildState::Failed).await;
    assert_eq!(
        failed.status.and_then(|s| s.error).as_deref(),
        Some(
            "NoAppDetectedError - An app was not successfully detected by any available buildpack"
        )
    );
    for guid in [&unknown, &none] {
        assert!(
            jobs.get_opt(guid).await.expect("read job").is_none(),
            "no job for {guid}"
        );
    }

    // A build in a namespace that is no space of this installation is not ours.
    let foreign = support::namespace(&client, "not-a-space").await;
    let pkg = package(&client, &foreign, &app, Some("nginx:1.27")).await;
    let other = build(&client, (&org_guid, &foreign), &app, &pkg, &[]).await;
    // By now the operator has seen it (it handled later builds in order before); give it the
    // time it took for those, then check it wrote nothing.
    let marker = build(&client, tenant, &app, &docker, &[]).await;
    wait_state(&builds, &marker, BuildState::Staged).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let foreign_builds: Api<Build> = Api::namespaced(client.clone(), &foreign);
    let untouched = foreign_builds.get(&other).await.expect("foreign build");
    assert!(untouched.status.is_none(), "{:?}", untouched.status);

    op.stop().await;
}

#[tokio::test]
async fn a_staging_job_deleted_by_hand_comes_back() {
    let client = support::client().await;
    let op = Operator::start(&client).await;
    let (org_guid, space_guid) = org_and_space(&client, &op).await;
    admin_buildpack(&client, &op.root, "binary_buildpack", 1, true).await;
    let app = support::guid();
    let pkg = package(&client, &space_guid, &app, None).await;
    let guid = build(&client, (&org_guid, &space_guid), &app, &pkg, &[]).await;
    let jobs: Api<Job> = Api::namespaced(client.clone(), &space_guid);
    let first = wait_job(&jobs, &guid).await;
    jobs.delete(&guid, &DeleteParams::background())
        .await
        .expect("delete job");
    let again = wait_some("the job made again", || async {
        jobs.get_opt(&guid)
            .await
            .ok()
            .flatten()
            .filter(|j| j.uid() != first.uid())
    })
    .await;
    // The same Job: it follows from the build alone.
    let containers = |j: &Job| {
        let pod = j
            .spec
            .as_ref()
            .and_then(|s| s.template.spec.clone())
            .expect("pod spec");
        (pod.init_containers, pod.containers)
    };
    assert_eq!(containers(&again), containers(&first));
    op.stop().await;
}

#[tokio::test]
async fn a_build_of_a_package_still_uploading_stages_when_the_upload_ends() {
    let client = support::client().await;
    let op = Operator::start(&client).await;
    let (org_guid, space_guid) = org_and_space(&client, &op).await;
    admin_buildpack(&client, &op.root, "binary_buildpack", 1, true).await;
    let app = support::guid();
    let pkg = new_package(&client, &space_guid, &app, None).await;
    let guid = build(&client, (&org_guid, &space_guid), &app, &pkg, &[]).await;
    // The package's change reaches the build waiting for it.
    uploaded(&client, &space_guid, &pkg).await;
    let jobs: Api<Job> = Api::namespaced(client.clone(), &space_guid);
    let job = wait_job(&jobs, &guid).await;
    let plan = job
        .spec
        .and_then(|s| s.template.spec)
        .and_then(|p| p.init_containers)
        .into_iter()
        .flatten()
        .flat_map(|c| c.env.unwrap_or_default())
        .find(|e| e.name == "SMELTER_FETCH_PLAN")
        .and_then(|e| e.value)
        .expect("fetch plan");
    assert!(plan.contains(&sha('f')), "the package's sha256 is checked");
    op.stop().await;
}
