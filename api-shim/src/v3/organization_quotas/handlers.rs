//! Creating, updating, applying and deleting org quotas: admins only, as in CC (which refuses
//! others before it reads the body or looks the quota up).

use super::{
    limits::{QuotaRequest, ports_within_routes},
    message::CreateOrganizationQuota,
    organizations_using,
};
use crate::{
    http::{
        message::{RawBody, ToManyRequest},
        present::Relationship,
    },
    v3::prelude::*,
};
use smelter_crds::{Org, OrgQuota, OrgQuotaSpec};

/// CC's text when the reserved ports exceed the routes.
const PORTS_OVER_ROUTES: &str = "Total reserved ports must be -1, 0, or a positive integer, and must be less than or equal to total routes.";

/// Whether a quota other than `except` is named `name`.
fn taken(ctx: &Ctx, name: &str, except: Option<&str>) -> bool {
    let quotas = ctx.state.caches.org_quotas.by(By::Name, name);
    quotas.iter().any(|q| q.metadata.name.as_deref() != except)
}

fn already_exists(name: &str) -> ApiError {
    // The cf CLI matches `.* Quota '.*' already exists\.` and calls it a warning.
    ApiError::uniqueness(format!("Organization Quota '{name}' already exists."))
}

/// The orgs of `guids`, or CC's 422 naming those that do not exist.
fn orgs(ctx: &Ctx, guids: &[String], suffix: &str) -> ApiResult<Vec<Arc<Org>>> {
    let found: Vec<Arc<Org>> = guids.iter().filter_map(|g| ctx.get::<Org>(g)).collect();
    let missing: Vec<&String> = guids
        .iter()
        .filter(|g| !found.iter().any(|o| guid_of(&**o) == g.as_str()))
        .collect();
    if missing.is_empty() {
        Ok(found)
    } else {
        Err(ApiError::unprocessable(format!(
            "Organizations with guids {missing:?} do not exist{suffix}"
        )))
    }
}

/// Puts each of `orgs` under `quota`.
async fn apply_to(ctx: &Ctx, quota: &str, orgs: Vec<Arc<Org>>) -> ApiResult<()> {
    for org in orgs {
        if org.spec.quota.as_deref() != Some(quota) {
            let mut org = (*org).clone();
            org.spec.quota = Some(quota.to_owned());
            ctx.replace(org).await?;
        }
    }
    Ok(())
}

pub async fn create(ctx: Ctx, RawBody(body): RawBody) -> ApiResult<Response> {
    ctx.admin_only()?;
    let req = CreateOrganizationQuota::from_body(&body)?;
    let name = req.quota.name.clone().unwrap_or_default();
    if taken(&ctx, &name, None) {
        return Err(already_exists(&name));
    }
    let orgs = orgs(
        &ctx,
        &req.organizations(),
        ", or you do not have access to them.",
    )?;
    let mut spec = OrgQuotaSpec {
        name,
        ..Default::default()
    };
    let s = &mut spec;
    req.quota.apply(
        &mut s.apps,
        &mut s.services,
        &mut s.routes,
        Some(&mut s.domains),
    );
    if !ports_within_routes(&spec.routes) {
        return Err(ApiError::unprocessable(PORTS_OVER_ROUTES));
    }
    let quota = OrgQuota::new(&uuid::Uuid::new_v4().to_string(), spec);
    let root = &ctx.state.config.root_namespace;
    let quota = ctx.create(root, &quota).await?;
    apply_to(&ctx, guid_of(&quota), orgs).await?;
    Ok(created(quota.present(&ctx)))
}

pub async fn update(
    ctx: Ctx,
    Path(guid): Path<String>,
    RawBody(body): RawBody,
) -> ApiResult<Response> {
    ctx.admin_only()?;
    let req = QuotaRequest::from_body(&body)?;
    let mut quota = (*ctx.find::<OrgQuota>(&guid)?).clone();
    if let Some(name) = &req.name {
        if taken(&ctx, name, Some(&guid)) {
            return Err(already_exists(name));
        }
        quota.spec.name = name.clone();
    }
    let s = &mut quota.spec;
    req.apply(
        &mut s.apps,
        &mut s.services,
        &mut s.routes,
        Some(&mut s.domains),
    );
    if !ports_within_routes(&quota.spec.routes) {
        return Err(ApiError::unprocessable(PORTS_OVER_ROUTES));
    }
    let quota = ctx.replace(quota).await?;
    Ok(ok(quota.present(&ctx)))
}

pub async fn delete(ctx: Ctx, Path(guid): Path<String>) -> ApiResult<Response> {
    ctx.admin_only()?;
    let quota = ctx.find::<OrgQuota>(&guid)?;
    if !organizations_using(&ctx, &quota).is_empty() {
        return Err(ApiError::unprocessable(
            "This quota is applied to one or more organizations. Apply different quotas to those organizations before deleting.",
        ));
    }
    jobs::delete(&ctx, &*quota, Operation::OrganizationQuotaDelete).await
}

/// `POST /v3/organization_quotas/:guid/relationships/organizations`: moves the orgs to this
/// quota (an org has exactly one) and answers every org under it.
pub async fn apply_to_organizations(
    ctx: Ctx,
    Path(guid): Path<String>,
    RawBody(body): RawBody,
) -> ApiResult<Response> {
    ctx.admin_only()?;
    let req = ToManyRequest::from_body(&body)?;
    let quota = ctx.find::<OrgQuota>(&guid)?;
    let orgs = orgs(&ctx, &req.guids(), "")?;
    apply_to(&ctx, &guid, orgs).await?;
    let using = organizations_using(&ctx, &quota);
    let data: Vec<Guid> = using.iter().map(|g| Guid::of(g)).collect();
    let link = Link::new(
        &ctx.base,
        "/v3/organization_quotas/",
        &guid,
        "/relationships/organizations",
    );
    Ok(ok(Relationship {
        data,
        links: Links([("self", link)]),
    }))
}
