//! The Smelter operator: Diego on Kubernetes. Its controllers reconcile Smelter's custom
//! resources into namespaces, staging Jobs, workloads, Services and Ingresses.
//!
//! Every `Org` (in the root namespace) and every `Space` (in its org's namespace) owns a
//! namespace named by its GUID; a space namespace also gets the role binding that lets the
//! org's managers manage the space's roles. See [`tenancy`]. Every `Build` in a space
//! namespace becomes a staging Job whose outcome is the build's status (see [`staging`]); a
//! started `App` runs an `LRP` per process (see [`app`]), each a StatefulSet per revision and a
//! Service (see [`lrp`]); a `Route` becomes an Ingress (see [`route`]). The controllers of
//! space-namespace objects read only caches, one watch per kind.
//!
//! # RBAC
//!
//! What the operator's ClusterRole must allow (the chart's RBAC is written from this list):
//!
//! | API group | resources | verbs |
//! |---|---|---|
//! | `cf.smelter.dev` | `orgs`, `spaces` | get, list, watch, patch (finalizers) |
//! | `cf.smelter.dev` | `orgs/status`, `spaces/status` | patch |
//! | `""` | `namespaces` | get, list, watch, create, patch, delete |
//! | `rbac.authorization.k8s.io` | `rolebindings` | get, list, watch, create, patch, delete |
//! | `rbac.authorization.k8s.io` | `clusterroles` named `smelter-space-manager` | bind |
//! | `cf.smelter.dev` | `builds`, `packages`, `buildpacks`, `apps`, `routes`, `domains` | list, watch |
//! | `cf.smelter.dev` | `lrps` | list, watch, create, patch, delete |
//! | `cf.smelter.dev` | `apps/status`, `builds/status`, `lrps/status`, `routes/status` | patch |
//! | `batch` | `jobs` | get, list, watch, create |
//! | `apps` | `statefulsets` | list, watch, create, patch, delete |
//! | `""` | `services` | list, watch, create, patch, delete |
//! | `networking.k8s.io` | `ingresses` | list, watch, create, patch, delete |
//! | `discovery.k8s.io` | `endpointslices` | list, watch, create, patch, delete |
//! | `""` | `pods` | list, watch |
//! | `""` | `secrets` in the root namespace | get, create (the blob signing key) |
//! | `events.k8s.io` | `events` | create, patch |
//! | `apiextensions.k8s.io` | `customresourcedefinitions` | get (the start-up check) |
//!
//! `create` on LRPs, StatefulSets, Services and Ingresses because the operator creates them
//! with a POST (and changes them with a JSON patch, see [`write::put`]); on namespaces,
//! rolebindings, and a route's own Service and EndpointSlices because a server-side apply of
//! an absent object creates it. `patch` on the statuses: the operator replaces the statuses it
//! owns with a JSON patch, and applies those of orgs and spaces. `get` on jobs reads the Job
//! another reconcile created first. `bind` because RBAC only lets whoever could
//! grant a role's permissions, or may bind it, create a binding to it; `bind` on that one role
//! is the narrower of the two. `delete` on services and endpointslices removes a route's own
//! (see [`route::emitter`]) once it leads to fewer than two destinations. `delete` on
//! rolebindings only replaces a binding of the operator's name to another role (a binding's
//! role cannot be changed).
#![forbid(unsafe_code)]

pub mod app;
mod caches;
mod config;
mod context;
mod error;
mod headless;
pub mod lrp;
mod meta;
pub mod metrics;
mod orgs;
mod params;
pub mod placement;
mod pods;
mod prologue;
pub mod route;
mod scoped;
mod spaces;
pub mod staging;
pub mod tenancy;
mod watch;
mod write;

pub use config::{Config, RoutingConfig, StagingConfig};
pub use error::Error;
pub use metrics::Metrics;
pub use params::FIELD_MANAGER;

use futures::{FutureExt, Stream, StreamExt};
use kube::{
    Client, Resource,
    runtime::{
        controller::{self, Action},
        reflector::ObjectRef,
        watcher,
    },
};
use smelter_common::health::Health;
use smelter_crds::{App, Build, Lrp, Org, Route, Space};
use std::{fmt::Debug, future::Future, sync::Arc};

/// Runs every controller until `shutdown` resolves, then lets running reconciles finish and
/// returns. Marks `health` ready once every controller's cache holds its first full list.
pub async fn run(
    client: Client,
    config: Config,
    metrics: Metrics,
    health: Health,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    // Each controller needs its own handle on the one shutdown signal.
    let shutdown = shutdown.boxed().shared();
    let (caches, fill_caches) = caches::Caches::new(&client, &config.root_namespace);
    let ctx = Arc::new(context::Context::new(
        client,
        config,
        metrics,
        caches.security_groups.clone(),
    ));
    let orgs = orgs::controller(&ctx);
    let spaces = spaces::controller(&ctx);
    let builds = staging::controller::controller(&caches);
    let apps = app::controller::controller(&caches);
    let lrps = lrp::controller::controller(&caches);
    let routes = route::controller::controller(&caches);
    // A store's readiness wakes only the last of several concurrent waiters (kube-runtime's
    // DelayedInit keeps one waker), so everything that needs the caches waits on this one
    // shared future instead of on the stores.
    let synced = {
        let (orgs, spaces, caches) = (orgs.store(), spaces.store(), caches.clone());
        async move {
            orgs.wait_until_ready().await.is_ok()
                && spaces.wait_until_ready().await.is_ok()
                && caches.synced().await
        }
        .boxed()
        .shared()
    };
    let scoped = Arc::new(scoped::SpaceScoped::new(
        ctx.clone(),
        orgs.store(),
        spaces.store(),
        caches,
        synced.clone(),
    ));
    let readiness = async {
        tokio::select! {
            synced = synced => if synced {
                tracing::info!("controllers' caches synced; ready");
                health.set_ready(true);
            },
            () = shutdown.clone() => {}
        }
    };

    // Every reconcile starts with the same prologue: the tenancy one for orgs and spaces,
    // the space one for the objects in space namespaces.
    let orgs = drain(
        "org",
        orgs.graceful_shutdown_on(shutdown.clone()).run(
            tenancy::reconcile::<Org>,
            tenancy::error_policy::<Org>,
            ctx.clone(),
        ),
    );
    let spaces = drain(
        "space",
        spaces.graceful_shutdown_on(shutdown.clone()).run(
            tenancy::reconcile::<Space>,
            tenancy::error_policy::<Space>,
            ctx.clone(),
        ),
    );
    let builds = drain(
        "build",
        builds.graceful_shutdown_on(shutdown.clone()).run(
            prologue::reconcile::<Build>,
            prologue::error_policy::<Build>,
            scoped.clone(),
        ),
    );
    let apps = drain(
        "app",
        apps.graceful_shutdown_on(shutdown.clone()).run(
            prologue::reconcile::<App>,
            prologue::error_policy::<App>,
            scoped.clone(),
        ),
    );
    let lrps = drain(
        "lrp",
        lrps.graceful_shutdown_on(shutdown.clone()).run(
            prologue::reconcile::<Lrp>,
            prologue::error_policy::<Lrp>,
            scoped.clone(),
        ),
    );
    let routes = drain(
        "route",
        routes.graceful_shutdown_on(shutdown.clone()).run(
            prologue::reconcile::<Route>,
            prologue::error_policy::<Route>,
            scoped,
        ),
    );
    // The caches are filled until shutdown; the controllers drain without them.
    let caches = async {
        tokio::select! {
            () = fill_caches => {},
            () = shutdown.clone() => {},
        }
    };
    tracing::info!(root_namespace = %ctx.config.root_namespace, "controllers starting");
    futures::join!(orgs, spaces, builds, apps, lrps, routes, caches, readiness);
    health.set_ready(false);
    tracing::info!("controllers stopped");
}

/// Drives a controller's stream to its end. Failed reconciles were already logged by the
/// error policy; what is left to say is about the watches.
async fn drain<K>(
    controller: &'static str,
    results: impl Stream<
        Item = Result<(ObjectRef<K>, Action), controller::Error<Error, watcher::Error>>,
    >,
) where
    K: Resource,
    K::DynamicType: Debug,
{
    results
        .for_each(|result| async move {
            match result {
                Ok(_) | Err(controller::Error::ReconcilerFailed(..)) => {}
                // A trigger for an object not (or no longer) in the cache, such as the
                // namespace of another installation's org: nothing to do.
                Err(controller::Error::ObjectNotFound(object)) => {
                    tracing::debug!(controller, %object, "no such object; ignoring trigger");
                }
                Err(e) => tracing::warn!(controller, error = %e, "controller error"),
            }
        })
        .await;
}
