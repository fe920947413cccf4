//! `/v3/spaces`: CF spaces, stored as `Space` objects in their organization's namespace; the
//! operator gives each its own namespace, where its apps live.

pub mod handlers;
mod message;
mod presenter;

pub use presenter::SpaceView;

use crate::{
    http::{
        paging::Included,
        present::to_value,
        query::{Accepts, ListQuery},
    },
    read::{Ctx, Kind, Listed, kinds::space_of, list::one_of},
    storage::store::By,
    v3::organizations::OrganizationView,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use smelter_crds::{Org, Space};
use std::{collections::BTreeSet, sync::Arc};

/// The organization GUID of a space: the namespace it lives in.
pub fn org_guid(space: &Space) -> &str {
    space_of(space)
}

/// The spaces list.
pub struct Spaces;

impl Listed for Spaces {
    type Item = Arc<Space>;
    const NAME: &'static str = Space::NAME;
    const LIST: Accepts = Accepts::filters(&["names", "organization_guids", "include"])
        .order_by(&["name"])
        .include(&["org", "organization"]);

    fn candidates(ctx: &Ctx, query: &ListQuery) -> Vec<Arc<Space>> {
        let store = &ctx.state.caches.spaces;
        let found = if let Some(names) = query.filter("names") {
            names.iter().flat_map(|n| store.by(By::Name, n)).collect()
        } else if let Some(orgs) = query.filter("organization_guids") {
            orgs.iter().flat_map(|o| store.by(By::Org, o)).collect()
        } else {
            store.all()
        };
        found
            .into_iter()
            .filter(|s| Space::visible(&ctx.perms, s))
            .collect()
    }

    fn get(ctx: &Ctx, guid: &str) -> Option<Arc<Space>> {
        ctx.get(guid)
    }

    fn guid(space: &Arc<Space>) -> &str {
        space.metadata.name.as_deref().unwrap_or_default()
    }

    fn meta(space: &Arc<Space>) -> Option<&ObjectMeta> {
        Some(&space.metadata)
    }

    fn matches(_: &Ctx, space: &Arc<Space>, key: &str, wanted: &[String]) -> Option<bool> {
        Some(match key {
            "names" => one_of(&space.spec.name, wanted),
            "organization_guids" => one_of(org_guid(space), wanted),
            _ => return None,
        })
    }

    fn order_key(space: &Arc<Space>, field: &str) -> Option<String> {
        (field == "name").then(|| space.spec.name.clone())
    }

    fn present<'a>(ctx: &'a Ctx, space: &'a Arc<Space>) -> impl serde::Serialize + Send + 'a {
        SpaceView::of(space, &ctx.base)
    }

    fn include(ctx: &Ctx, page: &[&Arc<Space>], _: &ListQuery) -> Included {
        // `org` and `organization` are the same include.
        Included::from([(
            "organizations",
            organizations(ctx, page.iter().map(|s| org_guid(s))),
        )])
    }
}

/// The organizations of `guids` the caller may see, each once, for `included`.
pub fn organizations<'a>(
    ctx: &Ctx,
    guids: impl Iterator<Item = &'a str>,
) -> Vec<serde_json::Value> {
    let guids: BTreeSet<&str> = guids.collect();
    guids
        .into_iter()
        .filter_map(|g| ctx.get::<Org>(g))
        .map(|o| to_value(OrganizationView::of(&o, &ctx.base)))
        .collect()
}

/// The spaces of `guids` the caller may see, each once, for `included`.
pub fn spaces<'a>(ctx: &Ctx, guids: impl Iterator<Item = &'a str>) -> Vec<Arc<Space>> {
    let guids: BTreeSet<&str> = guids.collect();
    guids
        .into_iter()
        .filter_map(|g| ctx.get::<Space>(g))
        .collect()
}

/// The spaces of `guids` as `included.spaces`, and with `space.organization` their orgs.
pub fn include_spaces<'a>(
    ctx: &Ctx,
    guids: impl Iterator<Item = &'a str>,
    with_orgs: bool,
) -> Included {
    let spaces = spaces(ctx, guids);
    let mut included = Included::from([(
        "spaces",
        spaces
            .iter()
            .map(|s| to_value(SpaceView::of(s, &ctx.base)))
            .collect(),
    )]);
    if with_orgs {
        included.insert(
            "organizations",
            organizations(ctx, spaces.iter().map(|s| org_guid(s))),
        );
    }
    included
}
