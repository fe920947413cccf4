//! Creating, updating, applying, removing and deleting space quotas: admins and the managers
//! of the quota's org, as in CC.

use super::{message::CreateSpaceQuota, spaces_using};
use crate::{
    http::{
        message::{RawBody, ToManyRequest},
        present::Relationship,
    },
    v3::{
        organization_quotas::{
            limits::{QuotaRequest, ports_within_routes},
            quota_of,
        },
        prelude::*,
    },
};
use smelter_crds::{Org, RouteLimits, Space, SpaceQuota, SpaceQuotaSpec};

const PORTS_OVER_LIMITS: &str = "Total reserved ports must be -1, 0, or a positive integer, must be less than or equal to total routes, and must be less than or equal to total reserved ports for the organization quota.";

/// Whether another quota of `org` than `except` is named `name` (names are unique per org).
fn taken(ctx: &Ctx, org: &str, name: &str, except: Option<&str>) -> bool {
    let quotas = ctx.state.caches.space_quotas.by(By::Name, name);
    quotas
        .iter()
        .any(|q| space_of(&**q) == org && q.metadata.name.as_deref() != except)
}

fn already_exists(name: &str) -> ApiError {
    // The cf CLI matches `.* Quota '.*' already exists\.` and calls it a warning.
    ApiError::uniqueness(format!("Space Quota '{name}' already exists."))
}

/// CC's reserved-ports rule: within the quota's routes and the org quota's reserved ports.
fn check_ports(ctx: &Ctx, org: &str, routes: &RouteLimits) -> ApiResult<()> {
    let org_ports = ctx
        .state
        .caches
        .orgs
        .get(org)
        .and_then(|o| quota_of(&ctx.state.caches, &o))
        .and_then(|q| q.spec.routes.total_reserved_ports);
    let within_org = match (routes.total_reserved_ports, org_ports) {
        (Some(ports), Some(max)) => ports <= max,
        _ => true,
    };
    if ports_within_routes(routes) && within_org {
        Ok(())
    } else {
        Err(ApiError::unprocessable(PORTS_OVER_LIMITS))
    }
}

fn manages(ctx: &Ctx, quota: &SpaceQuota) -> ApiResult<()> {
    if ctx.perms.manages_org(space_of(quota)) {
        Ok(())
    } else {
        Err(ApiError::not_authorized())
    }
}

/// Puts each of `spaces` under `quota`.
async fn apply_to(ctx: &Ctx, quota: &str, spaces: Vec<Arc<Space>>) -> ApiResult<()> {
    for space in spaces {
        if space.spec.quota.as_deref() != Some(quota) {
            let mut space = (*space).clone();
            space.spec.quota = Some(quota.to_owned());
            ctx.replace(space).await?;
        }
    }
    Ok(())
}

pub async fn create(ctx: Ctx, Body(req): Body<CreateSpaceQuota>) -> ApiResult<Response> {
    let org = req.organization();
    if ctx.get::<Org>(&org).is_none() {
        return Err(ApiError::unprocessable(format!(
            "Organization with guid '{org}' does not exist, or you do not have access to it."
        )));
    }
    if !ctx.perms.manages_org(&org) {
        return Err(ApiError::not_authorized());
    }
    let name = req.quota.name.clone().unwrap_or_default();
    if taken(&ctx, &org, &name, None) {
        return Err(already_exists(&name));
    }
    let spaces = crate::v3::spaces::seen_or_422(
        &ctx,
        &req.spaces(),
        " within the organization specified, or you do not have access to them.",
    )?;
    if spaces.iter().any(|s| space_of(&**s) != org) {
        let outside: Vec<String> = spaces
            .iter()
            .filter(|s| space_of(&***s) != org)
            .map(|s| guid_of(&**s).to_owned())
            .collect();
        return Err(ApiError::unprocessable(format!(
            "Spaces with guids {outside:?} do not exist within the organization specified, or you do not have access to them."
        )));
    }
    let mut spec = SpaceQuotaSpec {
        name,
        ..Default::default()
    };
    let s = &mut spec;
    req.quota
        .apply(&mut s.apps, &mut s.services, &mut s.routes, None);
    check_ports(&ctx, &org, &spec.routes)?;
    let quota = SpaceQuota::new(&uuid::Uuid::new_v4().to_string(), spec);
    let quota = ctx.create(&org, &quota).await?;
    apply_to(&ctx, guid_of(&quota), spaces).await?;
    Ok(created(quota.present(&ctx)))
}

pub async fn update(
    Found(ctx, quota): Found<SpaceQuota>,
    RawBody(body): RawBody,
) -> ApiResult<Response> {
    manages(&ctx, &quota)?;
    // CC updates space quotas with its org quota message: `domains` is taken, and ignored.
    let req = QuotaRequest::from_body(&body)?;
    let mut quota = (*quota).clone();
    let org = space_of(&quota).to_owned();
    if let Some(name) = &req.name {
        if taken(&ctx, &org, name, quota.metadata.name.as_deref()) {
            return Err(already_exists(name));
        }
        quota.spec.name = name.clone();
    }
    let s = &mut quota.spec;
    req.apply(&mut s.apps, &mut s.services, &mut s.routes, None);
    check_ports(&ctx, &org, &quota.spec.routes)?;
    let quota = ctx.replace(quota).await?;
    Ok(ok(quota.present(&ctx)))
}

pub async fn delete(Found(ctx, quota): Found<SpaceQuota>) -> ApiResult<Response> {
    manages(&ctx, &quota)?;
    if !spaces_using(&ctx, &quota).is_empty() {
        return Err(ApiError::unprocessable(
            "This quota is applied to one or more spaces. Remove this quota from all spaces before deleting.",
        ));
    }
    jobs::delete(&ctx, &*quota, Operation::SpaceQuotaDelete).await
}

/// `POST /v3/space_quotas/:guid/relationships/spaces`: puts the spaces under the quota and
/// answers every space under it.
pub async fn apply_to_spaces(
    Found(ctx, quota): Found<SpaceQuota>,
    RawBody(body): RawBody,
) -> ApiResult<Response> {
    manages(&ctx, &quota)?;
    let req = ToManyRequest::from_body(&body)?;
    let spaces =
        crate::v3::spaces::seen_or_422(&ctx, &req.guids(), ", or you do not have access to them.")?;
    if spaces.iter().any(|s| space_of(&**s) != space_of(&*quota)) {
        return Err(ApiError::unprocessable(
            "Space quotas cannot be applied outside of their owning organization.",
        ));
    }
    let guid = guid_of(&*quota).to_owned();
    apply_to(&ctx, &guid, spaces).await?;
    let using = spaces_using(&ctx, &quota);
    let data: Vec<Guid> = using.iter().map(|g| Guid::of(g)).collect();
    let link = Link::new(
        &ctx.base,
        "/v3/space_quotas/",
        &guid,
        "/relationships/spaces",
    );
    Ok(ok(Relationship {
        data,
        links: Links([("self", link)]),
    }))
}

/// `DELETE /v3/space_quotas/:guid/relationships/spaces/:space_guid`: the space is under no
/// space quota any more (its org's quota still holds).
pub async fn remove_from_space(
    ctx: Ctx,
    Path((guid, space)): Path<(String, String)>,
) -> ApiResult<Response> {
    let quota = ctx.find::<SpaceQuota>(&guid)?;
    manages(&ctx, &quota)?;
    let applied = ctx
        .get::<Space>(&space)
        .filter(|s| s.spec.quota.as_deref() == Some(guid.as_str()));
    let Some(space) = applied else {
        return Err(ApiError::unprocessable(format!(
            "Unable to remove quota from space with guid '{space}'. Ensure the space quota is applied to this space."
        )));
    };
    let mut space = (*space).clone();
    space.spec.quota = None;
    ctx.replace(space).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
