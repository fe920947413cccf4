//! Creating a package, and recording its state (which only the platform writes).

use super::{PackageView, message::CreatePackage};
use crate::{
    http::{
        errors::{ApiError, ApiResult},
        message::{Body, apply_metadata},
    },
    read::{Ctx, kinds::space_of},
    state::AppState,
    storage::{owner, write},
};
use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
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
    write::status(
        &state.kube.own(),
        space_of(package),
        name,
        &status,
        &state.caches.packages,
    )
    .await
    .map_err(ApiError::from_kube)
}

pub async fn create(ctx: Ctx, Body(req): Body<CreatePackage>) -> ApiResult<Response> {
    let app_guid = req.relationships.app.data.guid;
    let app = ctx.get::<App>(&app_guid).ok_or_else(|| {
        ApiError::unprocessable("App is invalid. Ensure it exists and you have access to it.")
    })?;
    let (type_, image) = match req.data.and_then(|d| d.image) {
        Some(image) if req.type_ == "docker" => (PackageType::Docker, Some(image)),
        _ => (PackageType::Bits, None),
    };
    let guid = uuid::Uuid::new_v4().to_string();
    let mut package = Package::new(
        &guid,
        PackageSpec {
            app_guid: app_guid.clone(),
            type_: type_.clone(),
            image,
        },
    );
    let mut l = app.metadata.labels.clone().unwrap_or_default();
    l.retain(|k, _| k == labels::SPACE_GUID || k == labels::ORG_GUID);
    l.insert(labels::APP_GUID.into(), app_guid);
    package.metadata.labels = Some(l);
    package.metadata.owner_references = Some(vec![owner::owned_by(&*app)]);
    apply_metadata(&mut package.metadata, &req.metadata);
    let store = &ctx.state.caches.packages;
    let created = write::create(&ctx.client()?, space_of(&*app), &package, store).await?;
    // A docker package has nothing to upload: it is ready at once.
    let initial = match type_ {
        PackageType::Docker => PackageState::Ready,
        PackageType::Bits => PackageState::AwaitingUpload,
    };
    let created = write_status(
        &ctx.state,
        &created,
        PackageStatus {
            state: initial,
            ..Default::default()
        },
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(PackageView::of(&created, &ctx.base)),
    )
        .into_response())
}
