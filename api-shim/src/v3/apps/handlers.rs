//! The app endpoints that change things, and the current droplet relationship: message →
//! checks → action → presenter.

use super::{
    AppView, actions,
    message::{CreateApp, UpdateApp, check_app_name},
    space_guid,
};
use crate::{
    http::message::GuidRef,
    v3::{builds, prelude::*},
};
use smelter_crds::{App, Lifecycle, LifecycleType, Space};

pub async fn create(ctx: Ctx, Body(req): Body<CreateApp>) -> ApiResult<Response> {
    let space = &req.relationships.space.data.guid;
    ctx.related::<Space>(space)?;
    let lifecycle = match req.lifecycle {
        Some(l) => l.into_lifecycle()?,
        None => Lifecycle::default(),
    };
    if lifecycle.type_ == LifecycleType::Docker {
        crate::v3::feature_flags::require(&ctx, "diego_docker")?;
    }
    let name = check_app_name(&req.name)
        .map_err(|p| ApiError::unprocessable(p.join(", ")))?
        .to_owned();
    let mut draft = actions::draft(&ctx, space, name, lifecycle);
    apply_metadata(&mut draft.metadata, req.metadata.as_ref());
    let app = actions::create(&ctx, draft, req.environment_variables.unwrap_or_default()).await?;
    Ok(created(AppView::of(&app, &ctx.base)))
}

pub async fn update(found: Found<App>, Body(req): Body<UpdateApp>) -> ApiResult<Response> {
    found
        .update(req.metadata.as_ref(), |ctx, app| {
            if let Some(name) = &req.name {
                let name =
                    check_app_name(name).map_err(|p| ApiError::unprocessable(p.join(", ")))?;
                if actions::taken(ctx, space_guid(app), name, Some(guid_of(app))) {
                    return Err(actions::name_taken(name));
                }
                app.spec.name = name.to_owned();
            }
            if let Some(l) = req.lifecycle {
                app.spec.lifecycle = l.into_lifecycle()?;
            }
            Ok(())
        })
        .await
}

pub async fn delete(Found(ctx, app): Found<App>) -> ApiResult<Response> {
    jobs::delete(&ctx, &*app, Operation::AppDelete).await
}

/// `start`, and `restart`: a start always rolls the instances (see [`actions::start`]).
pub async fn start(Found(ctx, app): Found<App>) -> ApiResult<Response> {
    if app.spec.lifecycle.type_ == LifecycleType::Docker {
        crate::v3::feature_flags::require(&ctx, "diego_docker")?;
    }
    let started = actions::start(&ctx, &app).await?;
    Ok(ok(AppView::of(&started, &ctx.base)))
}

pub async fn stop(Found(ctx, app): Found<App>) -> ApiResult<Response> {
    let stopped = actions::stop(&ctx, &app).await?;
    Ok(ok(AppView::of(&stopped, &ctx.base)))
}

/// CC's current-droplet relationship.
#[derive(Serialize)]
struct CurrentDroplet<'a> {
    data: Option<Guid<'a>>,
    links: Links<'a, 2>,
}

impl<'a> CurrentDroplet<'a> {
    fn of(app: &'a str, droplet: Option<&'a str>, base: &'a BaseUrl) -> Self {
        let at = Hrefs::new(base, "/v3/apps/", app);
        Self {
            data: ToOne::maybe(droplet).data,
            links: Links([
                ("self", at.link("/relationships/current_droplet")),
                ("related", at.link("/droplets/current")),
            ]),
        }
    }
}

pub async fn current_droplet(Found(ctx, app): Found<App>) -> ApiResult<Response> {
    let guid = guid_of(&*app).to_owned();
    let droplet = app.spec.current_droplet_guid.as_deref();
    Ok(ok(CurrentDroplet::of(&guid, droplet, &ctx.base)))
}

#[derive(Deserialize)]
pub struct SetCurrentDroplet {
    data: GuidRef,
}

impl Message for SetCurrentDroplet {}

pub async fn set_current_droplet(
    Found(ctx, app): Found<App>,
    Body(req): Body<SetCurrentDroplet>,
) -> ApiResult<Response> {
    let guid = guid_of(&*app).to_owned();
    let droplet = req.data.guid;
    // A staged build of this app made it.
    // A staged build of this app made it.
    let owned = ctx
        .state
        .caches
        .builds
        .by(By::Droplet, &droplet)
        .iter()
        .any(|b| b.spec.app_guid == guid && builds::staged_droplet(b).is_some());
    if !owned {
        return Err(ApiError::unprocessable(
            "Unable to assign current droplet. Ensure the droplet exists and belongs to this app.",
        ));
    }
    let mut updated = (*app).clone();
    updated.spec.current_droplet_guid = Some(droplet.clone());
    ctx.replace(updated).await?;
    Ok(ok(CurrentDroplet::of(&guid, Some(&droplet), &ctx.base)))
}
