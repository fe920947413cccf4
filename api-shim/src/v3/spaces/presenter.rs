//! CC's space JSON.

use super::org_guid;
use crate::v3::prelude::*;
use smelter_crds::Space;

#[derive(Serialize)]
pub struct Fields<'a> {
    name: &'a str,
}

pub type SpaceView<'a> = View<'a, Fields<'a>, 2, 5>;

presented!(Space => SpaceView);

impl<'a> SpaceView<'a> {
    pub fn of(space: &'a Space, base: &'a BaseUrl) -> Self {
        let (at, org) = (
            Hrefs::new(base, "/v3/spaces/", guid_of(space)),
            org_guid(space),
        );
        let fields = Fields {
            name: &space.spec.name,
        };
        let quota = space.spec.quota.as_deref();
        View::object(&space.metadata, fields)
            .related([("organization", Rel::to(org)), ("quota", Rel::maybe(quota))])
            .links([
                ("self", at.link("")),
                ("organization", Link::to(base, "/v3/organizations/", org)),
                ("features", at.link("/features")),
                ("apply_manifest", at.post("/actions/apply_manifest")),
                (
                    "quota",
                    Link::to(base, "/v3/space_quotas/", quota.unwrap_or_default())
                        .only_if(quota.is_some()),
                ),
            ])
    }
}

#[cfg(test)]
mod tests;
