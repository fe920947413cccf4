//! Creating, changing and deleting routes.

use super::{
    RouteView, actions, domain_name,
    message::{CreateRoute, UpdateRoute, option_warnings},
};
use crate::v3::prelude::*;
use smelter_crds::Route;

pub async fn create(ctx: Ctx, Body(req): Body<CreateRoute>) -> ApiResult<Response> {
    let route = actions::create(
        &ctx,
        &req.relationships.space.data.guid,
        &req.relationships.domain.data.guid,
        req.host,
        req.path,
        req.metadata.as_ref(),
    )
    .await?;
    let domain = domain_name(&ctx, &route);
    Ok((
        StatusCode::CREATED,
        option_warnings(req.options.as_ref()),
        Json(RouteView::of(&route, domain, &ctx.base)),
    )
        .into_response())
}

pub async fn update(found: Found<Route>, Body(req): Body<UpdateRoute>) -> ApiResult<Response> {
    let updated = found.update(req.metadata.as_ref(), |_, _| Ok(())).await?;
    Ok((option_warnings(req.options.as_ref()), updated).into_response())
}

pub async fn delete(Found(ctx, r): Found<Route>) -> ApiResult<Response> {
    jobs::delete(&ctx, &*r, Operation::RouteDelete).await
}
