//! The Org controller: every `Org` in the root namespace owns the namespace named by its GUID.

use crate::{
    context::Context,
    error::Error,
    tenancy::{
        NamespaceOwner,
        build::{Tenant, TenantKind},
    },
};
use k8s_openapi::{api::core::v1::Namespace, apimachinery::pkg::apis::meta::v1::Condition};
use kube::{
    Api, ResourceExt,
    runtime::{Controller, reflector::ObjectRef, watcher},
};
use smelter_crds::Org;

impl NamespaceOwner for Org {
    const CONTROLLER: &'static str = "org";

    fn tenant(&self) -> Result<Tenant, Error> {
        let guid = self.name_any();
        Ok(Tenant {
            kind: TenantKind::Org,
            org_guid: guid.clone(),
            guid,
            name: self.spec.name.clone(),
        })
    }

    fn status_parts(&self) -> (Option<i64>, &[Condition]) {
        self.status
            .as_ref()
            .map_or((None, &[]), |s| (s.observed_generation, &s.conditions))
    }
}

/// The controller of the Orgs in the root namespace. It also watches org namespaces, so a
/// namespace deleted or relabelled by hand is put back.
pub(crate) fn controller(ctx: &Context) -> Controller<Org> {
    let root = ctx.config.root_namespace.clone();
    let orgs: Api<Org> = Api::namespaced(ctx.client.clone(), &root);
    let namespaces: Api<Namespace> = Api::all(ctx.client.clone());
    let selector = TenantKind::Org.namespace_selector();
    crate::watch::controller(orgs).watches(
        namespaces,
        watcher::Config::default().labels(&selector),
        move |ns| org_of_namespace(&ns, &root),
    )
}

/// The Org an org namespace belongs to. Every installation's operator sees every org
/// namespace; one that maps to an Org this operator does not know is dropped by the
/// controller, since the Org is not in its cache.
fn org_of_namespace(ns: &Namespace, root: &str) -> Option<ObjectRef<Org>> {
    Some(ObjectRef::new(ns.metadata.name.as_deref()?).within(root))
}

#[cfg(test)]
mod tests {
    use super::*;
    use smelter_crds::OrgSpec;

    #[test]
    fn an_org_namespace_maps_to_the_org_of_the_same_name_in_the_root_namespace() {
        let mut ns = Namespace::default();
        assert_eq!(org_of_namespace(&ns, "cf"), None);
        ns.metadata.name = Some("0b6d8a5e-3c1f-4f2a-9e7d-1a2b3c4d5e6f".into());
        assert_eq!(
            org_of_namespace(&ns, "cf"),
            Some(ObjectRef::new("0b6d8a5e-3c1f-4f2a-9e7d-1a2b3c4d5e6f").within("cf"))
        );
    }

    #[test]
    fn an_org_is_its_own_org() {
        let org = Org::new(
            "0b6d8a5e-3c1f-4f2a-9e7d-1a2b3c4d5e6f",
            OrgSpec {
                name: "my-org".into(),
                suspended: false,
                ..Default::default()
            },
        );
        let tenant = org.tenant().expect("tenant");
        assert_eq!(tenant.kind, TenantKind::Org);
        assert_eq!(tenant.guid, tenant.org_guid);
        assert_eq!(tenant.name, "my-org");
        assert_eq!(org.status_parts(), (None, &[][..]));
    }
}
