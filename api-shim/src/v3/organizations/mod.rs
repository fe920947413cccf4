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
    const INDEXED: Indexed = &[("names", By::Name)];

    fn matches(_: &Ctx, _: &Org, key: &str, _: &[String]) -> Option<bool> {
        Some(match key {
            // Smelter has no isolation segments yet: no org is in one.
            "isolation_segment_guid" => false,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests;
