//! The Build controller on a real node: builds become staging Jobs that the kubelet runs with
//! the real lifecycle and buildpacks, and the pod's real outcome becomes the build's status.

use k8s_openapi::api::{batch::v1::Job, events::v1::Event};
use kube::{Api, Client, ResourceExt, api::ListParams};
use reqwest::Method;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use smelter_crds::{Build, build::BuildState};
use smelter_node_tests::{Node, REAL, guid_of, wait_some, zip_of};

/// Event reasons recorded on `name` in `namespace`.
async fn event_reasons(client: &Client, namespace: &str, name: &str) -> Vec<String> {
    let events: Api<Event> = Api::namespaced(client.clone(), namespace);
    events
        .list(&ListParams::default())
        .await
        .map(|l| l.items)
        .unwrap_or_default()
        .into_iter()
        .filter(|e| e.regarding.as_ref().and_then(|r| r.name.as_deref()) == Some(name))
        .filter_map(|e| e.reason)
        .collect()
}

async fn wait_event(client: &Client, namespace: &str, name: &str, reason: &str) {
    wait_some(&format!("{reason} event on {name}"), REAL, || async {
        event_reasons(client, namespace, name)
            .await
            .iter()
            .any(|r| r == reason)
            .then_some(())
    })
    .await;
}

fn builder_args(job: &Job) -> Vec<String> {
    job.spec
        .as_ref()
        .and_then(|s| s.template.spec.as_ref())
        .map(|s| s.containers[0].args.clone().unwrap_or_default())
        .unwrap_or_default()
}

fn fetch_plan(job: &Job) -> Value {
    let plan = job
        .spec
        .as_ref()
        .and_then(|s| s.template.spec.as_ref())
        .and_then(|s| s.init_containers.as_ref())
        .and_then(|c| c.iter().find(|c| c.name == "fetch"))
        .and_then(|c| c.env.as_ref())
        .and_then(|e| e.iter().find(|e| e.name == "SMELTER_FETCH_PLAN"))
        .and_then(|e| e.value.clone())
        .expect("the fetch plan");
    serde_json::from_str(&plan).expect("plan is JSON")
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[tokio::test]
async fn a_build_stages_in_a_job_on_the_node_success_and_failure() {
    let node = Node::start().await;
    let client = node.shim.client.clone();
    let (_, space) = node.org_and_space().await;
    let builds: Api<Build> = Api::namespaced(client.clone(), &space);
    let jobs: Api<Job> = Api::namespaced(client.clone(), &space);

    // Detection: every enabled buildpack by position; the staticfile buildpack claims a site.
    let site = node.create_app(&space, "site", &[]).await;
    let package = node
        .upload(
            &site,
            &[
                ("Staticfile", 0o644, b""),
                ("index.html", 0o644, b"<h1>staged on a node</h1>"),
            ],
        )
        .await;
    let package_sha = node
        .call(Method::GET, &format!("/v3/packages/{package}"), None)
        .await["data"]["checksum"]["value"]
        .as_str()
        .expect("package sha256")
        .to_owned();
    let build = node.stage(&package).await;
    let job = wait_some("the staging job", REAL, || async {
        jobs.get_opt(&build).await.ok().flatten()
    })
    .await;
    let owner = &job.owner_references()[0];
    assert_eq!(
        (owner.kind.as_str(), owner.name.as_str()),
        ("Build", build.as_str())
    );
    // (The Job's buildpack order and fetch plan are the tier-1 test's; here they run.)
    let args = builder_args(&job);
    assert!(!args.contains(&"--skip-detect".to_owned()), "{args:?}");
    let plan = fetch_plan(&job);
    assert_eq!(plan["fetch"][0]["into"], "/tmp/app");
    assert_eq!(plan["fetch"][0]["sha256"], package_sha.as_str());

    let staged = node.wait_build(&build).await;
    assert_eq!(staged["state"], "STAGED", "{staged}");
    let cr = builds.get(&build).await.expect("build");
    let status = cr.status.expect("status");
    assert_eq!(status.state, BuildState::Staged);
    assert!(status.staging_started_at.is_some());
    let droplet = status.droplet.expect("droplet");
    assert_eq!(droplet.guid, build, "the droplet's GUID is the build's");
    assert!(
        droplet.process_types["web"].starts_with("busybox httpd"),
        "{:?}",
        droplet.process_types
    );
    assert_eq!(
        droplet.buildpacks[0].name.as_str(),
        "staticfile_buildpack",
        "{:?}",
        droplet.buildpacks
    );
    assert_eq!(droplet.stack.as_deref(), Some("cflinuxfs4"));
    // The checksum the builder reported is the droplet the blobstore holds.
    let stored =
        std::fs::read(node.shim.blobs.join("droplets").join(&build)).expect("droplet blob");
    assert_eq!(
        droplet.checksum.expect("checksum").value,
        sha256_hex(&stored)
    );
    let succeeded = status
        .conditions
        .iter()
        .find(|c| c.type_ == "Succeeded")
        .expect("Succeeded");
    assert_eq!(
        (succeeded.status.as_str(), succeeded.reason.as_str()),
        ("True", "Staged")
    );
    wait_event(&client, &space, &build, "StagingStarted").await;
    wait_event(&client, &space, &build, "StagingSucceeded").await;

    // Nothing detects a directory without a start command or a Staticfile.
    let bare = node.create_app(&space, "bare", &[]).await;
    let package = node
        .upload(&bare, &[("README", 0o644, b"nothing to run")])
        .await;
    let failed = node.stage(&package).await;
    let failed_build = node.wait_build(&failed).await;
    assert_eq!(failed_build["state"], "FAILED");
    assert_eq!(
        failed_build["error"],
        "NoAppDetectedError - An app was not successfully detected by any available buildpack"
    );
    wait_event(&client, &space, &failed, "StagingFailed").await;

    // A named buildpack runs without detection; its failing compile is CF's error.
    let failing = failing_buildpack(&node).await;
    let app = node
        .create_app(&space, "broken", &["failing_buildpack"])
        .await;
    let package = node.upload(&app, &[("main.sh", 0o755, b"exit 0")]).await;
    let broken = node.stage(&package).await;
    let job = wait_some("the staging job", REAL, || async {
        jobs.get_opt(&broken).await.ok().flatten()
    })
    .await;
    let args = builder_args(&job);
    assert!(args.contains(&"--skip-detect".to_owned()), "{args:?}");
    let plan = fetch_plan(&job).to_string();
    assert!(
        plan.contains(&failing) && !plan.contains("staticfile_buildpack"),
        "only the named buildpack is fetched: {plan}"
    );
    let broken_build = node.wait_build(&broken).await;
    assert_eq!(broken_build["state"], "FAILED");
    assert_eq!(
        broken_build["error"],
        "BuildpackCompileFailed - App staging failed in the buildpack compile phase"
    );
    wait_event(&client, &space, &broken, "StagingFailed").await;
}

/// An admin buildpack, uploaded through the API, whose legacy `bin/compile` fails.
async fn failing_buildpack(node: &Node) -> String {
    let bp = node
        .call(
            Method::POST,
            "/v3/buildpacks",
            Some(json!({ "name": "failing_buildpack", "position": 1 })),
        )
        .await;
    let guid = guid_of(&bp);
    let zip = zip_of(&[
        ("bin/detect", 0o755, b"#!/bin/sh\nexit 0\n"),
        (
            "bin/compile",
            0o755,
            b"#!/bin/sh\necho 'compiling, then failing' >&2\nexit 1\n",
        ),
        ("bin/release", 0o755, b"#!/bin/sh\necho '---'\n"),
    ]);
    let reply = node
        .shim
        .upload_file(
            &format!("/v3/buildpacks/{guid}/upload"),
            &node.admin,
            "bits",
            "failing_buildpack.zip",
            &zip,
        )
        .await;
    assert_eq!(reply.status, 202, "upload: {}", reply.body);
    guid
}
