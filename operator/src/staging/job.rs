//! The staging Job of a Build (ARCHITECTURE.md §5), as a pure function of what the Build points
//! to. An init container on the Smelter image copies the lifecycle programs into a shared
//! volume and fetches the package bits, the buildpacks and the buildpack cache over signed
//! URLs, each checked against its sha256; the main container runs `builder` on the stack
//! image, stores the droplet and cache through signed URLs, and reports through its
//! termination message.
//!
//! A Job's pod template is immutable, so the Job is created once and never updated; the URLs'
//! expiry is derived from the Build's creation time, so building it twice gives the same Job.

use crate::{config::StagingConfig, pods};
use k8s_openapi::{
    api::{
        batch::v1::{Job, JobSpec},
        core::v1::{
            Container, EmptyDirVolumeSource, EnvVar, PodSpec, PodTemplateSpec,
            ResourceRequirements, Volume, VolumeMount,
        },
    },
    apimachinery::pkg::{api::resource::Quantity, apis::meta::v1::ObjectMeta},
};
use kube::Resource;
use serde_json::json;
use smelter_blobstore::{UrlSigner, keys};
use smelter_crds::env_group::STAGING;
use smelter_crds::{Build, labels};
use std::{
    collections::BTreeMap,
    time::{Duration, SystemTime},
};

/// The builder container's name; its termination message is the staging outcome.
pub const BUILDER_CONTAINER: &str = "builder";
/// The init container's name.
pub const FETCH_CONTAINER: &str = "fetch";

/// A buildpack as staging needs it: its name (the directory it is unpacked into), where its
/// zip is and its digest.
#[derive(Clone, Debug, PartialEq)]
pub struct StagingBuildpack {
    pub name: String,
    pub guid: String,
    pub sha256: String,
}

/// Everything the Job is made from, read by the reconciler.
#[derive(Clone, Debug)]
pub struct StagingInput<'a> {
    pub build: &'a Build,
    /// The package zip's sha256.
    pub package_sha256: &'a str,
    /// In detection order, or the order to run them when `skip_detect`.
    pub buildpacks: &'a [StagingBuildpack],
    pub skip_detect: bool,
    /// The app's environment Secret, if it has one (CF shows user variables to buildpacks).
    pub env_secret: Option<&'a str>,
    /// The app's `VCAP_SERVICES` Secret.
    pub services_secret: Option<&'a str>,
    /// When the Build was created: the signed URLs expire a fixed time after it.
    pub created: SystemTime,
    /// The droplet's GUID.
    pub droplet_guid: &'a str,
    /// The isolation segment the space's pods run on (`None`: the shared one).
    pub segment: Option<&'a str>,
    /// The most memory a container may have in the space (its quota's instance memory, which
    /// its LimitRange enforces): staging runs with no more, or its pod would be refused.
    pub memory_cap_mb: Option<i64>,
}

/// Why no Job can be made.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum JobError {
    #[error("stack {0} is not available")]
    UnknownStack(String),
}

/// The stack a build stages on.
pub fn stack_of<'a>(build: &'a Build, config: &'a StagingConfig) -> &'a str {
    config.stack(build.spec.lifecycle.stack.as_deref())
}

pub fn staging_job(
    input: &StagingInput,
    config: &StagingConfig,
    signer: &UrlSigner,
) -> Result<Job, JobError> {
    let build = input.build;
    let guid = build.metadata.name.clone().unwrap_or_default();
    let spec = &build.spec;
    let stack = stack_of(build, config);
    let stack_image = config
        .stack_image(stack)
        .ok_or_else(|| JobError::UnknownStack(stack.to_owned()))?;
    // Valid for the whole timeout after the Job can first start, plus time to be scheduled.
    let ttl = config.timeout.saturating_mul(2) + Duration::from_secs(3600);
    let url =
        |method: &str, key: &str| signer.url(&config.blob_url, method, key, input.created, ttl);
    let cache_key = keys::buildpack_cache(&spec.app_guid, stack);

    let mut fetch = vec![json!({
        "url": url("GET", &keys::package(&spec.package_guid)),
        "sha256": input.package_sha256,
        "into": "/tmp/app",
        "format": "zip",
    })];
    for bp in input.buildpacks {
        fetch.push(json!({
            "url": url("GET", &keys::buildpack(&bp.guid)),
            "sha256": bp.sha256,
            "into": format!("/tmp/buildpacks/{}", bp.name),
            "format": "zip",
        }));
    }
    fetch.push(json!({
        "url": url("GET", &cache_key),
        "into": "/tmp/cache",
        "format": "tgz",
        "optional": true,
    }));
    let plan = json!({ "copy_lifecycle_to": "/tmp/lifecycle", "fetch": fetch });

    let mut labels = BTreeMap::from([
        (labels::MANAGED_BY.to_owned(), "smelter".to_owned()),
        (labels::BUILD_GUID.to_owned(), guid.clone()),
        (labels::APP_GUID.to_owned(), spec.app_guid.clone()),
        (labels::PACKAGE_GUID.to_owned(), spec.package_guid.clone()),
    ]);
    if let Some(space) = build
        .metadata
        .labels
        .as_ref()
        .and_then(|l| l.get(labels::SPACE_GUID))
    {
        labels.insert(labels::SPACE_GUID.to_owned(), space.clone());
    }

    let mount = |name: &str| VolumeMount {
        name: name.to_owned(),
        mount_path: format!("/tmp/{name}"),
        ..Default::default()
    };
    let volumes = [
        "lifecycle",
        "app",
        "buildpacks",
        "cache",
        "staging",
        "output",
    ];
    let env = |name: &str, value: String| EnvVar {
        name: name.to_owned(),
        value: Some(value),
        ..Default::default()
    };
    let memory = spec
        .staging_memory_in_mb
        .unwrap_or(config.default_memory_mb)
        .min(input.memory_cap_mb.unwrap_or(i64::MAX));
    let disk = spec.staging_disk_in_mb.unwrap_or(config.default_disk_mb);

    let mut builder_args = vec![
        "--buildpack-order".to_owned(),
        input
            .buildpacks
            .iter()
            .map(|b| b.name.as_str())
            .collect::<Vec<_>>()
            .join(","),
        "--output-cache".to_owned(),
        "/tmp/output/cache.tgz".to_owned(),
        "--termination-message-path".to_owned(),
        "/dev/termination-log".to_owned(),
    ];
    if input.skip_detect {
        builder_args.push("--skip-detect".to_owned());
    }

    let fetcher = Container {
        name: FETCH_CONTAINER.to_owned(),
        image: Some(config.lifecycle_image.clone()),
        image_pull_policy: Some("IfNotPresent".into()),
        command: Some(vec!["/lifecycle/fetcher".into()]),
        env: Some(vec![env("SMELTER_FETCH_PLAN", plan.to_string())]),
        volume_mounts: Some(
            ["lifecycle", "app", "buildpacks", "cache"]
                .iter()
                .map(|v| mount(v))
                .collect(),
        ),
        // What the fetcher said about a failed download becomes the pod's message.
        termination_message_policy: Some("FallbackToLogsOnError".into()),
        ..Default::default()
    };
    let builder = Container {
        name: BUILDER_CONTAINER.to_owned(),
        image: Some(stack_image.to_owned()),
        image_pull_policy: Some("IfNotPresent".into()),
        command: Some(vec!["/tmp/lifecycle/builder".into()]),
        args: Some(builder_args),
        env: Some(vec![
            env("CF_STACK", stack.to_owned()),
            env("HOME", "/home/vcap".to_owned()),
            env(
                "SMELTER_UPLOAD_DROPLET",
                url("PUT", &keys::droplet(input.droplet_guid)),
            ),
            env("SMELTER_UPLOAD_CACHE", url("PUT", &cache_key)),
        ]),
        // The staging group first: a later source wins, so the app's own variables do.
        env_from: Some(
            std::iter::once(pods::env_group(STAGING))
                .chain(pods::secrets_env(
                    input
                        .env_secret
                        .iter()
                        .chain(&input.services_secret)
                        .map(|n| (*n).to_owned()),
                ))
                .collect(),
        ),
        resources: Some(ResourceRequirements {
            limits: Some(BTreeMap::from([
                ("memory".to_owned(), Quantity(format!("{memory}Mi"))),
                (
                    "ephemeral-storage".to_owned(),
                    Quantity(format!("{disk}Mi")),
                ),
            ])),
            // Buildpacks mostly need their memory briefly; asking for all of it would keep
            // small nodes from staging at all.
            requests: Some(BTreeMap::from([(
                "memory".to_owned(),
                Quantity(format!("{}Mi", memory.min(256))),
            )])),
            ..Default::default()
        }),
        volume_mounts: Some(volumes.iter().map(|v| mount(v)).collect()),
        termination_message_path: Some("/dev/termination-log".into()),
        termination_message_policy: Some("File".into()),
        ..Default::default()
    };

    let deadline = i64::try_from(config.timeout.as_secs()).unwrap_or(900);
    let mut job = Job {
        metadata: ObjectMeta {
            name: Some(guid.clone()),
            namespace: build.metadata.namespace.clone(),
            labels: Some(labels.clone()),
            owner_references: build.controller_owner_ref(&()).map(|r| vec![r]),
            ..Default::default()
        },
        spec: Some(JobSpec {
            backoff_limit: Some(0),
            active_deadline_seconds: Some(deadline),
            ttl_seconds_after_finished: Some(
                i32::try_from(config.job_ttl.as_secs()).unwrap_or(3600),
            ),
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(labels),
                    ..Default::default()
                }),
                spec: Some(PodSpec {
                    // On the pod too: a pod with a deadline is in the `Terminating` quota
                    // scope, so a space quota counts staging apart from its instances.
                    active_deadline_seconds: Some(deadline),
                    restart_policy: Some("Never".into()),
                    automount_service_account_token: Some(false),
                    enable_service_links: Some(false),
                    security_context: Some(pods::as_vcap()),
                    init_containers: Some(vec![fetcher]),
                    containers: vec![builder],
                    volumes: Some(
                        volumes
                            .iter()
                            .map(|name| Volume {
                                name: (*name).to_owned(),
                                empty_dir: Some(EmptyDirVolumeSource::default()),
                                ..Default::default()
                            })
                            .collect(),
                    ),
                    ..Default::default()
                }),
            },
            ..Default::default()
        }),
        ..Default::default()
    };
    if let Some(pod) = job.spec.as_mut().and_then(|j| j.template.spec.as_mut()) {
        crate::placement::place(pod, input.segment);
    }
    Ok(job)
}
