//! Creating a build: staging a ready package of an app the caller may see.

use super::{BuildView, message::CreateBuild, presenter::CREATED_BY};
use crate::{
    storage::owner,
    v3::{packages::handlers::app_labels, prelude::*},
};
use serde_json::json;
use smelter_crds::{
    App, Build, BuildSpec, Package, labels,
    package::{PackageState, PackageType},
};

pub async fn create(ctx: Ctx, Body(req): Body<CreateBuild>) -> ApiResult<Response> {
    let package = ctx.get::<Package>(&req.package.guid).ok_or_else(|| {
        ApiError::unprocessable(
            "Unable to use package. Ensure that the package exists and you have access to it.",
        )
    })?;
    if package.status.as_ref().map(|s| &s.state) != Some(&PackageState::Ready) {
        // The exact text the cf CLI matches.
        return Err(ApiError::bad_request(
            "Bad request: Cannot stage package whose state is not ready.",
        ));
    }
    let app = ctx.find::<App>(&package.spec.app_guid)?;
    if package.spec.type_ == PackageType::Docker {
        crate::v3::feature_flags::require(&ctx, "diego_docker")?;
    }
    let lifecycle = match req.lifecycle {
        Some(l) => l.into_lifecycle()?,
        None => app.spec.lifecycle.clone(),
    };
    crate::v3::quota_usage::check_staging(&ctx.state.caches, &app, req.staging_memory_in_mb)?;
    let guid = uuid::Uuid::new_v4().to_string();
    let mut build = Build::new(
        &guid,
        BuildSpec {
            app_guid: package.spec.app_guid.clone(),
            package_guid: req.package.guid.clone(),
            lifecycle,
            staging_memory_in_mb: req.staging_memory_in_mb,
            staging_disk_in_mb: req.staging_disk_in_mb,
            staging_log_rate_limit_bytes_per_second: req.staging_log_rate_limit_bytes_per_second,
        },
    );
    let mut l = app_labels(&app);
    l.insert(labels::PACKAGE_GUID.into(), req.package.guid.clone());
    build.metadata.labels = Some(l);
    build.metadata.owner_references = Some(vec![owner::owned_by(&*app)]);
    let claims = &ctx.caller.claims;
    let by = json!({ "guid": ctx.caller.guid(), "name": ctx.caller.name(), "email": claims.email });
    build.metadata.annotations = Some([(CREATED_BY.to_owned(), by.to_string())].into());
    apply_metadata(&mut build.metadata, req.metadata.as_ref());
    let made = ctx.create(space_of(&*app), &build).await?;
    Ok(created(BuildView::of(&made, &ctx.base)))
}
