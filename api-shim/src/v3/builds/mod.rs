//! `/v3/builds`: stagings of a package, as `Build` objects the operator runs as Jobs. The
//! droplet a build produces is part of its status (see `droplets`).

pub mod handlers;
mod message;
mod presenter;

pub use presenter::BuildView;

use crate::v3::{packages::of_app, prelude::*};
use smelter_crds::{
    App, Build,
    build::{BuildState, Droplet},
};

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

impl Objects for Builds {
    type Kind = Build;
    const LIST: Accepts = Accepts::filters("app_guids package_guids states");
    const INDEXED: Indexed = &[("app_guids", By::App), ("package_guids", By::Package)];

    fn matches(_: &Ctx, b: &Build, key: &str, wanted: &[String]) -> Option<bool> {
        Some(match key {
            "app_guids" => one_of(&b.spec.app_guid, wanted),
            "package_guids" => one_of(&b.spec.package_guid, wanted),
            "states" => one_of(state_name(b), wanted),
            _ => return None,
        })
    }
}

/// `/v3/apps/:guid/builds`.
impl Nested<App> for Builds {
    const NESTED: Accepts = Accepts::filters("states");

    fn under(ctx: &Ctx, app: &Arc<App>, _: &ListQuery) -> Vec<Arc<Build>> {
        of_app(ctx, app)
    }
}

#[cfg(test)]
mod tests;
