//! Watch caches (reflectors) of everything the API reads, so a GET never calls the API server:
//! the same data CC would read from its database, kept current by watches.

use futures::StreamExt;
use k8s_openapi::api::{core::v1::Secret, rbac::v1::RoleBinding};
use kube::{
    Api, Client, Resource,
    runtime::{
        WatchStreamExt,
        reflector::{self, Store},
        watcher,
    },
};
use serde::de::DeserializeOwned;
use smelter_crds::{
    App, Build, Buildpack, Domain, Lrp, Org, Package, Route, ServiceBinding, ServiceInstance, Space,
};
use std::{fmt::Debug, hash::Hash};

/// The label every CF role binding carries (its value is the CF role type).
pub const ROLE_TYPE_LABEL: &str = "cf.smelter.dev/role-type";

/// One reflector store per kind the API serves.
#[derive(Clone)]
pub struct Caches {
    pub orgs: Store<Org>,
    pub spaces: Store<Space>,
    pub apps: Store<App>,
    pub packages: Store<Package>,
    pub builds: Store<Build>,
    pub lrps: Store<Lrp>,
    pub routes: Store<Route>,
    pub domains: Store<Domain>,
    pub buildpacks: Store<Buildpack>,
    pub service_instances: Store<ServiceInstance>,
    pub service_bindings: Store<ServiceBinding>,
    pub role_bindings: Store<RoleBinding>,
    pub root_secrets: Store<Secret>,
    /// True once every store has its first full list. A kube `Store`'s own
    /// `wait_until_ready()` wakes only one of several waiters, so one task waits on the stores
    /// and everyone else waits on this.
    synced: tokio::sync::watch::Receiver<bool>,
}

/// A watch ended before its cache was filled (the api-shim is stopping).
#[derive(Debug, thiserror::Error)]
#[error("a watch cache stopped before its first full list")]
pub struct CachesGone;

impl Caches {
    /// Starts every watch on `client` and returns the stores; they fill in the background.
    /// `users_secret` in `root_namespace` is the only Secret cached.
    pub fn start(client: &Client, root_namespace: &str, users_secret: &str) -> Self {
        let all = watcher::Config::default();
        let (synced_tx, synced) = tokio::sync::watch::channel(false);
        let caches = Self {
            orgs: spawn(Api::namespaced(client.clone(), root_namespace), all.clone()),
            spaces: spawn(Api::all(client.clone()), all.clone()),
            apps: spawn(Api::all(client.clone()), all.clone()),
            packages: spawn(Api::all(client.clone()), all.clone()),
            builds: spawn(Api::all(client.clone()), all.clone()),
            lrps: spawn(Api::all(client.clone()), all.clone()),
            routes: spawn(Api::all(client.clone()), all.clone()),
            domains: spawn(Api::namespaced(client.clone(), root_namespace), all.clone()),
            buildpacks: spawn(Api::namespaced(client.clone(), root_namespace), all.clone()),
            service_instances: spawn(Api::all(client.clone()), all.clone()),
            service_bindings: spawn(Api::all(client.clone()), all.clone()),
            role_bindings: spawn(
                Api::all(client.clone()),
                all.clone().labels(ROLE_TYPE_LABEL),
            ),
            root_secrets: spawn(
                Api::namespaced(client.clone(), root_namespace),
                all.fields(&format!("metadata.name={users_secret}")),
            ),
            synced,
        };
        let stores = caches.clone();
        tokio::spawn(async move {
            match stores.wait_for_stores().await {
                Ok(()) => {
                    let _ = synced_tx.send(true);
                }
                // Dropping the sender tells the waiters.
                Err(e) => tracing::warn!(error = %e, "watch caches never synced"),
            }
        });
        caches
    }

    /// Resolves once every store has its first full list; any number of tasks may wait.
    pub async fn wait_until_ready(&self) -> Result<(), CachesGone> {
        let mut synced = self.synced.clone();
        synced
            .wait_for(|s| *s)
            .await
            .map(drop)
            .map_err(|_| CachesGone)
    }

    /// The stores' own readiness, one after the other; only the task in [`Self::start`] may
    /// call this (see `synced`).
    async fn wait_for_stores(&self) -> Result<(), reflector::store::WriterDropped> {
        self.orgs.wait_until_ready().await?;
        self.spaces.wait_until_ready().await?;
        self.apps.wait_until_ready().await?;
        self.packages.wait_until_ready().await?;
        self.builds.wait_until_ready().await?;
        self.lrps.wait_until_ready().await?;
        self.routes.wait_until_ready().await?;
        self.domains.wait_until_ready().await?;
        self.buildpacks.wait_until_ready().await?;
        self.service_instances.wait_until_ready().await?;
        self.service_bindings.wait_until_ready().await?;
        self.role_bindings.wait_until_ready().await?;
        self.root_secrets.wait_until_ready().await
    }
}

fn spawn<K>(api: Api<K>, config: watcher::Config) -> Store<K>
where
    K: Resource + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
    K::DynamicType: Default + Eq + Hash + Clone,
{
    let (reader, writer) = reflector::store();
    let stream = reflector::reflector(writer, watcher(api, config).modify(slim))
        .default_backoff()
        .touched_objects();
    tokio::spawn(async move {
        let mut stream = std::pin::pin!(stream);
        while let Some(event) = stream.next().await {
            if let Err(e) = event {
                // The watcher retries with backoff; the store keeps serving the last state.
                tracing::warn!(kind = %K::kind(&Default::default()), error = %e, "watch error");
            }
        }
    });
    reader
}

/// The annotation the cache keeps in place of managed fields: the object's last write time,
/// which is all the API needs of them (`updated_at`). It exists only in memory.
pub const UPDATED_AT: &str = "cf.smelter.dev/cached-updated-at";

/// Managed fields are most of an object's size and the API only needs their latest time, so the
/// cache keeps that time and drops them.
fn slim<K: Resource>(obj: &mut K) {
    let meta = obj.meta_mut();
    if let Some(latest) = meta
        .managed_fields
        .iter()
        .flatten()
        .filter_map(|m| m.time.as_ref())
        .max_by_key(|t| t.0)
    {
        let stamp = latest.0.strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
        meta.annotations
            .get_or_insert_with(Default::default)
            .insert(UPDATED_AT.to_owned(), stamp);
    }
    meta.managed_fields = None;
}

/// Prepares a cached object for writing back: drops what exists only in the cache.
pub fn for_write(meta: &mut k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta) {
    meta.managed_fields = None;
    if let Some(a) = meta.annotations.as_mut() {
        a.remove(UPDATED_AT);
    }
}

/// Waits until `check` holds on the store's contents, e.g. until a write made through the API
/// server is visible in the cache, so a read right after a write sees it (CC is read-your-writes).
pub async fn until<K, F>(store: &Store<K>, timeout: std::time::Duration, check: F) -> bool
where
    K: Resource + Clone + 'static,
    K::DynamicType: Eq + Hash + Clone,
    F: Fn(&Store<K>) -> bool,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if check(store) {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// Whether `store` holds the object `name` at resource version `version` or a later one, so a
/// writer sees its write even when another write (a controller's status) follows within one
/// poll of [`until`], which an equality check would miss until it timed out. Resource versions
/// are opaque by the API's rules, but an etcd-backed API server's are etcd revisions, which
/// only grow; versions that are not numbers fall back to equality.
pub fn has_version<K>(store: &Store<K>, name: &str, version: Option<&str>) -> bool
where
    K: Resource + Clone + 'static,
    K::DynamicType: Eq + Hash + Clone,
{
    let Some(version) = version else {
        return false;
    };
    store.state().iter().any(|o| {
        o.meta().name.as_deref() == Some(name)
            && o.meta().resource_version.as_deref().is_some_and(|have| {
                have == version
                    || matches!(
                        (have.parse::<u64>(), version.parse::<u64>()),
                        (Ok(have), Ok(want)) if have >= want
                    )
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::ConfigMap;

    #[test]
    fn a_later_version_counts_as_seen() {
        let (store, mut writer) = reflector::store::<ConfigMap>();
        let mut cm = ConfigMap::default();
        cm.metadata.name = Some("c".into());
        cm.metadata.namespace = Some("n".into());
        cm.metadata.resource_version = Some("12".into());
        writer.apply_watcher_event(&watcher::Event::Apply(cm));
        assert!(has_version(&store, "c", Some("12")));
        assert!(has_version(&store, "c", Some("9")));
        assert!(!has_version(&store, "c", Some("13")));
        assert!(!has_version(&store, "c", Some("x")));
        assert!(!has_version(&store, "d", Some("1")));
        assert!(!has_version(&store, "c", None));
    }
}
