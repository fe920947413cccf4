//! CC's role JSON.

use super::{org_of, space_of, type_of, user_of};
use crate::v3::prelude::*;
use k8s_openapi::api::rbac::v1::RoleBinding;

#[derive(Serialize)]
pub struct Fields<'a> {
    #[serde(rename = "type")]
    type_: &'a str,
}

/// CC's role JSON. A role has no `metadata`; its links name its user and its org or space.
pub type RoleView<'a> = View<'a, Fields<'a>, 3, 3>;

presented!(RoleBinding => RoleView);

impl<'a> RoleView<'a> {
    pub fn of(rb: &'a RoleBinding, base: &'a BaseUrl) -> Self {
        let (user, space) = (user_of(rb), space_of(rb));
        // A space role names its space only; an org role its org only.
        let org = space.is_none().then(|| org_of(rb));
        let target = match (space, org) {
            (Some(s), _) => ("space", Link::to(base, "/v3/spaces/", s)),
            (None, o) => (
                "organization",
                Link::to(base, "/v3/organizations/", o.unwrap_or_default()),
            ),
        };
        let fields = Fields { type_: type_of(rb) };
        View::object(&rb.metadata, fields)
            .without_metadata()
            .related([
                ("user", Rel::to(user)),
                ("organization", Rel::maybe(org)),
                ("space", Rel::maybe(space)),
            ])
            .links([
                ("self", Link::to(base, "/v3/roles/", guid_of(rb))),
                ("user", Link::to(base, "/v3/users/", user)),
                target,
            ])
    }
}

#[cfg(test)]
mod tests;
