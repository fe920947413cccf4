//! The organization endpoints that change things (reads are the generic ones of `read`):
//! message → checks against what exists → write as the caller → presenter.

use super::{
    OrganizationView,
    message::{CreateOrganization, UpdateOrganization},
};
use crate::v3::prelude::*;
use smelter_crds::{Org, OrgSpec};

/// Whether an org other than `except` is named `name`.
fn taken(ctx: &Ctx, name: &str, except: Option<&str>) -> bool {
    let orgs = ctx.state.caches.orgs.by(By::Name, name);
    orgs.iter().any(|o| o.metadata.name.as_deref() != except)
}

pub async fn create(ctx: Ctx, Body(req): Body<CreateOrganization>) -> ApiResult<Response> {
    if !ctx.perms.is_admin() {
        return Err(ApiError::not_authorized());
    }
    let name = req.name.trim();
    if taken(&ctx, name, None) {
        // The cf CLI matches `Organization '.*' already exists.`.
        return Err(ApiError::uniqueness(format!(
            "Organization '{name}' already exists."
        )));
    }
    let mut org = Org::new(
        &uuid::Uuid::new_v4().to_string(),
        OrgSpec {
            name: name.to_owned(),
            suspended: req.suspended,
            ..Default::default()
        },
    );
    apply_metadata(&mut org.metadata, req.metadata.as_ref());
    let (root, orgs) = (&ctx.state.config.root_namespace, &ctx.state.caches.orgs);
    let org = write::create_tenancy(&ctx.client()?, root, &org, orgs).await?;
    Ok(created(OrganizationView::of(&org, &ctx.base)))
}

pub async fn update(found: Found<Org>, Body(req): Body<UpdateOrganization>) -> ApiResult<Response> {
    found
        .update(req.rename.metadata.as_ref(), |ctx, org| {
            let guid = guid_of(org);
            // The cf CLI sends `"suspended": false` with every rename; only admins may change
            // it (CC would let an org manager suspend, and then lock out, their own org).
            let suspends = req.suspended.is_some_and(|s| s != org.spec.suspended);
            if !ctx.perms.manages_org(guid) || (suspends && !ctx.perms.is_admin()) {
                return Err(ApiError::not_authorized());
            }
            if let Some(name) = &req.rename.name {
                // Checked by the message.
                let name = name.trim();
                if taken(ctx, name, Some(guid)) {
                    return Err(ApiError::unprocessable(format!(
                        "Organization name '{name}' is already taken."
                    )));
                }
                org.spec.name = name.to_owned();
            }
            org.spec.suspended = req.suspended.unwrap_or(org.spec.suspended);
            Ok(())
        })
        .await
}

pub async fn delete(Found(ctx, org): Found<Org>) -> ApiResult<Response> {
    if !ctx.perms.is_admin() {
        return Err(ApiError::not_authorized());
    }
    jobs::delete(&ctx, &*org, Operation::OrgDelete).await
}
