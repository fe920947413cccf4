//! `POST /v3/roles`, checked as CC's `RoleCreateMessage` checks it (pure), and the
//! RoleBinding that stands for a role (pure; table-tested).

use super::{ORG_ROLES, SPACE_ROLES, cluster_role};
use crate::{
    auth::User,
    storage::cache::{ROLE_TYPE_LABEL, USER_GUID_LABEL},
    v3::prelude::*,
};
use k8s_openapi::api::rbac::v1::{RoleBinding, RoleRef, Subject};
use smelter_crds::labels;

/// The annotation carrying the CF user name (subjects carry it too, prefixed).
const USER_NAME_ANNOTATION: &str = "cf.smelter.dev/user-name";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserRef {
    pub guid: Option<String>,
    pub username: Option<String>,
    pub origin: Option<String>,
}

#[derive(Deserialize)]
pub struct UserRel {
    pub data: UserRef,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Relationships {
    pub user: UserRel,
    pub organization: Option<Related>,
    pub space: Option<Related>,
}

#[derive(Deserialize)]
pub struct CreateRole {
    #[serde(rename = "type")]
    pub type_: String,
    pub relationships: Relationships,
}

impl Relationships {
    /// The GUID of the space a space role names, or `""`.
    pub fn space_guid(&self) -> &str {
        self.space.as_ref().map_or("", |s| &s.data.guid)
    }

    /// The GUID of the organization an org role names, or `""`.
    pub fn organization_guid(&self) -> &str {
        self.organization.as_ref().map_or("", |o| &o.data.guid)
    }
}

impl Message for CreateRole {
    fn validate(&self) -> Result<(), Vec<String>> {
        let r = &self.relationships;
        let problem = if ORG_ROLES.contains(&self.type_.as_str()) {
            r.organization
                .is_none()
                .then_some("Organization must be provided for organization roles")
        } else if SPACE_ROLES.contains(&self.type_.as_str()) {
            r.space
                .is_none()
                .then_some("Space must be provided for space roles")
        } else {
            return Err(vec![format!(
                "Type must be one of the allowed types [\"{}\"]",
                [ORG_ROLES, SPACE_ROLES].concat().join("\", \"")
            )]);
        };
        let no_user = r.user.data.guid.is_none() && r.user.data.username.is_none();
        verdict(
            problem
                .into_iter()
                .chain(no_user.then_some("User must have a guid or a username"))
                .map(str::to_owned)
                .collect(),
        )
    }
}

/// The RoleBinding that stands for one CF role.
pub fn role_binding(
    guid: &str,
    role_type: &str,
    user: &User,
    org: &str,
    space: Option<&str>,
    namespace: &str,
) -> RoleBinding {
    let mut l = std::collections::BTreeMap::from([
        (ROLE_TYPE_LABEL.to_owned(), role_type.to_owned()),
        (USER_GUID_LABEL.to_owned(), user.guid.clone()),
        (labels::ORG_GUID.to_owned(), org.to_owned()),
        (labels::MANAGED_BY.to_owned(), "smelter".to_owned()),
    ]);
    if let Some(space) = space {
        l.insert(labels::SPACE_GUID.to_owned(), space.to_owned());
    }
    RoleBinding {
        metadata: kube::api::ObjectMeta {
            name: Some(guid.to_owned()),
            namespace: Some(namespace.to_owned()),
            labels: Some(l),
            annotations: Some([(USER_NAME_ANNOTATION.to_owned(), user.name.clone())].into()),
            ..Default::default()
        },
        role_ref: RoleRef {
            api_group: "rbac.authorization.k8s.io".into(),
            kind: "ClusterRole".into(),
            name: cluster_role(role_type),
        },
        subjects: Some(vec![Subject {
            api_group: Some("rbac.authorization.k8s.io".into()),
            kind: "User".into(),
            name: user.kube_user(),
            namespace: None,
        }]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::alice;
    use crate::v3::roles::{org_of, space_of, type_of, user_of};

    #[test]
    fn role_bindings_carry_the_cf_role() {
        let table = [
            ("organization_user", None, "o1", "smelter-organization-user"),
            (
                "space_developer",
                Some("s1"),
                "s1",
                "smelter-space-developer",
            ),
        ];
        for (role, space, ns, cluster_role) in table {
            let rb = role_binding("r1", role, &alice(), "o1", space, ns);
            assert_eq!(rb.metadata.namespace.as_deref(), Some(ns));
            assert_eq!(rb.role_ref.name, cluster_role);
            assert_eq!(rb.subjects.as_ref().unwrap()[0].name, "cf:alice");
            assert_eq!(type_of(&rb), role);
            assert_eq!(user_of(&rb), "u1");
            assert_eq!(org_of(&rb), "o1");
            assert_eq!(space_of(&rb), space);
        }
    }

    #[test]
    fn role_requests_need_a_type_a_target_and_a_user() {
        let check = |body: &str| CreateRole::check(body);
        assert!(check(r#"{"type":"space_developer","relationships":{"user":{"data":{"guid":"u"}},"space":{"data":{"guid":"s"}}}}"#).is_ok());
        assert_eq!(
            check(r#"{"type":"space_developer","relationships":{"user":{"data":{"guid":"u"}}}}"#)
                .unwrap_err(),
            ["Space must be provided for space roles"]
        );
        assert_eq!(
            check(r#"{"type":"organization_user","relationships":{"user":{"data":{}},"organization":{"data":{"guid":"o"}}}}"#).unwrap_err(),
            ["User must have a guid or a username"]
        );
        assert!(
            check(r#"{"type":"king","relationships":{"user":{"data":{"guid":"u"}}}}"#).unwrap_err()
                [0]
            .starts_with("Type must be one of the allowed types")
        );
    }
}
