//! CC's organization quota JSON.

use super::limits::{AppsView, RoutesView, ServicesView};
use crate::v3::prelude::*;
use smelter_crds::{DomainLimits, OrgQuota};

#[derive(Serialize)]
pub struct Fields<'a> {
    name: &'a str,
    apps: AppsView,
    services: ServicesView,
    routes: RoutesView,
    domains: DomainsView,
}

#[derive(Serialize)]
struct DomainsView {
    total_domains: Option<i64>,
}

impl DomainsView {
    fn of(d: &DomainLimits) -> Self {
        Self {
            total_domains: d.total_domains,
        }
    }
}

pub type OrganizationQuotaView<'a> = View<'a, Fields<'a>, 1, 1>;

impl<'a> OrganizationQuotaView<'a> {
    /// `organizations` are the GUIDs of the orgs using the quota that the caller may see.
    pub fn of(q: &'a OrgQuota, organizations: Vec<String>, base: &'a BaseUrl) -> Self {
        let s = &q.spec;
        let fields = Fields {
            name: &s.name,
            apps: AppsView::of(&s.apps),
            services: ServicesView::of(&s.services),
            routes: RoutesView::of(&s.routes),
            domains: DomainsView::of(&s.domains),
        };
        View::object(&q.metadata, fields)
            .related([("organizations", Rel::Many(ToMany::owned(organizations)))])
            .without_metadata()
            .links([(
                "self",
                Link::to(base, "/v3/organization_quotas/", guid_of(q)),
            )])
    }
}

impl Presented for OrgQuota {
    fn present<'a>(&'a self, ctx: &'a Ctx) -> impl Serialize + Send + 'a {
        OrganizationQuotaView::of(self, super::organizations_using(ctx, self), &ctx.base)
    }
}

#[cfg(test)]
mod tests;
