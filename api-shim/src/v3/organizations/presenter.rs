//! CC's organization JSON.

use crate::v3::{organization_quotas::quota_guid_of, prelude::*};
use smelter_crds::Org;

#[derive(Serialize)]
pub struct Fields<'a> {
    name: &'a str,
    suspended: bool,
}

pub type OrganizationView<'a> = View<'a, Fields<'a>, 1, 4>;

presented!(Org => OrganizationView);

impl<'a> OrganizationView<'a> {
    pub fn of(org: &'a Org, base: &'a BaseUrl) -> Self {
        let at = Hrefs::new(base, "/v3/organizations/", guid_of(org));
        let fields = Fields {
            name: &org.spec.name,
            suspended: org.spec.suspended,
        };
        let quota = quota_guid_of(org);
        View::object(&org.metadata, fields)
            .related([("quota", Rel::to(quota))])
            .links([
                ("self", at.link("")),
                ("domains", at.link("/domains")),
                ("default_domain", at.link("/domains/default")),
                ("quota", Link::to(base, "/v3/organization_quotas/", quota)),
            ])
    }
}

#[cfg(test)]
mod tests;
