//! `/v3/organizations`: CF organizations, stored as `Org` objects in the root namespace; the
//! operator gives each its own namespace, where its spaces live.

pub mod handlers;
mod message;
mod presenter;

pub use presenter::OrganizationView;

use crate::v3::prelude::*;
use smelter_crds::Org;

/// The organizations list.
pub struct Organizations;

impl Objects for Organizations {
    type Kind = Org;
    const LIST: Accepts = Accepts::filters("names isolation_segment_guid").order_by("name");
    const INDEXED: &'static [(&'static str, By)] = &[("names", By::Name)];

    fn matches(_: &Ctx, org: &Org, key: &str, wanted: &[String]) -> Option<bool> {
        Some(match key {
            "names" => one_of(&org.spec.name, wanted),
            // Smelter has no isolation segments yet: no org is in one.
            "isolation_segment_guid" => false,
            _ => return None,
        })
    }

    fn order_key(org: &Org, field: &str) -> Option<String> {
        (field == "name").then(|| org.spec.name.clone())
    }

    fn present<'a>(ctx: &'a Ctx, org: &'a Org) -> impl Serialize + Send + 'a {
        OrganizationView::of(org, &ctx.base)
    }
}
