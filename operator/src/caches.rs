//! What the controllers of objects in space namespaces read: one cache per kind (see
//! [`crate::watch::Cache`]), each kept by one watch, each object trimmed to what the reconciles
//! read.

use crate::watch::Cache;
use futures::{FutureExt, future::BoxFuture};
use k8s_openapi::api::{
    apps::v1::StatefulSet,
    batch::v1::Job,
    core::v1::{Pod, Service},
    discovery::v1::EndpointSlice,
    networking::v1::Ingress,
};
use kube::{Api, Client, runtime::watcher};
use smelter_crds::{
    App, Build, Buildpack, Domain, IsolationSegment, Lrp, Package, Route, SecurityGroup, labels,
};

#[derive(Clone)]
pub(crate) struct Caches {
    pub apps: Cache<App>,
    pub builds: Cache<Build>,
    pub packages: Cache<Package>,
    /// The admin buildpacks (in the root namespace).
    pub buildpacks: Cache<Buildpack>,
    /// The domains (in the root namespace).
    pub domains: Cache<Domain>,
    /// The isolation segments (in the root namespace).
    pub isolation_segments: Cache<IsolationSegment>,
    /// The security groups (in the root namespace).
    pub security_groups: Cache<SecurityGroup>,
    pub routes: Cache<Route>,
    pub lrps: Cache<Lrp>,
    /// The LRPs' StatefulSets, without their pod template: a revision's label says which
    /// template it runs.
    pub statefulsets: Cache<StatefulSet>,
    pub services: Cache<Service>,
    /// The LRPs' instances, without their spec: the ActualLRP view reads their status.
    pub instances: Cache<Pod>,
    pub ingresses: Cache<Ingress>,
    /// The Services of routes to several destinations (`route::emitter`).
    pub route_services: Cache<Service>,
    /// Their EndpointSlices, which the route controller writes.
    pub endpoint_slices: Cache<EndpointSlice>,
    /// The staging Jobs, without their pod template: their outcome is in their status.
    pub jobs: Cache<Job>,
    /// The staging Jobs' pods, without their spec.
    pub staging_pods: Cache<Pod>,
}

impl Caches {
    /// The caches, and the future that keeps them all filled until it is dropped.
    pub fn new(client: &Client, root_namespace: &str) -> (Self, BoxFuture<'static, ()>) {
        let mut fills = Vec::new();
        let all = watcher::Config::default;
        let labelled = |label| watcher::Config::default().labels(label);
        let caches = Self {
            apps: filled(
                &mut fills,
                Cache::new(Api::all(client.clone()), all(), keep),
            ),
            builds: filled(
                &mut fills,
                Cache::new(Api::all(client.clone()), all(), keep),
            ),
            packages: filled(
                &mut fills,
                Cache::new(Api::all(client.clone()), all(), keep),
            ),
            buildpacks: filled(
                &mut fills,
                Cache::new(Api::namespaced(client.clone(), root_namespace), all(), keep),
            ),
            domains: filled(
                &mut fills,
                Cache::new(Api::namespaced(client.clone(), root_namespace), all(), keep),
            ),
            isolation_segments: filled(
                &mut fills,
                Cache::new(Api::namespaced(client.clone(), root_namespace), all(), keep),
            ),
            security_groups: filled(
                &mut fills,
                Cache::new(Api::namespaced(client.clone(), root_namespace), all(), keep),
            ),
            routes: filled(
                &mut fills,
                Cache::new(Api::all(client.clone()), all(), keep),
            ),
            lrps: filled(
                &mut fills,
                Cache::new(Api::all(client.clone()), all(), keep),
            ),
            statefulsets: filled(
                &mut fills,
                Cache::new(
                    Api::all(client.clone()),
                    labelled(labels::PROCESS_GUID),
                    |s: &mut StatefulSet| {
                        if let Some(spec) = s.spec.as_mut() {
                            spec.template = Default::default();
                        }
                    },
                ),
            ),
            services: filled(
                &mut fills,
                Cache::new(
                    Api::all(client.clone()),
                    labelled(labels::PROCESS_GUID),
                    keep,
                ),
            ),
            instances: filled(
                &mut fills,
                Cache::new(
                    Api::all(client.clone()),
                    labelled(labels::PROCESS_GUID),
                    without_spec,
                ),
            ),
            ingresses: filled(
                &mut fills,
                Cache::new(Api::all(client.clone()), labelled(labels::ROUTE_GUID), keep),
            ),
            route_services: filled(
                &mut fills,
                Cache::new(Api::all(client.clone()), labelled(labels::ROUTE_GUID), keep),
            ),
            endpoint_slices: filled(
                &mut fills,
                Cache::new(Api::all(client.clone()), labelled(labels::ROUTE_GUID), keep),
            ),
            jobs: filled(
                &mut fills,
                Cache::new(
                    Api::all(client.clone()),
                    labelled(labels::BUILD_GUID),
                    |j: &mut Job| {
                        if let Some(spec) = j.spec.as_mut() {
                            spec.template = Default::default();
                        }
                    },
                ),
            ),
            staging_pods: filled(
                &mut fills,
                Cache::new(
                    Api::all(client.clone()),
                    labelled(labels::BUILD_GUID),
                    without_spec,
                ),
            ),
        };
        (caches, futures::future::join_all(fills).map(drop).boxed())
    }

    /// Resolves once every cache holds its first full list; `false` if one never will.
    pub async fn synced(&self) -> bool {
        self.apps.synced().await
            && self.builds.synced().await
            && self.packages.synced().await
            && self.buildpacks.synced().await
            && self.domains.synced().await
            && self.isolation_segments.synced().await
            && self.security_groups.synced().await
            && self.routes.synced().await
            && self.lrps.synced().await
            && self.statefulsets.synced().await
            && self.services.synced().await
            && self.instances.synced().await
            && self.ingresses.synced().await
            && self.route_services.synced().await
            && self.endpoint_slices.synced().await
            && self.jobs.synced().await
            && self.staging_pods.synced().await
    }
}

/// Keeps `(cache, fill)`'s cache and collects its fill.
fn filled<K: kube::Resource<DynamicType = ()>>(
    fills: &mut Vec<BoxFuture<'static, ()>>,
    (cache, fill): (Cache<K>, BoxFuture<'static, ()>),
) -> Cache<K> {
    fills.push(fill);
    cache
}

fn keep<K>(_: &mut K) {}

fn without_spec(pod: &mut Pod) {
    pod.spec = None;
}
