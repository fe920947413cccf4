//! Creating and deleting roles: message → the user, org or space it names → write as the
//! caller (RBAC decides too) → presenter.

use super::{
    RoleView, SPACE_ROLES,
    message::{CreateRole, UserRef, role_binding},
    org_of, space_of, type_of,
};
use crate::{
    auth::User,
    v3::{prelude::*, spaces::org_guid},
};
use k8s_openapi::api::rbac::v1::RoleBinding;
use smelter_crds::{Org, Space};

fn resolve_user(ctx: &Ctx, r: &UserRef) -> ApiResult<User> {
    let users = &ctx.state.users;
    match (&r.guid, &r.username) {
        (Some(guid), _) => users.role_holder(guid).ok_or_else(|| {
            ApiError::unprocessable(
                "Invalid user. Ensure that the user exists and you have access to it.",
            )
        }),
        (None, Some(name)) => {
            crate::v3::feature_flags::require(ctx, "set_roles_by_username")?;
            let origin = r.origin.clone().unwrap_or_else(|| "uaa".into());
            users
                .by_name(name)
                .filter(|u| u.origin == origin)
                .ok_or_else(|| {
                    ApiError::unprocessable(format!(
                        "No user exists with the username '{name}' and origin '{origin}'."
                    ))
                })
        }
        // The message refused this.
        (None, None) => Err(ApiError::unprocessable(
            "User must have a guid or a username",
        )),
    }
}

/// Where a role goes: its namespace, org, space, and how CC names its target in errors.
struct Target {
    namespace: String,
    org: String,
    space: Option<String>,
    described: String,
}

fn target(ctx: &Ctx, req: &CreateRole, user: &User) -> ApiResult<Target> {
    if SPACE_ROLES.contains(&req.type_.as_str()) {
        let guid = req.relationships.space_guid();
        let space = ctx.related::<Space>(guid)?;
        let org = org_guid(&space).to_owned();
        if !ctx.perms.manages_org(&org) && !ctx.perms.manages_space(guid) {
            return Err(ApiError::not_authorized());
        }
        let in_org = ctx
            .state
            .caches
            .role_bindings
            .by(By::User, &user.guid)
            .iter()
            .any(|rb| space_of(rb).is_none() && org_of(rb) == org);
        if !in_org {
            return Err(ApiError::unprocessable(
                "Users cannot be assigned roles in a space if they do not have a role in that space's organization.",
            ));
        }
        return Ok(Target {
            namespace: guid.to_owned(),
            org,
            space: Some(guid.to_owned()),
            described: format!("space '{}'", space.spec.name),
        });
    }
    let guid = req.relationships.organization_guid();
    let org = ctx.related::<Org>(guid)?;
    if !ctx.perms.manages_org(guid) {
        return Err(ApiError::not_authorized());
    }
    Ok(Target {
        namespace: guid.to_owned(),
        org: guid.to_owned(),
        space: None,
        described: format!("organization '{}'", org.spec.name),
    })
}

pub async fn create(ctx: Ctx, Body(req): Body<CreateRole>) -> ApiResult<Response> {
    let user = resolve_user(&ctx, &req.relationships.user.data)?;
    let target = target(&ctx, &req, &user)?;
    let role_type = req.type_.as_str();
    let bindings = &ctx.state.caches.role_bindings;
    let duplicate = bindings.by(By::User, &user.guid).iter().any(|rb| {
        type_of(rb) == role_type && rb.metadata.namespace.as_deref() == Some(&target.namespace)
    });
    if duplicate {
        return Err(ApiError::unprocessable(format!(
            "User '{}' already has '{role_type}' role in {}.",
            user.name, target.described
        )));
    }
    let rb = role_binding(
        &uuid::Uuid::new_v4().to_string(),
        role_type,
        &user,
        &target.org,
        target.space.as_deref(),
        &target.namespace,
    );
    let rb = ctx.create(&target.namespace, &rb).await?;
    Ok(created(RoleView::of(&rb, &ctx.base)))
}

pub async fn delete(Found(ctx, rb): Found<RoleBinding>) -> ApiResult<Response> {
    let allowed = match space_of(&rb) {
        Some(space) => ctx.perms.manages_space(space) || ctx.perms.manages_org(org_of(&rb)),
        None => ctx.perms.manages_org(org_of(&rb)),
    };
    if !allowed {
        return Err(ApiError::not_authorized());
    }
    jobs::delete(&ctx, &*rb, Operation::RoleDelete).await
}
