//! Watch caches of everything the API reads, so a GET never calls the API server: the same
//! data CC would read from its database, kept current by watches, and indexed by what CC's
//! filters look up ([`By`]).

use super::store::{By, Indexes, Store, StoreGone};
use crate::http::present::{self, UPDATED_AT};
use k8s_openapi::api::{core::v1::Secret, rbac::v1::RoleBinding};
use kube::{Api, Client, Resource, runtime::watcher};
use serde::de::DeserializeOwned;
use smelter_crds::{
    App, Build, Buildpack, Domain, EnvironmentVariableGroup, FeatureFlag, IsolationSegment, Lrp,
    Org, OrgQuota, Package, Route, SecurityGroup, ServiceBinding, ServiceInstance, Space,
    SpaceQuota, labels,
};
use std::fmt::Debug;

/// The label every CF role binding carries (its value is the CF role type).
pub const ROLE_TYPE_LABEL: &str = "cf.smelter.dev/role-type";
/// The label carrying the CF user GUID a role binding is for.
pub const USER_GUID_LABEL: &str = "cf.smelter.dev/user-guid";

/// Declares the stores once: [`Caches`] and [`Caches::wait_until_ready`] list them all.
macro_rules! caches {
    ($($name:ident: $kind:ty,)*) => {
        /// One store per kind the API serves.
        #[derive(Clone)]
        pub struct Caches {
            $(pub $name: Store<$kind>,)*
        }

        impl Caches {
            /// Resolves once every store has its first full list; any number of tasks may wait.
            pub async fn wait_until_ready(&self) -> Result<(), StoreGone> {
                $(self.$name.wait_until_ready().await?;)*
                Ok(())
            }
        }
    };
}

caches! {
    orgs: Org,
    spaces: Space,
    apps: App,
    packages: Package,
    builds: Build,
    lrps: Lrp,
    routes: Route,
    domains: Domain,
    buildpacks: Buildpack,
    service_instances: ServiceInstance,
    service_bindings: ServiceBinding,
    role_bindings: RoleBinding,
    root_secrets: Secret,
    org_quotas: OrgQuota,
    space_quotas: SpaceQuota,
    isolation_segments: IsolationSegment,
    security_groups: SecurityGroup,
    feature_flags: FeatureFlag,
    env_groups: EnvironmentVariableGroup,
}

fn namespace<K: Resource>(obj: &K) -> Vec<String> {
    obj.meta().namespace.clone().into_iter().collect()
}

fn label<K: Resource>(obj: &K, key: &str) -> Vec<String> {
    obj.meta()
        .labels
        .as_ref()
        .and_then(|l| l.get(key))
        .cloned()
        .into_iter()
        .collect()
}

const ORGS: Indexes<Org> = &[(By::Name, |o| vec![o.spec.name.clone()])];
const SPACES: Indexes<Space> = &[
    (By::Name, |s| vec![s.spec.name.clone()]),
    (By::Org, namespace),
];
const APPS: Indexes<App> = &[
    (By::Name, |a| vec![a.spec.name.clone()]),
    (By::Space, namespace),
    (By::Process, |a| {
        a.spec.processes.iter().map(|p| p.guid.clone()).collect()
    }),
];
const PACKAGES: Indexes<Package> = &[(By::App, |p| vec![p.spec.app_guid.clone()])];
const BUILDS: Indexes<Build> = &[
    (By::App, |b| vec![b.spec.app_guid.clone()]),
    (By::Package, |b| vec![b.spec.package_guid.clone()]),
    (By::Droplet, |b| {
        b.status
            .iter()
            .filter_map(|s| s.droplet.as_ref())
            .map(|d| d.guid.clone())
            .collect()
    }),
];
const ROUTES: Indexes<Route> = &[
    (By::Space, namespace),
    (By::App, |r| {
        let mut apps: Vec<String> = r
            .spec
            .destinations
            .iter()
            .map(|d| d.app_guid.clone())
            .collect();
        apps.dedup();
        apps
    }),
];
const DOMAINS: Indexes<Domain> = &[
    (By::Name, |d| vec![d.spec.name.clone()]),
    (By::Org, |d| {
        d.spec.organization_guid.clone().into_iter().collect()
    }),
];
const SERVICE_INSTANCES: Indexes<ServiceInstance> = &[
    (By::Name, |si| vec![si.spec.name.clone()]),
    (By::Space, namespace),
];
const SERVICE_BINDINGS: Indexes<ServiceBinding> = &[
    (By::App, |b| b.spec.app_guid.clone().into_iter().collect()),
    (By::ServiceInstance, |b| {
        vec![b.spec.service_instance_guid.clone()]
    }),
];
const ORG_QUOTAS: Indexes<OrgQuota> = &[(By::Name, |q| vec![q.spec.name.clone()])];
const SPACE_QUOTAS: Indexes<SpaceQuota> = &[
    (By::Name, |q| vec![q.spec.name.clone()]),
    (By::Org, namespace),
];
const ISOLATION_SEGMENTS: Indexes<IsolationSegment> = &[(By::Name, |i| vec![i.spec.name.clone()])];
const SECURITY_GROUPS: Indexes<SecurityGroup> = &[(By::Name, |g| vec![g.spec.name.clone()])];
const ROLE_BINDINGS: Indexes<RoleBinding> = &[
    (By::User, |rb| label(rb, USER_GUID_LABEL)),
    (By::Space, |rb| label(rb, labels::SPACE_GUID)),
    (By::Org, |rb| label(rb, labels::ORG_GUID)),
];

impl Caches {
    /// Starts every watch on `client` and returns the stores; they fill in the background.
    /// Orgs, domains and buildpacks live in `root_namespace`, where `users_secret` is the only
    /// Secret cached; the rest are watched in every namespace.
    pub fn start(client: &Client, root_namespace: &str, users_secret: &str) -> Self {
        Self::from(
            &Source::Watch {
                client,
                root: root_namespace,
            },
            users_secret,
        )
    }

    /// Empty stores that nothing fills but the events a unit test applies.
    #[cfg(test)]
    pub fn unwatched() -> Self {
        Self::from(&Source::Unwatched, "")
    }

    fn from(source: &Source, users_secret: &str) -> Self {
        let all = watcher::Config::default;
        let roles = all().labels(ROLE_TYPE_LABEL);
        let users = all().fields(&format!("metadata.name={users_secret}"));
        Self {
            orgs: source.store(Scope::Root, all(), ORGS),
            spaces: source.store(Scope::All, all(), SPACES),
            apps: source.store(Scope::All, all(), APPS),
            packages: source.store(Scope::All, all(), PACKAGES),
            builds: source.store(Scope::All, all(), BUILDS),
            lrps: source.store(Scope::All, all(), &[]),
            routes: source.store(Scope::All, all(), ROUTES),
            domains: source.store(Scope::Root, all(), DOMAINS),
            buildpacks: source.store(Scope::Root, all(), &[]),
            service_instances: source.store(Scope::All, all(), SERVICE_INSTANCES),
            service_bindings: source.store(Scope::All, all(), SERVICE_BINDINGS),
            role_bindings: source.store(Scope::All, roles, ROLE_BINDINGS),
            root_secrets: source.store(Scope::Root, users, &[]),
            org_quotas: source.store(Scope::Root, all(), ORG_QUOTAS),
            space_quotas: source.store(Scope::All, all(), SPACE_QUOTAS),
            isolation_segments: source.store(Scope::Root, all(), ISOLATION_SEGMENTS),
            security_groups: source.store(Scope::Root, all(), SECURITY_GROUPS),
            feature_flags: source.store(Scope::Root, all(), &[]),
            env_groups: source.store(Scope::Root, all(), &[]),
        }
    }
}

/// Where the stores' objects come from.
enum Source<'a> {
    /// Watches on the API server.
    Watch { client: &'a Client, root: &'a str },
    /// Nowhere (unit tests apply their own events).
    #[cfg(test)]
    Unwatched,
}

/// Which namespaces a store watches.
enum Scope {
    Root,
    All,
}

impl Source<'_> {
    fn store<K>(&self, scope: Scope, config: watcher::Config, indexes: Indexes<K>) -> Store<K>
    where
        K: Resource<Scope = k8s_openapi::NamespaceResourceScope> + Clone + DeserializeOwned,
        K: Debug + Send + Sync + 'static,
        K::DynamicType: Default,
    {
        match self {
            Self::Watch { client, root } => {
                let api = match scope {
                    Scope::Root => Api::namespaced((*client).clone(), root),
                    Scope::All => Api::all((*client).clone()),
                };
                Store::watch(api, config, indexes, slim)
            }
            #[cfg(test)]
            Self::Unwatched => Store::new(indexes),
        }
    }
}

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
        let stamp = present::cc_time(&latest.0);
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

/// Orgs and spaces, which the operator sets up (a namespace, role bindings) before anything
/// can go into them.
pub trait Tenancy {
    /// Whether the operator says `Ready: True` of it.
    fn is_ready(&self) -> bool;
}

fn ready(conditions: &[k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition]) -> bool {
    conditions
        .iter()
        .any(|c| c.type_ == "Ready" && c.status == "True")
}

impl Tenancy for Org {
    fn is_ready(&self) -> bool {
        self.status.as_ref().is_some_and(|s| ready(&s.conditions))
    }
}

impl Tenancy for Space {
    fn is_ready(&self) -> bool {
        self.status.as_ref().is_some_and(|s| ready(&s.conditions))
    }
}
