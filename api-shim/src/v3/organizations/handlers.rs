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

/// `POST /v3/organizations`: admins, and with `user_org_creation` enabled any user, who then
/// becomes the org's user and manager, as CC makes them.
pub async fn create(ctx: Ctx, Body(req): Body<CreateOrganization>) -> ApiResult<Response> {
    let by_admin = ctx.perms.is_admin();
    if !by_admin && !crate::v3::feature_flags::enabled(&ctx, "user_org_creation") {
        return Err(ApiError::not_authorized());
    }
    // Only an admin makes a suspended org (its users could do nothing in it).
    if !by_admin && req.suspended {
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
    let client = if by_admin {
        ctx.client()?
    } else {
        ctx.client_as_admin()?
    };
    let (root, orgs) = (&ctx.state.config.root_namespace, &ctx.state.caches.orgs);
    let org = write::create_tenancy(&client, root, &org, orgs).await?;
    if !by_admin {
        creator_roles(&ctx, &client, &org).await?;
    }
    Ok(created(OrganizationView::of(&org, &ctx.base)))
}

/// The roles CC gives a user who makes an org: its user and its manager.
async fn creator_roles(ctx: &Ctx, client: &kube::Client, org: &Org) -> ApiResult<()> {
    let guid = guid_of(org);
    let user = ctx
        .state
        .users
        .role_holder(ctx.caller.guid())
        .ok_or_else(|| {
            ApiError::unprocessable(
                "Invalid user. Ensure that the user exists and you have access to it.",
            )
        })?;
    for role_type in ["organization_user", "organization_manager"] {
        let rb = crate::v3::roles::role_binding(
            &uuid::Uuid::new_v4().to_string(),
            role_type,
            &user,
            guid,
            None,
            guid,
        );
        write::create(client, guid, &rb, &ctx.state.caches.role_bindings).await?;
    }
    Ok(())
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
