//! The space endpoints that change things: message → checks → write as the caller →
//! presenter.

use super::{SpaceView, message::CreateSpace, org_guid};
use crate::{
    http::message::{Rename, valid_name},
    v3::prelude::*,
};
use smelter_crds::{Org, Space, SpaceSpec, labels};

/// Whether a space of `org` other than `except` is named `name`.
fn taken(ctx: &Ctx, org: &str, name: &str, except: Option<&str>) -> bool {
    let spaces = ctx.state.caches.spaces.by(By::Name, name);
    spaces
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
    if taken(&ctx, org, name, None) {
        // CC's text, which the cf CLI matches.
        return Err(ApiError::uniqueness("Name must be unique per organization"));
    }
    let spec = SpaceSpec {
        name: name.to_owned(),
        allow_ssh: false,
        ..Default::default()
    };
    let mut space = Space::new(&uuid::Uuid::new_v4().to_string(), spec);
    space.metadata.labels = Some([(labels::ORG_GUID.to_owned(), org.to_owned())].into());
    apply_metadata(&mut space.metadata, req.metadata.as_ref());
    let spaces = &ctx.state.caches.spaces;
    let space = write::create_tenancy(&ctx.client()?, org, &space, spaces).await?;
    Ok(created(SpaceView::of(&space, &ctx.base)))
}

pub async fn update(found: Found<Space>, Body(req): Body<Rename>) -> ApiResult<Response> {
    found
        .update(req.metadata.as_ref(), |ctx, space| {
            let (guid, org) = (guid_of(space).to_owned(), org_guid(space).to_owned());
            if !ctx.perms.manages_org(&org) && !ctx.perms.manages_space(&guid) {
                return Err(ApiError::not_authorized());
            }
            if let Some(name) = &req.name {
                // Checked by the message.
                let name = name.trim();
                if taken(ctx, &org, name, Some(&guid)) {
                    let org_name = ctx.get::<Org>(&org).map(|o| o.spec.name.clone());
                    return Err(ApiError::unprocessable(format!(
                        "Organization '{}' already contains a space with name '{name}'.",
                        org_name.unwrap_or(org)
                    )));
                }
                space.spec.name = name.to_owned();
            }
            Ok(())
        })
        .await
}

pub async fn delete(Found(ctx, space): Found<Space>) -> ApiResult<Response> {
    if !ctx.perms.manages_org(org_guid(&space)) {
        return Err(ApiError::not_authorized());
    }
    jobs::delete(&ctx, &*space, Operation::SpaceDelete).await
}
