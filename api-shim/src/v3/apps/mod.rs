//! `/v3/apps`: CF apps, stored as `App` objects in their space's namespace. An app's processes
//! live in its spec (see `processes`); its environment variables in a Secret it owns
//! (`environment`).

pub mod actions;
pub mod environment;
pub mod handlers;
pub mod message;
mod presenter;

pub use presenter::AppView;

use crate::v3::{lifecycle, prelude::*, spaces};
use smelter_crds::{App, DesiredState};

/// The space GUID of an app: the namespace it lives in.
pub fn space_guid(app: &App) -> &str {
    space_of(app)
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

impl Objects for Apps {
    type Kind = App;
    const LIST: Accepts =
        Accepts::filters("names organization_guids space_guids stacks include lifecycle_type")
            .order_by("name state")
            .include("space org space.organization");
    const INDEXED: Indexed = &[("names", By::Name), ("space_guids", By::Space)];

    fn matches(ctx: &Ctx, app: &App, key: &str, wanted: &[String]) -> Option<bool> {
        let lifecycle = &app.spec.lifecycle;
        Some(match key {
            "space_guids" => one_of(space_guid(app), wanted),
            "organization_guids" => in_org(ctx, space_guid(app), wanted),
            "stacks" => one_of(lifecycle::stack(lifecycle), wanted),
            "lifecycle_type" => one_of(lifecycle::type_name(&lifecycle.type_), wanted),
            _ => return None,
        })
    }

    fn order_key(app: &App, field: &str) -> Option<String> {
        (field == "state").then(|| state_name(&app.spec.desired_state).to_owned())
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
        let types = query.filter("lifecycle_type").into_iter().flatten();
        types
            .filter(|t| !["buildpack", "docker", "cnb"].contains(&t.as_str()))
            .map(|t| format!("Invalid lifecycle_type: '{t}'"))
            .collect()
    }
}

#[cfg(test)]
mod tests;
