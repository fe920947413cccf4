//! CC's security group JSON: the rules as they were sent, and the bound spaces the caller sees.

use crate::v3::prelude::*;
use smelter_crds::{GloballyEnabled, SecurityGroup, SecurityGroupRule};

#[derive(Serialize)]
pub struct Fields<'a> {
    name: &'a str,
    rules: &'a [SecurityGroupRule],
    globally_enabled: &'a GloballyEnabled,
}

pub type SecurityGroupView<'a> = View<'a, Fields<'a>, 2, 1>;

impl<'a> SecurityGroupView<'a> {
    /// `sees` says which bound spaces the caller may see.
    pub fn of(g: &'a SecurityGroup, sees: impl Fn(&str) -> bool, base: &'a BaseUrl) -> Self {
        let s = &g.spec;
        let fields = Fields {
            name: &s.name,
            rules: &s.rules,
            globally_enabled: &s.globally_enabled,
        };
        let shown = |spaces: &'a [String]| {
            Rel::Many(ToMany::of(
                spaces.iter().map(String::as_str).filter(|sp| sees(sp)),
            ))
        };
        View::object(&g.metadata, fields)
            .related([
                ("staging_spaces", shown(&s.staging_spaces)),
                ("running_spaces", shown(&s.running_spaces)),
            ])
            .without_metadata()
            .links([("self", Link::to(base, "/v3/security_groups/", guid_of(g)))])
    }
}

impl Presented for SecurityGroup {
    fn present<'a>(&'a self, ctx: &'a Ctx) -> impl Serialize + Send + 'a {
        SecurityGroupView::of(self, |s| ctx.perms.sees_space(s), &ctx.base)
    }
}

#[cfg(test)]
mod tests;
