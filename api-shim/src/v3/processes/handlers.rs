//! Showing a process by type, scaling and updating processes, and their (empty) sidecars.

use super::{
    ProcessOf, ProcessView, Processes,
    message::{ScaleProcess, UpdateProcess},
};
use crate::{
    http::paging::{Page, Pagination},
    v3::{prelude::*, quota_usage},
};
use smelter_crds::App;

/// The process of type `type_` of app `guid`.
pub fn of_app(ctx: &Ctx, guid: &str, type_: &str) -> ApiResult<ProcessOf> {
    let app = ctx.find::<App>(guid)?;
    ProcessOf::find(&app, |p| p.type_ == type_).ok_or_else(|| ApiError::not_found(Processes::NAME))
}

impl Findable for Processes {
    type Item = ProcessOf;
    fn find(ctx: &Ctx, guid: &str) -> ApiResult<ProcessOf> {
        Processes::get(ctx, guid).ok_or_else(|| ApiError::not_found(Processes::NAME))
    }
}

/// Writes the changed process into its app, as the caller; answers the process as saved.
async fn save(ctx: &Ctx, of: &ProcessOf, p: smelter_crds::Process) -> ApiResult<ProcessOf> {
    let guid = p.guid.clone();
    let mut app = (*of.app).clone();
    if let Some(slot) = app.spec.processes.iter_mut().find(|x| x.guid == p.guid) {
        *slot = p;
    }
    quota_usage::check_app(&ctx.state.caches, Some(&of.app), &app)?;
    let app = Arc::new(ctx.replace(app).await?);
    ProcessOf::find(&app, |p| p.guid == guid).ok_or_else(|| ApiError::not_found(Processes::NAME))
}

pub async fn show_for_app(
    ctx: Ctx,
    Path((guid, type_)): Path<(String, String)>,
) -> ApiResult<Response> {
    let of = of_app(&ctx, &guid, &type_)?;
    Ok(ok(ProcessView::of(&of.app, of.process(), &ctx.base)))
}

async fn scale_one(ctx: Ctx, of: ProcessOf, req: ScaleProcess) -> ApiResult<Response> {
    crate::v3::feature_flags::require(&ctx, "app_scaling")?;
    // The message was checked as it was read.
    let scale = req
        .checked()
        .map_err(|p| ApiError::unprocessable(p.join(", ")))?;
    let mut p = of.process().clone();
    scale.apply(&mut p);
    let saved = save(&ctx, &of, p).await?;
    // 202, as CC's `processes_controller#scale` renders it (`status: :accepted`).
    Ok((
        StatusCode::ACCEPTED,
        scale.warnings(),
        Json(ProcessView::of(&saved.app, saved.process(), &ctx.base)),
    )
        .into_response())
}

pub async fn scale(
    Found(ctx, of): Found<Processes>,
    Body(req): Body<ScaleProcess>,
) -> ApiResult<Response> {
    scale_one(ctx, of, req).await
}

pub async fn scale_for_app(
    ctx: Ctx,
    Path((guid, type_)): Path<(String, String)>,
    Body(req): Body<ScaleProcess>,
) -> ApiResult<Response> {
    let of = of_app(&ctx, &guid, &type_)?;
    scale_one(ctx, of, req).await
}

pub async fn update(
    Found(ctx, of): Found<Processes>,
    Body(req): Body<UpdateProcess>,
) -> ApiResult<Response> {
    let mut p = of.process().clone();
    req.apply(&mut p)?;
    let saved = save(&ctx, &of, p).await?;
    Ok((
        req.warnings(),
        Json(ProcessView::of(&saved.app, saved.process(), &ctx.base)),
    )
        .into_response())
}

/// CC's `SidecarsListMessage`: paging, ordering, `guids` and the timestamps, no labels.
pub const SIDECARS: Accepts = Accepts::filters("").without_label_selector();

/// Sidecars are not supported; the cf CLI lists them for `cf app`, so the list is empty. The
/// query is checked before the process is looked up, as CC does.
pub async fn sidecars(ctx: Ctx, Path(guid): Path<String>) -> ApiResult<Response> {
    let query = ListQuery::parse(ctx.query.as_deref(), &SIDECARS)?;
    Processes::find(&ctx, &guid)?;
    Ok(ok(Page::<()> {
        pagination: Pagination::of(0, &query, &ctx.base, &ctx.path),
        resources: Vec::new(),
        included: None,
    }))
}
