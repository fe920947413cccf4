//! `/v3/apps`: CF apps, stored as `App` objects in their space's namespace. An app's processes
//! live in its spec (see `processes`); its environment variables in a Secret it owns
//! (`environment`).

pub mod actions;
pub mod environment;
pub mod handlers;
pub mod message;
mod presenter;

pub use presenter::AppView;

use crate::{
    http::{
        paging::Included,
        query::{Accepts, ListQuery},
    },
    read::{Ctx, Kind, Listed, list::one_of},
    storage::store::By,
    v3::{lifecycle, spaces},
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use smelter_crds::{App, DesiredState, Space};
use std::sync::Arc;

/// The space GUID of an app: the namespace it lives in.
pub fn space_guid(app: &App) -> &str {
    crate::read::kinds::space_of(app)
}

/// CC's name of an app's state.
pub fn state_name(s: &DesiredState) -> &'static str {
    match s {
        DesiredState::Started => "STARTED",
        DesiredState::Stopped => "STOPPED",
    }
}

/// The apps list.
pub struct Apps;

impl Listed for Apps {
    type Item = Arc<App>;
    const NAME: &'static str = App::NAME;
    const LIST: Accepts = Accepts::filters(&[
        "names",
        "organization_guids",
        "space_guids",
        "stacks",
        "include",
        "lifecycle_type",
    ])
    .order_by(&["name", "state"])
    .include(&["space", "org", "space.organization"]);

    fn candidates(ctx: &Ctx, query: &ListQuery) -> Vec<Arc<App>> {
        let store = &ctx.state.caches.apps;
        let found = if let Some(guids) = query.filter("guids") {
            guids.iter().filter_map(|g| store.get(g)).collect()
        } else if let Some(names) = query.filter("names") {
            names.iter().flat_map(|n| store.by(By::Name, n)).collect()
        } else if let Some(spaces) = query.filter("space_guids") {
            spaces.iter().flat_map(|s| store.by(By::Space, s)).collect()
        } else {
            store.all()
        };
        found
            .into_iter()
            .filter(|a| App::visible(&ctx.perms, a))
            .collect()
    }

    fn get(ctx: &Ctx, guid: &str) -> Option<Arc<App>> {
        ctx.get(guid)
    }

    fn guid(app: &Arc<App>) -> &str {
        app.metadata.name.as_deref().unwrap_or_default()
    }

    fn meta(app: &Arc<App>) -> Option<&ObjectMeta> {
        Some(&app.metadata)
    }

    fn matches(ctx: &Ctx, app: &Arc<App>, key: &str, wanted: &[String]) -> Option<bool> {
        Some(match key {
            "names" => one_of(&app.spec.name, wanted),
            "space_guids" => one_of(space_guid(app), wanted),
            "organization_guids" => ctx
                .state
                .caches
                .spaces
                .get(space_guid(app))
                .is_some_and(|s| one_of(spaces::org_guid(&s), wanted)),
            "stacks" => one_of(lifecycle::stack(&app.spec.lifecycle), wanted),
            "lifecycle_type" => one_of(lifecycle::type_name(&app.spec.lifecycle.type_), wanted),
            _ => return None,
        })
    }

    fn order_key(app: &Arc<App>, field: &str) -> Option<String> {
        match field {
            "name" => Some(app.spec.name.clone()),
            "state" => Some(state_name(&app.spec.desired_state).to_owned()),
            _ => None,
        }
    }

    fn present<'a>(ctx: &'a Ctx, app: &'a Arc<App>) -> impl serde::Serialize + Send + 'a {
        AppView::of(app, &ctx.base)
    }

    fn include(ctx: &Ctx, page: &[&Arc<App>], query: &ListQuery) -> Included {
        let with_orgs = query.includes("org") || query.includes("space.organization");
        let mut included =
            spaces::include_spaces(ctx, page.iter().map(|a| space_guid(a)), with_orgs);
        // `include=org` alone asks for the organizations only.
        if !query.includes("space") && !query.includes("space.organization") {
            included.remove("spaces");
        }
        included
    }

    fn check(query: &ListQuery) -> Vec<String> {
        query
            .filter("lifecycle_type")
            .into_iter()
            .flatten()
            .filter(|t| !["buildpack", "docker", "cnb"].contains(&t.as_str()))
            .map(|t| format!("Invalid lifecycle_type: '{t}'"))
            .collect()
    }
}

/// The app's space, if it still exists.
pub fn space_of(ctx: &Ctx, app: &App) -> Option<Arc<Space>> {
    ctx.state.caches.spaces.get(space_guid(app))
}
