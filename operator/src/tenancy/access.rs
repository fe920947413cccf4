//! Pure: the RoleBindings the operator keeps in a tenant's namespace.
//!
//! These are not CF roles. CF roles are the api-shim's RoleBindings, labelled
//! [`ROLE_TYPE_LABEL`]; the operator's never carry that label, so they never show up in
//! `/v3/roles` and the api-shim's cache does not hold them.
//!
//! So far there is one: in every space namespace, `smelter-org-managers` binds the group
//! `cf:org-managers:<org guid>` to `smelter-space-manager`. CF lets an org manager manage the
//! roles of every space in the org, but the api-shim writes as the caller, and the caller's
//! CF role binding lives only in the org namespace. The api-shim adds that group to the
//! identity it impersonates for each org the user manages, and this binding lets RBAC agree.

use super::build::{MANAGED_BY, Tenant, TenantKind, labels_present};
use k8s_openapi::{
    api::rbac::v1::{RoleBinding, RoleRef, Subject},
    apimachinery::pkg::apis::meta::v1::ObjectMeta,
};
use smelter_crds::labels;

/// The name of the RoleBinding that gives an org's managers space-manager rights in each of
/// its spaces.
pub const ORG_MANAGERS_BINDING: &str = "smelter-org-managers";
/// The ClusterRole (from the chart's `cf-roles.yaml`) that binding refers to.
pub const SPACE_MANAGER_ROLE: &str = "smelter-space-manager";
/// The prefix of the group the api-shim adds, per managed org, to an org manager's identity.
pub const ORG_MANAGERS_GROUP_PREFIX: &str = "cf:org-managers:";
/// The label that makes a RoleBinding a CF role, with the role's type as its value.
pub const ROLE_TYPE_LABEL: &str = "cf.smelter.dev/role-type";

const RBAC_API_GROUP: &str = "rbac.authorization.k8s.io";

/// The group of the managers of the org `org_guid`.
pub fn org_managers_group(org_guid: &str) -> String {
    format!("{ORG_MANAGERS_GROUP_PREFIX}{org_guid}")
}

/// The RoleBindings `tenant`'s namespace holds besides CF roles: none for an org (its
/// managers' CF role binding is in its own namespace), the org managers' one for a space.
///
/// They carry no owner reference: their owner, a Space, lives in another namespace, and an
/// owner reference cannot cross namespaces. They go when their namespace goes.
pub fn build_role_bindings(tenant: &Tenant) -> Vec<RoleBinding> {
    match tenant.kind {
        TenantKind::Org => Vec::new(),
        TenantKind::Space => vec![org_managers_binding(tenant)],
    }
}

fn org_managers_binding(space: &Tenant) -> RoleBinding {
    RoleBinding {
        metadata: ObjectMeta {
            name: Some(ORG_MANAGERS_BINDING.to_owned()),
            namespace: Some(space.guid.clone()),
            labels: Some(space.space_labels()),
            ..ObjectMeta::default()
        },
        role_ref: RoleRef {
            api_group: RBAC_API_GROUP.to_owned(),
            kind: "ClusterRole".to_owned(),
            name: SPACE_MANAGER_ROLE.to_owned(),
        },
        subjects: Some(vec![Subject {
            api_group: Some(RBAC_API_GROUP.to_owned()),
            kind: "Group".to_owned(),
            name: org_managers_group(&space.org_guid),
            namespace: None,
        }]),
    }
}

/// The label selector of the operator's RoleBindings: Smelter's, but not CF roles (whose
/// every change would otherwise wake the Space controller).
pub fn role_binding_selector() -> String {
    format!("{}={MANAGED_BY},!{ROLE_TYPE_LABEL}", labels::MANAGED_BY)
}

/// Whether `live` already carries `desired`'s labels, role and subjects, so applying would
/// change nothing and can be skipped. The subjects must match exactly: anyone else listed
/// would be given the role.
pub fn is_up_to_date(desired: &RoleBinding, live: &RoleBinding) -> bool {
    labels_present(&desired.metadata, &live.metadata)
        && live.role_ref == desired.role_ref
        && live.subjects == desired.subjects
}

/// Whether `live` refers to another role than `desired`. A binding's `roleRef` cannot be
/// changed, so such a binding has to be deleted and created again.
pub fn role_differs(desired: &RoleBinding, live: &RoleBinding) -> bool {
    live.role_ref != desired.role_ref
}

#[cfg(test)]
mod tests {
    use super::*;
    use kube::ResourceExt;
    use std::collections::BTreeMap;

    const ORG: &str = "0b6d8a5e-3c1f-4f2a-9e7d-1a2b3c4d5e6f";
    const SPACE: &str = "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a";

    fn tenant(kind: TenantKind, guid: &str) -> Tenant {
        Tenant {
            kind,
            guid: guid.into(),
            org_guid: ORG.into(),
            name: "x".into(),
        }
    }

    fn space_binding() -> RoleBinding {
        build_role_bindings(&tenant(TenantKind::Space, SPACE))
            .pop()
            .expect("a space has a binding")
    }

    #[test]
    fn builds_the_bindings_of_each_kind() {
        let space_labels = BTreeMap::from([
            (
                "app.kubernetes.io/managed-by".to_owned(),
                "smelter".to_owned(),
            ),
            ("cf.smelter.dev/org-guid".to_owned(), ORG.to_owned()),
            ("cf.smelter.dev/space-guid".to_owned(), SPACE.to_owned()),
        ]);
        // (tenant, want [(namespace, name, labels, roleRef name, subjects)])
        let cases = [
            (tenant(TenantKind::Org, ORG), vec![]),
            (
                tenant(TenantKind::Space, SPACE),
                vec![(
                    SPACE,
                    "smelter-org-managers",
                    space_labels,
                    "smelter-space-manager",
                    vec![Subject {
                        api_group: Some("rbac.authorization.k8s.io".into()),
                        kind: "Group".into(),
                        name: format!("cf:org-managers:{ORG}"),
                        namespace: None,
                    }],
                )],
            ),
        ];
        for (tenant, want) in cases {
            let got = build_role_bindings(&tenant);
            assert_eq!(got.len(), want.len(), "{tenant:?}");
            for (rb, (namespace, name, labels, role, subjects)) in got.iter().zip(want) {
                assert_eq!(rb.metadata.namespace.as_deref(), Some(namespace));
                assert_eq!(rb.metadata.name.as_deref(), Some(name));
                assert_eq!(rb.metadata.labels.as_ref(), Some(&labels), "{tenant:?}");
                assert!(
                    !rb.labels().contains_key(ROLE_TYPE_LABEL),
                    "not a CF role: {tenant:?}"
                );
                assert_eq!(
                    rb.role_ref,
                    RoleRef {
                        api_group: "rbac.authorization.k8s.io".into(),
                        kind: "ClusterRole".into(),
                        name: role.into(),
                    }
                );
                assert_eq!(rb.subjects.as_ref(), Some(&subjects));
                assert!(rb.metadata.annotations.is_none());
                assert!(rb.metadata.owner_references.is_none());
            }
        }
    }

    #[test]
    fn the_selector_takes_the_built_bindings_and_leaves_cf_roles() {
        let matches = |rb: &RoleBinding| {
            role_binding_selector()
                .split(',')
                .all(|term| match term.strip_prefix('!') {
                    Some(absent) => !rb.labels().contains_key(absent),
                    None => {
                        let (k, v) = term.split_once('=').expect("k=v");
                        rb.labels().get(k).map(String::as_str) == Some(v)
                    }
                })
        };
        let binding = space_binding();
        assert!(matches(&binding));
        let mut cf_role = binding;
        cf_role
            .labels_mut()
            .insert(ROLE_TYPE_LABEL.into(), "space_developer".into());
        assert!(!matches(&cf_role));
    }

    #[test]
    fn up_to_date_only_with_the_same_labels_role_and_subjects() {
        let desired = space_binding();
        let with = |f: &dyn Fn(&mut RoleBinding)| {
            let mut live = desired.clone();
            f(&mut live);
            live
        };
        let someone = Subject {
            api_group: Some(RBAC_API_GROUP.into()),
            kind: "User".into(),
            name: "cf:mallory".into(),
            namespace: None,
        };
        // (case, live, up to date, role differs)
        let cases: Vec<(&str, RoleBinding, bool, bool)> = vec![
            ("identical", desired.clone(), true, false),
            (
                "as read back, with server fields and others' labels",
                with(&|rb| {
                    rb.metadata.resource_version = Some("42".into());
                    rb.metadata.uid = Some("u".into());
                    rb.labels_mut().insert("team".into(), "a".into());
                }),
                true,
                false,
            ),
            (
                "label removed by hand",
                with(&|rb| {
                    rb.labels_mut().remove(labels::SPACE_GUID);
                }),
                false,
                false,
            ),
            (
                "subject added by hand",
                with(&|rb| rb.subjects.get_or_insert_default().push(someone.clone())),
                false,
                false,
            ),
            (
                "subjects removed by hand",
                with(&|rb| rb.subjects = None),
                false,
                false,
            ),
            (
                "another role under our name",
                with(&|rb| rb.role_ref.name = "smelter-space-auditor".into()),
                false,
                true,
            ),
        ];
        for (case, live, up_to_date, differs) in cases {
            assert_eq!(is_up_to_date(&desired, &live), up_to_date, "{case}");
            assert_eq!(role_differs(&desired, &live), differs, "{case}");
        }
    }
}
