//! `/v3/packages`: app bits (a zip in the blobstore) or a Docker image reference, as `Package`
//! objects in the app's space namespace; `upload` stores the bits.

pub mod handlers;
mod message;
mod presenter;
pub mod upload;

pub use presenter::PackageView;

use crate::{
    http::query::{Accepts, ListQuery},
    read::{Ctx, Kind, Listed, Nested, kinds::space_of, list::one_of},
    storage::store::By,
    v3::spaces,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use smelter_crds::{
    App, Package,
    package::{PackageState, PackageType},
};
use std::sync::Arc;

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

impl Listed for Packages {
    type Item = Arc<Package>;
    const NAME: &'static str = Package::NAME;
    const LIST: Accepts = Accepts::filters(&[
        "states",
        "types",
        "app_guids",
        "space_guids",
        "organization_guids",
    ]);

    fn candidates(ctx: &Ctx, query: &ListQuery) -> Vec<Arc<Package>> {
        let store = &ctx.state.caches.packages;
        let found = match query.filter("app_guids") {
            Some(apps) => apps.iter().flat_map(|a| store.by(By::App, a)).collect(),
            None => store.all(),
        };
        found
            .into_iter()
            .filter(|p| Package::visible(&ctx.perms, p))
            .collect()
    }

    fn get(ctx: &Ctx, guid: &str) -> Option<Arc<Package>> {
        ctx.get(guid)
    }

    fn guid(p: &Arc<Package>) -> &str {
        p.metadata.name.as_deref().unwrap_or_default()
    }

    fn meta(p: &Arc<Package>) -> Option<&ObjectMeta> {
        Some(&p.metadata)
    }

    fn matches(ctx: &Ctx, p: &Arc<Package>, key: &str, wanted: &[String]) -> Option<bool> {
        Some(match key {
            "states" => one_of(state_name(&state_of(p)), wanted),
            "types" => one_of(type_name(&p.spec.type_), wanted),
            "app_guids" => one_of(&p.spec.app_guid, wanted),
            "space_guids" => one_of(space_of(&**p), wanted),
            "organization_guids" => ctx
                .state
                .caches
                .spaces
                .get(space_of(&**p))
                .is_some_and(|s| one_of(spaces::org_guid(&s), wanted)),
            _ => return None,
        })
    }

    fn present<'a>(ctx: &'a Ctx, p: &'a Arc<Package>) -> impl serde::Serialize + Send + 'a {
        PackageView::of(p, &ctx.base)
    }
}

/// `/v3/apps/:guid/packages`.
impl Nested<App> for Packages {
    const NESTED: Accepts = Accepts::filters(&["states", "types"]);

    fn under(ctx: &Ctx, app: &Arc<App>, _: &ListQuery) -> Vec<Arc<Package>> {
        let guid = app.metadata.name.as_deref().unwrap_or_default();
        ctx.state
            .caches
            .packages
            .by(By::App, guid)
            .into_iter()
            .filter(|p| space_of(&**p) == space_of(&**app))
            .collect()
    }
}
