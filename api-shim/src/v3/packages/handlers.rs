//! Creating a package, and recording its state (which only the platform writes).

use super::{PackageView, message::CreatePackage};
use crate::{state::AppState, storage::owner, v3::prelude::*};
use smelter_crds::{
    App, Package, PackageSpec, labels,
    package::{PackageState, PackageStatus, PackageType},
};

/// Writes a package's status with the api-shim's own identity: upload results are the
/// platform's record, not something a user may set (RBAC gives users no `packages/status`).
pub async fn write_status(
    state: &AppState,
    package: &Package,
    status: PackageStatus,
) -> ApiResult<Package> {
    let name = package.metadata.name.as_deref().unwrap_or_default();
    let store = &state.caches.packages;
    write::status(&state.kube.own(), space_of(package), name, &status, store)
        .await
        .map_err(ApiError::from_kube)
}

/// The labels of what belongs to `app`: its space's and org's, and its own GUID.
pub fn app_labels(app: &App) -> std::collections::BTreeMap<String, String> {
    let mut l = app.metadata.labels.clone().unwrap_or_default();
    l.retain(|k, _| k == labels::SPACE_GUID || k == labels::ORG_GUID);
    l.insert(
        labels::APP_GUID.into(),
        app.metadata.name.clone().unwrap_or_default(),
    );
    l
}

pub async fn create(ctx: Ctx, Body(req): Body<CreatePackage>) -> ApiResult<Response> {
    let app_guid = req.relationships.app.data.guid;
    let app = ctx.get::<App>(&app_guid).ok_or_else(|| {
        ApiError::unprocessable("App is invalid. Ensure it exists and you have access to it.")
    })?;
    // The message made sure a docker package has its image.
    let image = req
        .data
        .and_then(|d| d.image)
        .filter(|_| req.type_ == "docker");
    let type_ = match image {
        Some(_) => PackageType::Docker,
        None => PackageType::Bits,
    };
    let spec = PackageSpec {
        app_guid,
        type_: type_.clone(),
        image,
    };
    let mut package = Package::new(&uuid::Uuid::new_v4().to_string(), spec);
    package.metadata.labels = Some(app_labels(&app));
    package.metadata.owner_references = Some(vec![owner::owned_by(&*app)]);
    apply_metadata(&mut package.metadata, req.metadata.as_ref());
    let package = ctx.create(space_of(&*app), &package).await?;
    // A docker package has nothing to upload: it is ready at once.
    let state = match type_ {
        PackageType::Docker => PackageState::Ready,
        PackageType::Bits => PackageState::AwaitingUpload,
    };
    let status = PackageStatus {
        state,
        ..Default::default()
    };
    let package = write_status(&ctx.state, &package, status).await?;
    Ok(created(PackageView::of(&package, &ctx.base)))
}
