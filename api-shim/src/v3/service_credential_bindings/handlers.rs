//! Creating, changing and deleting app bindings, and their details (the credentials).

use super::{
    BindingView, actions,
    message::{CreateBinding, UpdateBinding},
};
use crate::v3::{prelude::*, vcap};
use serde_json::json;
use smelter_crds::{App, ServiceBinding, ServiceInstance};

pub async fn create(ctx: Ctx, Body(req): Body<CreateBinding>) -> ApiResult<Response> {
    let si_guid = &req.relationships.service_instance.data.guid;
    let si = ctx.get::<ServiceInstance>(si_guid).ok_or_else(|| {
        ApiError::unprocessable(format!(
            "The service instance could not be found: '{si_guid}'."
        ))
    })?;
    // The message made sure there is one.
    let app_guid = req
        .relationships
        .app
        .map(|a| a.data.guid)
        .unwrap_or_default();
    let app = ctx.get::<App>(&app_guid).ok_or_else(|| {
        ApiError::unprocessable(format!("The app could not be found: '{app_guid}'."))
    })?;
    let made = actions::bind(&ctx, &app, &si, req.name, req.metadata.as_ref()).await?;
    Ok(created(BindingView::of(&made, &ctx.base)))
}

pub async fn update(
    found: Found<ServiceBinding>,
    Body(req): Body<UpdateBinding>,
) -> ApiResult<Response> {
    found.update(req.metadata.as_ref(), |_, _| Ok(())).await
}

pub async fn delete(Found(ctx, b): Found<ServiceBinding>) -> ApiResult<StatusCode> {
    vcap::unbind(&ctx, &b).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /v3/service_credential_bindings/:guid/details`: the credentials, read as the caller.
pub async fn details(Found(ctx, b): Found<ServiceBinding>) -> ApiResult<Response> {
    let si =
        vcap::instance_of(&ctx, &b).ok_or_else(|| ApiError::not_found(ServiceBinding::NAME))?;
    let credentials = vcap::read_credentials(&ctx, &si).await?;
    Ok(ok(json!({
        "credentials": credentials,
        "syslog_drain_url": si.spec.syslog_drain_url,
        "volume_mounts": [],
    })))
}
