//! `/v3/routes`: CF routes (host + domain + path) in their space's namespace, and their
//! destinations (app processes). The operator turns them into Ingresses.

pub mod actions;
pub mod destinations;
pub mod handlers;
pub mod message;
mod presenter;

pub use presenter::RouteView;

use crate::v3::{prelude::*, spaces};
use smelter_crds::{App, Domain, Route};

/// `host.domain/path`, CC's route URL.
pub fn url(host: &str, domain: &str, path: &str) -> String {
    smelter_crds::route::url(host, domain, path)
}

/// The name of a route's domain.
pub fn domain_name(ctx: &Ctx, r: &Route) -> String {
    ctx.state
        .caches
        .domains
        .get(&r.spec.domain_guid)
        .map(|d| d.spec.name.clone())
        .unwrap_or_default()
}

/// The routes list.
pub struct Routes;

impl Objects for Routes {
    type Kind = Route;
    const LIST: Accepts = Accepts::filters("hosts space_guids organization_guids domain_guids paths app_guids include ports service_instance_guids")
    .include("domain space space.organization");
    const INDEXED: Indexed = &[("app_guids", By::App), ("space_guids", By::Space)];

    fn matches(ctx: &Ctx, r: &Route, key: &str, wanted: &[String]) -> Option<bool> {
        let apps = r.spec.destinations.iter().map(|d| d.app_guid.as_str());
        Some(match key {
            "hosts" => one_of(&r.spec.host, wanted),
            "paths" => one_of(&r.spec.path, wanted),
            "domain_guids" => one_of(&r.spec.domain_guid, wanted),
            "space_guids" => one_of(space_of(r), wanted),
            "organization_guids" => in_org(ctx, space_of(r), wanted),
            "app_guids" => any_of(apps, wanted),
            // HTTP routes have no port, and no route service is bound to any.
            "ports" | "service_instance_guids" => false,
            _ => return None,
        })
    }

    fn include(ctx: &Ctx, page: &[&Arc<Route>], query: &ListQuery) -> Included {
        let mut included = Included::new();
        if query.includes("domain") {
            let guids = page.iter().map(|r| r.spec.domain_guid.as_str());
            included.insert("domains", rendered::<Domain>(ctx, guids));
        }
        if query.includes("space") || query.includes("space.organization") {
            included.extend(spaces::include_spaces(
                ctx,
                page.iter().map(|r| space_of(&***r)),
                query.includes("space.organization"),
            ));
        }
        included
    }
}

/// `/v3/apps/:guid/routes`.
impl Nested<App> for Routes {
    const NESTED: Accepts = <Self as Objects>::LIST;

    fn under(ctx: &Ctx, app: &Arc<App>, _: &ListQuery) -> Vec<Arc<Route>> {
        let guid = app.metadata.name.as_deref().unwrap_or_default();
        ctx.seen_by(By::App, guid).collect()
    }

    // CC's `routes#index_by_app` lists with `app_guids` set to the app.
    fn scope(query: &mut ListQuery, app: &str) {
        query.set_filter("app_guids", vec![app.to_owned()]);
    }
}

#[cfg(test)]
mod tests;
