//! CC's space quota JSON.

use crate::v3::{
    organization_quotas::limits::{AppsView, RoutesView, ServicesView},
    prelude::*,
};
use smelter_crds::SpaceQuota;

#[derive(Serialize)]
pub struct Fields<'a> {
    name: &'a str,
    apps: AppsView,
    services: ServicesView,
    routes: RoutesView,
}

pub type SpaceQuotaView<'a> = View<'a, Fields<'a>, 2, 2>;

impl<'a> SpaceQuotaView<'a> {
    /// `spaces` are the GUIDs of the spaces under the quota that the caller may see.
    pub fn of(q: &'a SpaceQuota, spaces: Vec<String>, base: &'a BaseUrl) -> Self {
        let (s, org) = (&q.spec, space_of(q));
        let fields = Fields {
            name: &s.name,
            apps: AppsView::of(&s.apps),
            services: ServicesView::of(&s.services),
            routes: RoutesView::of(&s.routes),
        };
        View::object(&q.metadata, fields)
            .related([
                ("organization", Rel::to(org)),
                ("spaces", Rel::Many(ToMany::owned(spaces))),
            ])
            .without_metadata()
            .links([
                ("self", Link::to(base, "/v3/space_quotas/", guid_of(q))),
                ("organization", Link::to(base, "/v3/organizations/", org)),
            ])
    }
}

impl Presented for SpaceQuota {
    fn present<'a>(&'a self, ctx: &'a Ctx) -> impl Serialize + Send + 'a {
        SpaceQuotaView::of(self, super::spaces_using(ctx, self), &ctx.base)
    }
}

#[cfg(test)]
mod tests;
