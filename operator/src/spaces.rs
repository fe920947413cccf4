//! The Space controller: every `Space` in an org's namespace owns the namespace named by its
//! GUID. A space's org is the one whose namespace it lives in.

use crate::{
    context::Context,
    error::Error,
    tenancy::{
        NamespaceOwner, access,
        build::{MANAGED_BY, Tenant, TenantKind},
        env_groups,
    },
};
use k8s_openapi::{
    api::{
        core::v1::{ConfigMap, LimitRange, Namespace, ResourceQuota},
        networking::v1::NetworkPolicy,
        rbac::v1::RoleBinding,
    },
    apimachinery::pkg::apis::meta::v1::Condition,
};
use kube::{
    Api, ResourceExt,
    runtime::{Controller, reflector::ObjectRef, watcher},
};
use smelter_crds::{EnvironmentVariableGroup, Org, SecurityGroup, Space, SpaceQuota, labels};
use std::sync::Arc;

impl NamespaceOwner for Space {
    const CONTROLLER: &'static str = "space";

    fn tenant(&self) -> Result<Tenant, Error> {
        // An org's namespace is named by the org's GUID.
        let org_guid = self.namespace().ok_or_else(|| Error::NoNamespace {
            kind: Self::CONTROLLER,
            name: self.name_any(),
        })?;
        Ok(Tenant {
            kind: TenantKind::Space,
            guid: self.name_any(),
            org_guid,
            name: self.spec.name.clone(),
        })
    }

    const ENFORCES_SPACE_QUOTA: bool = true;

    fn space_quota(&self) -> Option<&str> {
        self.spec.quota.as_deref()
    }

    fn status_parts(&self) -> (Option<i64>, &[Condition]) {
        self.status
            .as_ref()
            .map_or((None, &[]), |s| (s.observed_generation, &s.conditions))
    }

    /// A Space outside the namespace of one of this installation's Orgs is not ours to set up
    /// (it may be another installation's, in a shared cluster).
    async fn is_ours(&self, ctx: &Context) -> Result<bool, Error> {
        in_an_org(self, ctx).await
    }
}

/// The controller of the Spaces in every namespace (spaces live in their orgs' namespaces,
/// which come and go). It also watches space namespaces and the operator's role bindings and
/// space quota objects, group copies and security group policies in them, so one deleted or
/// changed by hand is put back (they cannot be owned children: an owner reference cannot point
/// into another namespace), and the space quotas, environment variable groups and security
/// groups, so a change reaches every space it concerns (a security group's every space: one
/// unbound from a space no longer names it).
pub(crate) fn controller(ctx: &Context) -> Controller<Space> {
    let client = &ctx.client;
    let namespace_selector = TenantKind::Space.namespace_selector();
    let role_binding_selector = access::role_binding_selector();
    let managed = format!("{}={}", labels::MANAGED_BY, MANAGED_BY);
    let quota_objects = watcher::Config::default().labels(&managed);
    let controller = crate::watch::controller(Api::<Space>::all(client.clone()));
    let spaces = controller.store();
    controller
        .watches(
            Api::<Namespace>::all(client.clone()),
            watcher::Config::default().labels(&namespace_selector),
            |ns| space_of_namespace(&ns),
        )
        .watches(
            Api::<RoleBinding>::all(client.clone()),
            watcher::Config::default().labels(&role_binding_selector),
            |rb| space_of_labels(&rb),
        )
        .watches(
            Api::<ResourceQuota>::all(client.clone()),
            quota_objects.clone(),
            |rq| space_of_labels(&rq),
        )
        .watches(
            Api::<LimitRange>::all(client.clone()),
            quota_objects.clone(),
            |lr| space_of_labels(&lr),
        )
        .watches(
            Api::<NetworkPolicy>::all(client.clone()),
            quota_objects,
            |np| space_of_labels(&np),
        )
        .watches(
            Api::<ConfigMap>::all(client.clone()),
            watcher::Config::default().labels(env_groups::GROUP_LABEL),
            |cm| space_of_labels(&cm),
        )
        .watches(
            Api::<EnvironmentVariableGroup>::namespaced(client.clone(), &ctx.config.root_namespace),
            watcher::Config::default(),
            every_space(&spaces),
        )
        .watches(
            Api::<SecurityGroup>::namespaced(client.clone(), &ctx.config.root_namespace),
            watcher::Config::default(),
            every_space(&spaces),
        )
        .watches(
            Api::<SpaceQuota>::all(client.clone()),
            watcher::Config::default(),
            move |quota| spaces_naming(&spaces.state(), &quota),
        )
}

/// A mapper to every space, for what concerns them all.
fn every_space<T>(
    spaces: &kube::runtime::reflector::Store<Space>,
) -> impl Fn(T) -> Vec<ObjectRef<Space>> + Send + Sync + 'static {
    let spaces = spaces.clone();
    move |_| {
        spaces
            .state()
            .iter()
            .map(|s| ObjectRef::from_obj(&**s))
            .collect()
    }
}

/// The spaces of `quota`'s org that name it.
fn spaces_naming(spaces: &[Arc<Space>], quota: &SpaceQuota) -> Vec<ObjectRef<Space>> {
    let (org, guid) = (quota.namespace(), quota.metadata.name.as_deref());
    spaces
        .iter()
        .filter(|s| s.namespace() == org && s.spec.quota.as_deref() == guid)
        .map(|s| ObjectRef::from_obj(&**s))
        .collect()
}

/// The Space a space namespace belongs to: named like the namespace, in its org's namespace.
fn space_of_namespace(ns: &Namespace) -> Option<ObjectRef<Space>> {
    let org = ns.labels().get(labels::ORG_GUID)?;
    Some(ObjectRef::new(ns.metadata.name.as_deref()?).within(org))
}

/// The Space an object the operator keeps in a space namespace belongs to, by its GUID
/// labels.
fn space_of_labels(obj: &impl ResourceExt) -> Option<ObjectRef<Space>> {
    let org = obj.labels().get(labels::ORG_GUID)?;
    let space = obj.labels().get(labels::SPACE_GUID)?;
    Some(ObjectRef::new(space).within(org))
}

/// Whether the space's namespace is that of an Org in this installation's root namespace.
async fn in_an_org(space: &Space, ctx: &Context) -> Result<bool, Error> {
    let org_guid = space.tenant()?.org_guid;
    let orgs: Api<Org> = Api::namespaced(ctx.client.clone(), &ctx.config.root_namespace);
    orgs.get_opt(&org_guid)
        .await
        .map(|org| org.is_some())
        .map_err(|source| Error::ReadOrg {
            name: org_guid,
            namespace: ctx.config.root_namespace.clone(),
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use smelter_crds::SpaceSpec;
    use std::collections::BTreeMap;

    const ORG: &str = "0b6d8a5e-3c1f-4f2a-9e7d-1a2b3c4d5e6f";
    const SPACE: &str = "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a";

    #[test]
    fn a_space_namespace_maps_to_its_space_in_the_org_namespace() {
        let mut ns = Namespace::default();
        ns.metadata.name = Some(SPACE.into());
        assert_eq!(space_of_namespace(&ns), None, "no org label");
        ns.metadata.labels = Some(BTreeMap::from([(
            labels::ORG_GUID.to_owned(),
            ORG.to_owned(),
        )]));
        assert_eq!(
            space_of_namespace(&ns),
            Some(ObjectRef::new(SPACE).within(ORG))
        );
    }

    #[test]
    fn a_role_binding_maps_to_its_space_by_its_labels() {
        let label = |k: &str, v: &str| (k.to_owned(), v.to_owned());
        // (labels, want)
        let cases = [
            (vec![], None),
            (vec![label(labels::ORG_GUID, ORG)], None),
            (vec![label(labels::SPACE_GUID, SPACE)], None),
            (
                vec![
                    label(labels::ORG_GUID, ORG),
                    label(labels::SPACE_GUID, SPACE),
                ],
                Some(ObjectRef::new(SPACE).within(ORG)),
            ),
        ];
        for (pairs, want) in cases {
            let mut rb = RoleBinding::default();
            rb.metadata.labels = Some(pairs.iter().cloned().collect());
            assert_eq!(space_of_labels(&rb), want, "{pairs:?}");
        }
    }

    #[test]
    fn a_space_belongs_to_the_org_of_its_namespace() {
        let mut space = Space::new(
            SPACE,
            SpaceSpec {
                name: "dev".into(),
                allow_ssh: false,
                ..Default::default()
            },
        );
        assert!(matches!(space.tenant(), Err(Error::NoNamespace { .. })));
        space.metadata.namespace = Some(ORG.into());
        assert_eq!(
            space.tenant().expect("tenant"),
            Tenant {
                kind: TenantKind::Space,
                guid: SPACE.into(),
                org_guid: ORG.into(),
                name: "dev".into(),
            }
        );
    }
}
