//! `/v3/builds`: stagings of a package, as `Build` objects the operator runs as Jobs. The
//! droplet a build produces is part of its status (see `droplets`).

pub mod handlers;
mod message;
mod presenter;

pub use presenter::BuildView;

use crate::{
    http::query::{Accepts, ListQuery},
    read::{Ctx, Kind, Listed, Nested, kinds::space_of, list::one_of},
    storage::store::By,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use smelter_crds::{
    App, Build,
    build::{BuildState, Droplet},
};
use std::sync::Arc;

/// CC's build state names.
pub fn state_name(b: &Build) -> &'static str {
    match b.status.as_ref().map(|s| &s.state) {
        Some(BuildState::Staged) => "STAGED",
        Some(BuildState::Failed) => "FAILED",
        _ => "STAGING",
    }
}

/// The droplet a build made, once it is staged.
pub fn staged_droplet(b: &Build) -> Option<&Droplet> {
    let status = b.status.as_ref()?;
    (status.state == BuildState::Staged)
        .then_some(status.droplet.as_ref())
        .flatten()
}

/// The builds list.
pub struct Builds;

impl Listed for Builds {
    type Item = Arc<Build>;
    const NAME: &'static str = Build::NAME;
    const LIST: Accepts = Accepts::filters(&["app_guids", "package_guids", "states"]);

    fn candidates(ctx: &Ctx, query: &ListQuery) -> Vec<Arc<Build>> {
        let store = &ctx.state.caches.builds;
        let found = if let Some(apps) = query.filter("app_guids") {
            apps.iter().flat_map(|a| store.by(By::App, a)).collect()
        } else if let Some(packages) = query.filter("package_guids") {
            packages
                .iter()
                .flat_map(|p| store.by(By::Package, p))
                .collect()
        } else {
            store.all()
        };
        found
            .into_iter()
            .filter(|b| Build::visible(&ctx.perms, b))
            .collect()
    }

    fn get(ctx: &Ctx, guid: &str) -> Option<Arc<Build>> {
        ctx.get(guid)
    }

    fn guid(b: &Arc<Build>) -> &str {
        b.metadata.name.as_deref().unwrap_or_default()
    }

    fn meta(b: &Arc<Build>) -> Option<&ObjectMeta> {
        Some(&b.metadata)
    }

    fn matches(_: &Ctx, b: &Arc<Build>, key: &str, wanted: &[String]) -> Option<bool> {
        Some(match key {
            "app_guids" => one_of(&b.spec.app_guid, wanted),
            "package_guids" => one_of(&b.spec.package_guid, wanted),
            "states" => one_of(state_name(b), wanted),
            _ => return None,
        })
    }

    fn present<'a>(ctx: &'a Ctx, b: &'a Arc<Build>) -> impl serde::Serialize + Send + 'a {
        BuildView::of(b, &ctx.base)
    }
}

/// `/v3/apps/:guid/builds`.
impl Nested<App> for Builds {
    const NESTED: Accepts = Accepts::filters(&["states"]);

    fn under(ctx: &Ctx, app: &Arc<App>, _: &ListQuery) -> Vec<Arc<Build>> {
        let guid = app.metadata.name.as_deref().unwrap_or_default();
        ctx.state
            .caches
            .builds
            .by(By::App, guid)
            .into_iter()
            .filter(|b| space_of(&**b) == space_of(&**app))
            .collect()
    }
}
