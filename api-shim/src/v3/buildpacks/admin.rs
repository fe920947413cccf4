//! `POST`, `PATCH` and `DELETE /v3/buildpacks`: admin only, as CC's `BuildpacksController`.
//! Each is message (checked in full before anything is written) → action (writes as the caller,
//! so RBAC has the last word) → presenter. Positions are planned by `order` under
//! `AppState::buildpack_order`.

use super::{
    BuildpackView, all,
    message::{self, CreateBuildpack, UpdateBuildpack},
    order::{self, Slot},
    slots,
};
use crate::{
    http::message::RawBody,
    v3::{prelude::*, stacks},
};
use smelter_crds::{Buildpack, BuildpackSpec};

/// CC's position for a buildpack created without one: first.
const DEFAULT_POSITION: i32 = 1;

/// The stacks a buildpack may name: those `/v3/stacks` serves.
const STACKS: &[&str] = &[stacks::STACK];

fn require_admin(ctx: &Ctx) -> ApiResult<()> {
    if ctx.perms.is_admin() {
        Ok(())
    } else {
        Err(ApiError::not_authorized())
    }
}

/// The buildpack with `guid` among `all`; CC's 404 if there is none.
fn find(all: &[Arc<Buildpack>], guid: &str) -> ApiResult<Arc<Buildpack>> {
    all.iter()
        .find(|b| b.metadata.name.as_deref() == Some(guid))
        .cloned()
        .ok_or_else(|| ApiError::not_found("Buildpack"))
}

/// The position `planned` gives `guid`.
fn position_of(planned: &[Slot], guid: &str) -> i32 {
    planned
        .iter()
        .find(|s| s.guid == guid)
        .map_or(DEFAULT_POSITION, |s| s.position)
}

/// Writes the new positions of every buildpack but `except` that `planned` moves.
async fn move_others(
    ctx: &Ctx,
    all: &[Arc<Buildpack>],
    planned: &[Slot],
    except: &str,
) -> ApiResult<()> {
    let client = ctx.client()?;
    for slot in order::changes(&slots(all), planned) {
        if slot.guid == except {
            continue;
        }
        let Ok(current) = find(all, &slot.guid) else {
            continue;
        };
        let mut moved = (*current).clone();
        moved.spec.position = slot.position;
        write::replace(&client, moved, &ctx.state.caches.buildpacks).await?;
    }
    Ok(())
}

pub async fn create(ctx: Ctx, RawBody(body): RawBody) -> ApiResult<Response> {
    require_admin(&ctx)?;
    let req = CreateBuildpack::from_body(&body)?;
    let name = req.name.clone().unwrap_or_default();
    if let Some(stack) = &req.stack {
        message::check_stack(stack, STACKS)?;
    }
    let position = req
        .position
        .as_ref()
        .map(message::check_position)
        .transpose()?
        .unwrap_or(DEFAULT_POSITION);

    let _order = ctx.state.buildpack_order.lock().await;
    let all = all(&ctx.state);
    message::check_unique(&all, None, &name, req.stack.as_deref())?;
    let guid = uuid::Uuid::new_v4().to_string();
    let planned = order::place(&slots(&all), &guid, Some(position));
    let mut buildpack = Buildpack::new(
        &guid,
        BuildpackSpec {
            name,
            position: position_of(&planned, &guid),
            stack: req.stack,
            enabled: req.enabled.unwrap_or(true),
            locked: req.locked.unwrap_or(false),
        },
    );
    apply_metadata(&mut buildpack.metadata, req.metadata.as_ref());
    // The new one first: if the caller may not create it, nothing else has moved.
    let root = &ctx.state.config.root_namespace;
    let buildpack = ctx.create(root, &buildpack).await?;
    move_others(&ctx, &all, &planned, &guid).await?;
    Ok(created(BuildpackView::of(&buildpack, &ctx.base)))
}

pub async fn update(
    ctx: Ctx,
    Path(guid): Path<String>,
    RawBody(body): RawBody,
) -> ApiResult<Response> {
    find(&all(&ctx.state), &guid)?;
    require_admin(&ctx)?;
    let req = UpdateBuildpack::from_body(&body)?;
    let position = req
        .position
        .as_ref()
        .map(message::check_position)
        .transpose()?;

    let _order = ctx.state.buildpack_order.lock().await;
    let all = all(&ctx.state);
    let current = find(&all, &guid)?;
    let mut buildpack = (*current).clone();
    if let Some(stack) = &req.stack {
        if let Some(stack) = stack {
            message::check_stack(stack, STACKS)?;
        }
        message::check_stack_change(current.spec.stack.as_deref(), stack.as_deref())?;
        buildpack.spec.stack = stack.clone();
    }
    if let Some(name) = req.name {
        buildpack.spec.name = name;
    }
    if req.stack.is_some() || buildpack.spec.name != current.spec.name {
        message::check_unique(
            &all,
            Some(&guid),
            &buildpack.spec.name,
            buildpack.spec.stack.as_deref(),
        )?;
    }
    if let Some(enabled) = req.enabled {
        buildpack.spec.enabled = enabled;
    }
    if let Some(locked) = req.locked {
        buildpack.spec.locked = locked;
    }
    apply_metadata(&mut buildpack.metadata, req.metadata.as_ref());
    let planned = order::place(&slots(&all), &guid, position);
    buildpack.spec.position = position_of(&planned, &guid);

    // The CLI always PATCHes, often with `{}`: an unchanged buildpack is not written.
    let unchanged = buildpack.spec == current.spec
        && buildpack.metadata.labels == current.metadata.labels
        && buildpack.metadata.annotations == current.metadata.annotations;
    let updated = if unchanged {
        current
    } else {
        Arc::new(ctx.replace(buildpack).await?)
    };
    move_others(&ctx, &all, &planned, &guid).await?;
    Ok(ok(BuildpackView::of(&updated, &ctx.base)))
}

pub async fn delete(ctx: Ctx, Path(guid): Path<String>) -> ApiResult<Response> {
    find(&all(&ctx.state), &guid)?;
    require_admin(&ctx)?;

    let _order = ctx.state.buildpack_order.lock().await;
    let all = all(&ctx.state);
    let root = &ctx.state.config.root_namespace;
    write::start_delete::<Buildpack>(&ctx.client()?, root, &guid).await?;
    // The object is gone, so nothing refers to the zip any more; if removing it fails, it is
    // only space, and the deletion stands.
    let key = smelter_blobstore::keys::buildpack(&guid);
    if let Err(e) = ctx.state.blobs.delete(&key).await {
        tracing::warn!(buildpack = %guid, error = %e, "failed to delete a deleted buildpack's zip");
    }
    let remaining: Vec<Arc<Buildpack>> = all
        .into_iter()
        .filter(|b| b.metadata.name.as_deref() != Some(guid.as_str()))
        .collect();
    let planned = order::remove(&slots(&remaining), &guid);
    move_others(&ctx, &remaining, &planned, &guid).await?;
    Ok(jobs::accepted(&ctx.base, Operation::BuildpackDelete, &guid))
}
