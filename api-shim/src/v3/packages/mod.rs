//! `/v3/packages`: app bits (a zip in the blobstore) or a Docker image reference, as `Package`
//! objects in the app's space namespace; `upload` stores the bits.

pub mod handlers;
mod message;
mod presenter;
pub mod upload;

pub use presenter::PackageView;

use crate::v3::prelude::*;
use smelter_crds::{
    App, Package,
    package::{PackageState, PackageType},
};

/// CC's package state names.
pub fn state_name(s: &PackageState) -> &'static str {
    match s {
        PackageState::AwaitingUpload => "AWAITING_UPLOAD",
        PackageState::ProcessingUpload => "PROCESSING_UPLOAD",
        PackageState::Ready => "READY",
        PackageState::Failed => "FAILED",
        PackageState::Copying => "COPYING",
        PackageState::Expired => "EXPIRED",
    }
}

/// A package's state (a new one has none yet: it awaits its upload).
pub fn state_of(p: &Package) -> PackageState {
    p.status
        .as_ref()
        .map(|s| s.state.clone())
        .unwrap_or_default()
}

/// CC's name of a package's type.
pub fn type_name(t: &PackageType) -> &'static str {
    match t {
        PackageType::Bits => "bits",
        PackageType::Docker => "docker",
    }
}

/// The packages list.
pub struct Packages;

impl Objects for Packages {
    type Kind = Package;
    const LIST: Accepts = Accepts::filters("states types app_guids space_guids organization_guids");
    const INDEXED: Indexed = &[("app_guids", By::App)];

    fn matches(ctx: &Ctx, p: &Package, key: &str, wanted: &[String]) -> Option<bool> {
        Some(match key {
            "states" => one_of(state_name(&state_of(p)), wanted),
            "types" => one_of(type_name(&p.spec.type_), wanted),
            "app_guids" => one_of(&p.spec.app_guid, wanted),
            "space_guids" => one_of(space_of(p), wanted),
            "organization_guids" => in_org(ctx, space_of(p), wanted),
            _ => return None,
        })
    }
}

/// The objects of an app that name it in `app_guid` (its packages, builds): found by the
/// app index, in the app's space.
pub fn of_app<K: Kind>(ctx: &Ctx, app: &App) -> Vec<Arc<K>> {
    let guid = app.metadata.name.as_deref().unwrap_or_default();
    K::store(&ctx.state.caches)
        .by(By::App, guid)
        .into_iter()
        .filter(|o| space_of(&**o) == space_of(app))
        .collect()
}

/// `/v3/apps/:guid/packages`.
impl Nested<App> for Packages {
    const NESTED: Accepts = Accepts::filters("states types");

    fn under(ctx: &Ctx, app: &Arc<App>, _: &ListQuery) -> Vec<Arc<Package>> {
        of_app(ctx, app)
    }
}

#[cfg(test)]
mod tests;
