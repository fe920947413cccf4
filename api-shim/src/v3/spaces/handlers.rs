//! The space endpoints that change things: message → checks → write as the caller →
//! presenter.

use super::{
    SpaceView,
    message::{CreateSpace, UpdateSpace},
    org_guid,
};
use crate::{
    http::{
        errors::{ApiError, ApiResult},
        message::{Body, apply_metadata, valid_name},
        path::Path,
    },
    read::Ctx,
    storage::{cache::is_ready, store::By, write},
    v3::jobs::{self, Operation},
};
use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use smelter_crds::{Org, Space, SpaceSpec, labels};
use std::time::Duration;

/// How long a create waits for the operator to make the space's namespace: `cf create-space`
/// posts roles for it at once, and apps go into it.
const READY_WITHIN: Duration = Duration::from_secs(15);

/// CC's create text (the cf CLI matches it).
const NOT_UNIQUE: &str = "Name must be unique per organization";

/// Whether another space of `org` is named `name`.
fn name_taken(ctx: &Ctx, org: &str, name: &str, except: Option<&str>) -> bool {
    ctx.state
        .caches
        .spaces
        .by(By::Name, name)
        .iter()
        .any(|s| org_guid(s) == org && s.metadata.name.as_deref() != except)
}

pub async fn create(ctx: Ctx, Body(req): Body<CreateSpace>) -> ApiResult<Response> {
    let name = valid_name(&req.name)?;
    let org = req.relationships.organization.data.guid.as_str();
    if ctx.get::<Org>(org).is_none() {
        return Err(ApiError::unprocessable(
            "Invalid organization. Ensure the organization exists and you have access to it.",
        ));
    }
    if !ctx.perms.manages_org(org) {
        return Err(ApiError::not_authorized());
    }
    if name_taken(&ctx, org, name, None) {
        return Err(ApiError::uniqueness(NOT_UNIQUE));
    }
    let guid = uuid::Uuid::new_v4().to_string();
    let mut space = Space::new(
        &guid,
        SpaceSpec {
            name: name.to_owned(),
            allow_ssh: false,
        },
    );
    space.metadata.labels = Some([(labels::ORG_GUID.to_owned(), org.to_owned())].into());
    apply_metadata(&mut space.metadata, &req.metadata);
    let spaces = &ctx.state.caches.spaces;
    let created = write::create_until(&ctx.client()?, org, &space, spaces, READY_WITHIN, |s| {
        s.status.as_ref().is_some_and(|st| is_ready(&st.conditions))
    })
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(SpaceView::of(&created, &ctx.base)),
    )
        .into_response())
}

pub async fn update(
    ctx: Ctx,
    Path(guid): Path<String>,
    Body(req): Body<UpdateSpace>,
) -> ApiResult<Response> {
    let current = ctx.find::<Space>(&guid)?;
    let org = org_guid(&current).to_owned();
    if !ctx.perms.manages_org(&org) && !ctx.perms.manages_space(&guid) {
        return Err(ApiError::not_authorized());
    }
    let mut space = (*current).clone();
    if let Some(name) = &req.name {
        let name = valid_name(name)?;
        if name_taken(&ctx, &org, name, Some(&guid)) {
            let org_name = ctx.get::<Org>(&org).map(|o| o.spec.name.clone());
            return Err(ApiError::unprocessable(format!(
                "Organization '{}' already contains a space with name '{name}'.",
                org_name.unwrap_or(org)
            )));
        }
        space.spec.name = name.to_owned();
    }
    apply_metadata(&mut space.metadata, &req.metadata);
    let updated = write::replace(&ctx.client()?, space, &ctx.state.caches.spaces).await?;
    Ok(Json(SpaceView::of(&updated, &ctx.base)).into_response())
}

pub async fn delete(ctx: Ctx, Path(guid): Path<String>) -> ApiResult<Response> {
    let space = ctx.find::<Space>(&guid)?;
    let org = org_guid(&space);
    if !ctx.perms.manages_org(org) {
        return Err(ApiError::not_authorized());
    }
    write::start_delete::<Space>(&ctx.client()?, org, &guid).await?;
    Ok(jobs::accepted(&ctx.base, Operation::SpaceDelete, &guid))
}
