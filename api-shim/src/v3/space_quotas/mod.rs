//! `/v3/space_quotas`: CF's space quota definitions, `SpaceQuota` objects in their org's
//! namespace, applied to the spaces that name them. The operator enforces one in each of its
//! spaces' namespaces (a ResourceQuota and a LimitRange).

pub mod handlers;
mod message;
mod presenter;

pub use presenter::SpaceQuotaView;

use crate::v3::prelude::*;
use smelter_crds::SpaceQuota;

/// The spaces under `quota` that the caller may see, by GUID.
pub fn spaces_using(ctx: &Ctx, quota: &SpaceQuota) -> Vec<String> {
    let guid = guid_of(quota);
    let mut spaces: Vec<String> = ctx
        .state
        .caches
        .spaces
        .by(By::Org, space_of(quota))
        .into_iter()
        .filter(|s| s.spec.quota.as_deref() == Some(guid) && ctx.perms.sees_space(guid_of(&**s)))
        .map(|s| guid_of(&*s).to_owned())
        .collect();
    spaces.sort();
    spaces
}

/// The space quotas list.
pub struct SpaceQuotas;

impl Objects for SpaceQuotas {
    type Kind = SpaceQuota;
    const LIST: Accepts = Accepts::filters("names organization_guids space_guids")
        .without_label_selector()
        .unprocessable();
    const INDEXED: Indexed = &[("names", By::Name), ("organization_guids", By::Org)];

    fn matches(ctx: &Ctx, q: &SpaceQuota, key: &str, wanted: &[String]) -> Option<bool> {
        Some(match key {
            // A space quota lives in its org's namespace.
            "organization_guids" => one_of(space_of(q), wanted),
            "space_guids" => spaces_using(ctx, q).iter().any(|s| wanted.contains(s)),
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests;
