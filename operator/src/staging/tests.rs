//! Table tests of the staging Job builder.

use super::job::{StagingBuildpack, StagingInput, staging_job};
use crate::config::StagingConfig;
use k8s_openapi::api::batch::v1::Job;
use smelter_blobstore::UrlSigner;
use smelter_crds::{Build, build::BuildSpec, common::Lifecycle};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

fn build(stack: Option<&str>, memory: Option<i64>) -> Build {
    let mut build = Build::new(
        "b0000000-0000-4000-8000-000000000001",
        BuildSpec {
            app_guid: "a0000000-0000-4000-8000-000000000001".into(),
            package_guid: "p0000000-0000-4000-8000-000000000001".into(),
            lifecycle: Lifecycle {
                stack: stack.map(str::to_owned),
                ..Default::default()
            },
            staging_memory_in_mb: memory,
            staging_disk_in_mb: None,
            staging_log_rate_limit_bytes_per_second: None,
        },
    );
    build.metadata.namespace = Some("space-ns".into());
    build.metadata.uid = Some("uid-1".into());
    build
}

fn job_for(build: &Build, skip_detect: bool) -> Job {
    job_on(build, skip_detect, None, None)
}

fn job_on(
    build: &Build,
    skip_detect: bool,
    segment: Option<&str>,
    memory_cap_mb: Option<i64>,
) -> Job {
    let buildpacks = [
        StagingBuildpack {
            name: "staticfile_buildpack".into(),
            guid: "bp1".into(),
            sha256: "1".repeat(64),
        },
        StagingBuildpack {
            name: "binary_buildpack".into(),
            guid: "bp2".into(),
            sha256: "2".repeat(64),
        },
    ];
    let input = StagingInput {
        build,
        package_sha256: &"f".repeat(64),
        buildpacks: &buildpacks,
        skip_detect,
        env_secret: Some("app-env"),
        services_secret: Some("app-services"),
        created: UNIX_EPOCH + Duration::from_secs(1_000_000),
        droplet_guid: "d0000000-0000-4000-8000-000000000001",
        segment,
        memory_cap_mb,
    };
    staging_job(
        &input,
        &StagingConfig::default(),
        &UrlSigner::new(b"k".to_vec()),
    )
    .expect("a job")
}

#[test]
fn staging_runs_within_the_spaces_instance_memory_limit() {
    let build = build(None, None);
    let memory = |job: Job| {
        let pod = job.spec.expect("spec").template.spec.expect("pod");
        pod.containers[0]
            .resources
            .clone()
            .expect("resources")
            .limits
            .expect("limits")["memory"]
            .0
            .clone()
    };
    assert_eq!(memory(job_on(&build, false, None, Some(256))), "256Mi");
    assert_eq!(
        memory(job_on(&build, false, None, Some(1 << 20))),
        "1024Mi",
        "the default"
    );
}

#[test]
fn a_space_on_an_isolation_segment_stages_on_its_nodes() {
    let build = build(None, None);
    let pod = |job: Job| job.spec.expect("spec").template.spec.expect("pod");
    let placed = pod(job_on(&build, false, Some("gpu"), None));
    let selector = placed.node_selector.expect("selector");
    assert_eq!(selector["cf.smelter.dev/isolation-segment"], "gpu");
    assert_eq!(placed.tolerations.expect("tolerations").len(), 1);
    let shared = pod(job_for(&build, false));
    assert!(shared.node_selector.is_none() && shared.tolerations.is_none());
}

#[test]
fn the_job_fetches_everything_then_runs_the_builder_on_the_stack() {
    let build = build(None, None);
    let job = job_for(&build, false);
    assert_eq!(
        job.metadata.name.as_deref(),
        Some("b0000000-0000-4000-8000-000000000001")
    );
    assert_eq!(job.metadata.namespace.as_deref(), Some("space-ns"));
    let owner = &job.metadata.owner_references.as_ref().expect("owner")[0];
    assert_eq!(
        (owner.kind.as_str(), owner.controller),
        ("Build", Some(true))
    );
    let spec = job.spec.as_ref().expect("spec");
    assert_eq!(spec.backoff_limit, Some(0));
    assert_eq!(spec.active_deadline_seconds, Some(900));
    assert!(spec.ttl_seconds_after_finished.is_some());
    let pod = spec.template.spec.as_ref().expect("pod");
    assert_eq!(pod.restart_policy.as_deref(), Some("Never"));
    assert_eq!(
        pod.active_deadline_seconds,
        Some(900),
        "a Terminating pod: a space quota's instances are not staging"
    );
    assert_eq!(pod.automount_service_account_token, Some(false));

    let fetch = &pod.init_containers.as_ref().expect("init")[0];
    assert_eq!(
        fetch.command.as_deref(),
        Some(&["/lifecycle/fetcher".to_owned()][..])
    );
    let plan: serde_json::Value = serde_json::from_str(
        fetch.env.as_ref().expect("env")[0]
            .value
            .as_deref()
            .expect("plan"),
    )
    .expect("JSON plan");
    assert_eq!(plan["copy_lifecycle_to"], "/tmp/lifecycle");
    let fetched: Vec<(&str, &str)> = plan["fetch"]
        .as_array()
        .expect("fetch")
        .iter()
        .map(|f| {
            (
                f["into"].as_str().unwrap_or(""),
                f["format"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        fetched,
        [
            ("/tmp/app", "zip"),
            ("/tmp/buildpacks/staticfile_buildpack", "zip"),
            ("/tmp/buildpacks/binary_buildpack", "zip"),
            ("/tmp/cache", "tgz"),
        ]
    );
    let url = plan["fetch"][0]["url"].as_str().expect("url");
    assert!(url.starts_with(
        "http://smelter-api.smelter.svc:8080/internal/v1/blobs/packages/p0000000-0000-4000-8000-000000000001?expires="
    ), "{url}");
    assert_eq!(plan["fetch"][0]["sha256"], "f".repeat(64));
    assert_eq!(plan["fetch"][1]["sha256"], "1".repeat(64));
    assert_eq!(plan["fetch"][3]["optional"], true);

    let builder = &pod.containers[0];
    assert_eq!(
        builder.image.as_deref(),
        Some(format!("smelter/cflinuxfs4:{}", env!("CARGO_PKG_VERSION")).as_str())
    );
    assert_eq!(
        builder.command.as_deref(),
        Some(&["/tmp/lifecycle/builder".to_owned()][..])
    );
    let args = builder.args.as_ref().expect("args");
    assert_eq!(
        args[..2],
        [
            "--buildpack-order".to_owned(),
            "staticfile_buildpack,binary_buildpack".to_owned()
        ]
    );
    assert!(!args.contains(&"--skip-detect".to_owned()));
    let env: std::collections::BTreeMap<_, _> = builder
        .env
        .as_ref()
        .expect("env")
        .iter()
        .map(|e| (e.name.as_str(), e.value.as_deref().unwrap_or("")))
        .collect();
    assert_eq!(env["CF_STACK"], "cflinuxfs4");
    assert!(
        env["SMELTER_UPLOAD_DROPLET"].contains("/droplets/d0000000-0000-4000-8000-000000000001?")
    );
    assert!(
        env["SMELTER_UPLOAD_CACHE"]
            .contains("/buildpack_cache/a0000000-0000-4000-8000-000000000001/cflinuxfs4?")
    );
    // The user's variables, then VCAP_SERVICES; either may not exist yet.
    let group = builder.env_from.as_ref().expect("env_from")[0]
        .config_map_ref
        .as_ref()
        .map(|c| c.name.as_str());
    assert_eq!(
        group,
        Some("smelter-staging-env-group"),
        "the staging group first"
    );
    let env_from: Vec<_> = builder
        .env_from
        .iter()
        .flatten()
        .map(|e| e.secret_ref.as_ref().map(|s| (s.name.as_str(), s.optional)))
        .collect();
    assert_eq!(
        env_from,
        [
            None,
            Some(("app-env", Some(true))),
            Some(("app-services", Some(true)))
        ]
    );
    let limits = builder
        .resources
        .as_ref()
        .and_then(|r| r.limits.as_ref())
        .expect("limits");
    assert_eq!(limits["memory"].0, "1024Mi");
    assert_eq!(limits["ephemeral-storage"].0, "1024Mi");
    assert_eq!(
        builder.termination_message_path.as_deref(),
        Some("/dev/termination-log")
    );
}

#[test]
fn named_buildpacks_limits_and_stacks() {
    let named = build(Some("cflinuxfs4"), Some(2048));
    let job = job_for(&named, true);
    let builder = &job
        .spec
        .expect("spec")
        .template
        .spec
        .expect("pod")
        .containers[0];
    assert!(
        builder
            .args
            .as_ref()
            .expect("args")
            .contains(&"--skip-detect".to_owned())
    );
    let limits = builder
        .resources
        .as_ref()
        .and_then(|r| r.limits.as_ref())
        .expect("limits");
    assert_eq!(limits["memory"].0, "2048Mi");

    let unknown = build(Some("cflinuxfs3"), None);
    let input = StagingInput {
        build: &unknown,
        package_sha256: "",
        buildpacks: &[],
        skip_detect: false,
        env_secret: None,
        services_secret: None,
        created: SystemTime::now(),
        droplet_guid: "d",
        segment: None,
        memory_cap_mb: None,
    };
    assert_eq!(
        staging_job(
            &input,
            &StagingConfig::default(),
            &UrlSigner::new(b"k".to_vec())
        )
        .expect_err("unknown stack")
        .to_string(),
        "stack cflinuxfs3 is not available"
    );
}

#[test]
fn the_same_build_gives_the_same_job() {
    let build = build(None, None);
    assert_eq!(job_for(&build, false), job_for(&build, false));
}
