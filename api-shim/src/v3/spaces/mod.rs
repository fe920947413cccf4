//! `/v3/spaces`: CF spaces, stored as `Space` objects in their organization's namespace; the
//! operator gives each its own namespace, where its apps live.

pub mod handlers;
mod message;
mod presenter;

pub use presenter::SpaceView;

use crate::v3::prelude::*;
use smelter_crds::{Org, Space};

/// The organization GUID of a space: the namespace it lives in.
pub fn org_guid(space: &Space) -> &str {
    space_of(space)
}

/// The spaces of `guids` the caller sees, or CC's 422 `Spaces with guids [...] do not
/// exist<rest>` naming the others (CC's texts go on differently per endpoint).
pub fn seen_or_422(ctx: &Ctx, guids: &[String], rest: &str) -> ApiResult<Vec<Arc<Space>>> {
    let found: Vec<Arc<Space>> = guids.iter().filter_map(|g| ctx.get::<Space>(g)).collect();
    let missing: Vec<&String> = guids
        .iter()
        .filter(|g| !found.iter().any(|s| guid_of(&**s) == g.as_str()))
        .collect();
    if missing.is_empty() {
        Ok(found)
    } else {
        Err(ApiError::unprocessable(format!(
            "Spaces with guids {missing:?} do not exist{rest}"
        )))
    }
}

/// The spaces list.
pub struct Spaces;

impl Objects for Spaces {
    type Kind = Space;
    const LIST: Accepts = Accepts::filters("names organization_guids include")
        .order_by("name")
        .include("org organization");
    const INDEXED: Indexed = &[("names", By::Name), ("organization_guids", By::Org)];

    fn matches(_: &Ctx, space: &Space, key: &str, wanted: &[String]) -> Option<bool> {
        Some(match key {
            "organization_guids" => one_of(org_guid(space), wanted),
            _ => return None,
        })
    }

    fn include(ctx: &Ctx, page: &[&Arc<Space>], _: &ListQuery) -> Included {
        // `org` and `organization` are the same include.
        let orgs = organizations(ctx, page.iter().map(|s| org_guid(s)));
        Included::from([("organizations", orgs)])
    }
}

/// The organizations of `guids` the caller may see, each once, for `included`.
pub fn organizations<'a>(
    ctx: &Ctx,
    guids: impl Iterator<Item = &'a str>,
) -> Vec<serde_json::Value> {
    rendered::<Org>(ctx, guids)
}

/// The spaces of `guids` as `included.spaces`, and with `with_orgs` their orgs.
pub fn include_spaces<'a>(
    ctx: &Ctx,
    guids: impl Iterator<Item = &'a str>,
    with_orgs: bool,
) -> Included {
    let spaces = each_once::<Space>(ctx, guids);
    let views = spaces.iter().map(|s| to_value(SpaceView::of(s, &ctx.base)));
    let mut included = Included::from([("spaces", views.collect())]);
    if with_orgs {
        let orgs = organizations(ctx, spaces.iter().map(|s| org_guid(s)));
        included.insert("organizations", orgs);
    }
    included
}

#[cfg(test)]
mod tests;
