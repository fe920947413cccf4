//! The organization endpoints that change things (reads are the generic ones of `read`):
//! message → checks against what exists → write as the caller → presenter.

use super::{
    OrganizationView,
    message::{CreateOrganization, UpdateOrganization},
};
use crate::{
    http::{
        errors::{ApiError, ApiResult},
        message::{Body, apply_metadata, check_name},
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
use smelter_crds::{Org, OrgSpec};
use std::time::Duration;

/// How long a create waits for the operator to make the org's namespace: `cf create-org` is
/// followed at once by `cf create-space`, which needs it.
const READY_WITHIN: Duration = Duration::from_secs(15);

/// CC's uniqueness text on create (the cf CLI matches `Organization '.*' already exists.`).
fn taken(name: &str) -> ApiError {
    ApiError::uniqueness(format!("Organization '{name}' already exists."))
}

pub async fn create(ctx: Ctx, Body(req): Body<CreateOrganization>) -> ApiResult<Response> {
    if !ctx.perms.is_admin() {
        return Err(ApiError::not_authorized());
    }
    let name = req.name.trim().to_owned();
    let orgs = &ctx.state.caches.orgs;
    if !orgs.by(By::Name, &name).is_empty() {
        return Err(taken(&name));
    }
    let guid = uuid::Uuid::new_v4().to_string();
    let mut org = Org::new(
        &guid,
        OrgSpec {
            name,
            suspended: req.suspended,
        },
    );
    apply_metadata(&mut org.metadata, &req.metadata);
    let root = &ctx.state.config.root_namespace;
    let created = write::create_until(&ctx.client()?, root, &org, orgs, READY_WITHIN, |o| {
        o.status.as_ref().is_some_and(|s| is_ready(&s.conditions))
    })
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(OrganizationView::of(&created, &ctx.base)),
    )
        .into_response())
}

pub async fn update(
    ctx: Ctx,
    Path(guid): Path<String>,
    Body(req): Body<UpdateOrganization>,
) -> ApiResult<Response> {
    let current = ctx.find::<Org>(&guid)?;
    if !ctx.perms.manages_org(&guid) {
        return Err(ApiError::not_authorized());
    }
    let mut org = (*current).clone();
    if let Some(name) = &req.name {
        let name = check_name(name).map_err(|p| ApiError::unprocessable(p.join(", ")))?;
        let taken_by_other = ctx
            .state
            .caches
            .orgs
            .by(By::Name, name)
            .iter()
            .any(|o| o.metadata.name != org.metadata.name);
        if taken_by_other {
            return Err(ApiError::unprocessable(format!(
                "Organization name '{name}' is already taken."
            )));
        }
        org.spec.name = name.to_owned();
    }
    if let Some(suspended) = req.suspended {
        if !ctx.perms.is_admin() {
            return Err(ApiError::not_authorized());
        }
        org.spec.suspended = suspended;
    }
    apply_metadata(&mut org.metadata, &req.metadata);
    let updated = write::replace(&ctx.client()?, org, &ctx.state.caches.orgs).await?;
    Ok(Json(OrganizationView::of(&updated, &ctx.base)).into_response())
}

pub async fn delete(ctx: Ctx, Path(guid): Path<String>) -> ApiResult<Response> {
    ctx.find::<Org>(&guid)?;
    if !ctx.perms.is_admin() {
        return Err(ApiError::not_authorized());
    }
    let root = &ctx.state.config.root_namespace;
    write::start_delete::<Org>(&ctx.client()?, root, &guid).await?;
    Ok(jobs::accepted(&ctx.base, Operation::OrgDelete, &guid))
}
