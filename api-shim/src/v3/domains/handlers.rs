//! Creating and deleting domains, and an org's default domain.

use super::{DomainView, default_domain, guid_for, message::CreateDomain};
use crate::v3::prelude::*;
use smelter_crds::{Domain, DomainSpec, Org};

pub async fn create(ctx: Ctx, Body(req): Body<CreateDomain>) -> ApiResult<Response> {
    let org = req.organization().map(str::to_owned);
    match &org {
        None if !ctx.perms.is_admin() => return Err(ApiError::not_authorized()),
        // CC asks whether the org exists at all before whether the caller may use it.
        Some(o) if ctx.state.caches.orgs.get(o).is_none() => {
            return Err(ApiError::unprocessable(format!(
                "Organization with guid '{o}' does not exist or you do not have access to it."
            )));
        }
        Some(o) if !ctx.perms.manages_org(o) => return Err(ApiError::not_authorized()),
        Some(_) => crate::v3::feature_flags::require_unless_admin(&ctx, "private_domain_creation")?,
        _ => {}
    }
    let name = req.name.to_lowercase();
    let domains = &ctx.state.caches.domains;
    if !domains.by(By::Name, &name).is_empty() {
        return Err(ApiError::uniqueness(format!(
            "The domain name \"{name}\" is already reserved by another domain."
        )));
    }
    let mut domain = Domain::new(
        &guid_for(&name),
        DomainSpec {
            name,
            internal: req.internal,
            organization_guid: org,
            shared_organization_guids: vec![],
        },
    );
    apply_metadata(&mut domain.metadata, req.metadata.as_ref());
    let root = &ctx.state.config.root_namespace;
    let domain = ctx.create(root, &domain).await?;
    Ok(created(DomainView::of(&domain, &ctx.base)))
}

pub async fn delete(Found(ctx, d): Found<Domain>) -> ApiResult<Response> {
    let allowed = match &d.spec.organization_guid {
        None => ctx.perms.is_admin(),
        Some(o) => ctx.perms.manages_org(o),
    };
    if !allowed {
        return Err(ApiError::not_authorized());
    }
    jobs::delete(&ctx, &*d, Operation::DomainDelete).await
}

/// `GET /v3/organizations/:guid/domains/default`.
pub async fn default_for_org(ctx: Ctx, Path(org): Path<String>) -> ApiResult<Response> {
    ctx.find::<Org>(&org)?;
    let d = default_domain(&ctx).ok_or_else(|| ApiError::not_found(Domain::NAME))?;
    Ok(ok(DomainView::of(&d, &ctx.base)))
}
