//! CC's organization JSON.

use crate::v3::prelude::*;
use smelter_crds::Org;

#[derive(Serialize)]
pub struct Fields<'a> {
    name: &'a str,
    suspended: bool,
}

pub type OrganizationView<'a> = View<'a, Fields<'a>, 1, 3>;

presented!(Org => OrganizationView);

impl<'a> OrganizationView<'a> {
    pub fn of(org: &'a Org, base: &'a BaseUrl) -> Self {
        let at = Hrefs::new(base, "/v3/organizations/", guid_of(org));
        let fields = Fields {
            name: &org.spec.name,
            suspended: org.spec.suspended,
        };
        View::object(&org.metadata, fields)
            .related([("quota", Rel::NONE)])
            .links([
                ("self", at.link("")),
                ("domains", at.link("/domains")),
                ("default_domain", at.link("/domains/default")),
            ])
    }
}

#[cfg(test)]
mod tests;
