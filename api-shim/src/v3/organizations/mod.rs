//! `/v3/organizations`: CF organizations, stored as `Org` objects in the root namespace; the
//! operator gives each its own namespace, where its spaces live.

pub mod handlers;
mod message;
mod presenter;

pub use presenter::OrganizationView;

use crate::{
    http::query::{Accepts, ListQuery},
    read::{Ctx, Kind, Listed, list::one_of},
    storage::store::By,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use smelter_crds::Org;
use std::sync::Arc;

/// The organizations list.
pub struct Organizations;

impl Listed for Organizations {
    type Item = Arc<Org>;
    const NAME: &'static str = Org::NAME;
    const LIST: Accepts =
        Accepts::filters(&["names", "isolation_segment_guid"]).order_by(&["name"]);

    fn candidates(ctx: &Ctx, query: &ListQuery) -> Vec<Arc<Org>> {
        let store = &ctx.state.caches.orgs;
        let found = match query.filter("names") {
            Some(names) => names.iter().flat_map(|n| store.by(By::Name, n)).collect(),
            None => store.all(),
        };
        found
            .into_iter()
            .filter(|o| Org::visible(&ctx.perms, o))
            .collect()
    }

    fn get(ctx: &Ctx, guid: &str) -> Option<Arc<Org>> {
        ctx.get(guid)
    }

    fn guid(org: &Arc<Org>) -> &str {
        org.metadata.name.as_deref().unwrap_or_default()
    }

    fn meta(org: &Arc<Org>) -> Option<&ObjectMeta> {
        Some(&org.metadata)
    }

    fn matches(_: &Ctx, org: &Arc<Org>, key: &str, wanted: &[String]) -> Option<bool> {
        Some(match key {
            "names" => one_of(&org.spec.name, wanted),
            // Smelter has no isolation segments yet: no org is in one.
            "isolation_segment_guid" => false,
            _ => return None,
        })
    }

    fn order_key(org: &Arc<Org>, field: &str) -> Option<String> {
        (field == "name").then(|| org.spec.name.clone())
    }

    fn present<'a>(ctx: &'a Ctx, org: &'a Arc<Org>) -> impl serde::Serialize + Send + 'a {
        OrganizationView::of(org, &ctx.base)
    }
}
