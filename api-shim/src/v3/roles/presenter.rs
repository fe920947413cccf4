//! CC's role JSON.

use super::{org_of, space_of, type_of, user_of};
use crate::http::{
    links::BaseUrl,
    present::{self, Link, ToOne},
};
use k8s_openapi::api::rbac::v1::RoleBinding;
use serde::Serialize;

#[derive(Serialize)]
pub struct Relationships<'a> {
    user: ToOne<'a>,
    organization: ToOne<'a>,
    space: ToOne<'a>,
}

#[derive(Serialize)]
pub struct RoleLinks<'a> {
    #[serde(rename = "self")]
    self_: Link<'a>,
    user: Link<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    organization: Option<Link<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    space: Option<Link<'a>>,
}

#[derive(Serialize)]
pub struct RoleView<'a> {
    guid: &'a str,
    created_at: String,
    updated_at: String,
    #[serde(rename = "type")]
    type_: &'a str,
    relationships: Relationships<'a>,
    links: RoleLinks<'a>,
}

impl<'a> RoleView<'a> {
    pub fn of(rb: &'a RoleBinding, base: &'a BaseUrl) -> Self {
        let guid = present::guid(&rb.metadata);
        let user = user_of(rb);
        let space = space_of(rb);
        // A space role names its space only; an org role its org only.
        let org = space.is_none().then(|| org_of(rb));
        Self {
            guid,
            created_at: present::created_at(&rb.metadata),
            updated_at: present::updated_at(&rb.metadata),
            type_: type_of(rb),
            relationships: Relationships {
                user: ToOne::to(user),
                organization: ToOne::maybe(org),
                space: ToOne::maybe(space),
            },
            links: RoleLinks {
                self_: Link::new(base, "/v3/roles/", guid, ""),
                user: Link::new(base, "/v3/users/", user, ""),
                organization: org.map(|o| Link::new(base, "/v3/organizations/", o, "")),
                space: space.map(|s| Link::new(base, "/v3/spaces/", s, "")),
            },
        }
    }
}
