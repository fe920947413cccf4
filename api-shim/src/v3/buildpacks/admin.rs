//! `POST`, `PATCH` and `DELETE /v3/buildpacks`: admin only, as CC's `BuildpacksController`.
//! Each is message (checked in full before anything is written) → action (writes as the caller,
//! so RBAC has the last word) → presenter. Positions are planned by `order` under
//! `AppState::buildpack_order`.

use super::{
    all, find,
    message::{self, CreateBuildpack, UpdateBuildpack},
    order::{self, Slot},
    present, slots,
};
use crate::{
    auth::Caller,
    http::body,
    http::errors::{ApiError, ApiResult},
    http::links::BaseUrl,
    state::AppState,
    v3::jobs,
    v3::stacks,
};
use axum::{
    Json,
    body::Bytes,
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use kube::Api;
use serde_json::Value;
use smelter_crds::{Buildpack, BuildpackSpec};
use std::sync::Arc;

/// CC's position for a buildpack created without one: first.
const DEFAULT_POSITION: i32 = 1;

/// The stacks a buildpack may name: those `/v3/stacks` serves.
const STACKS: &[&str] = &[stacks::STACK];

fn require_admin(caller: &Caller) -> ApiResult<()> {
    if caller.is_admin() {
        Ok(())
    } else {
        Err(ApiError::not_authorized())
    }
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
    state: &AppState,
    caller: &Caller,
    all: &[Arc<Buildpack>],
    planned: &[Slot],
    except: &str,
) -> ApiResult<()> {
    for slot in order::changes(&slots(all), planned) {
        if slot.guid == except {
            continue;
        }
        let Ok(current) = find(all, &slot.guid) else {
            continue;
        };
        let mut moved = (*current).clone();
        moved.spec.position = slot.position;
        crate::storage::write::replace(state, caller, moved, &state.caches.buildpacks).await?;
    }
    Ok(())
}

pub(super) async fn create(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    base: BaseUrl,
    bytes: Bytes,
) -> ApiResult<Response> {
    require_admin(&caller)?;
    let req: CreateBuildpack = body::parse(&bytes, message::CREATE_FIELDS)?;
    let name = req.name.unwrap_or_default();
    message::check_name(&name)?;
    if let Some(stack) = &req.stack {
        message::check_stack(stack, STACKS)?;
    }
    if let Some(lifecycle) = &req.lifecycle {
        message::check_lifecycle(lifecycle)?;
    }
    let position = req
        .position
        .as_ref()
        .map(message::check_position)
        .transpose()?
        .unwrap_or(DEFAULT_POSITION);

    let _order = state.buildpack_order.lock().await;
    let all = all(&state);
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
    body::apply_metadata(&mut buildpack.metadata, &req.metadata);
    // The new one first: if the caller may not create it, nothing else has moved.
    let created = crate::storage::write::create(
        &state,
        &caller,
        &state.config.root_namespace,
        &buildpack,
        &state.caches.buildpacks,
    )
    .await?;
    move_others(&state, &caller, &all, &planned, &guid).await?;
    Ok((StatusCode::CREATED, Json(present(&created, &base))).into_response())
}

pub(super) async fn update(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    base: BaseUrl,
    Path(guid): Path<String>,
    bytes: Bytes,
) -> ApiResult<Json<Value>> {
    find(&all(&state), &guid)?;
    require_admin(&caller)?;
    let req: UpdateBuildpack = body::parse(&bytes, message::UPDATE_FIELDS)?;
    if let Some(name) = &req.name {
        message::check_name(name)?;
    }
    let position = req
        .position
        .as_ref()
        .map(message::check_position)
        .transpose()?;

    let _order = state.buildpack_order.lock().await;
    let all = all(&state);
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
    body::apply_metadata(&mut buildpack.metadata, &req.metadata);
    let planned = order::place(&slots(&all), &guid, position);
    buildpack.spec.position = position_of(&planned, &guid);

    // The CLI always PATCHes, often with `{}`: an unchanged buildpack is not written.
    let unchanged = buildpack.spec == current.spec
        && buildpack.metadata.labels == current.metadata.labels
        && buildpack.metadata.annotations == current.metadata.annotations;
    let updated = if unchanged {
        current
    } else {
        Arc::new(
            crate::storage::write::replace(&state, &caller, buildpack, &state.caches.buildpacks)
                .await?,
        )
    };
    move_others(&state, &caller, &all, &planned, &guid).await?;
    Ok(Json(present(&updated, &base)))
}

pub(super) async fn delete(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    base: BaseUrl,
    Path(guid): Path<String>,
) -> ApiResult<Response> {
    find(&all(&state), &guid)?;
    require_admin(&caller)?;

    let _order = state.buildpack_order.lock().await;
    let all = all(&state);
    let api: Api<Buildpack> = Api::namespaced(
        state.client_for(&caller).map_err(ApiError::from_kube)?,
        &state.config.root_namespace,
    );
    api.delete(&guid, &Default::default())
        .await
        .map_err(ApiError::from_kube)?;
    // The object is gone, so nothing refers to the zip any more; if removing it fails, it is
    // only space, and the deletion stands.
    let key = smelter_blobstore::keys::buildpack(&guid);
    if let Err(e) = state.blobs.delete(&key).await {
        tracing::warn!(buildpack = %guid, error = %e, "failed to delete a deleted buildpack's zip");
    }
    let remaining: Vec<Arc<Buildpack>> = all
        .into_iter()
        .filter(|b| b.metadata.name.as_deref() != Some(guid.as_str()))
        .collect();
    let planned = order::remove(&slots(&remaining), &guid);
    move_others(&state, &caller, &remaining, &planned, &guid).await?;
    Ok(jobs::accepted(
        &base,
        jobs::Operation::BuildpackDelete,
        &guid,
    ))
}
