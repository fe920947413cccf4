//! `/v3/organizations`: CF organizations, stored as `Org` objects in the root namespace; the
//! operator gives each its own namespace, where its spaces live.

pub mod handlers;
mod message;
mod presenter;

pub use presenter::OrganizationView;

use crate::v3::prelude::*;
use smelter_crds::{IsolationSegment, Org};

/// The organizations list.
pub struct Organizations;

impl Objects for Organizations {
    type Kind = Org;
    const LIST: Accepts = Accepts::filters("names isolation_segment_guid").order_by("name");
    const INDEXED: Indexed = &[("names", By::Name)];

    fn matches(ctx: &Ctx, org: &Org, key: &str, wanted: &[String]) -> Option<bool> {
        Some(match key {
            // The orgs entitled to the segment.
            "isolation_segment_guid" => wanted.iter().any(|seg| {
                ctx.get::<IsolationSegment>(seg)
                    .is_some_and(|s| s.spec.organization_guids.iter().any(|o| o == guid_of(org)))
            }),
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests;
