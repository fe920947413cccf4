//! `/v3/roles`: CF roles, stored as RoleBindings to Smelter's ClusterRoles in the org's or the
//! space's namespace, so Kubernetes RBAC enforces what the role allows.

pub mod handlers;
mod message;
mod presenter;

pub use message::role_binding;
pub use presenter::RoleView;

use crate::{
    storage::cache::{ROLE_TYPE_LABEL, USER_GUID_LABEL},
    v3::{prelude::*, spaces, users::UserView},
};
use k8s_openapi::api::rbac::v1::RoleBinding;
use smelter_crds::{Space, labels};
use std::collections::BTreeSet;

/// The roles of an organization.
pub const ORG_ROLES: &[&str] = &[
    "organization_user",
    "organization_auditor",
    "organization_manager",
    "organization_billing_manager",
];
/// The roles of a space.
pub const SPACE_ROLES: &[&str] = &[
    "space_auditor",
    "space_developer",
    "space_manager",
    "space_supporter",
];

/// The ClusterRole a CF role type binds to: `smelter-space-developer` for `space_developer`.
pub fn cluster_role(role_type: &str) -> String {
    format!("smelter-{}", role_type.replace('_', "-"))
}

fn label<'a>(rb: &'a RoleBinding, key: &str) -> Option<&'a str> {
    rb.metadata.labels.as_ref()?.get(key).map(String::as_str)
}

/// The space of a space role; `None` for an org role.
pub fn space_of(rb: &RoleBinding) -> Option<&str> {
    label(rb, labels::SPACE_GUID)
}

/// The org of a role (a space role's too: the org of its space).
pub fn org_of(rb: &RoleBinding) -> &str {
    label(rb, labels::ORG_GUID).unwrap_or_default()
}

/// The CF user GUID a role is for.
pub fn user_of(rb: &RoleBinding) -> &str {
    label(rb, USER_GUID_LABEL).unwrap_or_default()
}

/// The CF role type (`space_developer`, ...).
pub fn type_of(rb: &RoleBinding) -> &str {
    label(rb, ROLE_TYPE_LABEL).unwrap_or_default()
}

/// The roles list.
pub struct Roles;

impl Objects for Roles {
    type Kind = RoleBinding;
    const LIST: Accepts =
        Accepts::filters("organization_guids space_guids user_guids types include")
            .include("user space organization")
            .without_label_selector()
            .unprocessable();
    const INDEXED: Indexed = &[
        ("user_guids", By::User),
        ("space_guids", By::Space),
        ("organization_guids", By::Org),
    ];

    fn matches(_: &Ctx, rb: &RoleBinding, key: &str, wanted: &[String]) -> Option<bool> {
        Some(match key {
            "types" => one_of(type_of(rb), wanted),
            "user_guids" => one_of(user_of(rb), wanted),
            // CC's organization roles only: a space role has no organization of its own.
            "organization_guids" => space_of(rb).is_none() && one_of(org_of(rb), wanted),
            "space_guids" => space_of(rb).is_some_and(|s| one_of(s, wanted)),
            _ => return None,
        })
    }

    fn include(ctx: &Ctx, page: &[&Arc<RoleBinding>], query: &ListQuery) -> Included {
        let mut included = Included::new();
        if query.includes("user") {
            let users: BTreeSet<&str> = page.iter().map(|rb| user_of(rb)).collect();
            let users = users
                .into_iter()
                .filter_map(|g| ctx.state.users.role_holder(g));
            let views = users.map(|u| to_value(UserView::of(&u, &ctx.base)));
            included.insert("users", views.collect());
        }
        if query.includes("space") {
            let guids = page.iter().filter_map(|rb| space_of(rb));
            let spaces = rendered::<Space>(ctx, guids);
            included.insert("spaces", spaces);
        }
        if query.includes("organization") {
            let org_roles = page.iter().filter(|rb| space_of(rb).is_none());
            let orgs = spaces::organizations(ctx, org_roles.map(|rb| org_of(rb)));
            included.insert("organizations", orgs);
        }
        included
    }
}

#[cfg(test)]
mod tests;
