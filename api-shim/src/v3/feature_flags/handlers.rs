//! Showing and setting a feature flag (listing is the shared read path's).

use super::{FeatureFlags, message::UpdateFeatureFlag, presenter::FeatureFlagView};
use crate::{http::message::RawBody, v3::prelude::*};
use smelter_crds::{FeatureFlag, FeatureFlagSpec};

/// The text the cf CLI turns into "Feature flag 'NAME' not found.".
fn not_found() -> ApiError {
    ApiError::not_found("Feature flag")
}

pub async fn show(ctx: Ctx, Path(name): Path<String>) -> ApiResult<Response> {
    let flag = FeatureFlags::get(&ctx, &name).ok_or_else(not_found)?;
    Ok(ok(FeatureFlagView::of(&flag, &ctx.base)))
}

/// CC's order: the flag is found, then the caller must be an admin, then the body is read.
pub async fn update(
    ctx: Ctx,
    Path(name): Path<String>,
    RawBody(body): RawBody,
) -> ApiResult<Response> {
    let flag = FeatureFlags::get(&ctx, &name).ok_or_else(not_found)?;
    ctx.admin_only()?;
    let req = UpdateFeatureFlag::from_body(&body)?;
    let spec = FeatureFlagSpec {
        name: flag.name.to_owned(),
        enabled: req.enabled.unwrap_or(flag.enabled),
        custom_error_message: req
            .custom_error_message
            .unwrap_or_else(|| flag.custom_error_message.clone()),
    };
    match &flag.set {
        Some(set) if set.spec == spec => {}
        Some(set) => {
            let mut changed = (**set).clone();
            changed.spec = spec;
            ctx.replace(changed).await?;
        }
        None => {
            let object = FeatureFlag::new(&FeatureFlag::object_name(flag.name), spec);
            ctx.create(&ctx.state.config.root_namespace, &object)
                .await?;
        }
    }
    let now = FeatureFlags::get(&ctx, &name).ok_or_else(not_found)?;
    Ok(ok(FeatureFlagView::of(&now, &ctx.base)))
}
