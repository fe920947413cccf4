//! Droplets: the result of a staged `Build` (kept in its status), as CC's droplet resource.

use crate::{
    auth::Caller,
    auth::permissions::Access,
    http::body,
    http::errors::{ApiError, ApiResult},
    http::links::BaseUrl,
    http::present,
    http::query::{Accepts, ListQuery},
    state::AppState,
    v3::apps,
};
use axum::{
    Json, Router,
    body::Bytes,
    extract::{Path, RawQuery, State},
    routing::get,
};
use serde::Deserialize;
use serde_json::{Value, json};
use smelter_crds::{Build, build::Droplet};
use std::sync::Arc;

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/v3/droplets", get(list))
        .route("/v3/droplets/{guid}", get(show))
        .route("/v3/apps/{guid}/droplets", get(list_for_app))
        .route("/v3/packages/{guid}/droplets", get(list_for_package))
        .route(
            "/v3/apps/{guid}/relationships/current_droplet",
            get(current_relationship).patch(set_current),
        )
}

/// The build that produced droplet `guid`, and the droplet.
pub fn find(state: &AppState, guid: &str) -> Option<(Arc<Build>, Droplet)> {
    state.caches.builds.all().into_iter().find_map(|b| {
        let d = b.status.as_ref()?.droplet.clone()?;
        (d.guid == guid).then(|| (b.clone(), d))
    })
}

/// CC's droplet JSON.
pub fn present(build: &Build, d: &Droplet, base: &BaseUrl) -> Value {
    let mut m = present::base(&build.metadata);
    m.insert("guid".into(), json!(d.guid));
    m.insert("state".into(), json!("STAGED"));
    m.insert("error".into(), Value::Null);
    m.insert(
        "lifecycle".into(),
        apps::present_lifecycle(&build.spec.lifecycle),
    );
    m.insert(
        "checksum".into(),
        json!(d.checksum.as_ref().map(|c| json!({ "type": if c.type_ == smelter_crds::ChecksumType::Sha256 { "sha256" } else { "sha1" }, "value": c.value }))),
    );
    m.insert(
        "buildpacks".into(),
        json!(d.buildpacks.iter().map(|b| json!({ "name": b.name, "detect_output": b.detect_output, "buildpack_name": b.buildpack_name, "version": b.version })).collect::<Vec<_>>()),
    );
    m.insert("stack".into(), json!(d.stack));
    m.insert("image".into(), json!(d.image));
    m.insert(
        "execution_metadata".into(),
        json!(d.execution_metadata.clone().unwrap_or_default()),
    );
    m.insert("process_types".into(), json!(d.process_types));
    m.insert(
        "relationships".into(),
        json!({ "app": { "data": { "guid": build.spec.app_guid } } }),
    );
    m.insert(
        "metadata".into(),
        json!({ "labels": {}, "annotations": {} }),
    );
    m.insert(
        "links".into(),
        json!({
            "self": base.link(&format!("/v3/droplets/{}", d.guid)),
            "package": base.link(&format!("/v3/packages/{}", build.spec.package_guid)),
            "app": base.link(&format!("/v3/apps/{}", build.spec.app_guid)),
        }),
    );
    Value::Object(m)
}

fn space_of(b: &Build) -> &str {
    b.metadata.namespace.as_deref().unwrap_or_default()
}

/// Every staged droplet the caller may see, with its build.
fn all(state: &AppState, access: &Access) -> Vec<(Arc<Build>, Droplet)> {
    state
        .caches
        .builds
        .all()
        .into_iter()
        .filter(|b| access.sees_space(space_of(b)) && crate::v3::builds::state_name(b) == "STAGED")
        .filter_map(|b| {
            let d = b.status.as_ref()?.droplet.clone()?;
            Some((b, d))
        })
        .collect()
}

const LIST: Accepts<'static> = Accepts {
    filters: &["guids", "app_guids", "space_guids", "states"],
    order_by: &[],
    include: &[],
    fields: &[],
};

fn page(items: Vec<(Arc<Build>, Droplet)>, query: &ListQuery, base: &BaseUrl, path: &str) -> Value {
    let items: Vec<_> = items
        .into_iter()
        .filter(|(b, d)| {
            query.allows("guids", &d.guid)
                && query.allows("app_guids", &b.spec.app_guid)
                && query.allows("space_guids", space_of(b))
                && query.allows("states", "STAGED")
        })
        .collect();
    present::paginate(
        items,
        query,
        base,
        path,
        |(b, _)| &b.metadata,
        |_, _| String::new(),
        |(b, d)| present(b, d, base),
    )
}

async fn list(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    base: BaseUrl,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Value>> {
    let query = ListQuery::parse(raw.as_deref(), &LIST)?;
    let access = Access::of(&caller, &state.caches);
    Ok(Json(page(
        all(&state, &access),
        &query,
        &base,
        "/v3/droplets",
    )))
}

async fn list_for_app(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    base: BaseUrl,
    Path(app): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Value>> {
    let query = ListQuery::parse(
        raw.as_deref(),
        &Accepts {
            filters: &["guids", "states", "current"],
            order_by: &[],
            include: &[],
            fields: &[],
        },
    )?;
    let access = Access::of(&caller, &state.caches);
    let a = apps::visible(&state, &access, &app)?;
    let current_only = query
        .filter("current")
        .is_some_and(|v| v.iter().any(|x| x == "true"));
    let items = all(&state, &access)
        .into_iter()
        .filter(|(b, d)| {
            b.spec.app_guid == app
                && (!current_only
                    || a.spec.current_droplet_guid.as_deref() == Some(d.guid.as_str()))
        })
        .collect();
    Ok(Json(page(
        items,
        &query,
        &base,
        &format!("/v3/apps/{app}/droplets"),
    )))
}

async fn list_for_package(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    base: BaseUrl,
    Path(package): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Value>> {
    let query = ListQuery::parse(
        raw.as_deref(),
        &Accepts {
            filters: &["guids", "states"],
            order_by: &[],
            include: &[],
            fields: &[],
        },
    )?;
    let access = Access::of(&caller, &state.caches);
    crate::v3::packages::visible(&state, &access, &package)?;
    let items = all(&state, &access)
        .into_iter()
        .filter(|(b, _)| b.spec.package_guid == package)
        .collect();
    Ok(Json(page(
        items,
        &query,
        &base,
        &format!("/v3/packages/{package}/droplets"),
    )))
}

async fn show(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    base: BaseUrl,
    Path(guid): Path<String>,
) -> ApiResult<Json<Value>> {
    let access = Access::of(&caller, &state.caches);
    all(&state, &access)
        .into_iter()
        .find(|(_, d)| d.guid == guid)
        .map(|(b, d)| Json(present(&b, &d, &base)))
        .ok_or_else(|| ApiError::not_found("Droplet"))
}

fn relationship(app: &str, droplet: Option<&str>, base: &BaseUrl) -> Value {
    json!({
        "data": droplet.map(|g| json!({ "guid": g })),
        "links": {
            "self": base.link(&format!("/v3/apps/{app}/relationships/current_droplet")),
            "related": base.link(&format!("/v3/apps/{app}/droplets/current")),
        },
    })
}

async fn current_relationship(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    base: BaseUrl,
    Path(app): Path<String>,
) -> ApiResult<Json<Value>> {
    let access = Access::of(&caller, &state.caches);
    let a = apps::visible(&state, &access, &app)?;
    Ok(Json(relationship(
        &app,
        a.spec.current_droplet_guid.as_deref(),
        &base,
    )))
}

#[derive(Deserialize)]
struct SetCurrent {
    data: body::GuidRef,
}

async fn set_current(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    base: BaseUrl,
    Path(app): Path<String>,
    bytes: Bytes,
) -> ApiResult<Json<Value>> {
    let req: SetCurrent = body::parse(&bytes, &["data"])?;
    let access = Access::of(&caller, &state.caches);
    let a = apps::visible(&state, &access, &app)?;
    let owned = all(&state, &access)
        .into_iter()
        .any(|(b, d)| d.guid == req.data.guid && b.spec.app_guid == app);
    if !owned {
        return Err(ApiError::unprocessable(
            "Unable to assign current droplet. Ensure the droplet exists and belongs to this app.",
        ));
    }
    let mut updated = (*a).clone();
    updated.spec.current_droplet_guid = Some(req.data.guid.clone());
    apps::replace(&state, &caller, updated).await?;
    Ok(Json(relationship(&app, Some(&req.data.guid), &base)))
}
