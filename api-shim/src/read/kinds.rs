//! How each cached kind is found and who may see it: objects in a space are visible to whoever
//! sees the space (their namespace), orgs and spaces by role, shared domains and buildpacks to
//! everyone.

use crate::{
    auth::Permissions,
    storage::{cache::Caches, store::Store},
};
use k8s_openapi::api::rbac::v1::RoleBinding;
use kube::Resource;
use smelter_crds::{
    App, Build, Buildpack, Domain, EnvironmentVariableGroup, FeatureFlag, IsolationSegment, Lrp,
    Org, OrgQuota, Package, Route, SecurityGroup, ServiceBinding, ServiceInstance, Space,
    SpaceQuota, labels,
};

/// A kind the API reads from its cache.
pub trait Kind: Resource + Clone + Send + Sync + 'static {
    /// CC's name of it in `<NAME> not found`.
    const NAME: &'static str;
    fn store(caches: &Caches) -> &Store<Self>;
    /// Whether the caller may see `obj`.
    fn visible(perms: &Permissions, obj: &Self) -> bool;
    /// Its CF name, for what has one: what the `names` filter looks for, `order_by=name`
    /// sorts by and the `By::Name` index files it under.
    fn cf_name(&self) -> Option<&str> {
        None
    }
    /// Whether a change to it goes to the API server as the caller, so RBAC checks it again.
    /// Not for orgs and security groups: they live in the root namespace, where no CF role is
    /// bound, yet CC lets org managers rename an org and set its default isolation segment,
    /// and space managers bind a group to their spaces. Their handlers check the caller's
    /// roles, and the write goes as the api-shim.
    const WRITTEN_AS_CALLER: bool = true;
}

/// The space an object in a space's namespace belongs to.
pub fn space_of<K: Resource>(obj: &K) -> &str {
    obj.meta().namespace.as_deref().unwrap_or_default()
}

/// The GUID of an object: its name.
pub fn guid_of<K: Resource>(obj: &K) -> &str {
    obj.meta().name.as_deref().unwrap_or_default()
}

macro_rules! kinds {
    ($($kind:ty: $name:literal, $store:ident, |$perms:ident, $obj:ident| $visible:expr
        $(, named |$n:ident| $named:expr)?;)*) => {$(
        impl Kind for $kind {
            const NAME: &'static str = $name;
            fn store(caches: &Caches) -> &Store<Self> {
                &caches.$store
            }
            fn visible($perms: &Permissions, $obj: &Self) -> bool {
                $visible
            }
            $(fn cf_name(&self) -> Option<&str> {
                let $n = self;
                Some($named)
            })?
        }
    )*};
}

// Objects in a space are seen by whoever sees the space (their namespace); orgs and spaces
// by role; buildpacks by everyone.
kinds! {
    App: "App", apps, |perms, obj| perms.sees_space(space_of(obj)), named |a| &a.spec.name;
    Package: "Package", packages, |perms, obj| perms.sees_space(space_of(obj));
    Build: "Build", builds, |perms, obj| perms.sees_space(space_of(obj));
    Lrp: "Process", lrps, |perms, obj| perms.sees_space(space_of(obj));
    Route: "Route", routes, |perms, obj| perms.sees_space(space_of(obj));
    ServiceInstance: "Service instance", service_instances,
        |perms, obj| perms.sees_space(space_of(obj)), named |si| &si.spec.name;
    // A binding's name is optional; CC's `names` filter and order treat none as "".
    ServiceBinding: "Service credential binding", service_bindings,
        |perms, obj| perms.sees_space(space_of(obj)),
        named |b| b.spec.name.as_deref().unwrap_or_default();
    Space: "Space", spaces, |perms, obj| perms.sees_space(guid_of(obj)), named |s| &s.spec.name;
    Buildpack: "Buildpack", buildpacks, |_perms, _obj| true, named |b| &b.spec.name;
    // Every user may read every org quota (CC); a space quota is seen by its org's managers
    // and by who sees a space under it.
    OrgQuota: "Organization quota", org_quotas, |_perms, _obj| true, named |q| &q.spec.name;
    SpaceQuota: "Space quota", space_quotas,
        |perms, obj| perms.manages_org(space_of(obj)) || perms.sees_space_quota(guid_of(obj)),
        named |q| &q.spec.name;
    // Every user reads both groups.
    EnvironmentVariableGroup: "Environment variable group", env_groups, |_perms, _obj| true;
    // Every user reads every flag.
    FeatureFlag: "Feature flag", feature_flags, |_perms, _obj| true, named |f| &f.spec.name;
    // A segment is seen by who sees an org entitled to it.
    IsolationSegment: "Isolation segment", isolation_segments,
        |perms, obj| perms.is_admin() || obj.spec.organization_guids.iter().any(|o| perms.sees_org(o)),
        named |i| &i.spec.name;
}

impl Kind for Org {
    const NAME: &'static str = "Organization";
    const WRITTEN_AS_CALLER: bool = false;
    fn store(caches: &Caches) -> &Store<Self> {
        &caches.orgs
    }
    fn visible(perms: &Permissions, org: &Self) -> bool {
        perms.sees_org(guid_of(org))
    }
    fn cf_name(&self) -> Option<&str> {
        Some(&self.spec.name)
    }
}

impl Kind for SecurityGroup {
    const NAME: &'static str = "Security group";
    const WRITTEN_AS_CALLER: bool = false;
    fn store(caches: &Caches) -> &Store<Self> {
        &caches.security_groups
    }
    /// Seen by everyone if enabled globally, else by who sees a space it is bound to.
    fn visible(perms: &Permissions, group: &Self) -> bool {
        let (g, s) = (&group.spec.globally_enabled, &group.spec);
        perms.is_admin()
            || g.running
            || g.staging
            || s.running_spaces
                .iter()
                .chain(&s.staging_spaces)
                .any(|sp| perms.sees_space(sp))
    }
    fn cf_name(&self) -> Option<&str> {
        Some(&self.spec.name)
    }
}

impl Kind for Domain {
    const NAME: &'static str = "Domain";
    fn store(caches: &Caches) -> &Store<Self> {
        &caches.domains
    }
    fn cf_name(&self) -> Option<&str> {
        Some(&self.spec.name)
    }
    /// Shared domains are everyone's; a private one is seen in its org and those it is
    /// shared with.
    fn visible(perms: &Permissions, d: &Self) -> bool {
        match &d.spec.organization_guid {
            None => true,
            Some(org) => {
                perms.sees_org(org)
                    || d.spec
                        .shared_organization_guids
                        .iter()
                        .any(|o| perms.sees_org(o))
            }
        }
    }
}

impl Kind for RoleBinding {
    const NAME: &'static str = "Role";
    fn store(caches: &Caches) -> &Store<Self> {
        &caches.role_bindings
    }
    /// A space role is seen by whoever sees the space; an org role by whoever sees the org.
    fn visible(perms: &Permissions, rb: &Self) -> bool {
        let label = |key: &str| rb.metadata.labels.as_ref()?.get(key);
        match (label(labels::SPACE_GUID), label(labels::ORG_GUID)) {
            (Some(space), _) => perms.sees_space(space),
            (None, Some(org)) => perms.sees_org(org),
            _ => false,
        }
    }
}
