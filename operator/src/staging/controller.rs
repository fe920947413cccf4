//! The Build controller: each Build in a space of this installation gets its staging Job
//! (created once; a Job cannot be changed), and what the Job's pod reports becomes the
//! Build's status. A docker package needs no staging: its build is staged at once with the
//! image as the droplet. A staged or failed build never changes again, so it costs nothing.
//! It reads packages, admin buildpacks, Jobs and pods from the caches.

use super::{
    job::{self, StagingInput, stack_of},
    outcome::{self, Staging},
    select,
    status::{build_status, is_final},
};
use crate::{
    caches::Caches,
    context::Context,
    error::Error,
    params::post_params,
    prologue::{InSpace, RECHECK, SpaceObject},
    tenancy,
};
use k8s_openapi::{api::batch::v1::Job, apimachinery::pkg::apis::meta::v1::Time};
use kube::{
    Api, Resource, ResourceExt,
    runtime::{
        Controller,
        controller::Action,
        events::EventType,
        reflector::{ObjectRef, Store},
    },
};
use smelter_crds::{
    Build, Package, labels,
    package::{PackageState, PackageType},
};
use std::{sync::Arc, time::Duration};

/// How long a build may wait for its package to appear before it fails.
const MISSING_PACKAGE_GRACE: Duration = Duration::from_secs(60);

/// Builds everywhere, their Jobs, the Jobs' pods (by the build label the Job template
/// carries), so a pod's end reaches its build at once, and their packages, so an upload's end
/// does.
pub(crate) fn controller(caches: &Caches) -> Controller<Build> {
    let builds = caches.builds.store().clone();
    caches
        .builds
        .controller()
        .owns_shared_stream(caches.jobs.subscribe())
        .watches_shared_stream(caches.staging_pods.subscribe(), |pod| build_of(&*pod))
        .watches_shared_stream(caches.packages.subscribe(), move |package| {
            builds_of(&builds, &package)
        })
}

/// The unfinished builds of the package.
fn builds_of(builds: &Store<Build>, package: &Package) -> Vec<ObjectRef<Build>> {
    let (Some(namespace), Some(guid)) = (
        package.meta().namespace.as_ref(),
        package.meta().name.as_ref(),
    ) else {
        return Vec::new();
    };
    builds
        .state()
        .iter()
        .filter(|b| b.meta().namespace.as_ref() == Some(namespace))
        .filter(|b| b.spec.package_guid == *guid && !is_final(b.status.as_ref()))
        .map(|b| ObjectRef::from_obj(&**b))
        .collect()
}

fn build_of(pod: &impl ResourceExt) -> Option<ObjectRef<Build>> {
    let guid = pod.labels().get(labels::BUILD_GUID)?;
    Some(ObjectRef::new(guid).within(&pod.namespace()?))
}

impl SpaceObject for Build {
    const CONTROLLER: &'static str = "build";

    /// A staged or failed build never changes again, so a settled installation spends nothing
    /// on its builds.
    fn is_settled(&self) -> bool {
        is_final(self.status.as_ref())
    }

    /// Staging progress arrives through the Job and Pod watches, an upload's end through the
    /// Package watch; a build still staging is looked at again after [`RECHECK`] regardless.
    async fn reconcile(&self, at: &InSpace<'_>) -> Result<Action, Error> {
        reconcile(self, at).await
    }
}

async fn reconcile(build: &Build, at: &InSpace<'_>) -> Result<Action, Error> {
    let (ctx, caches, namespace) = (at.ctx, &at.scoped.caches, at.namespace.as_str());
    let guid = build.name_any();
    let package_guid = &build.spec.package_guid;
    let Some(package) = caches.packages.get(namespace, package_guid) else {
        // The API creates the package first; a young build may just have been read before
        // its package reached this replica's view (the package's arrival triggers it). Only
        // an old one has really lost it.
        let age = age(build);
        if age < MISSING_PACKAGE_GRACE {
            return Ok(Action::requeue(MISSING_PACKAGE_GRACE - age));
        }
        let error = format!("StagingError - Staging error: package {package_guid} does not exist");
        return finish(build, Staging::Failed(error), None, ctx).await;
    };
    // CF's droplet GUID is its own; Smelter's is the build's, so the Job (and its upload URL)
    // follow from the build alone.
    let droplet_guid = guid.as_str();
    if package.spec.type_ == PackageType::Docker {
        let image = package.spec.image.as_deref().unwrap_or_default();
        let droplet = outcome::docker_droplet(droplet_guid, image);
        return finish(build, Staging::Staged(Box::new(droplet)), None, ctx).await;
    }
    let package_sha256 = match &package.status {
        Some(s) if s.state == PackageState::Ready => s.checksum.as_ref().map(|c| c.value.clone()),
        _ => None,
    };
    let Some(package_sha256) = package_sha256 else {
        // The package's change when its upload ends triggers the build.
        tracing::debug!(package = %package_guid, "package not uploaded yet; waiting");
        return Ok(Action::requeue(RECHECK));
    };

    let config = &ctx.config.staging;
    let stack = stack_of(build, config);
    let jobs: Api<Job> = Api::namespaced(ctx.client.clone(), namespace);
    let job = match caches.jobs.get(namespace, &guid) {
        Some(job) => job,
        None => {
            let admin = caches.buildpacks.store().state();
            let selection = match select::select(&build.spec.lifecycle.buildpacks, stack, &admin) {
                Ok(s) => s,
                Err(error) => return finish(build, Staging::Failed(error), None, ctx).await,
            };
            let env_secret = smelter_crds::app::environment_secret_name(&build.spec.app_guid);
            let services_secret = smelter_crds::app::services_secret_name(&build.spec.app_guid);
            let segment = at.scoped.segment_of(&at.space, &at.org);
            let memory_cap_mb = memory_cap(ctx, &at.namespace).await?;
            let input = StagingInput {
                build,
                package_sha256: &package_sha256,
                buildpacks: &selection.buildpacks,
                skip_detect: selection.skip_detect,
                env_secret: Some(&env_secret),
                services_secret: Some(&services_secret),
                created: build
                    .meta()
                    .creation_timestamp
                    .as_ref()
                    .map_or_else(std::time::SystemTime::now, |t| t.0.into()),
                droplet_guid,
                segment: segment.as_deref(),
                memory_cap_mb,
            };
            let desired = match job::staging_job(&input, config, at.scoped.signer().await?) {
                Ok(job) => job,
                Err(e) => {
                    let error = format!("StagingError - Staging error: {e}");
                    return finish(build, Staging::Failed(error), None, ctx).await;
                }
            };
            Arc::new(create_job(build, &jobs, &desired, ctx).await?)
        }
    };

    let pods = caches
        .staging_pods
        .labelled(namespace, labels::BUILD_GUID, &guid);
    let staging = outcome::observe(&job, &pods, droplet_guid, stack);
    let settle = outcome::settle_wait(&pods, std::time::SystemTime::now());
    if !matches!(staging, Staging::Running) && !settle.is_zero() {
        // Let the last output lines reach `cf push` first (outcome::LOG_SETTLE).
        return Ok(Action::requeue(settle));
    }
    finish(build, staging, job.metadata.creation_timestamp.clone(), ctx).await
}

/// How long ago the build was created.
fn age(build: &Build) -> Duration {
    build
        .meta()
        .creation_timestamp
        .as_ref()
        .and_then(|t| std::time::SystemTime::now().duration_since(t.0.into()).ok())
        .unwrap_or_default()
}

/// Creates the staging Job; one that appeared meanwhile (another reconcile, an operator that
/// ran before) is the same Job, as the Job follows from the build alone.
async fn create_job(
    build: &Build,
    jobs: &Api<Job>,
    desired: &Job,
    ctx: &Context,
) -> Result<Job, Error> {
    let name = desired.name_any();
    let namespace = desired.namespace().unwrap_or_default();
    let err = |source| Error::CreateJob {
        name: name.clone(),
        namespace: namespace.clone(),
        source,
    };
    match jobs.create(&post_params(), desired).await {
        Ok(job) => {
            tracing::info!(job = %name, "created staging job");
            ctx.publish(
                build,
                EventType::Normal,
                "StagingStarted",
                "Stage",
                format!("staging in job {name}"),
            )
            .await;
            Ok(job)
        }
        Err(kube::Error::Api(s)) if s.code == 409 => jobs.get(&name).await.map_err(err),
        Err(source) => Err(err(source)),
    }
}

/// Writes the status `staging` gives the build, if it differs from the live one, and records
/// the end of staging once.
async fn finish(
    build: &Build,
    staging: Staging,
    started_at: Option<Time>,
    ctx: &Context,
) -> Result<Action, Error> {
    let live = ctx.last_status(build, build.status.as_ref());
    let live = live.as_ref();
    let started_at = live
        .and_then(|s| s.staging_started_at.clone())
        .or(started_at)
        .unwrap_or_else(tenancy::now);
    let desired = build_status(
        &staging,
        build.meta().generation,
        Some(started_at),
        live,
        &tenancy::now(),
    );
    let changed =
        live != Some(&desired) && ctx.write_status(Build::CONTROLLER, build, &desired).await?;
    if changed {
        tracing::info!(state = ?desired.state, error = ?desired.error, "status written");
    }
    Ok(match staging {
        Staging::Running => Action::requeue(RECHECK),
        // A reconcile that read a stale build may come here again; only the one that wrote
        // the end tells people about it.
        _ if !changed => Action::await_change(),
        Staging::Staged(droplet) => {
            let note = format!("staged droplet {}", droplet.guid);
            ctx.publish(build, EventType::Normal, "StagingSucceeded", "Stage", note)
                .await;
            Action::await_change()
        }
        Staging::Failed(error) => {
            ctx.publish(build, EventType::Warning, "StagingFailed", "Stage", error)
                .await;
            Action::await_change()
        }
    })
}

/// The instance memory limit of the space's quota, read from its LimitRange once per staging
/// Job made (the space namespace holds at most the operator's one).
async fn memory_cap(ctx: &Context, namespace: &str) -> Result<Option<i64>, Error> {
    let api: Api<k8s_openapi::api::core::v1::LimitRange> =
        Api::namespaced(ctx.client.clone(), namespace);
    let lr = api
        .get_opt(tenancy::quota::LIMIT_RANGE)
        .await
        .map_err(|source| Error::Write {
            what: "read limitrange",
            name: format!("{namespace}/{}", tenancy::quota::LIMIT_RANGE),
            source,
        })?;
    Ok(lr.as_ref().and_then(tenancy::quota::container_max_mb))
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::Pod;

    #[test]
    fn a_pod_maps_to_the_build_of_its_label() {
        let mut pod = Pod::default();
        pod.metadata.namespace = Some("space".into());
        assert_eq!(build_of(&pod), None);
        pod.metadata.labels = Some([(labels::BUILD_GUID.to_owned(), "b".to_owned())].into());
        assert_eq!(build_of(&pod), Some(ObjectRef::new("b").within("space")));
    }
}
