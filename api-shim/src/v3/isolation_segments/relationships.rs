//! The segment of an org and of a space: `GET`/`PATCH
//! /v3/organizations/:guid/relationships/default_isolation_segment` and
//! `/v3/spaces/:guid/relationships/isolation_segment`, to-one relationships as CC shows them.

use crate::{
    http::message::{RawBody, ToOneRequest},
    v3::prelude::*,
};
use smelter_crds::{IsolationSegment, Org, Space};

/// `{"data": {"guid"} | null, "links": {"self", "related"?}}`.
fn relationship(ctx: &Ctx, parent: &str, guid: &str, name: &str, seg: Option<&str>) -> Response {
    let mut related = Link::to(
        &ctx.base,
        "/v3/isolation_segments/",
        seg.unwrap_or_default(),
    );
    related.hidden = seg.is_none();
    ok(crate::http::present::Relationship {
        data: seg.map(Guid::of),
        links: Links([
            ("self", Link::new(&ctx.base, parent, guid, name)),
            ("related", related),
        ]),
    })
}

const ORG_REL: &str = "/relationships/default_isolation_segment";
const SPACE_REL: &str = "/relationships/isolation_segment";

/// The segment `guid` if `org` is entitled to it.
fn entitled(ctx: &Ctx, org: &str, guid: &str) -> Option<Arc<IsolationSegment>> {
    ctx.state
        .caches
        .isolation_segments
        .get(guid)
        .filter(|s| s.spec.organization_guids.iter().any(|o| o == org))
}

pub async fn org_default(Found(ctx, org): Found<Org>) -> ApiResult<Response> {
    let seg = org.spec.default_isolation_segment.as_deref();
    Ok(relationship(
        &ctx,
        "/v3/organizations/",
        guid_of(&*org),
        ORG_REL,
        seg,
    ))
}

/// CC validates the body first, then finds the org, then asks who may.
pub async fn set_org_default(
    ctx: Ctx,
    Path(guid): Path<String>,
    RawBody(body): RawBody,
) -> ApiResult<Response> {
    let req = ToOneRequest::from_body(&body)?;
    let org = ctx.find::<Org>(&guid)?;
    if !ctx.perms.manages_org(&guid) {
        return Err(ApiError::not_authorized());
    }
    let wanted = req.guid().map(str::to_owned);
    if let Some(seg) = &wanted
        && entitled(&ctx, &guid, seg).is_none()
    {
        return Err(ApiError::unprocessable(format!(
            "Unable to assign isolation segment with guid '{seg}'. Ensure it has been entitled to the organization."
        )));
    }
    let org = if org.spec.default_isolation_segment != wanted {
        let mut org = (*org).clone();
        org.spec.default_isolation_segment = wanted;
        Arc::new(ctx.replace(org).await?)
    } else {
        org
    };
    let seg = org.spec.default_isolation_segment.as_deref();
    Ok(relationship(
        &ctx,
        "/v3/organizations/",
        &guid,
        ORG_REL,
        seg,
    ))
}

pub async fn space_segment(Found(ctx, space): Found<Space>) -> ApiResult<Response> {
    let seg = space.spec.isolation_segment.as_deref();
    Ok(relationship(
        &ctx,
        "/v3/spaces/",
        guid_of(&*space),
        SPACE_REL,
        seg,
    ))
}

/// Admins and the space's org managers (CC's docs), after the space is found.
pub async fn set_space_segment(
    Found(ctx, space): Found<Space>,
    RawBody(body): RawBody,
) -> ApiResult<Response> {
    let org = space_of(&*space).to_owned();
    if !ctx.perms.manages_org(&org) {
        return Err(ApiError::not_authorized());
    }
    let req = ToOneRequest::from_body(&body)?;
    let wanted = req.guid().map(str::to_owned);
    if let Some(seg) = &wanted
        && entitled(&ctx, &org, seg).is_none()
    {
        return Err(ApiError::unprocessable(format!(
            "Unable to assign isolation segment with guid '{seg}'. Ensure it has been entitled to the organization that this space belongs to."
        )));
    }
    let guid = guid_of(&*space).to_owned();
    let space = if space.spec.isolation_segment != wanted {
        let mut space = (*space).clone();
        space.spec.isolation_segment = wanted;
        Arc::new(ctx.replace(space).await?)
    } else {
        space
    };
    let seg = space.spec.isolation_segment.as_deref();
    Ok(relationship(&ctx, "/v3/spaces/", &guid, SPACE_REL, seg))
}
