//! `/v3/builds`: stagings of a package, as `Build` objects the operator runs as Jobs. The
//! droplet a build produces is part of its status (see `droplets.rs`).

use crate::{
    auth::Caller,
    auth::permissions::Access,
    http::body::{self, MetadataRequest},
    http::errors::{ApiError, ApiResult},
    http::links::BaseUrl,
    http::present,
    http::query::{Accepts, ListQuery},
    state::AppState,
    v3::apps,
    v3::packages,
};
use axum::{
    Json, Router,
    body::Bytes,
    extract::{Path, RawQuery, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::get,
};
use serde::Deserialize;
use serde_json::{Value, json};
use smelter_crds::{Build, BuildSpec, build::BuildState, labels, package::PackageState};
use std::sync::Arc;

/// The annotation recording who asked for a build (CC's `created_by`).
const CREATED_BY: &str = "cf.smelter.dev/created-by";

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/v3/builds", get(list).post(create))
        .route("/v3/builds/{guid}", get(show))
        .route("/v3/apps/{guid}/builds", get(list_for_app))
}

/// CC's build state names.
pub fn state_name(b: &Build) -> &'static str {
    match b.status.as_ref().map(|s| &s.state) {
        Some(BuildState::Staged) => "STAGED",
        Some(BuildState::Failed) => "FAILED",
        _ => "STAGING",
    }
}

/// CC's build JSON.
pub fn present(b: &Build, base: &BaseUrl) -> Value {
    let guid = b.metadata.name.clone().unwrap_or_default();
    let status = b.status.clone().unwrap_or_default();
    let created_by: Value = b
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(CREATED_BY))
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or_else(|| json!({ "guid": "", "name": "", "email": "" }));
    let mut m = present::base(&b.metadata);
    m.insert("state".into(), json!(state_name(b)));
    m.insert(
        "staging_memory_in_mb".into(),
        json!(b.spec.staging_memory_in_mb.unwrap_or(1024)),
    );
    m.insert(
        "staging_disk_in_mb".into(),
        json!(b.spec.staging_disk_in_mb.unwrap_or(1024)),
    );
    m.insert(
        "staging_log_rate_limit_bytes_per_second".into(),
        json!(b.spec.staging_log_rate_limit_bytes_per_second.unwrap_or(-1)),
    );
    m.insert("error".into(), json!(status.error));
    m.insert(
        "lifecycle".into(),
        apps::present_lifecycle(&b.spec.lifecycle),
    );
    m.insert("package".into(), json!({ "guid": b.spec.package_guid }));
    m.insert(
        "droplet".into(),
        json!(
            status
                .droplet
                .as_ref()
                .filter(|_| state_name(b) == "STAGED")
                .map(|d| json!({ "guid": d.guid }))
        ),
    );
    m.insert("created_by".into(), created_by);
    m.insert(
        "relationships".into(),
        json!({ "app": { "data": { "guid": b.spec.app_guid } } }),
    );
    m.insert("metadata".into(), present::metadata(&b.metadata));
    let mut links = json!({ "self": base.link(&format!("/v3/builds/{guid}")), "app": base.link(&format!("/v3/apps/{}", b.spec.app_guid)) });
    if let Some(d) = &status.droplet {
        links["droplet"] = base.link(&format!("/v3/droplets/{}", d.guid));
    }
    m.insert("links".into(), links);
    Value::Object(m)
}

fn space_of(b: &Build) -> &str {
    b.metadata.namespace.as_deref().unwrap_or_default()
}

const LIST: Accepts<'static> = Accepts {
    filters: &["guids", "app_guids", "package_guids", "states"],
    order_by: &[],
    include: &[],
    fields: &[],
};

fn filtered(
    state: &AppState,
    access: &Access,
    query: &ListQuery,
    app: Option<&str>,
) -> Vec<Arc<Build>> {
    state
        .caches
        .builds
        .all()
        .into_iter()
        .filter(|b| {
            access.sees_space(space_of(b))
                && app.is_none_or(|a| b.spec.app_guid == a)
                && query.allows("guids", b.metadata.name.as_deref().unwrap_or_default())
                && query.allows("app_guids", &b.spec.app_guid)
                && query.allows("package_guids", &b.spec.package_guid)
                && query.allows("states", state_name(b))
        })
        .collect()
}

async fn list(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    base: BaseUrl,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Value>> {
    let query = ListQuery::parse(raw.as_deref(), &LIST)?;
    let access = Access::of(&caller, &state.caches);
    let items = filtered(&state, &access, &query, None);
    Ok(Json(present::paginate(
        items,
        &query,
        &base,
        "/v3/builds",
        |b| &b.metadata,
        |_, _| String::new(),
        |b| present(b, &base),
    )))
}

async fn list_for_app(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    base: BaseUrl,
    Path(app): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Value>> {
    let query = ListQuery::parse(raw.as_deref(), &LIST)?;
    let access = Access::of(&caller, &state.caches);
    apps::visible(&state, &access, &app)?;
    let items = filtered(&state, &access, &query, Some(&app));
    let path = format!("/v3/apps/{app}/builds");
    Ok(Json(present::paginate(
        items,
        &query,
        &base,
        &path,
        |b| &b.metadata,
        |_, _| String::new(),
        |b| present(b, &base),
    )))
}

async fn show(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    base: BaseUrl,
    Path(guid): Path<String>,
) -> ApiResult<Json<Value>> {
    let access = Access::of(&caller, &state.caches);
    state
        .caches
        .builds
        .all()
        .into_iter()
        .find(|b| {
            b.metadata.name.as_deref() == Some(guid.as_str()) && access.sees_space(space_of(b))
        })
        .map(|b| Json(present(&b, &base)))
        .ok_or_else(|| ApiError::not_found("Build"))
}

#[derive(Deserialize)]
struct PackageRef {
    guid: String,
}

#[derive(Deserialize)]
struct CreateBuild {
    package: PackageRef,
    lifecycle: Option<apps::LifecycleRequest>,
    staging_memory_in_mb: Option<i64>,
    staging_disk_in_mb: Option<i64>,
    staging_log_rate_limit_bytes_per_second: Option<i64>,
    #[serde(default)]
    metadata: MetadataRequest,
}

async fn create(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    base: BaseUrl,
    bytes: Bytes,
) -> ApiResult<Response> {
    let req: CreateBuild = body::parse(
        &bytes,
        &[
            "package",
            "lifecycle",
            "staging_memory_in_mb",
            "staging_disk_in_mb",
            "staging_log_rate_limit_bytes_per_second",
            "metadata",
        ],
    )?;
    let access = Access::of(&caller, &state.caches);
    let package = packages::visible(&state, &access, &req.package.guid).map_err(|_| {
        ApiError::unprocessable(
            "Unable to use package. Ensure that the package exists and you have access to it.",
        )
    })?;
    if package.status.as_ref().map(|s| &s.state) != Some(&PackageState::Ready) {
        return Err(ApiError::bad_request(
            "Bad request: Cannot stage package whose state is not ready.",
        ));
    }
    let app = apps::visible(&state, &access, &package.spec.app_guid)?;
    if req.staging_memory_in_mb.is_some_and(|m| m < 1)
        || req.staging_disk_in_mb.is_some_and(|d| d < 1)
    {
        return Err(ApiError::unprocessable(
            "Staging memory and disk must be greater than 0",
        ));
    }
    let lifecycle = match req.lifecycle {
        Some(l) => apps::lifecycle_from(l)?,
        None => app.spec.lifecycle.clone(),
    };
    let guid = uuid::Uuid::new_v4().to_string();
    let mut build = Build::new(
        &guid,
        BuildSpec {
            app_guid: package.spec.app_guid.clone(),
            package_guid: req.package.guid.clone(),
            lifecycle,
            staging_memory_in_mb: req.staging_memory_in_mb,
            staging_disk_in_mb: req.staging_disk_in_mb,
            staging_log_rate_limit_bytes_per_second: req.staging_log_rate_limit_bytes_per_second,
        },
    );
    let space = apps::space_guid(&app).to_owned();
    let mut l = app.metadata.labels.clone().unwrap_or_default();
    l.retain(|k, _| k == labels::SPACE_GUID || k == labels::ORG_GUID);
    l.insert(labels::APP_GUID.into(), package.spec.app_guid.clone());
    l.insert(labels::PACKAGE_GUID.into(), req.package.guid.clone());
    build.metadata.labels = Some(l);
    build.metadata.owner_references = Some(vec![apps::owned_by(&app)]);
    let by = json!({ "guid": caller.guid(), "name": caller.claims.user_name, "email": caller.claims.email }).to_string();
    build.metadata.annotations = Some([(CREATED_BY.to_owned(), by)].into());
    body::apply_metadata(&mut build.metadata, &req.metadata);
    let created =
        crate::storage::write::create(&state, &caller, &space, &build, &state.caches.builds)
            .await?;
    Ok((StatusCode::CREATED, Json(present(&created, &base))).into_response())
}
