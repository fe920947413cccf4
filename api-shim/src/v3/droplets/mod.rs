//! `/v3/droplets`: the result of a staged `Build` (kept in its status), as CC's droplet
//! resource, and an app's current droplet.

mod presenter;

pub use presenter::DropletView;

use crate::v3::{builds, packages::of_app, prelude::*};
use smelter_crds::{App, Build, Package};

/// The GUID of the droplet a staged build made.
fn droplet_guid(b: &Build) -> &str {
    builds::staged_droplet(b).map_or("", |d| d.guid.as_str())
}

/// The droplets list: staged builds, each standing for its droplet.
pub struct Droplets;

impl Listed for Droplets {
    type Item = Arc<Build>;
    const NAME: &'static str = "Droplet";
    const LIST: Accepts = Accepts::filters("app_guids organization_guids space_guids states");

    fn candidates(ctx: &Ctx, query: &ListQuery) -> Vec<Arc<Build>> {
        // A droplet's GUID is not its build's: `guids` are found by the droplet index.
        let mut found = match query.filter("guids") {
            Some(guids) => {
                let builds = &ctx.state.caches.builds;
                let found = guids.iter().flat_map(|g| builds.by(By::Droplet, g));
                found.filter(|b| Build::visible(&ctx.perms, b)).collect()
            }
            None => narrowed::<Build>(ctx, query, &[("app_guids", By::App)]),
        };
        found.retain(|b| builds::staged_droplet(b).is_some());
        found
    }

    fn get(ctx: &Ctx, guid: &str) -> Option<Arc<Build>> {
        ctx.seen_by::<Build>(By::Droplet, guid)
            .find(|b| builds::staged_droplet(b).is_some())
    }

    fn guid(b: &Arc<Build>) -> &str {
        droplet_guid(b)
    }

    fn meta(b: &Arc<Build>) -> Option<&ObjectMeta> {
        Some(&b.metadata)
    }

    fn matches(ctx: &Ctx, b: &Arc<Build>, key: &str, wanted: &[String]) -> Option<bool> {
        Some(match key {
            "app_guids" => one_of(&b.spec.app_guid, wanted),
            "space_guids" => one_of(space_of(&**b), wanted),
            "organization_guids" => in_org(ctx, space_of(&**b), wanted),
            // Every droplet Smelter lists is staged.
            "states" => one_of("STAGED", wanted),
            "current" => ctx
                .state
                .caches
                .apps
                .get_in(space_of(&**b), &b.spec.app_guid)
                .is_some_and(|a| a.spec.current_droplet_guid.as_deref() == Some(droplet_guid(b))),
            _ => return None,
        })
    }

    fn present<'a>(ctx: &'a Ctx, b: &'a Arc<Build>) -> impl serde::Serialize + Send + 'a {
        DropletView::of(b, &ctx.base)
    }

    fn check(query: &ListQuery) -> Vec<String> {
        match query.filter("current") {
            Some([v]) if v == "true" => vec![],
            None => vec![],
            Some(_) => vec!["Current only accepts the value 'true'".into()],
        }
    }
}

/// `/v3/apps/:guid/droplets`.
impl Nested<App> for Droplets {
    const NESTED: Accepts = Accepts::filters("states current");

    fn under(ctx: &Ctx, app: &Arc<App>, _: &ListQuery) -> Vec<Arc<Build>> {
        let mut found = of_app::<Build>(ctx, app);
        found.retain(|b| builds::staged_droplet(b).is_some());
        found
    }
}

/// `/v3/packages/:guid/droplets`.
impl Nested<Package> for Droplets {
    const NESTED: Accepts = Accepts::filters("states");

    fn under(ctx: &Ctx, package: &Arc<Package>, _: &ListQuery) -> Vec<Arc<Build>> {
        let guid = package.metadata.name.as_deref().unwrap_or_default();
        let builds = ctx.state.caches.builds.by(By::Package, guid).into_iter();
        builds
            .filter(|b| {
                builds::staged_droplet(b).is_some() && space_of(&**b) == space_of(&**package)
            })
            .collect()
    }
}

/// `GET /v3/apps/:guid/droplets/current`: CC's exact "Droplet not found" when there is none,
/// which the cf CLI tolerates in `cf app` and the push summary.
pub async fn current(Found(ctx, app): Found<App>) -> ApiResult<Response> {
    let droplet = app
        .spec
        .current_droplet_guid
        .as_deref()
        .and_then(|d| Droplets::get(&ctx, d))
        .ok_or_else(|| ApiError::not_found(Droplets::NAME))?;
    Ok(ok(DropletView::of(&droplet, &ctx.base)))
}

#[cfg(test)]
mod tests;
